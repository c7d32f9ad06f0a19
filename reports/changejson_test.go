package reports

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestChangeJSONMatchesEncoder holds the hand-written encoding of a change
// to what encoding/json writes, byte for byte; a field added to ChangeJSON
// and not to appendChangeJSON fails it, as encoding/json writes every field.
func TestChangeJSONMatchesEncoder(t *testing.T) {
	hostile := "=cmd|' /C calc'!A0 \"quoted\" back\\slash tab\t nl\n cr\r nul\x00 esc\x1b del\x7f <b>&amp;</b> \u2028\u2029 é 東京 bad\xff\xfe utf8 \U0001F600"
	full := ChangeJSON{
		Domain: "sirekap-web.kpu.go.id", Vantage: hostile, Kind: "country_changed", Kinds: []string{"country_changed", hostile},
		CountsAsMove: true, Move: true, Pending: true, Seen: 1, Confirm: 2,
		Before: HostingJSON{Status: "ok", CNAME: []string{"a.example.", hostile}, Addresses: []string{"192.0.2.1", "2001:db8::1"},
			ASNs: []uint32{7713, 4294967295}, Prefixes: []string{"192.0.2.0/24"}, ASOrgs: []string{"+Net & Telecom", hostile},
			Countries: []string{"ID"}, Providers: []string{"Telkom"}, Places: []PlaceJSON{{Provider: "Telkom", Country: "ID"}, {Provider: hostile}}},
		After:      HostingJSON{Status: "nxdomain", CNAME: []string{}, Addresses: []string{}, ASNs: []uint32{}, Prefixes: []string{}, ASOrgs: []string{}, Countries: []string{}, Providers: []string{}, Places: []PlaceJSON{}},
		BeforeView: ViewJSON{Resolvers: []string{"127.0.0.1:53", hostile}, Subnets: []string{"203.0.113.0/24"}},
		AfterView:  ViewJSON{Resolvers: []string{}, Subnets: []string{}},
		BeforeAt:   "2026-01-02T03:04:05.123456789Z", AfterAt: "2026-01-03T03:04:05Z", ConfirmedAt: hostile,
	}
	for _, tc := range []struct {
		name   string
		c      ChangeJSON
		prefix string
	}{
		{"full", full, "    "},
		{"no prefix", full, ""},
		{"zero, nil lists", ChangeJSON{}, "    "},
		{"sample", sampleCheckChanges(t)[0], "    "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent(tc.prefix, "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.c); err != nil {
				t.Fatal(err)
			}
			got := appendChangeJSON(nil, tc.c, tc.prefix)
			if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
				t.Errorf("appendChangeJSON:\n%s\nencoding/json:\n%s", got, w)
			}
		})
	}
}

// sampleCheckChanges are sampleCheck's changes.
func sampleCheckChanges(t *testing.T) []ChangeJSON {
	t.Helper()
	var out []ChangeJSON
	for c := range sampleCheck(t).Changes {
		out = append(out, newChangeJSON(c))
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
