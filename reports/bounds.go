package reports

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/rtt"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// BoundsSchema names the version of the history --bounds report format.
const BoundsSchema = "hostwatch.bounds/v1"

// Bounds is what history --bounds says of one address: each vantage's
// least recorded round trip and its disk, and what the disks say together
// (history.Bounds).
type Bounds struct {
	GeneratedAt time.Time
	ToolVersion string
	Database    string
	Address     netip.Addr
	Vantages    []history.VantageMeasurement
	Combined    probe.Combined
}

// BoundsDocument is the JSON form of Bounds (bounds.v1.schema.json).
type BoundsDocument struct {
	Schema      string              `json:"schema"`
	GeneratedAt string              `json:"generated_at"`
	ToolVersion string              `json:"tool_version"`
	Database    string              `json:"database"`
	Address     string              `json:"address"`
	Vantages    []BoundsVantageJSON `json:"vantages"`
	// Anycast: some two disks do not meet, so the address answers from
	// more than one place; Disjoint names those pairs.
	Anycast  bool       `json:"anycast"`
	Disjoint [][]string `json:"disjoint"`
	// PossibleCountries meet every disk; empty when anycast or when no
	// vantage had a location.
	PossibleCountries []string `json:"possible_countries"`
	ClaimedCountry    string   `json:"claimed_country"`
	// ContradictedBy names the vantages whose disk rules out ClaimedCountry.
	ContradictedBy []string `json:"contradicted_by"`
}

// BoundsVantageJSON is one vantage's least round trip to the address.
type BoundsVantageJSON struct {
	Vantage      string        `json:"vantage"`
	Label        string        `json:"label"`
	Location     *LocationJSON `json:"location"`
	Measurements int           `json:"measurements"`
	Domain       string        `json:"domain"`
	RunID        int64         `json:"run_id"`
	MeasuredAt   string        `json:"measured_at"`
	RTT          *RTTJSON      `json:"rtt"`
}

func boundsRTT(v history.VantageMeasurement) *probe.RTT {
	m := v.Least
	return &probe.RTT{Result: rtt.Result{Method: m.Method, Samples: m.Samples, Min: m.Min}, Bound: v.Bound}
}

func newBoundsDocument(b Bounds) BoundsDocument {
	c := b.Combined
	doc := BoundsDocument{Schema: BoundsSchema, GeneratedAt: b.GeneratedAt.UTC().Format(time.RFC3339), ToolVersion: b.ToolVersion,
		Database: b.Database, Address: b.Address.String(), Vantages: make([]BoundsVantageJSON, 0, len(b.Vantages)),
		Anycast: c.Anycast, Disjoint: make([][]string, 0, len(c.Disjoint)), PossibleCountries: nonNil(c.PossibleCountries),
		ClaimedCountry: c.Claimed, ContradictedBy: nonNil(c.Contradicted)}
	for _, v := range b.Vantages {
		doc.Vantages = append(doc.Vantages, BoundsVantageJSON{Vantage: v.Least.Vantage, Label: v.Label, Location: newLocationJSON(v.Least.Location),
			Measurements: v.Count, Domain: v.Least.Domain, RunID: v.Least.RunID, MeasuredAt: timestamp(v.Least.MeasuredAt), RTT: newRTTJSON(boundsRTT(v))})
	}
	for _, p := range c.Disjoint {
		doc.Disjoint = append(doc.Disjoint, []string{p[0], p[1]})
	}
	return doc
}

// WriteBoundsIn writes what history --bounds found as a table (plain
// lines), Markdown or JSON; the words in the language lang.
func WriteBoundsIn(w io.Writer, format string, b Bounds, lang i18n.Lang) error {
	pr, err := i18n.New(lang)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeDocument(w, newBoundsDocument(b))
	}
	var out strings.Builder
	md := format == "markdown"
	esc := termtext.Safe
	switch format {
	case "table":
	case "markdown":
		esc = mdEscape
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	title := pr.N("bounds.title", len(b.Vantages), b.Address.String(), b.Database)
	if md {
		fmt.Fprintf(&out, "## %s\n\n", esc(title))
	} else {
		out.WriteString(esc(title) + "\n")
	}
	for _, v := range b.Vantages {
		line := esc(vantageLabel(pr, v.Label)) + ": " + strings.Join(rttNotes(pr, &probe.Extra{RTT: boundsRTT(v)}), "; ") + " " +
			pr.N("bounds.least", v.Count, esc(v.Least.Domain), v.Least.RunID, timestamp(v.Least.MeasuredAt))
		if md {
			fmt.Fprintf(&out, "- %s\n", line)
		} else {
			fmt.Fprintf(&out, "  %s\n", line)
		}
	}
	for _, s := range boundsVerdict(pr, b, esc) {
		if md {
			fmt.Fprintf(&out, "\n**%s**\n", s)
		} else {
			out.WriteString(s + "\n")
		}
	}
	_, err = io.WriteString(w, out.String())
	return err
}

