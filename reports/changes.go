package reports

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// CheckSchema names the version of the check report format.
const CheckSchema = "hostwatch.check/v1"

// HostingJSON is the JSON form of a domain's hosting at one time.
type HostingJSON struct {
	Status    string   `json:"status"`
	CNAME     []string `json:"cname"`
	Addresses []string `json:"addresses"`
	ASNs      []uint32 `json:"asns"`
	Prefixes  []string `json:"prefixes"`
	ASOrgs    []string `json:"as_orgs"`
	Countries []string `json:"countries"`
	// Providers and Places are what moves are counted on (probe.MoveRule).
	Providers []string    `json:"providers"`
	Places    []PlaceJSON `json:"places"`
}

// PlaceJSON is the JSON form of a place: a provider in a country (no
// country for a CDN edge).
type PlaceJSON struct {
	Provider string `json:"provider"`
	Country  string `json:"country"`
}

func newPlacesJSON(ps []probe.Place) []PlaceJSON {
	out := make([]PlaceJSON, len(ps))
	for i, p := range ps {
		out[i] = PlaceJSON{Provider: p.Provider, Country: p.Country}
	}
	return out
}

// ViewJSON is the JSON form of a view: how a domain was asked.
type ViewJSON struct {
	Resolvers []string `json:"resolvers"`
	Subnets   []string `json:"subnets"`
}

func newViewJSON(v probe.View) ViewJSON {
	return ViewJSON{Resolvers: nonNil(v.Resolvers), Subnets: nonNil(v.Subnets)}
}

func newHostingJSON(h probe.Hosting) HostingJSON {
	j := HostingJSON{
		Status:    string(h.Status),
		CNAME:     nonNil(h.CNAME),
		Addresses: make([]string, 0, len(h.Addresses)),
		ASNs:      nonNil(h.ASNs),
		Prefixes:  make([]string, 0, len(h.Prefixes)),
		ASOrgs:    nonNil(h.Orgs),
		Countries: nonNil(h.Countries),
		Providers: nonNil(h.Providers),
		Places:    newPlacesJSON(h.Places),
	}
	for _, a := range h.Addresses {
		j.Addresses = append(j.Addresses, a.String())
	}
	for _, p := range h.Prefixes {
		j.Prefixes = append(j.Prefixes, p.String())
	}
	return j
}

// ChangeJSON is the JSON form of a change.
type ChangeJSON struct {
	Domain  string   `json:"domain"`
	Vantage string   `json:"vantage"`
	Kind    string   `json:"kind"`
	Kinds   []string `json:"kinds"`
	// CountsAsMove says the change is a confirmed move under probe.MoveRule;
	// Move is the same, kept for readers of older reports.
	CountsAsMove bool `json:"counts_as_move"`
	Move         bool `json:"move"`
	// Pending says the change awaits confirmation: it has held for Seen of
	// the Confirm observations it needs, and counts for nothing yet.
	Pending     bool        `json:"pending"`
	Seen        int         `json:"seen"`
	Confirm     int         `json:"confirm"`
	Before      HostingJSON `json:"before"`
	After       HostingJSON `json:"after"`
	BeforeView  ViewJSON    `json:"before_view"`
	AfterView   ViewJSON    `json:"after_view"`
	BeforeAt    string      `json:"before_at"`
	AfterAt     string      `json:"after_at"`
	ConfirmedAt string      `json:"confirmed_at"`
}

func newChangeJSON(c probe.Change) ChangeJSON {
	j := ChangeJSON{
		Domain: c.Domain, Vantage: c.Vantage, Kind: string(c.Kind()), CountsAsMove: c.IsMove(), Move: c.IsMove(),
		Pending: c.Pending(), Seen: c.Seen, Confirm: c.Confirm,
		Before: newHostingJSON(c.Before), After: newHostingJSON(c.After),
		BeforeView: newViewJSON(c.BeforeView), AfterView: newViewJSON(c.AfterView),
		BeforeAt: timestamp(c.BeforeAt), AfterAt: timestamp(c.AfterAt), ConfirmedAt: timestamp(c.ConfirmedAt),
		Kinds: make([]string, 0, len(c.Kinds)),
	}
	for _, k := range c.Kinds {
		j.Kinds = append(j.Kinds, string(k))
	}
	return j
}

