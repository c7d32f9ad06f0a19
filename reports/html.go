package reports

import (
	"bufio"
	"cmp"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/worldmap"
	"github.com/hostwatch/hostwatch/resolvers"
)

// The HTML templates: they hold the page's structure; every word it shows
// comes from the message catalogues of package i18n.
//
//go:embed templates/*.html.tmpl
var templateFiles embed.FS

// HTML pages are written by html/template: every outside string (names,
// organisations, TXT records, PTR names, HTTP headers, certificate fields)
// is escaped where it lands, and no outside string is ever marked as safe.
// The page asks no other host for anything: no script, font, style sheet
// or image is linked, and its Content-Security-Policy forbids them anyway.

// ReportRef names one saved report a diff compared.
type ReportRef struct {
	File        string
	GeneratedAt time.Time
	Vantage     string
	ToolVersion string
}

// WriteHTML writes an audit report as one self-contained HTML page, in English.
func WriteHTML(w io.Writer, r probe.Report) error { return WriteHTMLIn(w, r, i18n.English) }

// WriteHTMLIn writes an audit report as one self-contained HTML page in
// the language lang.
func WriteHTMLIn(w io.Writer, r probe.Report, lang i18n.Lang) error {
	// The page's JSON is written as -o json writes it, a target at a time.
	doc, err := spoolJSON(func(w io.Writer) error {
		return writeWhole(w, r, func() (auditWriter, error) { return NewDocumentWriter() })
	})
	if err != nil {
		return err
	}
	defer doc.Close()
	pr, m, err := pageLanguage(lang)
	if err != nil {
		return err
	}
	p := newPage("audit", r.GeneratedAt, r.ToolVersion, doc, m, pr)
	p.Method.Datasets = datasetViews(pr, r.Datasets, r.GeneratedAt)
	p.Method.Resolvers = r.Resolvers
	p.Method.Vantage = vantageView(pr, r.Vantage, m)
	p.Stale = staleDatasets(r.Datasets, r.GeneratedAt)
	p.Warnings = pageWarnings(pr, r.Warnings)
	a := &auditView{Interrupted: r.Interrupted, Statuses: statusCounts(r.Observations)}
	counts := map[string]*mapCount{}
	cdn, unplaced := 0, 0
	for _, o := range r.Observations {
		dv, sum := newDomainView(pr, o, m), Summarize(o)
		dv.Error, sum.Error = reasonDetail(pr, o), reasonDetail(pr, o)
		a.Domains = append(a.Domains, dv)
		a.Summaries = append(a.Summaries, newSummaryView(sum, m))
		seen := map[string]bool{}
		for _, ad := range o.Addresses {
			switch {
			case ad.CDN:
				cdn++
				continue
			case ad.SpecialUse != "" || cmp.Or(ad.Country, ad.RegisteredCountry) == "":
				unplaced++
				continue
			}
			cc := cmp.Or(ad.Country, ad.RegisteredCountry)
			c := counts[cc]
			if c == nil {
				c = &mapCount{code: cc}
				counts[cc] = c
			}
			c.addresses++
			if !seen[cc] {
				seen[cc] = true
				c.domains++
			}
		}
	}
	a.Count = len(r.Observations)
	p.Audit = a
	p.Map = newMapView(m, counts, "addresses", vantageCountries(r.Vantage))
	p.Map.CDN, p.Map.Unplaced = cdn, unplaced
	p.Map.Disks = mapDisks(m, r.Observations)
	p.Warnings = append(p.Warnings, anycastNotes(pr, r.Observations)...)
	return writePage(w, p)
}

// WriteCheckHTML writes a check's outcome as one self-contained HTML page, in English.
func WriteCheckHTML(w io.Writer, c Check) error { return WriteCheckHTMLIn(w, c, i18n.English) }

// WriteCheckHTMLIn writes a check's outcome as one self-contained HTML
// page in the language lang.
func WriteCheckHTMLIn(w io.Writer, c Check, lang i18n.Lang) error {
	if c.Changes == nil {
		c.Changes = func(func(probe.Change) bool) {}
	}
	doc, err := spoolJSON(func(w io.Writer) error { return WriteCheck(w, "json", c) })
	if err != nil {
		return err
	}
	defer doc.Close()
	return writeCheckHTML(w, c, doc, nil, lang)
}

// WriteDiffHTML writes a diff of two saved reports as one self-contained
// HTML page that names both and carries the diff's own JSON document, in English.
func WriteDiffHTML(w io.Writer, d Diff) error { return WriteDiffHTMLIn(w, d, i18n.English) }

