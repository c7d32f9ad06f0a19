package reports

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// newChanges are n "new" changes as a first check of n names brings: two
// addresses (one v4, one v6), two ASNs, a provider and a country each.
func newChanges(n int) []probe.Change {
	at := time.Date(2026, 12, 2, 7, 20, 12, 0, time.UTC)
	out := make([]probe.Change, n)
	for i := range out {
		out[i] = probe.Change{
			Domain: fmt.Sprintf("shop-%d.example-retail.co.id", i),
			Kinds:  []probe.ChangeKind{probe.ChangeNew},
			After: probe.Hosting{
				Status:    "ok",
				Addresses: []netip.Addr{netip.AddrFrom4([4]byte{170, 33, byte(i >> 8), byte(i)}), netip.MustParseAddr("2404:2280:100::")},
				ASNs:      []uint32{24429, 134963},
				Orgs:      []string{"Zhejiang Taobao Network Co.,Ltd"},
				Providers: []string{"Alibaba Cloud"},
				Countries: []string{"SG"},
				Places:    []probe.Place{{Provider: "Alibaba Cloud", Country: "SG"}},
			},
			AfterAt:     at,
			ConfirmedAt: at,
			Seen:        1, Confirm: 1,
		}
	}
	return out
}

// BenchmarkAppendChangeText words "new" changes as the text report of a
// first check does, at the pipe width: the cost per change of a check of
// 100,000 names.
func BenchmarkAppendChangeText(b *testing.B) {
	pr, err := i18n.New(i18n.English)
	if err != nil {
		b.Fatal(err)
	}
	changes := newChanges(1024)
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendChangeText(buf[:0], TableWidth, pr, changes[i%len(changes)])
	}
}

// refAppendChangeText, refDescribe and refTextPara are appendChangeText,
// describe and textPara as they were before the text report put its lines
// together in its buffer: the reference the new code must match.
func refAppendChangeText(buf []byte, width int, pr *i18n.Printer, ch probe.Change) []byte {
	w := bytes.NewBuffer(buf)
	if ch.Pending() {
		refTextPara(w, width, "%s: %s", ch.Domain, pendingText(pr, ch))
	} else {
		refTextPara(w, width, "%s: %s", ch.Domain, kindsText(pr, ch))
	}
	if !ch.BeforeAt.IsZero() {
		refTextPara(w, width, "%s", pr.T("text.side.before", refDescribe(ch.Before), clock(ch.BeforeAt), viewSuffix(pr, ch, ch.BeforeView)))
	}
	refTextPara(w, width, "%s", pr.T("text.side.after", refDescribe(ch.After), clock(ch.AfterAt), viewSuffix(pr, ch, ch.AfterView)))
	return w.Bytes()
}

func refTextPara(b textWriter, width int, format string, args ...any) {
	for _, line := range refWrap(fmt.Sprintf(format, args...), width) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

func refDescribe(h probe.Hosting) string {
	if h.Status == "" {
		return "-"
	}
	if h.Status != "ok" {
		return "[" + string(h.Status) + "]"
	}
	asns := make([]string, len(h.ASNs))
	for i, a := range h.ASNs {
		asns[i] = fmt.Sprintf("AS%d", a)
	}
	s := make([]string, len(h.Addresses))
	for i, a := range h.Addresses {
		s[i] = a.String()
	}
	parts := []string{orDash(strings.Join(h.Countries, "+")), orDash(strings.Join(asns, "+")), orDash(providerList(h, " + ")), strings.Join(s, " ")}
	if len(h.CNAME) > 0 {
		parts = append(parts, "CNAME "+strings.Join(h.CNAME, " → "))
	}
	return strings.Join(parts, "  ")
}

// oddChanges are changes that word otherwise than a new domain does:
// hostile names and organisations, pending, moved, a change of view, every
// kind, empty and invalid parts.
func oddChanges() []probe.Change {
	at := time.Date(2026, 12, 2, 7, 20, 12, 0, time.FixedZone("WIB", 7*3600))
	hostile := "evil\x1b[2J\u202etxt.\xff.example"
	kinds := []probe.ChangeKind{probe.ChangeCountry, probe.ChangeProvider, probe.ChangeNetwork, probe.ChangeASN, probe.ChangeGone,
		probe.ChangeNew, probe.ChangeStatus, probe.ChangeView, probe.ChangeCNAME, probe.ChangeAddresses, probe.ChangeKind(hostile)}
	full := probe.Hosting{
		Status:    "ok",
		CNAME:     []string{"edge." + hostile, "x.cdn.example"},
		Addresses: []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:198.51.100.7"), netip.MustParseAddr("fe80::1%eth\x1b0"), netip.MustParseAddr("2001:db8::1")},
		ASNs:      []uint32{0, 7713, 4294967295},
		Orgs:      []string{"PT Telkom\tIndonesia", "阿里云"},
		Countries: []string{"ID", "", "S\xc3"},
	}
	out := []probe.Change{
		{Domain: hostile, Kinds: kinds, Move: true, Before: full, After: probe.Hosting{Status: "ok"}, BeforeAt: at, AfterAt: at.Add(time.Hour), Seen: 2, Confirm: 2},
		{Domain: "pending.example", Kinds: []probe.ChangeKind{probe.ChangeCountry, probe.ChangeProvider}, Move: true, Before: full, After: full, BeforeAt: at, AfterAt: at, Seen: 1, Confirm: 3},
		{Domain: "view.example", Kinds: []probe.ChangeKind{probe.ChangeView}, Before: full, After: full, BeforeAt: at, AfterAt: at,
			BeforeView: probe.View{Resolvers: []string{"192.0.2.53:53", hostile}}, AfterView: probe.View{Subnets: []string{"203.0.113.0/24"}}},
		{Domain: "gone.example", Kinds: []probe.ChangeKind{probe.ChangeGone}, Before: full, After: probe.Hosting{Status: "nxdomain"}, BeforeAt: at, AfterAt: at},
		{Domain: "", Kinds: nil, After: probe.Hosting{Status: "ok", Providers: []string{"", ""}}},
		{Domain: strings.Repeat("long-label.", 12) + "example", Kinds: []probe.ChangeKind{probe.ChangeNew},
			After: probe.Hosting{Status: "ok", Providers: []string{"Alibaba Cloud", "Cloudflare"}, Orgs: []string{"ignored"}, Addresses: full.Addresses[1:]}, AfterAt: at},
	}
	return append(out, newChanges(3)...)
}

func TestAppendChangeTextMatchesReference(t *testing.T) {
	t.Parallel()
	for _, l := range i18n.Langs() {
		pr, err := i18n.New(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range []*i18n.Printer{pr, nil} {
			for _, width := range []int{MinWidth, TableWidth, 200} {
				for _, ch := range oddChanges() {
					prefix := []byte("kept\n")
					got := string(appendChangeText(prefix, width, pr, ch))
					want := string(refAppendChangeText([]byte("kept\n"), width, pr, ch))
					if got != want {
						t.Errorf("%s, width %d: appendChangeText(%q) =\n%s\nwant\n%s", l, width, ch.Domain, got, want)
					}
					if got, want := describe(ch.After), refDescribe(ch.After); got != want {
						t.Errorf("describe(%+v) = %q, want %q", ch.After, got, want)
					}
				}
			}
		}
	}
}
