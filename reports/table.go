package reports

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/resolvers"
)

// column is one table column: its header, its cells, and how it gives way
// when the table is too wide.
type column struct {
	header string
	// short is the header of a column squeezed narrower than header.
	short string
	cells []string
	width int
	// squeeze is the order in which columns are narrowed to fit (1 first);
	// 0 means never: addresses, AS numbers and codes are shown whole, and the
	// table grows past its width instead.
	squeeze int
	// min is the narrowest a squeezed column becomes.
	min int
	// spill, when set, names the column on a line of its own under each row
	// ("addresses: …"), which it moves to when the table is too wide for
	// it: its cells are lists to be shown whole.
	spill   string
	spilled bool
}

// WriteTable writes one row per domain and address, a line with the CNAME
// chain under a domain that has one, then a footer to cite it by: when it
// was observed, by which version of hostwatch, from where, through which
// resolvers and with which datasets. Failed domains get one row showing
// their status and why. It fits width columns (0: TableWidth), clipping
// organisation names (then providers, then long domain names) and
// wrapping lines of their own; addresses, AS numbers and codes are never cut.
func WriteTable(w io.Writer, r probe.Report, width int) error {
	return WriteTableIn(w, r, width, i18n.English)
}

// WriteTableIn is WriteTable with its words in the language lang: headings,
// notes, failure reasons, warnings, summary and footer. Outside text (names,
// organisations, errors a server sent) stays as it came.
func WriteTableIn(w io.Writer, r probe.Report, width int, lang i18n.Lang) error {
	return writeWhole(w, r, func() (auditWriter, error) { return NewTableWriter(width, lang) })
}

// auditWriter writes an audit's report an observation at a time, without
// holding them (DocumentWriter, TableWriter, MarkdownWriter).
type auditWriter interface {
	Add(probe.Observation) error
	// WriteReport writes the report of r, whose observations are those
	// added (r.Observations is not read).
	WriteReport(io.Writer, probe.Report) error
	Close() error
}

// writeWhole writes r, observations and all, through the writer open makes.
func writeWhole(w io.Writer, r probe.Report, open func() (auditWriter, error)) error {
	aw, err := open()
	if err != nil {
		return err
	}
	defer aw.Close()
	for _, o := range r.Observations {
		if err := aw.Add(o); err != nil {
			return err
		}
	}
	return aw.WriteReport(w, r)
}

// TableWriter writes an audit's table (WriteTableIn's bytes) without
// holding its observations: each one's rows are kept as they come (in
// memory up to spoolMemory bytes, then in a temporary file) and its columns
// widened to hold them; WriteReport fits the columns and writes the rows
// and the footer. An audit of 100,000 names held 420 MB for its table.
type TableWriter struct {
	pr     *i18n.Printer
	width  int
	cols   []*column
	rows   spool
	counts map[resolvers.Status]int
	n      int
	buf    []byte
}

// NewTableWriter starts an audit's table, width columns wide (0:
// TableWidth), in the language lang; Close removes what it keeps.
func NewTableWriter(width int, lang i18n.Lang) (*TableWriter, error) {
	pr, err := i18n.New(lang)
	if err != nil {
		return nil, err
	}
	cols := []*column{
		{header: pr.T("table.col.domain"), min: 20, squeeze: 3},
		{header: pr.T("table.col.address")},
		{header: "ASN"},
		{header: pr.T("table.col.cc")},
		{header: pr.T("table.col.provider"), min: 10, squeeze: 2},
		{header: pr.T("table.col.org"), short: pr.T("table.col.org.short"), min: 10, squeeze: 1},
	}
	return &TableWriter{pr: pr, width: fitWidth(width), cols: cols, counts: map[resolvers.Status]int{}}, nil
}