// WriteDiffHTMLIn is WriteDiffHTML in the language lang.
func WriteDiffHTMLIn(w io.Writer, d Diff, lang i18n.Lang) error {
	doc, err := spoolJSON(func(w io.Writer) error { return WriteDiff(w, "json", d) })
	if err != nil {
		return err
	}
	defer doc.Close()
	after := d.After.Report
	c := Check{GeneratedAt: d.GeneratedAt, ToolVersion: d.ToolVersion, Vantage: after.Vantage.Name, Confirm: 1,
		Datasets: after.Datasets, Resolvers: after.Resolvers, Domains: d.Domains,
		Changes: slices.Values(d.Changes), Matched: d.Matched}
	ref := func(s DiffSide) ReportRef {
		return ReportRef{File: s.File, GeneratedAt: s.Report.GeneratedAt, Vantage: s.Report.Vantage.Name, ToolVersion: s.Report.ToolVersion}
	}
	return writeCheckHTML(w, c, doc, &[2]ReportRef{ref(d.Before), ref(d.After)}, lang)
}

// writeCheckHTML writes the page of a check or, with compared, of a diff;
// doc is the JSON document the page is made from.
func writeCheckHTML(w io.Writer, c Check, doc *pageJSON, compared *[2]ReportRef, lang i18n.Lang) error {
	pr, m, err := pageLanguage(lang)
	if err != nil {
		return err
	}
	kind := "check"
	if compared != nil {
		kind = "diff"
	}
	p := newPage(kind, c.GeneratedAt, c.ToolVersion, doc, m, pr)
	p.Method.Datasets = datasetViews(pr, c.Datasets, c.GeneratedAt)
	p.Method.Resolvers = c.Resolvers
	p.Method.Database = c.Database
	p.Method.Vantage = &vantageInfo{Name: c.Vantage}
	p.Stale = staleDatasets(c.Datasets, c.GeneratedAt)
	p.Warnings = pageWarnings(pr, c.Warnings)
	c.counts = c.tally()
	cv := &checkView{Domains: c.Domains, Changes: c.counts.settled, Moves: c.counts.moves, Pending: c.counts.pending,
		Recorded: c.Recorded, Database: c.Database, Vantage: c.Vantage, Confirm: c.Confirm,
		Failed: len(c.Matched) > 0 || c.RunFailed != "", Matched: c.Matched, RunFailed: c.RunFailed}
	if compared != nil {
		cv.Compared = []reportRefView{newReportRefView(compared[0]), newReportRefView(compared[1])}
	}
	// The map counts each changed domain once in each country it was seen
	// in after a change.
	counts := map[string]*mapCount{}
	seen := map[[2]string]bool{}
	add := func(ch probe.Change) {
		cv.List = append(cv.List, newChangeView(ch, m))
		for _, cc := range ch.After.Countries {
			if k := [2]string{ch.Domain, cc}; seen[k] {
				continue
			} else {
				seen[k] = true
			}
			mc := counts[cc]
			if mc == nil {
				mc = &mapCount{code: cc}
				counts[cc] = mc
			}
			mc.domains++
			mc.addresses++
		}
	}
	for ch := range c.settled {
		add(ch)
	}
	for ch := range c.waiting {
		add(ch)
	}
	for _, v := range c.Violations {
		cv.Violations = append(cv.Violations, violationView{Domain: v.Domain, Address: v.Address.String(), ASN: v.ASN,
			Country: v.Country, CountryName: m.Name(v.Country), Rule: violationText(pr, v)})
	}
	p.Check = cv
	p.Map = newMapView(m, counts, "domains", nil)
	return writePage(w, p)
}

// WriteHistoryHTML writes timelines as one self-contained HTML page: a
// timeline per domain and vantage, each period coloured by its places and
// every move dated. In English.
func WriteHistoryHTML(w io.Writer, h History) error { return WriteHistoryHTMLIn(w, h, i18n.English) }

// WriteHistoryHTMLIn is WriteHistoryHTML in the language lang.
func WriteHistoryHTMLIn(w io.Writer, h History, lang i18n.Lang) error {
	doc, err := spoolJSON(func(w io.Writer) error { return writeDocument(w, newHistoryDocument(h)) })
	if err != nil {
		return err
	}
	defer doc.Close()
	pr, m, err := pageLanguage(lang)
	if err != nil {
		return err
	}
	p := newPage("history", h.GeneratedAt, h.ToolVersion, doc, m, pr)
	p.Method.Database = h.Database
	hv := &historyView{Since: clock(h.Since), Until: clock(h.Until), Confirm: h.Confirm, Vantages: h.Vantages}
	first, last := h.Since, h.Until
	for _, d := range h.Domains {
		for _, pd := range d.Periods {
			if first.IsZero() || pd.From.Before(first) {
				first = pd.From
			}
			if last.IsZero() || pd.To.After(last) {
				last = pd.To
			}
		}
	}
	hv.From, hv.To = clock(first), clock(last)
	palette := newPalette()
	counts := map[string]*mapCount{}
	all, overlapped := Disagreements(h), Overlapping(h)
	vcounts := vantageCounts(h)
	ends := domainEnds(h)
	for i, d := range h.Domains {
		tv := newTimelineView(h, d, first, last, palette, m)
		if ends[i] && vcounts[d.Domain] > 1 {
			tv.Vantages = vcounts[d.Domain]
			for _, dis := range all {
				if dis.Domain == d.Domain {
					tv.Disagreements = append(tv.Disagreements, disagreementView{
						Vantages: []string{dis.Vantages[0], dis.Vantages[1]}, From: clock(dis.From), To: clock(dis.To),
						Where: []hostingView{newHostingView(dis.Periods[0].Hosting, m), newHostingView(dis.Periods[1].Hosting, m)}})
				}
			}
			tv.Compared, tv.SameTimeMinutes = overlapped[d.Domain], int(SameTime/time.Minute)
		}
		hv.Timelines = append(hv.Timelines, tv)
		if len(d.Periods) > 0 {
			for _, cc := range d.Periods[len(d.Periods)-1].Hosting.Countries {
				mc := counts[cc]
				if mc == nil {
					mc = &mapCount{code: cc}
					counts[cc] = mc
				}
				mc.domains++
				mc.addresses++
			}
		}
	}
	p.History = hv
	p.Map = newMapView(m, counts, "timelines", nil)
	return writePage(w, p)
}

