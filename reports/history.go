package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// HistorySchema names the version of the history report format.
const HistorySchema = "hostwatch.history/v1"

// DomainHistory is one domain's timeline as seen from one vantage: its
// periods and the changes between them.
type DomainHistory struct {
	Domain string
	// Vantage is where the timeline was observed from ("" for runs taken
	// without --vantage).
	Vantage string
	// Confirm is the --confirm the timeline was read with; 0 leaves it to
	// History.Confirm, or to what the changes say.
	Confirm int
	Periods []probe.Period
	Changes []probe.Change
}

// History is the timeline of every domain and vantage asked for.
type History struct {
	GeneratedAt  time.Time
	ToolVersion  string
	Database     string
	Since, Until time.Time
	// Confirm is the --confirm the timelines were read with; 0 means as
	// recorded with each run.
	Confirm int
	// Vantages are the vantages read, sorted.
	Vantages []string
	// Domains holds one timeline per domain and vantage, a domain's
	// timelines next to each other.
	Domains []DomainHistory
	// Width is what text output is fitted to: the terminal's width, or 0
	// for TableWidth.
	Width int
}

// PeriodJSON is the JSON form of a period.
type PeriodJSON struct {
	From         string `json:"from"`
	To           string `json:"to"`
	Observations int    `json:"observations"`
	Vantage      string `json:"vantage"`
	HostingJSON
	// CNAMEChains are every distinct chain seen in the period, in the order
	// first seen; cname (of HostingJSON) is the last one.
	CNAMEChains [][]string `json:"cname_chains"`
	// Resolvers and Subnets are the period's view: how it was asked.
	Resolvers []string `json:"resolvers"`
	Subnets   []string `json:"subnets"`
}

// DomainHistoryJSON is the JSON form of one domain's timeline from one vantage.
type DomainHistoryJSON struct {
	Domain  string `json:"domain"`
	Vantage string `json:"vantage"`
	Summary string `json:"summary"`
	// Moves counts the confirmed moves, under MoveRule.
	Moves    int          `json:"moves"`
	MoveRule string       `json:"move_rule"`
	Confirm  int          `json:"confirm"`
	Periods  []PeriodJSON `json:"periods"`
	Changes  []ChangeJSON `json:"changes"`
}

