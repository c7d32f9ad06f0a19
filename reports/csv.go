package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
)

// CSVWriter writes the CSV of every hostwatch export: RFC 4180 (as Python's
// csv module reads it in strict mode, and csvkit), with every cell passed
// through CSVCell so that a spreadsheet opening the file runs nothing.
// Unknown values are empty cells.
type CSVWriter struct {
	w *csv.Writer
}

// NewCSVWriter returns a CSVWriter writing to w.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w)}
}

// Write writes one row, each cell made safe by CSVCell.
func (c *CSVWriter) Write(row []string) error {
	safe := make([]string, len(row))
	for i, cell := range row {
		safe[i] = CSVCell(cell)
	}
	if err := c.w.Write(safe); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// Flush writes what is buffered and returns the first error of any write.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// formulaStart reports whether a spreadsheet would take a cell that begins
// with s's first byte as a formula (OWASP "CSV injection": =, +, -, @, tab,
// carriage return), or as the start of another line (a newline).
func formulaStart(s string) bool {
	return s != "" && strings.IndexByte("=+-@\t\r\n", s[0]) >= 0
}

// CSVCell makes one cell safe to open in a spreadsheet and exact to read
// back: invalid UTF-8 becomes U+FFFD, line breaks inside the cell become
// "\n" (CSV readers, Go's among them, turn a quoted "\r\n" into "\n"), and a
// cell that would run as a formula gets a leading "'", which spreadsheets
// show as text. AS names such as "+Net & Telecom" and hostile CNAME targets
// begin that way.
func CSVCell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	if formulaStart(s) {
		return "'" + s
	}
	return s
}

// AuditCSVWriter writes an audit as CSV, one row per domain and address (a
// domain without addresses gets one row with its status and why), under a
// header of the JSON field names (AuditCSVHeader). Each observation's rows
// are flushed as they are written, as JSON lines are.
type AuditCSVWriter struct {
	w       *CSVWriter
	vantage string
	header  bool
	rtt     bool
}

// NewAuditCSVWriter returns an AuditCSVWriter on w, for a run taken from vantage.
func NewAuditCSVWriter(w io.Writer, vantage string) *AuditCSVWriter {
	return &AuditCSVWriter{w: NewCSVWriter(w), vantage: vantage}
}

// WithRTT adds the columns of a run that measured round trips (--rtt),
// RTTCSVHeader, after ptr: the speed-of-light bound and its verdict on the
// database's country, which every format carries.
func (a *AuditCSVWriter) WithRTT() *AuditCSVWriter {
	a.rtt = true
	return a
}

// RTTCSVHeader names the columns WithRTT adds: the least round trip in ms
// (empty when none was answered), the bound's max_distance_km and
// possible_countries (space-separated), and geolocation_contradicted
// (empty when the vantage has no location, so nothing is bounded).
func RTTCSVHeader() []string {
	return []string{"rtt_ms", "max_distance_km", "possible_countries", "geolocation_contradicted"}
}

// rttCSV is an address's RTTCSVHeader cells.
func rttCSV(r *RTTJSON) []string {
	cells := make([]string, len(RTTCSVHeader()))
	if r == nil {
		return cells
	}
	if r.MinMillis != nil {
		cells[0] = strconv.FormatFloat(*r.MinMillis, 'f', -1, 64)
	}
	if b := r.Bound; b != nil {
		cells[1] = strconv.FormatFloat(b.MaxDistanceKm, 'f', -1, 64)
		cells[2] = strings.Join(b.PossibleCountries, " ")
		cells[3] = strconv.FormatBool(b.Contradicted)
	}
	return cells
}

// AuditCSVHeader names the columns of audit -o csv: the JSON field names of
// a target, then of its addresses. cname_chain lists the chain's targets
// joined by " > ", and ptr the reverse names (with --ptr) by spaces.
func AuditCSVHeader() []string {
	h := []string{"domain", "unicode", "input", "status", "error", "observed_at", "vantage", "cname_chain"}
	return append(append(h, addressCSVHeader()...), "ptr")
}

// Write writes the rows of one observation and flushes them.
func (a *AuditCSVWriter) Write(o probe.Observation) error {
	if !a.header {
		a.header = true
		h := AuditCSVHeader()
		if a.rtt {
			h = append(h, RTTCSVHeader()...)
		}
		if err := a.w.Write(h); err != nil {
			return err
		}
	}
	t := NewTarget(o)
	hops := make([]string, len(t.CNAMEChain))
	for i, h := range t.CNAMEChain {
		hops[i] = h.Target
	}
	head := []string{t.Domain, t.Unicode, t.Input, t.Status, t.Error, t.ObservedAt, a.vantage, strings.Join(hops, " > ")}
	if len(t.Addresses) == 0 {
		n := len(addressCSVHeader()) + 1
		if a.rtt {
			n += len(RTTCSVHeader())
		}
		if err := a.w.Write(append(head, make([]string, n)...)); err != nil {
			return err
		}
	}
	for _, ad := range t.Addresses {
		ptr := ""
		if ad.PTR != nil {
			ptr = strings.Join(*ad.PTR, " ")
		}
		row := append(append(slices.Clone(head), addressCSV(ad)...), ptr)
		if a.rtt {
			row = append(row, rttCSV(ad.RTT)...)
		}
		if err := a.w.Write(row); err != nil {
			return err
		}
	}
	return a.w.Flush()
}

// Flush writes what is buffered.
func (a *AuditCSVWriter) Flush() error { return a.w.Flush() }