// page is what the template is given: data only, no words.
type page struct {
	Kind        string // audit, check, diff, history, bounds
	GeneratedAt string
	// MadeOn is GeneratedAt as a sentence in the page's language says it
	// ("15 Februari 2024, 08.30 UTC"); GeneratedAt stays in <time datetime>.
	MadeOn      string
	ToolVersion string
	Stale       []StaleDataset
	// Warnings are the run's other warnings, worded in the page's language
	// (stale data is told by Stale).
	Warnings []string
	Map      mapView
	Audit    *auditView
	Check    *checkView
	History  *historyView
	Bounds   *boundsView
	Method   methodView
	printer  *i18n.Printer
	json     *pageJSON // the page's JSON, for its download link
}

// pageLanguage is the printer of lang and the world map with its country
// names in lang: CLDR's names for Indonesian ("Tiongkok", "Prancis"), the
// map's own (Natural Earth's) for English, as before there were languages.
func pageLanguage(lang i18n.Lang) (*i18n.Printer, *worldmap.Map, error) {
	pr, err := i18n.New(lang)
	if err != nil {
		return nil, nil, err
	}
	m, err := worldmap.Load()
	if err != nil {
		return nil, nil, err
	}
	if pr.Lang() != i18n.English {
		for i, c := range m.Countries {
			if name, ok := pr.Country(c.Code); ok {
				m.Countries[i].Name = name
			}
		}
	}
	return pr, m, nil
}

func newPage(kind string, at time.Time, version string, doc *pageJSON, m *worldmap.Map, pr *i18n.Printer) *page {
	p := &page{Kind: kind, GeneratedAt: clock(at), MadeOn: pr.DateTime(at), ToolVersion: version, printer: pr, json: doc}
	p.Method.GeneratedAt = p.GeneratedAt
	p.Method.ToolVersion = version
	p.Method.JSONSHA256 = hex.EncodeToString(doc.sum[:])
	p.Method.JSONBytes = int(doc.size)
	p.Method.JSONName = "hostwatch-" + kind + "-" + at.UTC().Format("20060102T150405Z") + ".json"
	// The link's place: the JSON goes there as the page is written
	// (writePage). It is the one value the page marks as a safe URL: the
	// marker is made here, and base64 leaves nothing of the report's text
	// that could be read as markup or as another URL.
	p.Method.JSONData = template.URL(doc.marker)
	srcs, err := worldmap.Sources()
	if err == nil {
		for i, s := range srcs {
			srcs[i] = describeMapSource(pr, s)
		}
		p.Method.MapSources = srcs
	}
	return p
}

// writePage executes the template into w. Control characters, bidi
// overrides and invalid UTF-8 from outside text then become visible escapes
// (`\x1b`), line by line, as on a terminal: a page is often looked at with
// cat or less before a browser, and a browser shows the escapes too. The
// page streams out as it is made: a report of 100,000 domains is hundreds
// of megabytes, never held whole.
func writePage(w io.Writer, p *page) error {
	t, err := parseTemplates(p.printer)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	sp := newSplice(bw, p.json)
	tw := termtext.NewWriter(sp)
	if err := t.ExecuteTemplate(tw, "page", p); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	for _, flush := range []func() error{tw.Flush, sp.Flush, bw.Flush} {
		if err := flush(); err != nil {
			return fmt.Errorf("write html: %w", err)
		}
	}
	if sp.count != 1 {
		return fmt.Errorf("write html: the page's JSON went in %d places, not one", sp.count)
	}
	return nil
}