// vantageLabel names a vantage, or says the runs had none.
func vantageLabel(pr *i18n.Printer, label string) string {
	if label == "" {
		return pr.T("vantage.none")
	}
	return label
}

// boundsVerdict says what the disks say together: anycast (naming the
// pairs that do not meet), else the countries every disk allows; and
// whether the database's country is ruled out.
func boundsVerdict(pr *i18n.Printer, b Bounds, esc func(string) string) []string {
	c := b.Combined
	located := 0
	for _, v := range b.Vantages {
		if v.Bound != nil {
			located++
		}
	}
	var out []string
	switch {
	case c.Anycast:
		pairs := make([]string, len(c.Disjoint))
		for i, p := range c.Disjoint {
			pairs[i] = pr.T("bounds.pair", esc(vantageLabel(pr, p[0])), esc(vantageLabel(pr, p[1])))
		}
		out = append(out, pr.T("bounds.anycast", strings.Join(pairs, "; ")))
	case located == 0:
		out = append(out, pr.T("bounds.unbounded"))
	default:
		possible := strings.Join(c.PossibleCountries, ", ")
		if possible == "" {
			possible = pr.T("rtt.none-possible")
		}
		out = append(out, pr.N("bounds.together", located, possible))
	}
	if len(c.Contradicted) > 0 {
		names := make([]string, len(c.Contradicted))
		for i, n := range c.Contradicted {
			names[i] = esc(vantageLabel(pr, n))
		}
		out = append(out, pr.T("bounds.contradicted", c.Claimed, strings.Join(names, ", ")))
	}
	return out
}

// boundsView is the bounds page's words, made in its language.
type boundsView struct {
	Address string
	Title   string
	Lines   []string
	Verdict []string
}

// WriteBoundsHTML writes what history --bounds found as one
// self-contained HTML page, in English: every vantage on the map with the
// disk its least round trip allows, and whether they meet.
func WriteBoundsHTML(w io.Writer, b Bounds) error { return WriteBoundsHTMLIn(w, b, i18n.English) }

// WriteBoundsHTMLIn is WriteBoundsHTML in the language lang.
func WriteBoundsHTMLIn(w io.Writer, b Bounds, lang i18n.Lang) error {
	doc, err := spoolJSON(func(w io.Writer) error { return writeDocument(w, newBoundsDocument(b)) })
	if err != nil {
		return err
	}
	defer doc.Close()
	pr, m, err := pageLanguage(lang)
	if err != nil {
		return err
	}
	p := newPage("bounds", b.GeneratedAt, b.ToolVersion, doc, m, pr)
	p.Method.Database = b.Database
	same := func(s string) string { return s } // the template escapes
	bv := &boundsView{Address: b.Address.String(), Title: pr.N("bounds.title", len(b.Vantages), b.Address.String(), b.Database),
		Verdict: boundsVerdict(pr, b, same)}
	p.Map = newMapView(m, nil, "bounds", nil)
	for _, v := range b.Vantages {
		bv.Lines = append(bv.Lines, vantageLabel(pr, v.Label)+": "+strings.Join(rttNotes(pr, &probe.Extra{RTT: boundsRTT(v)}), "; ")+" "+
			pr.N("bounds.least", v.Count, v.Least.Domain, v.Least.RunID, timestamp(v.Least.MeasuredAt)))
		if v.Bound == nil {
			continue
		}
		q := m.Project(v.Bound.From.Lon, v.Bound.From.Lat)
		p.Map.Vantage = append(p.Map.Vantage, mapMark{Name: vantageLabel(pr, v.Label), X: q.X, Y: q.Y})
		p.Map.Disks = append(p.Map.Disks, mapDisk{IP: vantageLabel(pr, v.Label), KM: wordedKm(v.Bound.MaxDistanceKm), Path: diskPath(m, v.Bound.Disk())})
	}
	p.Bounds = bv
	return writePage(w, p)
}
