package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// TestChangeJSONMatchesEncoder holds the hand-written encoding of a change
// to what encoding/json writes of its ChangeJSON, byte for byte; a field
// added to ChangeJSON and not to appendChangeJSON fails it, as encoding/json
// writes every field.
func TestChangeJSONMatchesEncoder(t *testing.T) {
	hostile := "=cmd|' /C calc'!A0 \"quoted\" back\\slash tab\t nl\n cr\r nul\x00 esc\x1b del\x7f <b>&amp;</b> \u2028\u2029 é 東京 bad\xff\xfe utf8 \U0001F600"
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("WIB", 7*3600))
	full := probe.Change{
		Domain: "sirekap-web.kpu.go.id", Vantage: hostile, Kinds: []probe.ChangeKind{probe.ChangeCountry, probe.ChangeKind(hostile)},
		Move: true, Seen: 2, Confirm: 2,
		Before: probe.Hosting{Status: resolvers.StatusOK, CNAME: []string{"a.example.", hostile},
			Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:192.0.2.2"),
				netip.MustParseAddr("fe80::1%eth0\"x"), {}},
			ASNs: []uint32{7713, 4294967295}, Prefixes: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32"), {}},
			Orgs: []string{"+Net & Telecom", hostile}, Countries: []string{"ID"}, Providers: []string{"Telkom"},
			Places: []probe.Place{{Provider: "Telkom", Country: "ID"}, {Provider: hostile}}},
		After:      probe.Hosting{Status: resolvers.StatusNXDomain},
		BeforeView: probe.View{Resolvers: []string{"127.0.0.1:53", hostile}, Subnets: []string{"203.0.113.0/24"}},
		AfterView:  probe.View{Resolvers: []string{}},
		BeforeAt:   at, AfterAt: at.Add(time.Hour), ConfirmedAt: at.Add(2 * time.Hour),
	}
	pending := full
	pending.Seen, pending.ConfirmedAt = 1, time.Time{}
	cases := []struct {
		name string
		c    probe.Change
	}{
		{"full", full},
		{"pending", pending},
		{"zero", probe.Change{}},
	}
	for i, c := range sampleCheckChanges(t) {
		cases = append(cases, struct {
			name string
			c    probe.Change
		}{fmt.Sprintf("sample %d", i), c})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, prefix := range []string{"    ", ""} {
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetIndent(prefix, "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(newChangeJSON(tc.c)); err != nil {
					t.Fatal(err)
				}
				got := appendChangeJSON(nil, &tc.c, len(prefix))
				if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
					t.Errorf("appendChangeJSON:\n%s\nencoding/json:\n%s", got, w)
				}
			}
		})
	}
}

// sampleCheckChanges are sampleCheck's changes.
func sampleCheckChanges(t *testing.T) []probe.Change {
	t.Helper()
	var out []probe.Change
	for c := range sampleCheck(t).Changes {
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("no changes in the sample")
	}
	return out
}

// TestCheckTally writes a check whose changes were counted as they came
// (Tally) and one whose changes are counted in WriteCheck: the same bytes.
func TestCheckTally(t *testing.T) {
	c := sampleCheck(t)
	var tally ChangeTally
	for ch := range c.Changes {
		tally.Add(ch)
	}
	for _, format := range []string{"json", "table", "markdown"} {
		var counted, given bytes.Buffer
		if err := WriteCheck(&counted, format, c); err != nil {
			t.Fatal(err)
		}
		withTally := c
		withTally.Tally = &tally
		if err := WriteCheck(&given, format, withTally); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(counted.Bytes(), given.Bytes()) {
			t.Errorf("%s: with Tally\n%s\nwithout\n%s", format, given.Bytes(), counted.Bytes())
		}
	}
}
