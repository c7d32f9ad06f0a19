package reports

import (
	"cmp"
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
	pr, err := i18n.New(lang)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("## hostwatch audit\n\n")
	b.WriteString(mdEscape(summary(pr, r)) + ".\n\n")
	var failed []probe.Observation
	rows := 0
	for _, o := range r.Observations {
		if o.Status != resolvers.StatusOK {
			failed = append(failed, o)
		}
		rows += len(o.Addresses)
	}
	if rows > 0 {
		fmt.Fprintf(&b, "| %s | %s | ASN | %s | %s | %s | %s |\n", pr.T("col.domain"), pr.T("col.address"), pr.T("col.country"),
			pr.T("col.registered"), pr.T("col.provider"), pr.T("col.org"))
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, o := range r.Observations {
			for _, a := range o.Addresses {
				asn := ""
				if a.ASN != 0 {
					asn = fmt.Sprintf("AS%d", a.ASN)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(displayName(o.Target)), a.IP, asn,
					mdEscape(a.Country), mdEscape(a.RegisteredCountry), mdEscape(providerCell(pr, a.Result)), mdEscape(organisation(pr, a.Result)))
			}
		}
		b.WriteByte('\n')
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "%s\n\n| %s | %s | %s |\n|---|---|---|\n", pr.T("md.failed"), pr.T("col.domain"), pr.T("md.col.status"), pr.T("md.col.why"))
		for _, o := range failed {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEscape(displayName(o.Target)), o.Status, mdEscape(reason(pr, o)))
		}
		b.WriteByte('\n')
	}
	var notes []string
	for _, o := range r.Observations {
		name := mdEscape(displayName(o.Target))
		for _, a := range o.Addresses {
			for _, n := range append(addressNotes(pr, a), evidenceNotes(pr, a)...) {
				notes = append(notes, fmt.Sprintf("- %s, %s: %s\n", name, a.IP, mdEscape(n)))
			}
		}
		for _, n := range domainNotes(pr, o) {
			notes = append(notes, fmt.Sprintf("- %s: %s\n", name, mdEscape(n)))
		}
	}
	if len(notes) > 0 {
		b.WriteString(pr.T("md.notes") + "\n\n" + strings.Join(notes, "") + "\n")
	}
	b.WriteString(pr.T("md.observed", clock(r.GeneratedAt), mdEscape(cmp.Or(r.ToolVersion, pr.T("text.unknown-version")))) + " " +
		mdEscape(vantageLine(pr, r.Vantage)) + ".")
	if len(r.Resolvers) > 0 {
		b.WriteString(pr.T("md.resolvers", mdEscape(strings.Join(r.Resolvers, ", "))))
	}
	b.WriteString("\n\n")
	if r.Interrupted {
		b.WriteString(pr.T("md.interrupted") + "\n\n")
	}
	for _, d := range r.Datasets {
		b.WriteString("- " + pr.T("text.data", mdEscape(d.ID), mdEscape(d.Version), mdEscape(describeDataset(pr, d).License)) + "\n")
	}
	for _, w := range warningTexts(pr, r.Warnings) {
		fmt.Fprintf(&b, "\n> **%s** %s\n", pr.T("md.warning"), mdEscape(w))
	}
	_, err = io.WriteString(w, b.String())
	return err
}
