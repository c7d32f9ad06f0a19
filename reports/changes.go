package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
)

// CheckSchema names the version of the check report format.
const CheckSchema = "hostwatch.check/v1"

// HostingJSON is the JSON form of a domain's hosting at one time.
type HostingJSON struct {
	Status    string   `json:"status"`
	CNAME     []string `json:"cname"`
	Addresses []string `json:"addresses"`
	ASNs      []uint32 `json:"asns"`
	ASOrgs    []string `json:"as_orgs"`
	Countries []string `json:"countries"`
}

func newHostingJSON(h probe.Hosting) HostingJSON {
	j := HostingJSON{
		Status:    string(h.Status),
		CNAME:     nonNil(h.CNAME),
		Addresses: make([]string, 0, len(h.Addresses)),
		ASNs:      nonNil(h.ASNs),
		ASOrgs:    nonNil(h.Orgs),
		Countries: nonNil(h.Countries),
	}
	for _, a := range h.Addresses {
		j.Addresses = append(j.Addresses, a.String())
	}
	return j
}

// ChangeJSON is the JSON form of a change.
type ChangeJSON struct {
	Domain      string      `json:"domain"`
	Kind        string      `json:"kind"`
	Kinds       []string    `json:"kinds"`
	Move        bool        `json:"move"`
	Before      HostingJSON `json:"before"`
	After       HostingJSON `json:"after"`
	BeforeAt    string      `json:"before_at"`
	AfterAt     string      `json:"after_at"`
	ConfirmedAt string      `json:"confirmed_at"`
}