// Add keeps o's rows.
func (t *TableWriter) Add(o probe.Observation) error {
	pr := t.pr
	t.n++
	t.counts[o.Status]++
	name := displayName(o.Target)
	if o.Status != resolvers.StatusOK {
		// The reason spans the columns after the status, so that it does
		// not widen them, and wraps rather than being cut.
		if err := t.row(name, "["+string(o.Status)+"]", spanMark+reason(pr, o), "", "", ""); err != nil {
			return err
		}
	}
	for _, a := range o.Addresses {
		asn := ""
		if a.ASN != 0 {
			asn = fmt.Sprintf("AS%d", a.ASN)
		}
		if err := t.row(name, a.IP.String(), asn, a.Country, providerCell(pr, a.Result), organisation(pr, a.Result)); err != nil {
			return err
		}
		for _, line := range append(addressNotes(pr, a), evidenceNotes(pr, a)...) {
			if err := t.row(spanMark+"    "+line, "", "", "", "", ""); err != nil {
				return err
			}
		}
	}
	for _, line := range domainNotes(pr, o) {
		if err := t.row(spanMark+"  ↳ "+line, "", "", "", "", ""); err != nil {
			return err
		}
	}
	return nil
}

// row keeps one row, each cell a uvarint length and its bytes.
func (t *TableWriter) row(cells ...string) error {
	b := t.buf[:0]
	for i, c := range cells {
		t.cols[i].measure(c)
		b = binary.AppendUvarint(b, uint64(len(c)))
		b = append(b, c...)
	}
	t.buf = b
	return t.rows.write(b)
}

// WriteReport writes the table and the footer of r, whose observations are
// those added (r.Observations is not read).
func (t *TableWriter) WriteReport(w io.Writer, r probe.Report) error {
	pr, width := t.pr, t.width
	br, err := t.rows.reader()
	if err != nil {
		return err
	}
	var readErr error
	b := bufio.NewWriterSize(w, 64<<10)
	writeRows(b, t.cols, width, func(yield func(row []string) bool) {
		row := make([]string, len(t.cols))
		var cell []byte
		for {
			for i := range row {
				n, err := binary.ReadUvarint(br)
				if err == io.EOF && i == 0 {
					return
				}
				if err == nil && n > maxCell {
					err = fmt.Errorf("a cell of %d bytes", n)
				}
				if err == nil {
					cell = slices.Grow(cell[:0], int(n))[:n]
					_, err = io.ReadFull(br, cell)
				}
				if err != nil {
					readErr = fmt.Errorf("read the table's rows back: %w", err)
					return
				}
				row[i] = string(cell)
			}
			if !yield(row) {
				return
			}
		}
	})
	if readErr != nil {
		return readErr
	}
	b.WriteByte('\n')
	textPara(b, width, "%s", countSummary(pr, t.n, t.counts))
	textPara(b, width, "%s", pr.T("text.observed", clock(r.GeneratedAt), cmp.Or(r.ToolVersion, pr.T("text.unknown-version"))))
	textPara(b, width, "%s", vantageLine(pr, r.Vantage))
	if len(r.Resolvers) > 0 {
		textPara(b, width, "%s", pr.T("text.resolvers", strings.Join(r.Resolvers, ", ")))
	}
	for _, d := range r.Datasets {
		textPara(b, width, "%s", pr.T("text.data", d.ID, d.Version, describeDataset(pr, d).License))
	}
	for _, w := range warningTexts(pr, r.Warnings) {
		textPara(b, width, "%s", pr.T("text.warning", w))
	}
	if r.Interrupted {
		textPara(b, width, "%s", pr.T("text.interrupted"))
	}
	return b.Flush()
}

// maxCell bounds a kept cell's length as read back: far above any cell's.
const maxCell = 64 << 20

// Close removes what the writer kept.
func (t *TableWriter) Close() error { return t.rows.close() }

// addressNotes are what the table says of an address on lines of their
// own: where it is located and registered when the two differ, and what
// the opt-in lookups found.
func addressNotes(pr *i18n.Printer, a probe.Address) []string {
	var out []string
	if a.RegisteredCountry != "" && a.Country != "" && a.RegisteredCountry != a.Country {
		out = append(out, pr.T("note.located", a.Country, a.Sources.Country, a.RegisteredCountry, a.Sources.RegisteredCountry))
	}
	return append(out, extraLines(pr, a.Extra)...)
}