// parseTemplates parses the page templates with the words of pr: t words
// a message, n a message counting something (its first argument), form
// picks the id.one or id.other of a message, lang is the page's language.
func parseTemplates(pr *i18n.Printer) (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"t": pr.T,
		"n": pr.N,
		"evidencenotes": func(v addrView) []string {
			return evidenceNotes(pr, probe.Address{Result: attribution.Result{Country: v.Country, Sources: v.sources}, Extra: v.Extra})
		},
		"form": func(n int, id string) string {
			if n == 1 {
				return id + ".one"
			}
			return id + ".other"
		},
		"lang": func() string { return string(pr.Lang()) },
		"ptrfailure": func(v addrView) string {
			if v.Extra == nil {
				return v.PTRError
			}
			return ptrFailure(pr, v.Extra)
		},
		"failure": func(status, detail, where string) string { return lookupFailure(pr, status, detail, where) },
		// day words a dataset's date (2026-06-17) as a sentence says it;
		// a version that is not a date is left as it is.
		"day": func(s string) string {
			if d, err := time.Parse(time.DateOnly, s); err == nil {
				return pr.Date(d)
			}
			return s
		},
		"plural": func(n int, one, many string) string { return plural(n, one, many) },
		"join":   strings.Join,
		"add":    func(a, b int) int { return a + b },
		"sub":    func(a, b int) int { return a - b },
		"asn":    func(n uint32) string { return fmt.Sprintf("AS%d", n) },
		"last":   func(i, n int) bool { return i == n-1 },
	}).ParseFS(templateFiles, "templates/*.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("html templates: %w", err)
	}
	return t, nil
}

// methodView is the "method and sources" section.
type methodView struct {
	GeneratedAt string
	ToolVersion string
	Vantage     *vantageInfo
	Resolvers   []string
	Database    string
	Datasets    []datasetView
	MapSources  []worldmap.Source
	// The JSON report the page was made from: its digest, size, and the
	// document itself for the download link.
	JSONSHA256 string
	JSONBytes  int
	JSONName   string
	JSONData   template.URL
}

type datasetView struct {
	attribution.Dataset
	Stale bool
	Days  int
}

// datasetViews are the datasets as "method and sources" lists them, each
// licence, notice and description in the page's language (describeDataset).
func datasetViews(pr *i18n.Printer, ds []attribution.Dataset, at time.Time) []datasetView {
	out := make([]datasetView, 0, len(ds))
	for _, d := range ds {
		w := describeDataset(pr, d)
		d.License, d.Attribution, d.Description = w.License, w.Notice, w.Description
		v := datasetView{Dataset: d, Days: -1}
		if date, ok := d.Date(); ok {
			v.Days = int(at.Sub(date).Hours() / 24)
			v.Stale = at.Sub(date) > attribution.StaleAfter
		}
		out = append(out, v)
	}
	return out
}

type vantageInfo struct {
	Name     string
	TimeZone string
	Egress   []egressView
}

type egressView struct {
	Resolver, Address, Method, Error string
	Country, CountryName             string
}

func vantageView(pr *i18n.Printer, v probe.Vantage, m *worldmap.Map) *vantageInfo {
	out := &vantageInfo{Name: v.Name, TimeZone: v.TimeZone}
	for _, e := range v.Egress {
		ev := egressView{Resolver: e.Resolver, Method: e.Method, Error: egressFailure(pr, e), Country: e.Country, CountryName: m.Name(e.Country)}
		if e.Address.IsValid() {
			ev.Address = e.Address.String()
		}
		out.Egress = append(out.Egress, ev)
	}
	return out
}

// vantageCountries are the countries the resolvers' egress addresses are in.
func vantageCountries(v probe.Vantage) []string {
	var out []string
	for _, e := range v.Egress {
		if e.Country != "" && !slices.Contains(out, e.Country) {
			out = append(out, e.Country)
		}
	}
	slices.Sort(out)
	return out
}

type reportRefView struct {
	File, GeneratedAt, Vantage, ToolVersion string
}

func newReportRefView(r ReportRef) reportRefView {
	return reportRefView{File: r.File, GeneratedAt: clock(r.GeneratedAt), Vantage: r.Vantage, ToolVersion: r.ToolVersion}
}

// The map.

type mapCount struct {
	code               string
	addresses, domains int
}

type mapView struct {
	Width, Height float64
	// Unit says what Rows count: addresses, domains or timelines.
	Unit    string
	Shapes  []mapShape
	Marks   []mapMark
	Vantage []mapMark
	// Disks are the round trips' bounds (--rtt), as SVG paths.
	Disks    []mapDisk
	Rows     []mapRow
	Levels   []mapLevel
	CDN      int
	Unplaced int
}

type mapShape struct {
	Code, Name, Path string
	Level            int // 0: not hosting; 1-4: shade
	Count            int
}

type mapMark struct {
	Code, Name string
	X, Y, R    float64
	Count      int
	// Leader, when set, is where the country is: the mark stands beside a
	// country too small for it, with a line from there, so as not to hide
	// the country's shading.
	Leader *worldmap.Point
}