// ViolationJSON is the JSON form of a policy violation.
type ViolationJSON struct {
	Domain  string `json:"domain"`
	Address string `json:"address"`
	ASN     uint32 `json:"asn"`
	Country string `json:"country"`
	// Rule words the policy broken in English; Policy and Values are its
	// code and the policy's list, to word it in another language.
	Rule   string   `json:"rule"`
	Policy string   `json:"policy"`
	Values []string `json:"values"`
}

// violationText words the policy a violation breaks.
func violationText(pr *i18n.Printer, v probe.Violation) string {
	values := strings.Join(v.Values, ",")
	switch v.Policy {
	case probe.PolicyAllowCountry:
		return pr.T("policy.allow_country", cmp.Or(v.Country, pr.T("policy.unknown")), values)
	case probe.PolicyDenyCountry:
		return pr.T("policy.deny_country", v.Country, values)
	case probe.PolicyAllowASN:
		asn := pr.T("policy.unknown")
		if v.ASN != 0 {
			asn = fmt.Sprintf("AS%d", v.ASN)
		}
		return pr.T("policy.allow_asn", asn, values)
	}
	return string(v.Policy) + " " + values
}

// Check is the outcome of one `hostwatch check` run.
type Check struct {
	GeneratedAt time.Time
	ToolVersion string
	// Database is where the run was to be recorded; Recorded says it was
	// (the run's write committed).
	Database string
	Recorded bool
	// Vantage is where the run was made from; Confirm the --confirm it used.
	Vantage   string
	Confirm   int
	Datasets  []attribution.Dataset
	Warnings  []probe.Warning
	Resolvers []string
	Domains   int
	// Changes are what the run brought, those still awaiting confirmation
	// (Pending) among them: these count for nothing yet. It may be walked
	// more than once; a run of any size streams them from disk.
	Changes iter.Seq[probe.Change]
	// Encoded, when set, is the changes as CheckEncoder worded them (for
	// the same format, language and Width), in the order they came: the
	// report copies them, and Changes is not read. A check spools them so
	// while its run goes on, and its report after the commit is a copy
	// (Tally must then be set).
	Encoded iter.Seq[EncodedChange]
	// Tally, when set, is Changes counted as they were gathered, so that
	// writing them walks them once, not twice (once to count, for the
	// summary that comes first); when nil, they are counted here.
	Tally      *ChangeTally
	Violations []probe.Violation
	// Matched lists what made the run fail (--fail-on kinds and policy
	// violations), in words; empty when the run passes.
	Matched []string
	// RunFailed says the run itself failed (e.g. no resolver answered).
	RunFailed string
	// Width is what text output is fitted to: the terminal's width, or 0
	// for TableWidth.
	Width int

	counts checkCounts   // set by WriteCheck
	pr     *i18n.Printer // the language of text and Markdown, set by WriteCheckIn
}

// EncodedChange is one change of a check as its report words it (see
// CheckEncoder).
type EncodedChange struct {
	Pending bool // awaiting confirmation: text and Markdown list these last
	Bytes   []byte
}

// CheckEncoder returns the function that words one change of c as
// WriteCheckIn writes it in format and lang, for Check.Encoded; ok is false
// for a format that has none (html reads the changes whole).
func CheckEncoder(format string, c Check, lang i18n.Lang) (encode func(b []byte, ch probe.Change) []byte, ok bool, err error) {
	pr, err := i18n.New(lang)
	if err != nil {
		return nil, false, err
	}
	switch format {
	case "json":
		return appendChangeItemJSON, true, nil
	case "table":
		width := fitWidth(c.Width)
		return func(b []byte, ch probe.Change) []byte { return appendChangeText(b, width, pr, ch) }, true, nil
	case "markdown":
		return func(b []byte, ch probe.Change) []byte { return appendChangeMarkdown(b, pr, ch) }, true, nil
	}
	return nil, false, nil
}