// domainNotes are what the table says of a domain on lines of their own,
// under its addresses: the front page, other records, the authoritative
// view, whether resolvers agreed, the CDN, and the CNAME chain.
func domainNotes(pr *i18n.Printer, o probe.Observation) []string {
	out := httpLines(pr, o.HTTP)
	for _, rs := range o.Records {
		out = append(out, recordLine(pr, rs))
	}
	if len(o.Authoritative) > 0 {
		out = append(out, pr.T("note.authoritative", consistencyWord(pr, o.AuthoritativeConsistency),
			disagreement(pr, probe.Observation{Answers: o.Authoritative, OddOnesOut: o.AuthoritativeOdd})))
	}
	switch o.Consistency {
	case "inconsistent":
		out = append(out, pr.T("note.disagree", disagreement(pr, o)))
	case "unknown":
		out = append(out, pr.T("note.fewer", disagreement(pr, o)))
	}
	if cdn := cdnName(pr, o); cdn != "" {
		out = append(out, pr.T("note.cdn", cdn))
	}
	if len(o.CNAMEChain) > 0 {
		// The chain gets a line of its own under the domain's addresses,
		// so that neither it nor the organisation has to be cut short.
		hops := make([]string, len(o.CNAMEChain))
		for i, h := range o.CNAMEChain {
			hops[i] = h.Target
		}
		out = append(out, pr.T("note.cname", strings.Join(hops, " → ")))
	}
	return out
}

// consistencyWord words how the authoritative servers compared: the code
// in English, as the JSON has it; the catalogue's word elsewhere.
func consistencyWord(pr *i18n.Printer, c string) string {
	return pr.T("note.consistency." + cmp.Or(c, "unknown"))
}

// reason says why a domain got no address, for the table and Markdown:
// in English the resolver's own words; in another language its status
// and the kind of error worded from the catalogue (the resolver's words,
// which name the servers, are in the JSON).
func reason(pr *i18n.Printer, o probe.Observation) string {
	if pr.Lang() == i18n.English {
		return cmp.Or(o.Error, pr.T("text.no-reason"))
	}
	s := statusLong(pr, o.Status)
	if d := reasonDetail(pr, o); d != "" {
		s += ": " + d
	}
	return s
}

// reasonDetail is what the HTML says after a failed domain's status: the
// resolver's own words in English, the kind of error worded from the
// catalogue in another language ("" when the status says it all).
func reasonDetail(pr *i18n.Printer, o probe.Observation) string {
	if pr.Lang() == i18n.English {
		return o.Error
	}
	if o.ErrorKind == probe.ErrorNone {
		return ""
	}
	if id, args := reasonArgs(o); id != "" {
		return pr.T(id, args...)
	}
	return pr.T("reason." + string(o.ErrorKind))
}

// reasonArgs is the fuller wording of a failure's kind with the details the
// model keeps apart from the resolver's English words: the names of a CNAME
// loop or of a chain cut short (the chain), the resolver and the response
// code of the query that failed (the evidence). It is "" when the
// observation holds no such detail, and the kind alone words the reason.
func reasonArgs(o probe.Observation) (string, []any) {
	last := func() (resolvers.Exchange, bool) {
		for i := len(o.Queries) - 1; i >= 0; i-- {
			if q := o.Queries[i]; q.Status != resolvers.StatusOK && q.Resolver != "" {
				return q, true
			}
		}
		return resolvers.Exchange{}, false
	}
	switch o.ErrorKind {
	case probe.ErrorCNAMELoop, probe.ErrorCNAMETooLong:
		if len(o.CNAMEChain) == 0 {
			return "", nil
		}
		h := o.CNAMEChain[len(o.CNAMEChain)-1]
		if o.ErrorKind == probe.ErrorCNAMELoop {
			return "reason.cname_loop.at", []any{h.Name, h.Target}
		}
		return "reason.cname_chain_too_long.at", []any{h.Target, len(o.CNAMEChain)}
	case probe.ErrorBadRcode:
		if q, ok := last(); ok && q.Rcode != "" {
			return "reason.unexpected_rcode.at", []any{q.Resolver, q.Rcode}
		}
	case probe.ErrorConnRefused, probe.ErrorTimeout:
		if q, ok := last(); ok {
			return "reason." + string(o.ErrorKind) + ".at", []any{q.Resolver}
		}
	}
	return "", nil
}

