package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/probe"
)

// HistorySchema names the version of the history report format.
const HistorySchema = "hostwatch.history/v1"

// DomainHistory is one domain's timeline: its periods and the changes between them.
type DomainHistory struct {
	Domain  string
	Periods []probe.Period
	Changes []probe.Change
}

// History is the timeline of every domain asked for.
type History struct {
	GeneratedAt  time.Time
	ToolVersion  string
	Database     string
	Since, Until time.Time
	Domains      []DomainHistory
}

// PeriodJSON is the JSON form of a period.
type PeriodJSON struct {
	From         string `json:"from"`
	To           string `json:"to"`
	Observations int    `json:"observations"`
	HostingJSON
}

// DomainHistoryJSON is the JSON form of one domain's timeline.
type DomainHistoryJSON struct {
	Domain  string       `json:"domain"`
	Summary string       `json:"summary"`
	Moves   int          `json:"moves"`
	Periods []PeriodJSON `json:"periods"`
	Changes []ChangeJSON `json:"changes"`
}

// HistoryDocument is the JSON form of a History.
type HistoryDocument struct {
	Schema      string              `json:"schema"`
	GeneratedAt string              `json:"generated_at"`
	ToolVersion string              `json:"tool_version"`
	Database    string              `json:"database"`
	Since       string              `json:"since,omitempty"`
	Until       string              `json:"until,omitempty"`
	Domains     []DomainHistoryJSON `json:"domains"`
}

// moves counts the changes that moved the domain's servers.
func moves(d DomainHistory) int {
	n := 0
	for _, c := range d.Changes {
		if c.IsMove() {
			n++
		}
	}
	return n
}

// where names a period's place: its countries, or its status when it had no addresses.
func where(h probe.Hosting) string {
	if h.Status != "ok" {
		return "[" + string(h.Status) + "]"
	}
	return orDash(strings.Join(h.Countries, "+"))
}

// Summary is the one line that sums up a domain's timeline, such as
// "moved 3 times since 2024-02-01: ID → SG → FR → SG".
func Summary(d DomainHistory) string {
	if len(d.Periods) == 0 {
		return "no observations"
	}
	since := d.Periods[0].From.UTC().Format(time.DateOnly)
	places := make([]string, 0, len(d.Periods))
	for _, p := range d.Periods {
		w := where(p.Hosting)
		if len(places) == 0 || places[len(places)-1] != w {
			places = append(places, w)
		}
	}
	n := moves(d)
	head := fmt.Sprintf("moved %d %s since %s", n, plural(n, "time", "times"), since)
	if n == 0 {
		head = "no move since " + since
	}
	return head + ": " + strings.Join(places, " → ")
}

// WriteHistory writes timelines as a table, JSON, CSV (one row per period) or Markdown.
func WriteHistory(w io.Writer, format string, h History) error {
	var b strings.Builder
	switch format {
	case "json":
		doc := HistoryDocument{
			Schema: HistorySchema, GeneratedAt: h.GeneratedAt.UTC().Format(time.RFC3339),
			ToolVersion: h.ToolVersion, Database: h.Database,
			Since: timestamp(h.Since), Until: timestamp(h.Until),
			Domains: make([]DomainHistoryJSON, 0, len(h.Domains)),
		}
		for _, d := range h.Domains {
			dj := DomainHistoryJSON{Domain: d.Domain, Summary: Summary(d), Moves: moves(d),
				Periods: make([]PeriodJSON, 0, len(d.Periods)), Changes: make([]ChangeJSON, 0, len(d.Changes))}
			for _, p := range d.Periods {
				dj.Periods = append(dj.Periods, PeriodJSON{From: timestamp(p.From), To: timestamp(p.To), Observations: p.Observations, HostingJSON: newHostingJSON(p.Hosting)})
			}
			for _, c := range d.Changes {
				dj.Changes = append(dj.Changes, newChangeJSON(c))
			}
			doc.Domains = append(doc.Domains, dj)
		}
		return writeDocument(w, doc)
	case "csv":
		return writePeriodsCSV(w, h)
	case "table":
		writeHistoryText(&b, h)
	case "markdown":
		writeHistoryMarkdown(&b, h)
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func asnList(h probe.Hosting) string {
	s := make([]string, len(h.ASNs))
	for i, a := range h.ASNs {
		s[i] = fmt.Sprintf("AS%d", a)
	}
	return strings.Join(s, " ")
}

func addrList(h probe.Hosting) string {
	s := make([]string, len(h.Addresses))
	for i, a := range h.Addresses {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}

func writeHistoryText(b *strings.Builder, h History) {
	for i, d := range h.Domains {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(b, "%s: %s\n", d.Domain, Summary(d))
		cols := []*column{
			{header: "FROM"}, {header: "TO"}, {header: "CC"}, {header: "ASN"},
			{header: "ORGANISATION", min: 16, squeeze: 1}, {header: "ADDRESSES", min: 15, squeeze: 2},
		}
		for _, p := range d.Periods {
			addRow(cols, clock(p.From), clock(p.To), where(p.Hosting), asnList(p.Hosting),
				strings.Join(p.Hosting.Orgs, " + "), addrList(p.Hosting))
		}
		writeColumns(b, cols)
		for _, c := range d.Changes {
			if c.IsMove() {
				fmt.Fprintf(b, "  moved between %s and %s: %s → %s (%s)\n", clock(c.BeforeAt), clock(c.AfterAt),
					where(c.Before), where(c.After), kindsList(c))
			}
		}
	}
	if len(h.Domains) == 0 {
		b.WriteString("no observations recorded")
		if !h.Since.IsZero() || !h.Until.IsZero() {
			b.WriteString(" in the time asked for")
		}
		b.WriteByte('\n')
	}
}

func writeHistoryMarkdown(b *strings.Builder, h History) {
	b.WriteString("## hostwatch history\n\n")
	for _, d := range h.Domains {
		fmt.Fprintf(b, "### %s\n\n%s\n\n", mdEscape(d.Domain), mdEscape(Summary(d)))
		b.WriteString("| From | To | Country | ASN | Organisation | Addresses |\n|---|---|---|---|---|---|\n")
		for _, p := range d.Periods {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", clock(p.From), clock(p.To), mdEscape(where(p.Hosting)),
				asnList(p.Hosting), mdEscape(strings.Join(p.Hosting.Orgs, " + ")), addrList(p.Hosting))
		}
		b.WriteByte('\n')
	}
	if len(h.Domains) == 0 {
		b.WriteString("No observations recorded.\n")
	}
}

// writePeriodsCSV writes one row per domain and period.
func writePeriodsCSV(w io.Writer, h History) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"domain", "from", "to", "status", "countries", "asns", "as_orgs", "addresses", "cname", "observations"}}
	for _, d := range h.Domains {
		for _, p := range d.Periods {
			rows = append(rows, []string{d.Domain, clock(p.From), clock(p.To), string(p.Hosting.Status),
				strings.Join(p.Hosting.Countries, " "), asnList(p.Hosting), strings.Join(p.Hosting.Orgs, "; "),
				addrList(p.Hosting), strings.Join(p.Hosting.CNAME, " "), fmt.Sprint(p.Observations)})
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
