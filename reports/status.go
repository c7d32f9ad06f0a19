package reports

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
)

// StatusSchema names the version of the `db status` format.
const StatusSchema = "hostwatch.db-status/v1"

// SourceStatus is one attribution source and how fresh it is.
type SourceStatus struct {
	attribution.Dataset
	// Origin is "embedded" or the file the data was read from.
	Origin  string `json:"origin"`
	AgeDays int    `json:"age_days"`
	Stale   bool   `json:"stale"`
}

// DataStatus is what `hostwatch db status` reports.
type DataStatus struct {
	GeneratedAt    time.Time
	ToolVersion    string
	StaleAfterDays int
	Sources        []SourceStatus
}

// WriteDataStatus writes the sources as a table or one JSON document.
func WriteDataStatus(w io.Writer, format string, s DataStatus) error {
	if format == "json" {
		return writeDocument(w, struct {
			Schema         string         `json:"schema"`
			GeneratedAt    string         `json:"generated_at"`
			ToolVersion    string         `json:"tool_version"`
			StaleAfterDays int            `json:"stale_after_days"`
			Sources        []SourceStatus `json:"sources"`
		}{StatusSchema, clock(s.GeneratedAt), s.ToolVersion, s.StaleAfterDays, nonNil(s.Sources)})
	}
	cols := []*column{
		{header: "SOURCE", min: 20, squeeze: 2}, {header: "DATE"}, {header: "AGE"}, {header: "STATE"},
		{header: "GIVES"}, {header: "LICENCE", min: 12, squeeze: 1},
	}
	for _, src := range s.Sources {
		age, state := fmt.Sprintf("%dd", src.AgeDays), "fresh"
		if src.Stale {
			state = "STALE"
		}
		if _, dated := src.Date(); !dated {
			// No date of its own (a version, or none): its age is unknown.
			age, state = "-", "undated"
		}
		addRow(cols, src.ID, cmp.Or(src.Version, "-"), age, state, strings.Join(src.Fields, ","), src.License)
	}
	var b strings.Builder
	writeColumns(&b, cols, TableWidth)
	b.WriteByte('\n')
	for _, src := range s.Sources {
		textLine(&b, "%s (%s)", src.ID, src.Origin)
		if src.Package != "" {
			textLine(&b, "  built from %s, sha256 %s", src.Package, src.SHA256)
		}
		if src.Attribution != "" {
			textLine(&b, "  notice: %s", src.Attribution)
		}
	}
	fmt.Fprintf(&b, "\nData older than %d days is stale; every report then says so.\n", s.StaleAfterDays)
	_, err := io.WriteString(w, b.String())
	return err
}