// CheckDocument is the JSON form of a Check.
type CheckDocument struct {
	Schema         string                `json:"schema"`
	GeneratedAt    string                `json:"generated_at"`
	ToolVersion    string                `json:"tool_version"`
	Database       string                `json:"database"`
	Recorded       bool                  `json:"recorded"`
	Vantage        string                `json:"vantage"`
	Confirm        int                   `json:"confirm"`
	MoveRule       string                `json:"move_rule"`
	Moves          int                   `json:"moves"`
	Pending        int                   `json:"pending"`
	Warnings       []string              `json:"warnings"`
	WarningDetails []WarningJSON         `json:"warning_details"`
	Datasets       []attribution.Dataset `json:"datasets"`
	Resolvers      []string              `json:"resolvers"`
	Domains        int                   `json:"domains"`
	Changes        []ChangeJSON          `json:"changes"`
	Violations     []ViolationJSON       `json:"violations"`
	Failed         bool                  `json:"failed"`
	Matched        []string              `json:"matched"`
	RunFailed      string                `json:"run_failed,omitempty"`
}

// WriteCheck writes a check's outcome as a text summary ("table"), JSON, or
// Markdown (for a CI step summary).
func WriteCheck(w io.Writer, format string, c Check) error {
	return WriteCheckIn(w, format, c, i18n.English)
}

// WriteCheckIn is WriteCheck with text and Markdown in the language lang;
// JSON is the same in every language.
func WriteCheckIn(w io.Writer, format string, c Check, lang i18n.Lang) error {
	pr, err := i18n.New(lang)
	if err != nil {
		return err
	}
	c.pr = pr
	if c.Changes == nil {
		c.Changes = func(func(probe.Change) bool) {}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	c.counts = c.tally()
	switch format {
	case "json":
		if err := writeCheckJSON(bw, c); err != nil {
			return err
		}
	case "table":
		writeCheckText(bw, c)
	case "markdown":
		writeCheckMarkdown(bw, c)
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write check: %w", err)
	}
	return nil
}

// writeCheckJSON writes the document with its changes streamed one by one
// into the "changes" list, so memory does not grow with their number.
func writeCheckJSON(w *bufio.Writer, c Check) error {
	_, full := c.rule()
	doc := CheckDocument{
		Schema: CheckSchema, GeneratedAt: c.GeneratedAt.UTC().Format(time.RFC3339),
		ToolVersion: c.ToolVersion, Database: c.Database, Recorded: c.Recorded, Vantage: c.Vantage,
		Confirm: c.Confirm, MoveRule: full, Moves: c.counts.moves, Pending: c.counts.pending,
		Datasets: nonNil(c.Datasets), Resolvers: nonNil(c.Resolvers), Domains: c.Domains,
		Changes: []ChangeJSON{}, Violations: make([]ViolationJSON, 0, len(c.Violations)),
		Failed: len(c.Matched) > 0 || c.RunFailed != "", Matched: nonNil(c.Matched), RunFailed: c.RunFailed,
	}
	doc.WarningDetails, doc.Warnings = newWarningsJSON(c.Warnings)
	for _, v := range c.Violations {
		doc.Violations = append(doc.Violations, ViolationJSON{Domain: v.Domain, Address: v.Address.String(), ASN: v.ASN, Country: v.Country,
			Rule: violationText(english(), v), Policy: string(v.Policy), Values: nonNil(v.Values)})
	}
	var head strings.Builder
	if err := writeDocument(&head, doc); err != nil {
		return err
	}
	const slot = "\n  \"changes\": [],"
	i := strings.Index(head.String(), slot)
	if i < 0 {
		return errors.New("write json: no changes field")
	}
	w.WriteString(head.String()[:i+len(slot)-2])
	var (
		n   int
		err error
	)
	if c.Encoded != nil {
		for e := range c.Encoded {
			if n > 0 {
				w.WriteByte(',')
			}
			if _, err = w.Write(e.Bytes); err != nil {
				break
			}
			n++
		}
	} else {
		n, err = encodeInOrder(w, c.Changes, func(b []byte, i int, ch probe.Change) []byte {
			if i > 0 {
				b = append(b, ',')
			}
			return appendChangeItemJSON(b, ch)
		})
	}
	if err != nil {
		return err
	}
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("],")
	_, err = w.WriteString(head.String()[i+len(slot):])
	return err
}

// appendChangeItemJSON appends one change as an item of the document's
// "changes" list (without the comma between items).
func appendChangeItemJSON(b []byte, ch probe.Change) []byte {
	b = append(b, "\n    "...)
	return appendChangeJSON(b, &ch, 4)
}

// describe sums up a hosting in one line for people: countries, networks,
// providers (AS organisations where no provider is known), addresses, and
// the CNAME chain.
func describe(h probe.Hosting) string { return string(appendDescribe(nil, h)) }

// appendDescribe appends describe(h) to b.
func appendDescribe(b []byte, h probe.Hosting) []byte {
	if h.Status == "" {
		return append(b, '-') // the side before a new domain
	}
	if h.Status != "ok" {
		return append(append(append(b, '['), h.Status...), ']')
	}
	b = appendJoinOrDash(b, h.Countries, "+")
	b = append(b, "  "...)
	start := len(b)
	for i, a := range h.ASNs {
		if i > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendUint(append(b, "AS"...), uint64(a), 10)
	}
	b = orDashFrom(b, start)
	b = append(b, "  "...)
	if len(h.Providers) > 0 {
		b = appendJoinOrDash(b, h.Providers, " + ")
	} else {
		b = appendJoinOrDash(b, h.Orgs, " + ")
	}
	b = append(b, "  "...)
	for i, a := range h.Addresses {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendAddrText(b, a)
	}
	if len(h.CNAME) > 0 {
		b = append(b, "  CNAME "...)
		b = appendJoin(b, h.CNAME, " → ")
	}
	return b
}

// appendAddrText appends a.String(): AppendTo words an address as String
// does, but the zero Addr as nothing.
func appendAddrText(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, a.String()...)
	}
	return a.AppendTo(b)
}