// placeMark puts a mark of radius r for the country c on a map w wide: on
// its label when its largest part has room for the mark; else beside that
// part (to the right, or to the left at the map's edge) with a leader line,
// so that the mark does not cover the country it counts (mainland France
// under its mark looked unshaded, with French Guiana shaded on its own).
func placeMark(c worldmap.Country, r, w float64) (x, y float64, leader *worldmap.Point) {
	// The mark's disc may cover at most a quarter of the part's box.
	if math.Pi*r*r <= c.Part.Width()*c.Part.Height()/4 {
		return c.Label.X, c.Label.Y, nil
	}
	const gap = 3
	x = c.Part.Max.X + r + gap
	if x+r > w {
		x = c.Part.Min.X - r - gap
	}
	y = max(r, c.Label.Y)
	at := c.Label
	return math.Round(x*10) / 10, math.Round(y*10) / 10, &at
}

type mapRow struct {
	Code, Name         string
	Addresses, Domains int
	Level              int
	OnMap              bool
}

type mapLevel struct {
	Level    int
	From, To int
}

// shadeLevels is how many shades the map uses for counts.
const shadeLevels = 4

func newMapView(m *worldmap.Map, counts map[string]*mapCount, unit string, vantage []string) mapView {
	v := mapView{Width: m.Width, Height: m.Height, Unit: unit}
	most := 0
	for _, c := range counts {
		most = max(most, c.addresses)
	}
	level := func(n int) int {
		if n == 0 || most == 0 {
			return 0
		}
		return max(1, int(math.Ceil(float64(shadeLevels)*float64(n)/float64(most))))
	}
	for _, c := range m.Countries {
		if c.Path == "" {
			continue
		}
		s := mapShape{Code: c.Code, Name: c.Name, Path: c.Path}
		if mc := counts[c.Code]; mc != nil && c.Code != "" {
			s.Count, s.Level = mc.addresses, level(mc.addresses)
		}
		v.Shapes = append(v.Shapes, s)
	}
	for _, mc := range counts {
		row := mapRow{Code: mc.code, Name: m.Name(mc.code), Addresses: mc.addresses, Domains: mc.domains, Level: level(mc.addresses)}
		if c, ok := m.Country(mc.code); ok && c.Path != "" {
			row.OnMap = true
			r := math.Round((7+7*math.Sqrt(float64(mc.addresses)/float64(most)))*10) / 10
			x, y, leader := placeMark(c, r, m.Width)
			v.Marks = append(v.Marks, mapMark{Code: mc.code, Name: row.Name, X: x, Y: y, R: r, Count: mc.addresses, Leader: leader})
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortFunc(v.Rows, func(a, b mapRow) int {
		return cmp.Or(cmp.Compare(b.Addresses, a.Addresses), cmp.Compare(a.Code, b.Code))
	})
	// Big marks first, so that small ones stay visible on top.
	slices.SortFunc(v.Marks, func(a, b mapMark) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Code, b.Code)) })
	for _, cc := range vantage {
		if c, ok := m.Country(cc); ok && c.Path != "" {
			v.Vantage = append(v.Vantage, mapMark{Code: cc, Name: c.Name, X: c.Label.X, Y: c.Label.Y})
		}
	}
	if most > 0 {
		prev := 0
		for l := 1; l <= shadeLevels; l++ {
			hi := int(math.Floor(float64(most) * float64(l) / shadeLevels))
			if hi > prev {
				v.Levels = append(v.Levels, mapLevel{Level: l, From: prev + 1, To: hi})
				prev = hi
			}
		}
	}
	return v
}

// The audit.

type auditView struct {
	Count       int
	Statuses    []statusCount
	Interrupted bool
	Summaries   []summaryView
	Domains     []domainView
}

type statusCount struct {
	Status string
	Count  int
}

func statusCounts(obs []probe.Observation) []statusCount {
	n := map[resolvers.Status]int{}
	for _, o := range obs {
		n[o.Status]++
	}
	var out []statusCount
	for _, s := range resolvers.Statuses() {
		if n[s] > 0 {
			out = append(out, statusCount{Status: string(s), Count: n[s]})
		}
	}
	return out
}

type summaryView struct {
	DomainSummary
	HomeName string
	// Groups are every country's addresses; Abroad those outside Home,
	// AtHome those in it.
	Groups  []countryGroupView
	Abroad  []countryGroupView
	AtHome  *countryGroupView
	Placed  int
	RegOnly bool
}

type countryGroupView struct {
	CountryCount
	Name string
}

func newSummaryView(s DomainSummary, m *worldmap.Map) summaryView {
	v := summaryView{DomainSummary: s, HomeName: m.Name(s.Home)}
	for _, g := range s.Countries {
		gv := countryGroupView{CountryCount: g, Name: m.Name(g.Country)}
		v.Placed += g.Count
		v.RegOnly = v.RegOnly || g.RegistrationOnly
		v.Groups = append(v.Groups, gv)
		if s.Home != "" && g.Country == s.Home {
			v.AtHome = &gv
		} else {
			v.Abroad = append(v.Abroad, gv)
		}
	}
	return v
}