// statusLong words a status as a sentence says it.
func statusLong(pr *i18n.Printer, st resolvers.Status) string {
	switch st {
	case resolvers.StatusNXDomain, resolvers.StatusNoData, resolvers.StatusServFail, resolvers.StatusRefused,
		resolvers.StatusTimeout, resolvers.StatusInvalid, resolvers.StatusInterrupted:
		return pr.T("status.long." + string(st))
	}
	return pr.T("status.long.other", string(st))
}

// spanMark starts a cell that may run on over the columns to its right, up to
// the table's width, and takes no part in sizing its column.
const spanMark = "\x00"

// httpLines sums up a front-page fetch: each hop, where it connected, and the
// certificate, saying plainly when it is not trusted.
func httpLines(pr *i18n.Printer, fd *probe.FrontDoor) []string {
	if fd == nil {
		return nil
	}
	var out []string
	for i, h := range fd.Hops {
		line := fmt.Sprintf("%s %s", fd.Scheme, h.URL)
		if h.Status != 0 {
			line += fmt.Sprintf(" → %d", h.Status)
		}
		if i < len(fd.Connected) && fd.Connected[i].IP.IsValid() {
			c := fd.Connected[i]
			line += pr.T("note.http.from", c.IP.String(), fmt.Sprintf("AS%d", c.ASN), c.Country, cmp.Or(c.Provider, c.ASOrg))
		}
		if h.Error != "" {
			line += " [" + cmp.Or(h.Failure, pr.T("note.http.error")) + "]"
		}
		if len(h.Refused) > 0 {
			refused := make([]string, len(h.Refused))
			for i, r := range h.Refused {
				refused[i] = r.String()
			}
			line += pr.T("note.http.refused", strings.Join(refused, ", "))
		}
		for _, k := range h.HeaderNames() {
			line += fmt.Sprintf("; %s: %s", k, strings.Join(h.Headers[k], ", "))
		}
		if t := h.TLS; t != nil {
			trust := pr.T("note.cert.trusted")
			if !t.Verified {
				trust = pr.T("note.cert.untrusted", certFailure(pr, t))
			}
			line += pr.T("note.cert", t.Subject, t.Issuer, trust)
		}
		out = append(out, line)
	}
	if len(fd.Hops) == 0 && fd.Error != "" {
		out = append(out, "http: "+fetchFailure(pr, fd.Error, fd.Failure))
	}
	return out
}

// recordLine sums up one record type: its values, and where NS and MX hosts are.
func recordLine(pr *i18n.Printer, rs probe.RecordSet) string {
	head := rs.Type
	if rs.Owner != "" {
		head += " (" + rs.Owner + ")"
	}
	if rs.Status != "ok" {
		return head + ": [" + string(rs.Status) + "] " + recordFailure(pr, rs)
	}
	parts := make([]string, 0, len(rs.Records))
	for _, r := range rs.Records {
		p := r.Value
		for _, a := range r.Addresses {
			p += fmt.Sprintf(" [%s AS%d %s %s]", a.IP, a.ASN, a.Country, cmp.Or(a.Provider, a.ASOrg))
		}
		parts = append(parts, p)
	}
	return head + ": " + strings.Join(parts, "; ")
}