// appendJoin appends strings.Join(elems, sep) to b.
func appendJoin(b []byte, elems []string, sep string) []byte {
	for i, e := range elems {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, e...)
	}
	return b
}

// appendJoinOrDash appends orDash(strings.Join(elems, sep)) to b.
func appendJoinOrDash(b []byte, elems []string, sep string) []byte {
	return orDashFrom(appendJoin(b, elems, sep), len(b))
}

// orDashFrom appends a dash when b holds nothing from start on.
func orDashFrom(b []byte, start int) []byte {
	if len(b) == start {
		return append(b, '-')
	}
	return b
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// kindsList names a change's kinds, most telling first: their codes in
// English, their words in other languages.
func kindsList(pr *i18n.Printer, c probe.Change) string {
	return string(appendKindsList(nil, pr, c))
}

// appendKindsList appends kindsList(pr, c) to b.
func appendKindsList(b []byte, pr *i18n.Printer, c probe.Change) []byte {
	for i, k := range c.Kinds {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, pr.T("text.kind."+string(k))...)
	}
	return b
}

// kindsText names a change's kinds and says when it is a move.
func kindsText(pr *i18n.Printer, c probe.Change) string {
	return string(appendKindsText(nil, pr, c))
}

// appendKindsText appends kindsText(pr, c) to b.
func appendKindsText(b []byte, pr *i18n.Printer, c probe.Change) []byte {
	b = appendKindsList(b, pr, c)
	if c.IsMove() {
		b = append(b, pr.T("text.moved")...)
	}
	return b
}

// checkCounts are a check's changes counted: those it reports, the moves
// among them, and those still awaiting confirmation.
type checkCounts struct {
	settled, moves, pending int
}

// ChangeTally counts a check's changes as they come (see Check.Tally).
type ChangeTally struct{ n checkCounts }