type domainView struct {
	Name, ASCII     string
	Status, Error   string
	ObservedAt      string
	CNAME           []string
	Addresses       []addrView
	Consistency     string
	OddOnesOut      []string
	Answers         []answerView
	Records         []recordView
	HTTP            *httpView
	AuthConsistency string
	Authoritative   []answerView
}

type addrView struct {
	IP                   string
	TTL                  uint32
	ASN                  uint32
	ASOrg, Prefix        string
	Provider, Kind       string
	Region               string
	Country, CountryName string
	Reg, RegName         string
	CDN                  bool
	CDNName              string
	SpecialUse, NAT64    string
	PTRAsked             bool
	PTR                  []string
	PTRError             string
	Cymru                *cymruView
	RDAP                 *rdapView
	// Extra and result are read by the evidencenotes template function
	// (--rtt, geofeeds); Contradicted marks the country the speed of light
	// rules out.
	Extra        *probe.Extra
	sources      attribution.Sources
	Contradicted bool
}

type cymruView struct {
	Status, Error string
	Where         string // the resolver asked, for a failure's wording
	Origins       []cymruOriginView
}

type cymruOriginView struct {
	Prefix, Country, Registry, Allocated string
	ASNs                                 []cymruASView
}

type cymruASView struct {
	ASN         uint32
	Description string
}

type rdapView struct {
	Status, Error, Handle, Name, Country, Registrant, AbuseEmail, Registry string
	Where                                                                  string // the URL asked, for a failure's wording
	CIDRs                                                                  []string
}

type answerView struct {
	Resolver, Status, Error string
	Addresses               []string
	Odd                     bool
}

type recordView struct {
	Type, Owner, Status, Error string
	Records                    []recordValueView
}

type recordValueView struct {
	Value      string
	Host       string
	Preference uint16
	Addresses  []addrView
}

type httpView struct {
	Scheme, Error string
	Hops          []hopView
}

type hopView struct {
	URL            string
	Status         int
	Error, Failure string
	Connected      *addrView
	Headers        []headerView
	TLS            *tlsView
}

type headerView struct {
	Name   string
	Values []string
}

type tlsView struct {
	Version, Subject, Issuer, VerifyError, NotAfter string
	Verified                                        bool
	SANs                                            []string
}

func newAddrView(a probe.Address, m *worldmap.Map) addrView {
	r := a.Result
	v := addrView{IP: a.IP.String(), TTL: a.TTL, ASN: r.ASN, ASOrg: r.ASOrg, Provider: r.Provider, Kind: r.ProviderKind,
		Region: r.Region, Country: r.Country, CountryName: m.Name(r.Country), Reg: r.RegisteredCountry, RegName: m.Name(r.RegisteredCountry),
		CDN: r.CDN, CDNName: r.CDNName, SpecialUse: r.SpecialUse, sources: r.Sources}
	if r.Prefix.IsValid() {
		v.Prefix = r.Prefix.String()
	}
	if r.NAT64.IsValid() {
		v.NAT64 = r.NAT64.String()
	}
	if x := a.Extra; x != nil {
		v.Extra = x
		v.Contradicted = x.RTT != nil && x.RTT.Bound != nil && x.RTT.Bound.Contradicted
		v.PTRAsked, v.PTR, v.PTRError = x.PTRAsked, x.PTR, x.PTRError
		if c := x.Cymru; c != nil {
			cv := &cymruView{Status: c.Status, Error: c.Error, Where: cymruWhere(c)}
			for _, o := range c.Origins {
				ov := cymruOriginView{Prefix: o.Prefix.String(), Country: o.Country, Registry: o.Registry, Allocated: o.Allocated}
				for _, n := range o.ASNs {
					av := cymruASView{ASN: n}
					for _, as := range c.ASNames {
						if as.ASN == n {
							av.Description = as.Description
						}
					}
					ov.ASNs = append(ov.ASNs, av)
				}
				cv.Origins = append(cv.Origins, ov)
			}
			v.Cymru = cv
		}
		if n := x.RDAP; n != nil {
			rv := &rdapView{Status: n.Status, Error: n.Error, Handle: n.Handle, Name: n.Name, Country: n.Country,
				Registrant: n.Registrant, AbuseEmail: n.AbuseEmail, Registry: n.Registry, Where: cmp.Or(n.URL, n.Registry)}
			for _, p := range n.CIDRs {
				rv.CIDRs = append(rv.CIDRs, p.String())
			}
			v.RDAP = rv
		}
	}
	return v
}

func newAnswerViews(pr *i18n.Printer, as []probe.ResolverAnswer, odd []string) []answerView {
	var out []answerView
	for _, a := range as {
		av := answerView{Resolver: answerName(pr, a.Resolver), Status: string(a.Status), Error: answerFailure(pr, a), Odd: slices.Contains(odd, a.Resolver)}
		for _, ip := range a.Addresses {
			av.Addresses = append(av.Addresses, ip.String())
		}
		out = append(out, av)
	}
	return out
}