// DisagreementJSON is the JSON form of a Disagreement.
type DisagreementJSON struct {
	Domain   string        `json:"domain"`
	Vantages []string      `json:"vantages"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	Where    []string      `json:"where"`
	Places   [][]PlaceJSON `json:"places"`
}

// HistoryDocument is the JSON form of a History.
type HistoryDocument struct {
	Schema      string `json:"schema"`
	GeneratedAt string `json:"generated_at"`
	ToolVersion string `json:"tool_version"`
	Database    string `json:"database"`
	Since       string `json:"since,omitempty"`
	Until       string `json:"until,omitempty"`
	// Confirm is the --confirm asked for; 0 means as recorded (each
	// domain's own confirm is in its entry).
	Confirm       int                 `json:"confirm"`
	Vantages      []string            `json:"vantages"`
	Domains       []DomainHistoryJSON `json:"domains"`
	Disagreements []DisagreementJSON  `json:"disagreements"`
}

// moves counts the confirmed moves of a timeline.
func moves(d DomainHistory) int {
	n := 0
	for _, c := range d.Changes {
		if c.IsMove() {
			n++
		}
	}
	return n
}

// timelineConfirm is the --confirm a timeline was read with: its own, the
// history's, or the one its changes were confirmed with (a change that ends
// a period, or one still pending, carries it); 0 when none says.
func timelineConfirm(h History, d DomainHistory) int {
	if d.Confirm > 0 {
		return d.Confirm
	}
	if h.Confirm > 0 {
		return h.Confirm
	}
	n := 0
	for _, c := range d.Changes {
		if c.Confirm > 1 || c.Move || c.Pending() || endsPeriod(c) {
			n = max(n, c.Confirm)
		}
	}
	return n
}

// endsPeriod reports whether a change is a change of status, which ends a
// period like a move does (and is confirmed like one).
func endsPeriod(c probe.Change) bool {
	return slices.Contains(c.Kinds, probe.ChangeGone) || slices.Contains(c.Kinds, probe.ChangeStatus)
}

// confirmText says how moves were confirmed.
func confirmText(pr *i18n.Printer, n int) string {
	switch {
	case n > 1:
		return pr.T("text.confirm.over", n)
	case n == 1:
		return pr.T("text.confirm.once")
	}
	return pr.T("text.confirm.recorded")
}

// ruleText is the rule for moves in a few words (rule.short), with how
// they were confirmed.
func ruleText(pr *i18n.Printer, confirm int) string {
	return pr.T("rule.short") + ", " + confirmText(pr, confirm)
}

// moveRule is the rule for moves in full (probe.MoveRule), with how they
// were confirmed, in English: what JSON's move_rule says.
func moveRule(confirm int) string {
	return probe.MoveRule + "; " + confirmText(english(), confirm)
}

// where names a hosting's place: its countries; for one without countries
// (only CDN edges), its providers; its status when it had no addresses.
func where(h probe.Hosting) string {
	if h.Status != "ok" {
		return "[" + string(h.Status) + "]"
	}
	if len(h.Countries) > 0 {
		return strings.Join(h.Countries, "+")
	}
	return orDash(strings.Join(h.Providers, "+"))
}

// countryCell is what the CC column shows: the countries, or the status.
func countryCell(h probe.Hosting) string {
	if h.Status != "ok" {
		return "[" + string(h.Status) + "]"
	}
	return strings.Join(h.Countries, "+")
}

// providerList names the providers of a hosting, or its AS organisations
// when no address has a provider.
func providerList(h probe.Hosting, sep string) string {
	if len(h.Providers) > 0 {
		return strings.Join(h.Providers, sep)
	}
	return strings.Join(h.Orgs, sep)
}

// placeList names every place of a hosting: "Alibaba Cloud/SG+OVHcloud/FR".
func placeList(h probe.Hosting) string {
	s := make([]string, len(h.Places))
	for i, p := range h.Places {
		s[i] = p.String()
	}
	return strings.Join(s, "+")
}

// vantageName names a vantage for people.
func vantageName(pr *i18n.Printer, v string) string { return cmp.Or(v, pr.T("text.no-vantage")) }

// timelineName heads a timeline: the domain, and where it was seen from.
func timelineName(pr *i18n.Printer, d DomainHistory) string {
	if d.Vantage == "" {
		return d.Domain
	}
	return pr.T("text.timeline", d.Domain, d.Vantage)
}

// Summary is the one line that sums up a timeline, such as
// "moved 2 times since 2024-02-01: ID → SG → FR": the count is of confirmed
// moves only, and the chain names each period's place (its countries, or
// for a CDN-only period its providers).
func Summary(d DomainHistory) string { return summaryIn(english(), d) }

// summaryIn is Summary in pr's language.
func summaryIn(pr *i18n.Printer, d DomainHistory) string {
	if len(d.Periods) == 0 {
		return pr.T("text.no-observations")
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
	head := pr.N("text.moved-since", n, since)
	if n == 0 {
		head = pr.T("text.no-move-since", since)
	}
	return head + ": " + strings.Join(places, " → ")
}

// event is one of a timeline's telling changes, as every renderer tells
// them: Kind is move, pending, view, network, cname, status or cname-more
// (More CNAME changes past maxCNAMEEvents, the last of them Change).
type event struct {
	Kind   string
	Change probe.Change
	More   int
}

// timelineEvents are d's telling changes in time order, then those awaiting
// confirmation: moves, changes of view, renumbering, CNAME changes inside a
// period (the first maxCNAMEEvents, then one cname-more counting the rest)
// and changes of status.
func timelineEvents(d DomainHistory) []event {
	var out, waiting []event
	var more *event
	cnames := 0
	for _, c := range d.Changes {
		e := event{Change: c}
		switch {
		case c.Pending():
			e.Kind = "pending"
			waiting = append(waiting, e)
			continue
		case c.IsMove():
			e.Kind = "move"
		case c.Kind() == probe.ChangeView:
			e.Kind = "view"
		case slices.Contains(c.Kinds, probe.ChangeNetwork):
			e.Kind = "network"
		case slices.Contains(c.Kinds, probe.ChangeCNAME) && !endsPeriod(c):
			if cnames++; cnames > maxCNAMEEvents {
				more = &event{Kind: "cname-more", Change: c, More: cnames - maxCNAMEEvents}
				continue
			}
			e.Kind = "cname"
		case endsPeriod(c) && !c.BeforeAt.IsZero():
			e.Kind = "status"
		default:
			continue
		}
		out = append(out, e)
	}
	if more != nil {
		out = append(out, *more)
	}
	return append(out, waiting...)
}

// maxCNAMEEvents is how many CNAME changes a timeline tells one by one: a
// name whose chain alternates on every run would otherwise add a line per
// run; the rest are counted (every one is in -o json).
const maxCNAMEEvents = 5

// events are the sentences telling a timeline's events (timelineEvents).
func events(pr *i18n.Printer, d DomainHistory) []string {
	var out []string
	for _, e := range timelineEvents(d) {
		c := e.Change
		switch e.Kind {
		case "pending":
			out = append(out, pr.T("text.event.pending",
				c.Seen, c.Confirm, where(c.Before), where(c.After), clock(c.AfterAt)))
		case "move":
			out = append(out, pr.T("text.event.moved",
				clock(c.BeforeAt), clock(c.AfterAt), where(c.Before), where(c.After), kindsList(pr, c)))
		case "view":
			out = append(out, pr.T("text.event.view",
				clock(c.AfterAt), c.BeforeView.String(), c.AfterView.String()))
		case "network":
			from, to := asnList(c.Before), asnList(c.After)
			if from == to || to == "" {
				from, to = prefixList(c.Before), prefixList(c.After)
			}
			out = append(out, pr.T("text.event.network",
				clock(c.AfterAt), orDash(from), orDash(to), orDash(placeList(c.After))))
		case "cname":
			out = append(out, pr.T("text.event.cname",
				clock(c.AfterAt), orDash(strings.Join(c.Before.CNAME, " → ")), orDash(strings.Join(c.After.CNAME, " → "))))
		case "cname-more":
			out = append(out, pr.N("text.event.cname-more", e.More, clock(c.AfterAt)))
		case "status":
			out = append(out, pr.T("text.event.status",
				clock(c.BeforeAt), clock(c.AfterAt), string(c.Before.Status), string(c.After.Status), kindsList(pr, c)))
		}
	}
	return out
}

// Disagreement is a stretch of time in which two vantages saw one domain
// hosted in different places (or with different statuses).
type Disagreement struct {
	Domain string
	// Vantages are the two vantages, sorted; Where says what each saw,
	// worded as the summary words places (countries, else providers), or
	// each place in full when those words are the same.
	Vantages [2]string
	Where    [2]string
	// Periods are the two periods compared, in the order of Vantages.
	Periods [2]probe.Period
	// From and To bound the time both saw: the overlap of the two periods,
	// or, for periods within SameTime of each other, the gap between them.
	From, To time.Time
}

// SameTime is how far apart two vantages' observations may be and still be
// compared as made at the same time: runs started together from two places
// observe a domain seconds or minutes apart, never at the same instant. Two
// periods are compared when they overlap, or when they are within SameTime
// of each other and each is the other's nearest (so that a vantage's period
// after a move is not held against the other's last period before it). The
// rule is stated wherever agreement is (text.vantages-agree).
const SameTime = 10 * time.Minute

// Disagreements finds, for each domain with timelines from two or more
// vantages, every pair of periods from two vantages seen at the same time
// (see SameTime) whose places or statuses differ. It is sorted by domain,
// time and vantages.
func Disagreements(h History) []Disagreement {
	var out []Disagreement
	comparedPairs(h, func(name, va, vb string, a, b probe.Period, from, to time.Time) {
		if dis, ok := disagree(name, va, vb, a, b, from, to); ok {
			out = append(out, dis)
		}
	})
	slices.SortStableFunc(out, func(a, b Disagreement) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), a.From.Compare(b.From), a.To.Compare(b.To),
			cmp.Compare(a.Vantages[0], b.Vantages[0]), cmp.Compare(a.Vantages[1], b.Vantages[1]))
	})
	return out
}

// Overlapping names the domains seen from two or more vantages at the same
// time (two of their periods from different vantages, under SameTime): only
// of those can the vantages be said to agree. Timelines that follow one
// another were never compared.
func Overlapping(h History) map[string]bool {
	out := map[string]bool{}
	comparedPairs(h, func(name, _, _ string, _, _ probe.Period, _, _ time.Time) { out[name] = true })
	return out
}

// comparedPairs calls visit with every pair of periods of one domain, from
// two different vantages, that were seen at the same time under SameTime,
// with the stretch they have in common (their overlap, or the gap between
// them); the vantages in name order, domains in the order they first come
// in h.
func comparedPairs(h History, visit func(domain, va, vb string, a, b probe.Period, from, to time.Time)) {
	byDomain := map[string][]DomainHistory{}
	var domains []string
	for _, d := range h.Domains {
		if _, ok := byDomain[d.Domain]; !ok {
			domains = append(domains, d.Domain)
		}
		byDomain[d.Domain] = append(byDomain[d.Domain], d)
	}
	for _, name := range domains {
		ds := byDomain[name]
		slices.SortStableFunc(ds, func(a, b DomainHistory) int { return cmp.Compare(a.Vantage, b.Vantage) })
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if ds[i].Vantage == ds[j].Vantage {
					continue
				}
				as, bs := ds[i].Periods, ds[j].Periods
				nearA, nearB := nearest(as, bs), nearest(bs, as)
				for ia, a := range as {
					for ib, b := range bs {
						late, early := maxTime(a.From, b.From), minTime(a.To, b.To)
						switch {
						case !early.Before(late): // they overlap
							visit(name, ds[i].Vantage, ds[j].Vantage, a, b, late, early)
						case late.Sub(early) <= SameTime && nearA[ia] == ib && nearB[ib] == ia:
							visit(name, ds[i].Vantage, ds[j].Vantage, a, b, early, late)
						}
					}
				}
			}
		}
	}
}

// nearest gives, for each period of xs, the index of the period of ys
// nearest to it in time (the first of equals; -1 when ys is empty).
func nearest(xs, ys []probe.Period) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = -1
		var best time.Duration
		for j, y := range ys {
			gap := max(y.From.Sub(x.To), x.From.Sub(y.To), 0)
			if out[i] < 0 || gap < best {
				out[i], best = j, gap
			}
		}
	}
	return out
}

// disagree compares two periods of one domain seen from two vantages at
// the same time, from and to bounding the stretch they have in common.
func disagree(domain, va, vb string, a, b probe.Period, from, to time.Time) (Disagreement, bool) {
	ha, hb := a.Hosting, b.Hosting
	if ha.Status == hb.Status && slices.Equal(ha.Places, hb.Places) {
		return Disagreement{}, false
	}
	wa, wb := where(ha), where(hb)
	if wa == wb {
		wa, wb = orDash(placeList(ha)), orDash(placeList(hb))
	}
	return Disagreement{Domain: domain, Vantages: [2]string{va, vb}, Where: [2]string{wa, wb},
		Periods: [2]probe.Period{a, b}, From: from, To: to}, true
}

// sentence words a disagreement for people.
func (d Disagreement) sentence(pr *i18n.Printer) string {
	return pr.T("text.disagree", vantageName(pr, d.Vantages[0]), vantageName(pr, d.Vantages[1]),
		clock(d.From), clock(d.To), d.Where[0], d.Where[1])
}

// vantageCounts counts each domain's timelines from distinct vantages.
func vantageCounts(h History) map[string]int {
	seen := map[[2]string]bool{}
	n := map[string]int{}
	for _, d := range h.Domains {
		if k := [2]string{d.Domain, d.Vantage}; !seen[k] {
			seen[k] = true
			n[d.Domain]++
		}
	}
	return n
}

// domainEnds reports, for each index of h.Domains, whether it is the last
// timeline of its domain: where the domain's disagreements are told.
func domainEnds(h History) []bool {
	last := map[string]int{}
	for i, d := range h.Domains {
		last[d.Domain] = i
	}
	ends := make([]bool, len(h.Domains))
	for _, i := range last {
		ends[i] = true
	}
	return ends
}

// disagreementLines are the sentences on where a domain's vantages
// disagree, for a domain seen from two or more vantages.
// A domain whose vantages never observed it at the same time is said to
// have been compared on nothing, not to agree.
func disagreementLines(pr *i18n.Printer, domain string, vantages int, overlapped bool, all []Disagreement) []string {
	if vantages < 2 {
		return nil
	}
	var out []string
	for _, d := range all {
		if d.Domain == domain {
			out = append(out, d.sentence(pr))
		}
	}
	switch {
	case len(out) > 0:
	case overlapped:
		out = append(out, pr.T("text.vantages-agree", vantages, int(SameTime/time.Minute)))
	default:
		out = append(out, pr.T("text.vantages-apart", vantages, int(SameTime/time.Minute)))
	}
	return out
}

// WriteHistory writes timelines as a table, JSON, CSV (one row per period) or Markdown.
func WriteHistory(w io.Writer, format string, h History) error {
	return WriteHistoryIn(w, format, h, i18n.English)
}

// WriteHistoryIn is WriteHistory with the table and Markdown in the
// language lang; JSON and CSV are the same in every language. It writes
// through a HistoryWriter, one domain's timelines at a time.
func WriteHistoryIn(w io.Writer, format string, h History, lang i18n.Lang) error {
	hw, err := NewHistoryWriter(w, format, h, lang)
	if err != nil {
		return err
	}
	defer hw.Close()
	for i := 0; i < len(h.Domains); {
		j := i + 1
		for j < len(h.Domains) && h.Domains[j].Domain == h.Domains[i].Domain {
			j++
		}
		if err := hw.Add(h.Domains[i:j]); err != nil {
			return err
		}
		i = j
	}
	return hw.Finish()
}

func newHistoryDocument(h History) HistoryDocument {
	doc := newHistoryHead(h)
	for _, d := range h.Domains {
		doc.Domains = append(doc.Domains, newDomainHistoryJSON(h, d))
	}
	for _, d := range Disagreements(h) {
		doc.Disagreements = append(doc.Disagreements, newDisagreementJSON(d))
	}
	return doc
}

// newHistoryHead is the document of h without its domains and disagreements.
func newHistoryHead(h History) HistoryDocument {
	return HistoryDocument{
		Schema: HistorySchema, GeneratedAt: h.GeneratedAt.UTC().Format(time.RFC3339),
		ToolVersion: h.ToolVersion, Database: h.Database,
		Since: timestamp(h.Since), Until: timestamp(h.Until), Confirm: h.Confirm, Vantages: nonNil(h.Vantages),
		Domains: make([]DomainHistoryJSON, 0, len(h.Domains)), Disagreements: []DisagreementJSON{},
	}
}

// newDomainHistoryJSON is the JSON form of d, one of h's timelines.
func newDomainHistoryJSON(h History, d DomainHistory) DomainHistoryJSON {
	confirm := timelineConfirm(h, d)
	dj := DomainHistoryJSON{Domain: d.Domain, Vantage: d.Vantage, Summary: Summary(d), Moves: moves(d),
		MoveRule: moveRule(confirm), Confirm: confirm,
		Periods: make([]PeriodJSON, 0, len(d.Periods)), Changes: make([]ChangeJSON, 0, len(d.Changes))}
	for _, p := range d.Periods {
		dj.Periods = append(dj.Periods, newPeriodJSON(p))
	}
	for _, c := range d.Changes {
		dj.Changes = append(dj.Changes, newChangeJSON(c))
	}
	return dj
}

func newDisagreementJSON(d Disagreement) DisagreementJSON {
	return DisagreementJSON{
		Domain: d.Domain, Vantages: d.Vantages[:], From: timestamp(d.From), To: timestamp(d.To), Where: d.Where[:],
		Places: [][]PlaceJSON{newPlacesJSON(d.Periods[0].Hosting.Places), newPlacesJSON(d.Periods[1].Hosting.Places)},
	}
}

func newPeriodJSON(p probe.Period) PeriodJSON {
	j := PeriodJSON{From: timestamp(p.From), To: timestamp(p.To), Observations: p.Observations, Vantage: p.Vantage,
		HostingJSON: newHostingJSON(p.Hosting), CNAMEChains: make([][]string, 0, len(p.CNAMEChains)),
		Resolvers: nonNil(p.View.Resolvers), Subnets: nonNil(p.View.Subnets)}
	for _, c := range p.CNAMEChains {
		j.CNAMEChains = append(j.CNAMEChains, nonNil(c))
	}
	return j
}

func asnList(h probe.Hosting) string {
	s := make([]string, len(h.ASNs))
	for i, a := range h.ASNs {
		s[i] = fmt.Sprintf("AS%d", a)
	}
	return strings.Join(s, " ")
}

func prefixList(h probe.Hosting) string {
	s := make([]string, len(h.Prefixes))
	for i, p := range h.Prefixes {
		s[i] = p.String()
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

// writeTimelinesText writes h's timelines as text; lead says whether
// timelines were written before them (a blank line parts each from the one
// before).
func writeTimelinesText(b *strings.Builder, pr *i18n.Printer, h History, lead bool) {
	width := fitWidth(h.Width)
	all, overlapped := Disagreements(h), Overlapping(h)
	counts := vantageCounts(h)
	ends := domainEnds(h)
	for i, d := range h.Domains {
		if i > 0 || lead {
			b.WriteByte('\n')
		}
		textPara(b, width, "%s: %s", timelineName(pr, d), summaryIn(pr, d))
		textPara(b, width, "  %s", pr.T("text.rule", ruleText(pr, timelineConfirm(h, d))))
		if len(d.Periods) > 0 {
			writePeriodsTable(b, width, pr, d.Periods)
		}
		for _, e := range events(pr, d) {
			textPara(b, width, "  %s", e)
		}
		if ends[i] {
			for _, line := range disagreementLines(pr, d.Domain, counts[d.Domain], overlapped[d.Domain], all) {
				textPara(b, width, "  %s", line)
			}
		}
	}
}

// writeNoneText says, as text, that h has no timeline.
func writeNoneText(b *strings.Builder, pr *i18n.Printer, h History) {
	if !h.Since.IsZero() || !h.Until.IsZero() {
		b.WriteString(pr.T("text.none-recorded.asked"))
	} else {
		b.WriteString(pr.T("text.none-recorded"))
	}
	b.WriteByte('\n')
}

// asnBudget is the budget of the ASN cell of the periods table: past it,
// whole networks are left out and counted ("AS45102 +1"), never cut.
const asnBudget = 8

// writePeriodsTable writes one row per period, fitted to width. Addresses
// are always shown whole: when they do not fit in the row, each row's go on
// a line of their own under it. Long lists of networks are shortened to
// whole items and a count, and a note says where they are in full.
func writePeriodsTable(b *strings.Builder, width int, pr *i18n.Printer, periods []probe.Period) {
	cols := []*column{
		{header: pr.T("table.col.from")}, {header: pr.T("table.col.to")}, {header: pr.T("table.col.cc")}, {header: "ASN"},
		{header: pr.T("table.col.provider"), min: 12, squeeze: 1}, {header: pr.T("table.col.addresses"), spill: pr.T("table.spill.addresses")},
	}
	short := false
	for _, p := range periods {
		asnCell, cutASN := fewer(strings.Fields(asnList(p.Hosting)), asnBudget)
		short = short || cutASN
		addRow(cols, clock(p.From), clock(p.To), countryCell(p.Hosting), asnCell, providerList(p.Hosting, " + "), addrList(p.Hosting))
	}
	writeColumns(b, cols, width)
	if short {
		textPara(b, width, "  %s", pr.T("text.more-networks"))
	}
}

// fewer joins as many whole items as fit in budget (at least one) and
// counts the others: "8.219.1.1 170.33.13.55 +3".
func fewer(items []string, budget int) (string, bool) {
	n, width := 0, 0
	for n < len(items) {
		w := termtext.Width(items[n])
		if n > 0 {
			w++
		}
		if n > 0 && width+w > budget {
			break
		}
		width += w
		n++
	}
	s := strings.Join(items[:n], " ")
	if n < len(items) {
		return fmt.Sprintf("%s +%d", s, len(items)-n), true
	}
	return s, false
}

// writeTimelinesMarkdown writes h's timelines as Markdown (under the
// heading historyMarkdownHead).
func writeTimelinesMarkdown(b *strings.Builder, pr *i18n.Printer, h History) {
	all, overlapped := Disagreements(h), Overlapping(h)
	counts := vantageCounts(h)
	ends := domainEnds(h)
	for i, d := range h.Domains {
		fmt.Fprintf(b, "### %s\n\n%s\n\n", mdEscape(timelineName(pr, d)), mdEscape(summaryIn(pr, d)))
		b.WriteString(pr.T("md.rule", mdEscape(ruleText(pr, timelineConfirm(h, d)))) + "\n\n")
		if len(d.Periods) > 0 {
			fmt.Fprintf(b, "| %s | %s | %s | ASN | %s | %s |\n|---|---|---|---|---|---|\n", pr.T("col.from"), pr.T("col.to"),
				pr.T("col.country"), pr.T("col.provider"), pr.T("col.addresses"))
			for _, p := range d.Periods {
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", clock(p.From), clock(p.To), mdEscape(countryCell(p.Hosting)),
					asnList(p.Hosting), mdEscape(providerList(p.Hosting, " + ")), addrList(p.Hosting))
			}
			b.WriteByte('\n')
		}
		lines := events(pr, d)
		if ends[i] {
			lines = append(lines, disagreementLines(pr, d.Domain, counts[d.Domain], overlapped[d.Domain], all)...)
		}
		for _, e := range lines {
			fmt.Fprintf(b, "- %s\n", mdEscape(e))
		}
		if len(lines) > 0 {
			b.WriteByte('\n')
		}
	}
}

// historyMarkdownHead heads the Markdown history.
const historyMarkdownHead = "## hostwatch history\n\n"

// periodsHeader names the columns of the periods CSV.
var periodsHeader = []string{"domain", "vantage", "from", "to", "status", "countries", "providers", "asns", "as_orgs",
	"addresses", "cname_chains", "resolvers", "observations"}

// writePeriodsCSV writes one row per domain, vantage and period of h's
// timelines (after periodsHeader). Lists within a cell are separated by
// spaces (countries, ASNs, addresses) or "; " (names); cname_chains joins
// each chain's targets with " > " and the chains with " | ", a chain-less
// answer among others shown as "(none)".
func writePeriodsCSV(cw *CSVWriter, h History) error {
	for _, d := range h.Domains {
		for _, p := range d.Periods {
			if err := cw.Write([]string{d.Domain, d.Vantage, clock(p.From), clock(p.To), string(p.Hosting.Status),
				strings.Join(p.Hosting.Countries, " "), strings.Join(p.Hosting.Providers, "; "), asnList(p.Hosting),
				strings.Join(p.Hosting.Orgs, "; "), addrList(p.Hosting), chainsCell(p.CNAMEChains), viewCell(p.View),
				strconv.Itoa(p.Observations)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// chainsCell joins CNAME chains for one CSV cell.
func chainsCell(chains [][]string) string {
	if len(chains) == 1 && len(chains[0]) == 0 {
		return ""
	}
	s := make([]string, len(chains))
	for i, c := range chains {
		s[i] = cmp.Or(strings.Join(c, " > "), "(none)")
	}
	return strings.Join(s, " | ")
}

// Timelines sorts the periods and changes of history.Timeline into one
// DomainHistory per domain and vantage, sorted by domain then vantage, each
// keeping the order it was given. Confirm is left 0 (see DomainHistory).
func Timelines(periods []probe.Period, changes []probe.Change) []DomainHistory {
	type key struct{ domain, vantage string }
	byKey := map[key]*DomainHistory{}
	get := func(domain, vantage string) *DomainHistory {
		k := key{domain, vantage}
		if d, ok := byKey[k]; ok {
			return d
		}
		d := &DomainHistory{Domain: domain, Vantage: vantage}
		byKey[k] = d
		return d
	}
	for _, p := range periods {
		d := get(p.Domain, p.Vantage)
		d.Periods = append(d.Periods, p)
	}
	for _, c := range changes {
		d := get(c.Domain, c.Vantage)
		d.Changes = append(d.Changes, c)
	}
	out := make([]DomainHistory, 0, len(byKey))
	for _, d := range byKey {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b DomainHistory) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Vantage, b.Vantage))
	})
	return out
}