// Add counts one change.
func (t *ChangeTally) Add(ch probe.Change) {
	switch {
	case ch.Pending():
		t.n.pending++
	case ch.IsMove():
		t.n.moves++
		t.n.settled++
	default:
		t.n.settled++
	}
}

func (c Check) tally() checkCounts {
	if c.Tally != nil {
		return c.Tally.n
	}
	var t ChangeTally
	for ch := range c.Changes {
		t.Add(ch)
	}
	return t.n
}

// settled and waiting walk a check's changes: those it reports, and those
// still awaiting confirmation.
func (c Check) settled(yield func(probe.Change) bool) {
	for ch := range c.Changes {
		if !ch.Pending() && !yield(ch) {
			return
		}
	}
}

func (c Check) waiting(yield func(probe.Change) bool) {
	for ch := range c.Changes {
		if ch.Pending() && !yield(ch) {
			return
		}
	}
}

// reported walks the changes in the order reports show them, those
// awaiting confirmation last, without a walk of the changes for a group
// that has none (c.counts says).
func (c Check) reported(yield func(probe.Change) bool) {
	switch {
	case c.counts.pending == 0:
		for ch := range c.Changes {
			if !yield(ch) {
				return
			}
		}
	case c.counts.settled == 0:
		c.waiting(yield)
	default:
		for ch := range c.settled {
			if !yield(ch) {
				return
			}
		}
		c.waiting(yield)
	}
}

// rule words the rule for moves in a few words and in full, with the
// --confirm the run used; a Check without one (diff of two reports) has
// nothing to confirm over.
func (c Check) rule() (short, full string) {
	pr := c.words()
	if c.Confirm == 0 {
		return pr.T("rule.short"), probe.MoveRule
	}
	return ruleText(pr, c.Confirm), moveRule(c.Confirm)
}

// words is the Printer of c's language: English unless WriteCheckIn set one.
func (c Check) words() *i18n.Printer {
	if c.pr != nil {
		return c.pr
	}
	return english()
}

// english is the Printer of English, for what JSON words (rules, summaries).
// Its catalogue is embedded and read by the tests: it does not fail, and a
// nil Printer words every message as its ID.
func english() *i18n.Printer {
	pr, _ := i18n.New(i18n.English)
	return pr
}

// pendingText names a change awaiting confirmation: "pending (1 of 2): kinds".
func pendingText(pr *i18n.Printer, c probe.Change) string {
	return pr.T("text.pending", c.Seen, c.Confirm, kindsList(pr, c))
}

// viewSuffix names the resolvers a side of a change of view was asked through.
func viewSuffix(pr *i18n.Printer, c probe.Change, v probe.View) string {
	if c.Kind() != probe.ChangeView {
		return ""
	}
	return pr.T("text.via", v.String())
}

func writeCheckText(b textWriter, c Check) {
	pr := c.words()
	width := fitWidth(c.Width)
	writeChangesText(b, width, c)
	textPara(b, width, "%s", checkSummary(c))
	short, _ := c.rule()
	textPara(b, width, "%s", pr.T("text.moves", short))
	textPara(b, width, "%s", pr.T("text.checked", clock(c.GeneratedAt), cmp.Or(c.ToolVersion, pr.T("text.unknown-version"))))
	if c.Vantage != "" {
		textPara(b, width, "%s", pr.T("text.vantage", c.Vantage))
	}
	if len(c.Resolvers) > 0 {
		textPara(b, width, "%s", pr.T("text.resolvers", strings.Join(c.Resolvers, ", ")))
	}
	writeDatasets(b, width, pr, c.Datasets)
	writeWarnings(b, width, pr, c.Warnings)
	switch {
	case c.Recorded:
		textPara(b, width, "%s", pr.T("text.recorded", c.Database))
	case c.Database != "":
		textPara(b, width, "%s", pr.T("text.not-recorded", c.Database))
	}
}