// vantageLine says where a report was taken from, in one line.
func vantageLine(pr *i18n.Printer, v probe.Vantage) string {
	s := pr.T("text.vantage", cmp.Or(v.Name, pr.T("text.vantage.unnamed")))
	if v.TimeZone != "" {
		s += pr.T("text.timezone", v.TimeZone)
	}
	var egress []string
	for _, e := range v.Egress {
		if e.Address.IsValid() {
			egress = append(egress, pr.T("text.leaves-from", e.Resolver, e.Address.String()))
		}
	}
	if len(egress) > 0 {
		s += "; " + strings.Join(egress, ", ")
	}
	return s
}

// disagreement says what each resolver answered, naming the odd ones out.
func disagreement(pr *i18n.Printer, o probe.Observation) string {
	parts := make([]string, 0, len(o.Answers))
	for _, a := range o.Answers {
		what := string(a.Status)
		if a.Refused != nil {
			what = pr.T("note.not-asked", a.Refused.SpecialUse)
		}
		if len(a.Addresses) > 0 {
			ips := make([]string, len(a.Addresses))
			for i, ip := range a.Addresses {
				ips[i] = ip.String()
			}
			what = strings.Join(ips, " ")
		}
		parts = append(parts, answerName(pr, a.Resolver)+" → "+what)
	}
	s := strings.Join(parts, "; ")
	if len(o.OddOnesOut) > 0 {
		s += pr.T("note.odd", strings.Join(answerNames(pr, o.OddOnesOut), ", "))
	}
	return s
}

// answerName words the name of a compared answer in pr's language: a
// resolver or name server as given, or one of the names --authoritative
// gives its other answers (probe.AnswerRecursive, probe.AnswerNSOf).
func answerName(pr *i18n.Printer, name string) string {
	if name == probe.AnswerRecursive {
		return pr.T("answer.recursive")
	}
	if domain, ok := strings.CutPrefix(name, probe.AnswerNSOf); ok {
		return pr.T("answer.ns-of", domain)
	}
	return name
}

func answerNames(pr *i18n.Printer, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = answerName(pr, n)
	}
	return out
}

// cdnName names the CDN an observation's addresses are edges of, if any.
func cdnName(pr *i18n.Printer, o probe.Observation) string {
	for _, a := range o.Addresses {
		if a.CDN {
			return cmp.Or(a.CDNName, a.Provider, pr.T("note.a-cdn"))
		}
	}
	return ""
}

// providerCell shows the provider, marked when the address is a CDN edge.
func providerCell(pr *i18n.Printer, r attribution.Result) string {
	if r.CDN {
		return cmp.Or(r.CDNName, r.Provider, pr.T("note.a-cdn")) + " (CDN)"
	}
	return r.Provider
}

// extraLines sums up what the opt-in lookups found, one line each.
func extraLines(pr *i18n.Printer, x *probe.Extra) []string {
	if x == nil {
		return nil
	}
	var out []string
	switch {
	case !x.PTRAsked:
	case len(x.PTR) > 0:
		out = append(out, "ptr: "+strings.Join(x.PTR, ", "))
	case x.PTRError != "":
		out = append(out, pr.T("note.ptr.failed", ptrFailure(pr, x)))
	default:
		out = append(out, pr.T("note.ptr.none"))
	}
	if c := x.Cymru; c != nil {
		if len(c.Origins) == 0 {
			out = append(out, "cymru: "+lookupFailure(pr, c.Status, c.Error, cymruWhere(c)))
		}
		for _, o := range c.Origins {
			asns := make([]string, len(o.ASNs))
			for i, n := range o.ASNs {
				asns[i] = fmt.Sprintf("AS%d", n)
				for _, a := range c.ASNames {
					if a.ASN == n && a.Description != "" {
						asns[i] += " " + a.Description
					}
				}
			}
			out = append(out, fmt.Sprintf("cymru: %s %s %s (%s, %s)", o.Prefix, strings.Join(asns, " / "), o.Country, o.Registry, o.Allocated))
		}
	}
	if n := x.RDAP; n != nil {
		if n.Status != "ok" {
			out = append(out, "rdap: "+lookupFailure(pr, n.Status, n.Error, cmp.Or(n.URL, n.Registry)))
		} else {
			cidrs := make([]string, len(n.CIDRs))
			for i, p := range n.CIDRs {
				cidrs[i] = p.String()
			}
			line := fmt.Sprintf("rdap: %s %s %s", n.Handle, n.Name, strings.Join(cidrs, " "))
			if n.Country != "" {
				line += " (" + n.Country + ")"
			}
			if n.Registrant != "" {
				line += pr.T("note.rdap.holder", n.Registrant)
			}
			if n.AbuseEmail != "" {
				line += pr.T("note.rdap.abuse", n.AbuseEmail)
			}
			out = append(out, line)
		}
	}
	return out
}

