package reports

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
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
	var b strings.Builder
	b.WriteString("## hostwatch audit\n\n")
	b.WriteString(mdEscape(summary(r)) + ".\n\n")
	var failed []probe.Observation
	rows := 0
	for _, o := range r.Observations {
		if o.Status != resolvers.StatusOK {
			failed = append(failed, o)
		}
		rows += len(o.Addresses)
	}
	if rows > 0 {
		b.WriteString("| Domain | Address | ASN | Country | Registered in | Provider | Organisation |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, o := range r.Observations {
			for _, a := range o.Addresses {
				asn := ""
				if a.ASN != 0 {
					asn = fmt.Sprintf("AS%d", a.ASN)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(displayName(o.Target)), a.IP, asn,
					mdEscape(a.Country), mdEscape(a.RegisteredCountry), mdEscape(providerCell(a.Result)), mdEscape(organisation(a.Result)))
			}
		}
		b.WriteByte('\n')
	}
	if len(failed) > 0 {
		b.WriteString("Domains without an address:\n\n| Domain | Status | Why |\n|---|---|---|\n")
		for _, o := range failed {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEscape(displayName(o.Target)), o.Status, mdEscape(cmp.Or(o.Error, "no reason was given")))
		}
		b.WriteByte('\n')
	}
	var notes []string
	for _, o := range r.Observations {
		name := mdEscape(displayName(o.Target))
		for _, a := range o.Addresses {
			for _, n := range addressNotes(a) {
				notes = append(notes, fmt.Sprintf("- %s, %s: %s\n", name, a.IP, mdEscape(n)))
			}
		}
		for _, n := range domainNotes(o) {
			notes = append(notes, fmt.Sprintf("- %s: %s\n", name, mdEscape(n)))
		}
	}
	if len(notes) > 0 {
		b.WriteString("Notes:\n\n" + strings.Join(notes, "") + "\n")
	}
	fmt.Fprintf(&b, "Observed %s by hostwatch %s. %s.", clock(r.GeneratedAt), mdEscape(cmp.Or(r.ToolVersion, "(unknown version)")),
		mdEscape(vantageLine(r.Vantage)))
	if len(r.Resolvers) > 0 {
		fmt.Fprintf(&b, " Resolvers: %s.", mdEscape(strings.Join(r.Resolvers, ", ")))
	}
	b.WriteString("\n\n")
	if r.Interrupted {
		b.WriteString("The run was interrupted before every domain was done.\n\n")
	}
	for _, d := range r.Datasets {
		fmt.Fprintf(&b, "- Data: %s %s (%s)\n", mdEscape(d.ID), mdEscape(d.Version), mdEscape(d.License))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "\n> **Warning:** %s\n", mdEscape(w))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
