package reports

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/resolvers"
)

// WriteMarkdown writes an audit as GitHub-flavoured Markdown, for an
// article draft or a CI step summary: a sentence counting the domains, a
// table of every domain and address, a table of the domains that got no
// address and why, notes on each domain (CNAME chain, CDN, resolvers'
// agreement, other records), and where the facts come from. Every piece of
// outside text is escaped (mdEscape): it stays text, never a link, an
// image, HTML or a broken table.
func WriteMarkdown(w io.Writer, r probe.Report) error {
	return WriteMarkdownIn(w, r, i18n.English)
}

// WriteMarkdownIn is WriteMarkdown with its words in the language lang:
// headings, sentences, notes, failure reasons, warnings and footer.
func WriteMarkdownIn(w io.Writer, r probe.Report, lang i18n.Lang) error {
	return writeWhole(w, r, func() (auditWriter, error) { return NewMarkdownWriter(lang) })
}

// MarkdownWriter writes an audit's Markdown (WriteMarkdownIn's bytes)
// without holding its observations: each one's address rows, failure row
// and notes are written as it comes into the section they belong to (kept
// in memory up to spoolMemory bytes each, then in a temporary file), and
// WriteReport writes the counts, the sections and the footer. An audit of
// 100,000 names held 380 MB to write 20 MB of Markdown.
type MarkdownWriter struct {
	pr *i18n.Printer
	// The three sections: the table of addresses, of the failed domains,
	// and the notes.
	rows, failed, notes spool
	counts              map[resolvers.Status]int
	n                   int
	line                []byte
}

// NewMarkdownWriter starts an audit's Markdown in the language lang;
// Close removes what it keeps.
func NewMarkdownWriter(lang i18n.Lang) (*MarkdownWriter, error) {
	pr, err := i18n.New(lang)
	if err != nil {
		return nil, err
	}
	return &MarkdownWriter{pr: pr, counts: map[resolvers.Status]int{}}, nil
}

// Add writes what o adds to each section.
func (m *MarkdownWriter) Add(o probe.Observation) error {
	pr := m.pr
	m.n++
	m.counts[o.Status]++
	name := mdEscape(displayName(o.Target))
	for _, a := range o.Addresses {
		asn := ""
		if a.ASN != 0 {
			asn = fmt.Sprintf("AS%d", a.ASN)
		}
		m.line = fmt.Appendf(m.line[:0], "| %s | %s | %s | %s | %s | %s | %s |\n", name, a.IP, asn,
			mdEscape(a.Country), mdEscape(a.RegisteredCountry), mdEscape(providerCell(pr, a.Result)), mdEscape(organisation(pr, a.Result)))
		if err := m.rows.write(m.line); err != nil {
			return err
		}
	}
	if o.Status != resolvers.StatusOK {
		m.line = fmt.Appendf(m.line[:0], "| %s | %s | %s |\n", name, o.Status, mdEscape(reason(pr, o)))
		if err := m.failed.write(m.line); err != nil {
			return err
		}
	}
	for _, a := range o.Addresses {
		for _, n := range append(addressNotes(pr, a), evidenceNotes(pr, a)...) {
			m.line = fmt.Appendf(m.line[:0], "- %s, %s: %s\n", name, a.IP, mdEscape(n))
			if err := m.notes.write(m.line); err != nil {
				return err
			}
		}
	}
	for _, n := range domainNotes(pr, o) {
		m.line = fmt.Appendf(m.line[:0], "- %s: %s\n", name, mdEscape(n))
		if err := m.notes.write(m.line); err != nil {
			return err
		}
	}
	return nil
}

// WriteReport writes the Markdown of r, whose observations are those added
// (r.Observations is not read).
func (m *MarkdownWriter) WriteReport(w io.Writer, r probe.Report) error {
	pr := m.pr
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("## hostwatch audit\n\n")
	bw.WriteString(mdEscape(countSummary(pr, m.n, m.counts)) + ".\n\n")
	if !m.rows.empty() {
		fmt.Fprintf(bw, "| %s | %s | ASN | %s | %s | %s | %s |\n", pr.T("col.domain"), pr.T("col.address"), pr.T("col.country"),
			pr.T("col.registered"), pr.T("col.provider"), pr.T("col.org"))
		bw.WriteString("|---|---|---|---|---|---|---|\n")
		if err := m.rows.copyTo(bw); err != nil {
			return err
		}
		bw.WriteByte('\n')
	}
	if !m.failed.empty() {
		fmt.Fprintf(bw, "%s\n\n| %s | %s | %s |\n|---|---|---|\n", pr.T("md.failed"), pr.T("col.domain"), pr.T("md.col.status"), pr.T("md.col.why"))
		if err := m.failed.copyTo(bw); err != nil {
			return err
		}
		bw.WriteByte('\n')
	}
	if !m.notes.empty() {
		bw.WriteString(pr.T("md.notes") + "\n\n")
		if err := m.notes.copyTo(bw); err != nil {
			return err
		}
		bw.WriteByte('\n')
	}
	bw.WriteString(pr.T("md.observed", clock(r.GeneratedAt), mdEscape(cmp.Or(r.ToolVersion, pr.T("text.unknown-version")))) + " " +
		mdEscape(vantageLine(pr, r.Vantage)) + ".")
	if len(r.Resolvers) > 0 {
		bw.WriteString(pr.T("md.resolvers", mdEscape(strings.Join(r.Resolvers, ", "))))
	}
	bw.WriteString("\n\n")
	if r.Interrupted {
		bw.WriteString(pr.T("md.interrupted") + "\n\n")
	}
	for _, d := range r.Datasets {
		bw.WriteString("- " + pr.T("text.data", mdEscape(d.ID), mdEscape(d.Version), mdEscape(describeDataset(pr, d).License)) + "\n")
	}
	for _, w := range warningTexts(pr, r.Warnings) {
		fmt.Fprintf(bw, "\n> **%s** %s\n", pr.T("md.warning"), mdEscape(w))
	}
	return bw.Flush()
}

// Close removes what the writer kept.
func (m *MarkdownWriter) Close() error {
	return errors.Join(m.rows.close(), m.failed.close(), m.notes.close())
}