// lookupFailure words why an opt-in lookup (--cymru, --rdap) found
// nothing: in English its status and hostwatch's own words, as the JSON has
// them; in another language its status worded from the catalogue, and where
// it asked (the resolver, the registry's URL), the English words left to
// the JSON.
func lookupFailure(pr *i18n.Printer, status, detail, where string) string {
	if pr.Lang() == i18n.English {
		return status + " " + detail
	}
	s := status
	switch status {
	case "not_found", "timeout", "error", "rate_limited", "refused":
		s = pr.T("lookup.status." + status)
	}
	if where != "" {
		s += pr.T("lookup.at", where)
	}
	return s
}

// ptrFailure is why a reverse lookup failed: in English the resolver's
// own words, as the JSON has them; in another language its status worded
// from the catalogue and the resolver asked (ptr_status and ptr_resolver
// in the JSON; a report older than them is worded as a plain failure).
func ptrFailure(pr *i18n.Printer, x *probe.Extra) string {
	if pr.Lang() == i18n.English {
		return x.PTRError
	}
	st := cmp.Or(x.PTRStatus, resolvers.StatusError) // a report older than ptr_status
	s := string(st)
	switch st {
	case resolvers.StatusTimeout, resolvers.StatusServFail, resolvers.StatusRefused, resolvers.StatusError:
		s = pr.T("ptr.status." + string(st))
	}
	if x.PTRResolver != "" {
		s += pr.T("lookup.at", x.PTRResolver)
	}
	return s
}

// cymruWhere is the resolver Team Cymru's last query went to, "" when
// none was sent.
func cymruWhere(c *cymru.Result) string {
	if len(c.Queries) == 0 {
		return ""
	}
	return c.Queries[len(c.Queries)-1].Resolver
}

// organisation is what the ORGANISATION column shows for an address.
func organisation(pr *i18n.Printer, r attribution.Result) string {
	if r.SpecialUse != "" {
		return pr.T("note.special", r.SpecialUse)
	}
	if r.NAT64.IsValid() {
		return pr.T("note.nat64", r.NAT64.String(), r.ASOrg)
	}
	return r.ASOrg
}

// addRow appends one cell to each column.
func addRow(cols []*column, cells ...string) {
	for i, c := range cells {
		cols[i].cells = append(cols[i].cells, c)
	}
}

// writeColumns fits the columns to width and writes the header and rows.
func writeColumns(b textWriter, cols []*column, width int) {
	for _, c := range cols {
		for _, cell := range c.cells {
			c.measure(cell)
		}
	}
	writeRows(b, cols, width, func(yield func(row []string) bool) {
		row := make([]string, len(cols))
		for i := range cols[0].cells {
			for j, c := range cols {
				row[j] = c.cells[i]
			}
			if !yield(row) {
				return
			}
		}
	})
}

// measure widens c to hold cell (a span is wrapped, not measured).
func (c *column) measure(cell string) {
	if !strings.HasPrefix(cell, spanMark) {
		c.width = max(c.width, termtext.Width(cell))
	}
}