func newDomainView(pr *i18n.Printer, o probe.Observation, m *worldmap.Map) domainView {
	d := domainView{Name: displayName(o.Target), Status: string(o.Status), Error: o.Error,
		ObservedAt: clock(o.StartedAt), Consistency: o.Consistency, OddOnesOut: answerNames(pr, o.OddOnesOut),
		AuthConsistency: o.AuthoritativeConsistency}
	if o.Target.Domain != d.Name {
		d.ASCII = o.Target.Domain
	}
	for _, h := range o.CNAMEChain {
		d.CNAME = append(d.CNAME, h.Target)
	}
	for _, a := range o.Addresses {
		d.Addresses = append(d.Addresses, newAddrView(a, m))
	}
	d.Answers = newAnswerViews(pr, o.Answers, o.OddOnesOut)
	d.Authoritative = newAnswerViews(pr, o.Authoritative, o.AuthoritativeOdd)
	for _, rs := range o.Records {
		rv := recordView{Type: rs.Type, Owner: rs.Owner, Status: string(rs.Status), Error: recordFailure(pr, rs)}
		for _, r := range rs.Records {
			vv := recordValueView{Value: r.Value, Host: r.Host, Preference: r.Preference}
			for _, a := range r.Addresses {
				vv.Addresses = append(vv.Addresses, newAddrView(a, m))
			}
			rv.Records = append(rv.Records, vv)
		}
		d.Records = append(d.Records, rv)
	}
	if fd := o.HTTP; fd != nil {
		hv := &httpView{Scheme: fd.Scheme, Error: fetchFailure(pr, fd.Error, fd.Failure)}
		for i, h := range fd.Hops {
			hp := hopView{URL: h.URL, Status: h.Status, Error: fetchFailure(pr, h.Error, h.Failure), Failure: h.Failure}
			if i < len(fd.Connected) && fd.Connected[i].IP.IsValid() {
				c := newAddrView(fd.Connected[i], m)
				hp.Connected = &c
			}
			for _, k := range h.HeaderNames() {
				hp.Headers = append(hp.Headers, headerView{Name: k, Values: h.Headers[k]})
			}
			if t := h.TLS; t != nil {
				hp.TLS = &tlsView{Version: t.Version, Subject: t.Subject, Issuer: t.Issuer, VerifyError: certFailure(pr, t),
					NotAfter: clock(t.NotAfter), Verified: t.Verified, SANs: t.SANs}
			}
			hv.Hops = append(hv.Hops, hp)
		}
		d.HTTP = hv
	}
	return d
}

// Check and diff.

type checkView struct {
	Domains, Changes, Moves, Pending int
	Recorded                         bool
	Database, Vantage                string
	Confirm                          int
	Failed                           bool
	Matched                          []string
	RunFailed                        string
	Compared                         []reportRefView
	List                             []changeView
	Violations                       []violationView
}

type changeView struct {
	Domain, Vantage      string
	Kind                 string
	Kinds                []string
	Move, Pending        bool
	Seen, Confirm        int
	Before, After        hostingView
	BeforeAt, AfterAt    string
	BeforeView           string
	AfterView            string
	ViewChanged, HasPast bool
}

type hostingView struct {
	Status    string
	Countries []string
	Providers []string
	Places    []placeView
	ASNs      []uint32
	Addresses []string
	CNAME     []string
	Orgs      []string
}

type placeView struct {
	Provider, Country, CountryName string
}

type violationView struct {
	Domain, Address      string
	ASN                  uint32
	Country, CountryName string
	Rule                 string
}

func newHostingView(h probe.Hosting, m *worldmap.Map) hostingView {
	v := hostingView{Status: string(h.Status), Countries: h.Countries, Providers: h.Providers, ASNs: h.ASNs, CNAME: h.CNAME, Orgs: h.Orgs}
	for _, p := range h.Places {
		v.Places = append(v.Places, placeView{Provider: p.Provider, Country: p.Country, CountryName: m.Name(p.Country)})
	}
	for _, a := range h.Addresses {
		v.Addresses = append(v.Addresses, a.String())
	}
	return v
}

func newChangeView(c probe.Change, m *worldmap.Map) changeView {
	v := changeView{Domain: c.Domain, Vantage: c.Vantage, Kind: string(c.Kind()), Move: c.IsMove(), Pending: c.Pending(),
		Seen: c.Seen, Confirm: c.Confirm, Before: newHostingView(c.Before, m), After: newHostingView(c.After, m),
		BeforeAt: clock(c.BeforeAt), AfterAt: clock(c.AfterAt), HasPast: !c.BeforeAt.IsZero(),
		ViewChanged: c.Kind() == probe.ChangeView, BeforeView: c.BeforeView.String(), AfterView: c.AfterView.String()}
	for _, k := range c.Kinds {
		v.Kinds = append(v.Kinds, string(k))
	}
	return v
}