func newChangeJSON(c probe.Change) ChangeJSON {
	j := ChangeJSON{
		Domain: c.Domain, Kind: string(c.Kind()), Move: c.IsMove(),
		Before: newHostingJSON(c.Before), After: newHostingJSON(c.After),
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
	Rule    string `json:"rule"`
}

// Check is the outcome of one `hostwatch check` run.
type Check struct {
	GeneratedAt time.Time
	ToolVersion string
	Database    string
	Datasets    []attribution.Dataset
	Warnings    []string
	Resolvers   []string
	Domains     int
	Changes     []probe.Change
	Violations  []probe.Violation
	// Matched lists what made the run fail (--fail-on kinds and policy
	// violations), in words; empty when the run passes.
	Matched []string
	// RunFailed says the run itself failed (e.g. no resolver answered).
	RunFailed string
}

// CheckDocument is the JSON form of a Check.
type CheckDocument struct {
	Schema      string                `json:"schema"`
	GeneratedAt string                `json:"generated_at"`
	ToolVersion string                `json:"tool_version"`
	Database    string                `json:"database"`
	Warnings    []string              `json:"warnings"`
	Datasets    []attribution.Dataset `json:"datasets"`
	Resolvers   []string              `json:"resolvers"`
	Domains     int                   `json:"domains"`
	Changes     []ChangeJSON          `json:"changes"`
	Violations  []ViolationJSON       `json:"violations"`
	Failed      bool                  `json:"failed"`
	Matched     []string              `json:"matched"`
	RunFailed   string                `json:"run_failed,omitempty"`
}

// WriteCheck writes a check's outcome as a text summary ("table"), JSON, or
// Markdown (for a CI step summary).
func WriteCheck(w io.Writer, format string, c Check) error {
	var b strings.Builder
	switch format {
	case "json":
		doc := CheckDocument{
			Schema: CheckSchema, GeneratedAt: c.GeneratedAt.UTC().Format(time.RFC3339),
			ToolVersion: c.ToolVersion, Database: c.Database,
			Warnings: nonNil(c.Warnings), Datasets: nonNil(c.Datasets), Resolvers: nonNil(c.Resolvers), Domains: c.Domains,
			Changes: make([]ChangeJSON, 0, len(c.Changes)), Violations: make([]ViolationJSON, 0, len(c.Violations)),
			Failed: len(c.Matched) > 0 || c.RunFailed != "", Matched: nonNil(c.Matched), RunFailed: c.RunFailed,
		}
		for _, ch := range c.Changes {
			doc.Changes = append(doc.Changes, newChangeJSON(ch))
		}
		for _, v := range c.Violations {
			doc.Violations = append(doc.Violations, ViolationJSON{Domain: v.Domain, Address: v.Address.String(), ASN: v.ASN, Country: v.Country, Rule: v.Rule})
		}
		return writeDocument(w, doc)
	case "table":
		writeCheckText(&b, c)
	case "markdown":
		writeCheckMarkdown(&b, c)
	default:
		return fmt.Errorf("unknown output format %q", format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describe sums up a hosting in one line for people: countries, networks,
// organisations, addresses.
func describe(h probe.Hosting) string {
	if h.Status != "ok" {
		return "[" + string(h.Status) + "]"
	}
	asns := make([]string, len(h.ASNs))
	for i, a := range h.ASNs {
		asns[i] = fmt.Sprintf("AS%d", a)
	}
	addrs := make([]string, len(h.Addresses))
	for i, a := range h.Addresses {
		addrs[i] = a.String()
	}
	parts := []string{orDash(strings.Join(h.Countries, "+")), orDash(strings.Join(asns, "+")), orDash(strings.Join(h.Orgs, " + ")), strings.Join(addrs, " ")}
	if len(h.CNAME) > 0 {
		parts = append(parts, "via "+strings.Join(h.CNAME, " → "))
	}
	return strings.Join(parts, "  ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// kindsList names a change's kinds, most telling first.
func kindsList(c probe.Change) string {
	ks := make([]string, len(c.Kinds))
	for i, k := range c.Kinds {
		ks[i] = string(k)
	}
	return strings.Join(ks, ", ")
}

// kindsText names a change's kinds and says when it is a move.
func kindsText(c probe.Change) string {
	s := kindsList(c)
	if c.IsMove() {
		s += " (moved)"
	}
	return s
}

func writeCheckText(b *strings.Builder, c Check) {
	for _, ch := range c.Changes {
		fmt.Fprintf(b, "%s: %s\n", ch.Domain, kindsText(ch))
		if !ch.BeforeAt.IsZero() {
			fmt.Fprintf(b, "  before: %s  (last seen %s)\n", describe(ch.Before), clock(ch.BeforeAt))
		}
		fmt.Fprintf(b, "  after:  %s  (first seen %s)\n", describe(ch.After), clock(ch.AfterAt))
	}
	for _, v := range c.Violations {
		fmt.Fprintf(b, "%s: policy: %s %s\n", v.Domain, v.Address, v.Rule)
	}
	if len(c.Changes)+len(c.Violations) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(checkSummary(c) + "\n")
	writeDatasets(b, c.Datasets)
	writeWarnings(b, c.Warnings)
	if len(c.Resolvers) > 0 {
		fmt.Fprintf(b, "Resolvers: %s\n", strings.Join(c.Resolvers, ", "))
	}
	if c.Database != "" {
		fmt.Fprintf(b, "Recorded in: %s\n", c.Database)
	}
}

// checkSummary is the one line that says how the check ended.
func checkSummary(c Check) string {
	moves := 0
	for _, ch := range c.Changes {
		if ch.IsMove() {
			moves++
		}
	}
	s := fmt.Sprintf("%d %s checked: %s (%d %s), %s", c.Domains, plural(c.Domains, "domain", "domains"),
		count(len(c.Changes), "change", "changes"), moves, plural(moves, "move", "moves"),
		count(len(c.Violations), "policy violation", "policy violations"))
	switch {
	case c.RunFailed != "":
		s += "; the run failed: " + c.RunFailed
	case len(c.Matched) > 0:
		s += "; failing on " + strings.Join(c.Matched, ", ")
	default:
		s += "; nothing to fail on"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, plural(n, one, many)) }

// mdEscape keeps text from breaking a Markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func writeCheckMarkdown(b *strings.Builder, c Check) {
	b.WriteString("## hostwatch check\n\n")
	b.WriteString(checkSummary(c) + "\n\n")
	if len(c.Changes) > 0 {
		b.WriteString("| Domain | Change | Before | After | Last seen before | First seen after |\n|---|---|---|---|---|---|\n")
		for _, ch := range c.Changes {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(ch.Domain), mdEscape(kindsText(ch)),
				mdEscape(describe(ch.Before)), mdEscape(describe(ch.After)), clock(ch.BeforeAt), clock(ch.AfterAt))
		}
		b.WriteByte('\n')
	}
	if len(c.Violations) > 0 {
		b.WriteString("| Domain | Address | ASN | Country | Policy |\n|---|---|---|---|---|\n")
		for _, v := range c.Violations {
			fmt.Fprintf(b, "| %s | %s | AS%d | %s | %s |\n", mdEscape(v.Domain), v.Address, v.ASN, mdEscape(v.Country), mdEscape(v.Rule))
		}
		b.WriteByte('\n')
	}
	for _, d := range c.Datasets {
		fmt.Fprintf(b, "Data: %s %s (%s)  \n", mdEscape(d.ID), mdEscape(d.Version), mdEscape(d.License))
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(b, "\n> **Warning:** %s\n", mdEscape(w))
	}
}