// writeChangesText writes each change with its two sides, then the policy
// violations, then a blank line when there was any. A first run of 100,000
// names brings 100,000 changes: they are worded on every CPU, in order
// (encodeInOrder), as the JSON document's are.
func writeChangesText(b textWriter, width int, c Check) {
	pr := c.words()
	if c.Encoded != nil {
		c.copyEncoded(b)
	} else {
		encodeInOrder(b, c.reported, func(buf []byte, _ int, ch probe.Change) []byte {
			return appendChangeText(buf, width, pr, ch)
		})
	}
	for _, v := range c.Violations {
		textPara(b, width, "%s", pr.T("text.violation", v.Domain, v.Address.String(), violationText(pr, v)))
	}
	if c.counts.settled+c.counts.pending+len(c.Violations) > 0 {
		b.WriteByte('\n')
	}
}

// appendChangeText appends one change with its two sides, as the text
// report words it. A first check of 100,000 names words 100,000 of them:
// each line is put together and wrapped in buf (appendPara), without fmt.
func appendChangeText(buf []byte, width int, pr *i18n.Printer, ch probe.Change) []byte {
	start := len(buf)
	buf = append(append(buf, ch.Domain...), ": "...)
	if ch.Pending() {
		buf = append(buf, pendingText(pr, ch)...)
	} else {
		buf = appendKindsText(buf, pr, ch)
	}
	buf = appendPara(buf, start, width)
	if !ch.BeforeAt.IsZero() {
		buf = appendSideText(buf, width, pr, "text.side.before", ch.Before, ch.BeforeAt, viewSuffix(pr, ch, ch.BeforeView))
	}
	return appendSideText(buf, width, pr, "text.side.after", ch.After, ch.AfterAt, viewSuffix(pr, ch, ch.AfterView))
}

// appendSideText appends one side of a change, the message id worded with
// the side's hosting, its time and via, wrapped to width. The message's
// verbs are all %s (i18n.Printer.Pieces), so each argument is appended
// where it goes.
func appendSideText(buf []byte, width int, pr *i18n.Printer, id string, h probe.Hosting, at time.Time, via string) []byte {
	start := len(buf)
	if p, ok := pr.Pieces(id); ok && len(p) == 4 {
		buf = appendDescribe(append(buf, p[0]...), h)
		buf = appendClock(append(buf, p[1]...), at)
		buf = append(append(append(buf, p[2]...), via...), p[3]...)
	} else {
		buf = append(buf, pr.T(id, describe(h), clock(at), via)...)
	}
	return appendPara(buf, start, width)
}

// copyEncoded writes c.Encoded in the order reports show them, those
// awaiting confirmation last (walking them twice only when there are
// both).
func (c Check) copyEncoded(w io.Writer) {
	for _, pending := range []bool{false, true} {
		if !pending && c.counts.settled == 0 || pending && c.counts.pending == 0 {
			continue
		}
		for e := range c.Encoded {
			if e.Pending != pending {
				continue
			}
			if _, err := w.Write(e.Bytes); err != nil {
				return
			}
		}
	}
}

// checkSummary is the one line that says how the check ended. Changes
// awaiting confirmation are counted apart, never as changes or moves.
func checkSummary(c Check) string {
	pr := c.words()
	moves, settled, waiting := c.counts.moves, c.counts.settled, c.counts.pending
	s := pr.N("text.checked-count", c.Domains) + ": " + pr.N("text.changes", settled) + " (" + pr.N("text.move-count", moves) + ")"
	if waiting > 0 {
		s += pr.T("text.pending-count", waiting)
	}
	s += ", " + pr.N("text.violations", len(c.Violations))
	return s + failing(pr, c.RunFailed, c.Matched)
}

// failing is the end of a summary: why the run failed, or that it did not.
func failing(pr *i18n.Printer, runFailed string, matched []string) string {
	switch {
	case runFailed != "":
		return pr.T("text.run-failed", runFailed)
	case len(matched) > 0:
		return pr.T("text.failing-on", strings.Join(matched, ", "))
	}
	return pr.T("text.nothing-to-fail")
}