// writeRows fits the columns, measured, to width and writes the header and
// the rows, one cell per column each.
func writeRows(b textWriter, cols []*column, width int, rows func(yield func(row []string) bool)) {
	fit(cols, width)
	row := func(cell func(i int, c *column) string) {
		var line strings.Builder
		used := 0
		for i, c := range cols {
			// Cells hold outside text: nothing in them may drive the terminal.
			text := cell(i, c)
			if rest, ok := strings.CutPrefix(text, spanMark); ok {
				// A span (a failure's reason, a CNAME chain, a detail of an
				// address) is wrapped, never cut: it holds facts to copy
				// whole. Its lines start where it does; a span starting
				// too far right starts on a line of its own.
				var lines []string
				switch indent := strings.Repeat(" ", used); {
				case used == 0:
					lines = wrap(rest, width)
				case width-used < 24:
					b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
					line.Reset()
					lines = wrapText(termtext.Safe(rest), 4, 4, width)
				default:
					lines = wrapText(termtext.Safe(rest), used, used, width)
					lines[0] = strings.TrimPrefix(lines[0], indent)
				}
				line.WriteString(strings.Join(lines, "\n"))
				break
			}
			if c.width == 0 || c.spilled {
				continue
			}
			text = termtext.Clip(text, c.width)
			line.WriteString(text)
			line.WriteString(strings.Repeat(" ", c.width-termtext.Width(text)+2))
			used += c.width + 2
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	row(func(_ int, c *column) string {
		if c.short != "" && c.width < termtext.Width(c.header) {
			return c.short
		}
		return c.header
	})
	for cells := range rows {
		row(func(i int, _ *column) string { return cells[i] })
		for i, c := range cols {
			if c.spilled && cells[i] != "" && !strings.HasPrefix(cells[i], spanMark) {
				textPara(b, width, "    %s: %s", c.spill, cells[i])
			}
		}
	}
}

// writeDatasets writes the footnote naming every dataset used.
func writeDatasets(b textWriter, width int, pr *i18n.Printer, ds []attribution.Dataset) {
	for _, d := range ds {
		textPara(b, width, "%s", pr.T("text.data", d.ID, d.Version, describeDataset(pr, d).License))
	}
}

// writeWarnings writes one line per warning.
func writeWarnings(b textWriter, width int, pr *i18n.Printer, ws []probe.Warning) {
	for _, w := range warningTexts(pr, ws) {
		textPara(b, width, "%s", pr.T("text.warning", w))
	}
}

// displayName is the name as people read it: its Unicode form (JSON keeps both).
func displayName(t probe.Target) string {
	if t.Unicode != "" {
		return t.Unicode
	}
	return t.Domain
}

// countSummary counts n domains by status (counts), in the fixed order of
// the vocabulary.
func countSummary(pr *i18n.Printer, n int, counts map[resolvers.Status]int) string {
	var parts []string
	for _, s := range resolvers.Statuses() {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return pr.N("audit.count", n) + ": " + strings.Join(parts, ", ")
}

// fit sets each column's width to its widest cell, then, while a row is
// wider than total, moves spill columns to lines of their own and squeezes
// columns in their squeeze order, never below their minimum. Columns with
// no content at all are dropped.
func fit(cols []*column, total int) {
	sum := 0
	for _, c := range cols {
		if c.width == 0 {
			continue
		}
		c.width = max(c.width, termtext.Width(c.header))
		sum += c.width + 2
	}
	for _, c := range cols {
		if sum-2 > total && c.spill != "" && c.width > 0 {
			c.spilled = true
			sum -= c.width + 2
		}
	}
	for order := 1; sum-2 > total; order++ {
		squeezed := false
		for _, c := range cols {
			if c.squeeze != order {
				continue
			}
			squeezed = true
			cut := min(sum-2-total, max(c.width-c.min, 0))
			c.width -= cut
			sum -= cut
		}
		if !squeezed {
			return
		}
	}
}