// History.

type historyView struct {
	Since, Until string
	From, To     string
	Confirm      int
	Vantages     []string
	Timelines    []timelineView
}

type timelineView struct {
	Domain, Vantage string
	Moves           int
	Confirm         int
	Since           string
	Chain           []hostingView // the places of each period, repeats folded
	Periods         []periodView
	Events          []eventView
	Legend          []legendView
	Vantages        int
	// Compared: two of the vantages (Vantages is set when there are
	// several) saw it at the same time, within SameTimeMinutes.
	Compared        bool
	SameTimeMinutes int
	Disagreements   []disagreementView
}

type periodView struct {
	From, To     string
	Observations int
	Hosting      hostingView
	Colour       int // index into the palette; -1 for a period without addresses
	// X and W place the period on the timeline, in percent of its width.
	X, W float64
}

type eventView struct {
	// Kind is move, pending, view, network, cname, cname-more (N more
	// CNAME changes, the last at AfterAt) or status.
	Kind              string
	N                 int // the move's number on the timeline (moves only)
	BeforeAt, AfterAt string
	Before, After     hostingView
	Kinds             []string
	Seen, Confirm     int
	BeforeView        string
	AfterView         string
	// X is where the event is marked on the timeline, in percent.
	X float64
}

type legendView struct {
	Colour  int
	Hosting hostingView
}

type disagreementView struct {
	Vantages []string
	From, To string
	Where    []hostingView
}

// palette gives each distinct set of places one colour, across the page.
type palette struct {
	keys []string
}

// paletteSize is the number of colours the stylesheet defines (.p0 … .p7).
const paletteSize = 8

func newPalette() *palette { return &palette{} }

func (p *palette) colour(h probe.Hosting) int {
	if h.Status != resolvers.StatusOK {
		return -1
	}
	k := placeList(h)
	i := slices.Index(p.keys, k)
	if i < 0 {
		p.keys = append(p.keys, k)
		i = len(p.keys) - 1
	}
	return i % paletteSize
}

func newTimelineView(h History, d DomainHistory, first, last time.Time, pal *palette, m *worldmap.Map) timelineView {
	tv := timelineView{Domain: d.Domain, Vantage: d.Vantage, Moves: moves(d), Confirm: timelineConfirm(h, d)}
	span := last.Sub(first)
	pos := func(t time.Time) float64 {
		if span <= 0 {
			return 0
		}
		return math.Round(1000*float64(t.Sub(first))/float64(span)) / 10
	}
	if len(d.Periods) > 0 {
		tv.Since = clock(d.Periods[0].From)
	}
	var legend, chain []string
	for _, p := range d.Periods {
		hv := newHostingView(p.Hosting, m)
		pv := periodView{From: clock(p.From), To: clock(p.To), Observations: p.Observations, Hosting: hv, Colour: pal.colour(p.Hosting)}
		pv.X = pos(p.From)
		pv.W = max(pos(p.To)-pv.X, 0.6)
		if pv.X+pv.W > 100 {
			pv.X = 100 - pv.W
		}
		tv.Periods = append(tv.Periods, pv)
		// The chain names each period's place as Summary does, a period in
		// the same place as the one before folded into it.
		if w := where(p.Hosting); len(chain) == 0 || chain[len(chain)-1] != w {
			chain = append(chain, w)
			tv.Chain = append(tv.Chain, hv)
		}
		if k := placeList(p.Hosting) + "|" + string(p.Hosting.Status); !slices.Contains(legend, k) {
			legend = append(legend, k)
			tv.Legend = append(tv.Legend, legendView{Colour: pv.Colour, Hosting: hv})
		}
	}
	n := 0
	for _, te := range timelineEvents(d) {
		c := te.Change
		e := eventView{Kind: te.Kind, BeforeAt: clock(c.BeforeAt), AfterAt: clock(c.AfterAt), Before: newHostingView(c.Before, m),
			After: newHostingView(c.After, m), Seen: c.Seen, Confirm: c.Confirm,
			BeforeView: c.BeforeView.String(), AfterView: c.AfterView.String()}
		for _, k := range c.Kinds {
			e.Kinds = append(e.Kinds, string(k))
		}
		mid := c.AfterAt
		if !c.BeforeAt.IsZero() {
			mid = c.BeforeAt.Add(c.AfterAt.Sub(c.BeforeAt) / 2)
		}
		e.X = pos(mid)
		switch te.Kind {
		case "move":
			n++
			e.N = n
		case "cname-more":
			e.N = te.More
		}
		tv.Events = append(tv.Events, e)
	}
	return tv
}

// pageWarnings words the warnings a page shows on their own: all but those
// on stale data, which the page tells from its datasets.
func pageWarnings(pr *i18n.Printer, ws []probe.Warning) []string {
	var out []string
	for _, w := range ws {
		if w.Code != probe.WarningStale {
			out = append(out, warningText(pr, w))
		}
	}
	return out
}
