package reports

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// DiffSchema names the version of the diff report format.
const DiffSchema = "hostwatch.diff/v1"

// DiffSide is one of the two saved reports a diff compares.
type DiffSide struct {
	// File is the report's path as given; SHA256 the hash of its bytes, so
	// a reader can tell it is the same file.
	File   string
	SHA256 string
	// Report is the report read back; its observations are only counted.
	Report probe.Report
}

// Diff is the outcome of one `hostwatch diff` run: how each domain changed
// from one saved report to the other.
type Diff struct {
	GeneratedAt   time.Time
	ToolVersion   string
	Before, After DiffSide
	// AcrossVantages says the two reports were taken from different
	// vantages and compared anyway (--across-vantages).
	AcrossVantages bool
	// Domains is how many domains of After were compared.
	Domains int
	Changes []probe.Change
	// Matched lists what made the run fail (--fail-on), in words.
	Matched []string
	// Width is what text output is fitted to: the terminal's width, or 0
	// for TableWidth.
	Width int
}

// DiffReportJSON names one of the two reports a diff compared.
type DiffReportJSON struct {
	File        string                `json:"file"`
	SHA256      string                `json:"sha256"`
	GeneratedAt string                `json:"generated_at"`
	ToolVersion string                `json:"tool_version"`
	Vantage     VantageJSON           `json:"vantage"`
	Resolvers   []string              `json:"resolvers"`
	Datasets    []attribution.Dataset `json:"datasets"`
	Domains     int                   `json:"domains"`
}

// DiffDocument is the JSON form of a Diff.
type DiffDocument struct {
	Schema         string         `json:"schema"`
	GeneratedAt    string         `json:"generated_at"`
	ToolVersion    string         `json:"tool_version"`
	Before         DiffReportJSON `json:"before"`
	After          DiffReportJSON `json:"after"`
	AcrossVantages bool           `json:"across_vantages"`
	MoveRule       string         `json:"move_rule"`
	Domains        int            `json:"domains"`
	Moves          int            `json:"moves"`
	Changes        []ChangeJSON   `json:"changes"`
	Failed         bool           `json:"failed"`
	Matched        []string       `json:"matched"`
}

func newDiffReportJSON(s DiffSide) DiffReportJSON {
	r := s.Report
	return DiffReportJSON{File: s.File, SHA256: s.SHA256, GeneratedAt: clock(r.GeneratedAt), ToolVersion: r.ToolVersion,
		Vantage: newVantageJSON(r.Vantage), Resolvers: nonNil(r.Resolvers), Datasets: nonNil(r.Datasets), Domains: len(r.Observations)}
}

// check is the diff as a Check, whose change writers it shares. A diff
// has nothing to confirm over: each report is one observation.
func (d Diff) check(pr *i18n.Printer) Check {
	c := Check{Changes: slices.Values(d.Changes), Matched: d.Matched, Domains: d.Domains, pr: pr}
	c.counts = c.tally()
	return c
}

// WriteDiff writes a diff as text ("table"), JSON or Markdown.
func WriteDiff(w io.Writer, format string, d Diff) error {
	return WriteDiffIn(w, format, d, i18n.English)
}

// WriteDiffIn is WriteDiff with text and Markdown in the language lang;
// JSON is the same in every language.
func WriteDiffIn(w io.Writer, format string, d Diff, lang i18n.Lang) error {
	pr, err := i18n.New(lang)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	c := d.check(pr)
	switch format {
	case "json":
		doc := DiffDocument{Schema: DiffSchema, GeneratedAt: clock(d.GeneratedAt), ToolVersion: d.ToolVersion,
			Before: newDiffReportJSON(d.Before), After: newDiffReportJSON(d.After), AcrossVantages: d.AcrossVantages,
			MoveRule: probe.MoveRule, Domains: d.Domains, Moves: c.counts.moves, Changes: make([]ChangeJSON, 0, len(d.Changes)),
			Failed: len(d.Matched) > 0, Matched: nonNil(d.Matched)}
		for _, ch := range d.Changes {
			doc.Changes = append(doc.Changes, newChangeJSON(ch))
		}
		if err := writeDocument(bw, doc); err != nil {
			return err
		}
	case "table":
		width := fitWidth(d.Width)
		writeChangesText(bw, width, c)
		textPara(bw, width, "%s", diffSummary(c))
		textPara(bw, width, "%s", pr.T("text.diff.moves", pr.T("rule.short")))
		textPara(bw, width, "%s", pr.T("text.diff.before", sideText(pr, d.Before)))
		textPara(bw, width, "%s", pr.T("text.diff.after", sideText(pr, d.After)))
		textPara(bw, width, "%s", pr.T("text.compared", clock(d.GeneratedAt), cmp.Or(d.ToolVersion, pr.T("text.unknown-version"))))
	case "markdown":
		bw.WriteString("## hostwatch diff\n\n")
		bw.WriteString(mdEscape(diffSummary(c)) + "\n\n")
		bw.WriteString(pr.T("md.moves", mdEscape(pr.T("rule.short"))) + "\n\n")
		writeChangesMarkdown(bw, c)
		bw.WriteString(pr.T("md.diff.sides", mdEscape(sideText(pr, d.Before)), mdEscape(sideText(pr, d.After))) + "\n\n")
		bw.WriteString(pr.T("md.compared", clock(d.GeneratedAt), mdEscape(cmp.Or(d.ToolVersion, pr.T("text.unknown-version")))) + "\n")
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// diffSummary is the one line that says how the diff ended.
func diffSummary(c Check) string {
	pr := c.words()
	return pr.N("text.compared-count", c.Domains) + ": " + pr.N("text.changes", c.counts.settled) +
		" (" + pr.N("text.move-count", c.counts.moves) + ")" + failing(pr, "", c.Matched)
}

// sideText names one report of a diff: its file, when and from where it
// was taken, and by which version.
func sideText(pr *i18n.Printer, s DiffSide) string {
	r := s.Report
	return pr.T("text.diff.side", s.File, cmp.Or(clock(r.GeneratedAt), pr.T("text.no-time")), vantageName(pr, r.Vantage.Name),
		cmp.Or(r.ToolVersion, pr.T("text.unknown-version")), pr.N("text.domains", len(r.Observations)), s.SHA256)
}
