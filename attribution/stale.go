package attribution

import (
	"fmt"
	"net/netip"
	"time"
)

// StaleAfter is the age past which data is called stale in every report:
// networks change hands and move, and the sources publish daily.
const StaleAfter = 90 * 24 * time.Hour

// Date is the day the dataset's data is from, when its Version is a date.
func (d Dataset) Date() (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, d.Version)
	return t, err == nil
}

// StaleWarnings returns one line for each dataset older than StaleAfter at
// now: Stale's warnings in English.
func StaleWarnings(ds []Dataset, now time.Time) []string {
	return warningLines(Stale(ds, now))
}

// Stale returns a WarningStale for each dataset older than StaleAfter at now.
func Stale(ds []Dataset, now time.Time) []Warning {
	var out []Warning
	for _, d := range ds {
		date, ok := d.Date()
		if !ok {
			continue
		}
		if age := now.Sub(date); age > StaleAfter {
			out = append(out, Warning{Kind: WarningStale, Dataset: d.ID, Version: d.Version, Days: int(age.Hours() / 24)})
		}
	}
	return out
}

// WarningKind names what a Warning is about; its value is the stable code
// reports carry (the "code" of a report's warning_details).
type WarningKind string

// The kinds of warning about the attribution data.
const (
	// WarningStale: Dataset's data, from Version, is Days old (past StaleAfter).
	WarningStale WarningKind = "stale_dataset"
	// WarningLookupsFailed: Count lookups failed in Dataset and were asked
	// of the sources after it; the first (lowest) at Address, with Detail.
	WarningLookupsFailed WarningKind = "lookups_failed"
	// WarningCountryDropped: Dataset gave Count lookups a country code that
	// is not two ASCII letters, and it was dropped; the first at Address,
	// Detail the code quoted.
	WarningCountryDropped WarningKind = "country_code_dropped"
)

// Warning is something about the attribution data a report's reader must
// know, as a kind and its arguments, so that a report can word it in the
// reader's language. Outside text in Detail is already inert.
type Warning struct {
	Kind    WarningKind
	Dataset string
	Version string
	Days    int
	Count   int
	Address netip.Addr
	Detail  string
}

// String words the warning in English, as hostwatch has always printed it.
func (w Warning) String() string {
	switch w.Kind {
	case WarningStale:
		return fmt.Sprintf("%s is from %s, %d days old; see hostwatch db status", w.Dataset, w.Version, w.Days)
	case WarningLookupsFailed:
		return fmt.Sprintf("%s: %s failed and %s answered by the sources after it (the first, %s: %s)",
			w.Dataset, plural(w.Count, "lookup"), pick(w.Count, "was", "were"), w.Address, w.Detail)
	case WarningCountryDropped:
		return fmt.Sprintf("%s: dropped the country code of %s, not two ASCII letters (the first, %s: %s)",
			w.Dataset, plural(w.Count, "lookup"), w.Address, w.Detail)
	}
	return fmt.Sprintf("%s: %s", w.Kind, w.Detail)
}

func warningLines(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}