// mdEscape keeps outside text from breaking a Markdown table cell or
// formatting what it is in: it escapes the characters Markdown acts on
// (emphasis, strikethrough, links, code, pipes, backslashes), writes <, >
// and & as entities, joins lines, and keeps GitHub's autolinks from making
// links of URLs, www. names and e-mail addresses (their ":", "." and "@"
// become entities, which render as themselves).
func mdEscape(s string) string {
	// Control characters become visible escapes first (a report is often
	// read on a terminal before it is published), then Markdown is escaped.
	return mdNoAutolinks(mdReplacer.Replace(termtext.Safe(mdLines.Replace(s))))
}

// mdLines folds line breaks into spaces: a table cell is one line.
var mdLines = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

var mdReplacer = strings.NewReplacer(
	"\\", `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "~", `\~`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
)

// mdNoAutolinks writes the characters GitHub's autolinking looks for as
// entities: the ":" of "scheme://", the "." of "www." and every "@".
func mdNoAutolinks(s string) string {
	if !strings.ContainsAny(s, ":@.") {
		return s
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "://", "&#58;//"), "@", "&#64;")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+4 <= len(s) && s[i+3] == '.' && isW(s[i]) && isW(s[i+1]) && isW(s[i+2]) {
			b.WriteString(s[i : i+3])
			b.WriteString("&#46;")
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isW(c byte) bool { return c == 'w' || c == 'W' }

func writeCheckMarkdown(b textWriter, c Check) {
	pr := c.words()
	b.WriteString("## hostwatch check\n\n")
	b.WriteString(mdEscape(checkSummary(c)) + "\n\n")
	short, _ := c.rule()
	b.WriteString(pr.T("md.moves", mdEscape(short)) + "\n\n")
	writeChangesMarkdown(b, c)
	if len(c.Violations) > 0 {
		fmt.Fprintf(b, "| %s | %s | ASN | %s | %s |\n|---|---|---|---|---|\n", pr.T("col.domain"), pr.T("col.address"), pr.T("col.country"), pr.T("col.policy"))
		for _, v := range c.Violations {
			fmt.Fprintf(b, "| %s | %s | AS%d | %s | %s |\n", mdEscape(v.Domain), v.Address, v.ASN, mdEscape(v.Country), mdEscape(violationText(pr, v)))
		}
		b.WriteByte('\n')
	}
	for _, d := range c.Datasets {
		b.WriteString(pr.T("text.data", mdEscape(d.ID), mdEscape(d.Version), mdEscape(describeDataset(pr, d).License)) + "  \n")
	}
	for _, w := range warningTexts(pr, c.Warnings) {
		fmt.Fprintf(b, "\n> **%s** %s\n", pr.T("md.warning"), mdEscape(w))
	}
}

// writeChangesMarkdown writes a table of a check's changes, those awaiting
// confirmation last.
func writeChangesMarkdown(b textWriter, c Check) {
	pr := c.words()
	if c.counts.settled+c.counts.pending > 0 {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", pr.T("col.domain"), pr.T("col.change"),
			pr.T("col.before"), pr.T("col.after"), pr.T("col.last-before"), pr.T("col.first-after"))
		if c.Encoded != nil {
			c.copyEncoded(b)
		} else {
			encodeInOrder(b, c.reported, func(buf []byte, _ int, ch probe.Change) []byte {
				return appendChangeMarkdown(buf, pr, ch)
			})
		}
		b.WriteByte('\n')
	}
}

// appendChangeMarkdown appends one change as a row of the Markdown table.
func appendChangeMarkdown(buf []byte, pr *i18n.Printer, ch probe.Change) []byte {
	what := kindsText(pr, ch)
	if ch.Pending() {
		what = pendingText(pr, ch)
	}
	return fmt.Appendf(buf, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(ch.Domain), mdEscape(what),
		mdEscape(describe(ch.Before)+viewSuffix(pr, ch, ch.BeforeView)), mdEscape(describe(ch.After)+viewSuffix(pr, ch, ch.AfterView)),
		clock(ch.BeforeAt), clock(ch.AfterAt))
}

// plural picks one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
