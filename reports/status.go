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
	// Origin is "embedded", the file the data was read from, or the URL a
	// geofeed was fetched from (db update --geofeed).
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
	// History, when asked for (--db), names the history's backend.
	History *HistoryStatus
}

// HistoryStatus names a history database's backend and schema version.
type HistoryStatus struct {
	Backend string `json:"backend"` // sqlite or postgresql
	// Location is the file or URL, a URL's password redacted.
	Location string `json:"location"`
	// SchemaVersion is the version stored, Current the one this hostwatch writes.
	SchemaVersion int `json:"schema_version"`
	Current       int `json:"current_schema_version"`
	// Server is a PostgreSQL server's version.
	Server string `json:"server,omitempty"`
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
			History        *HistoryStatus `json:"history,omitempty"`
		}{StatusSchema, clock(s.GeneratedAt), s.ToolVersion, s.StaleAfterDays, nonNil(s.Sources), s.History})
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
	if h := s.History; h != nil {
		b.WriteByte('\n')
		textLine(&b, "history: %s, %s, schema version %d (this hostwatch writes %d)", h.Backend, h.Location, h.SchemaVersion, h.Current)
		if h.Server != "" {
			textLine(&b, "  PostgreSQL server %s", h.Server)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
