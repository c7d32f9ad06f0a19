package geofeed

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const feed = "\ufeff# hostwatch test geofeed\r\n" +
		"192.0.2.0/24,ID,ID-JK,Jakarta,\r\n" +
		"2001:db8::/32,id,id-jk,Jakarta\n" +
		"198.51.100.0/25,SG,,Singapore,\n" +
		"198.51.100.128/25,,,,\n" + // do not geolocate
		"\n" +
		"192.0.2.1/24,ID,,,\n" + // host bits set
		"192.0.2.0/33,ID,,,\n" +
		"not-a-prefix,ID,,,\n" +
		"203.0.113.0/24,XX,,,\n" + // not a country
		"203.0.113.0/24,ZZ,,,\n" +
		"203.0.113.0/24,ID,SG-01,,\n" + // a region of another country
		"203.0.113.0/24,ID,IDJK,,\n" +
		"203.0.113.0/24\n" +
		"192.0.2.0/24,FR,,Paris,\n" + // twice
		"::ffff:192.0.2.0/120,ID,,,\n" +
		"10.0.0.0/8,ID,,\x1b[31mred,\n" +
		"100.64.0.0/10,ID,ID-JK,Jakarta,12345,extra\n" + // outside the space below
		"10.0.0.0/8,ID,,\u009b31mred,\n" + // a C1 control: CSI, as one code point
		"198.18.0.0/15,US,US-DC,\"Washington, D.C.\",20001\n" + // a quoted field holding a comma
		"198.20.0.0/16,US,,\"Washington,\n" // an unterminated quote
	got, err := Parse(strings.NewReader(feed), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "ID", Region: "ID-JK", City: "Jakarta", Line: 2},
		{Prefix: netip.MustParsePrefix("2001:db8::/32"), Country: "ID", Region: "ID-JK", City: "Jakarta", Line: 3},
		{Prefix: netip.MustParsePrefix("198.51.100.0/25"), Country: "SG", City: "Singapore", Line: 4},
		{Prefix: netip.MustParsePrefix("198.51.100.128/25"), Line: 5},
		{Prefix: netip.MustParsePrefix("100.64.0.0/10"), Country: "ID", Region: "ID-JK", City: "Jakarta", Postal: "12345", Line: 18},
		{Prefix: netip.MustParsePrefix("198.18.0.0/15"), Country: "US", Region: "US-DC", City: "Washington, D.C.", Postal: "20001", Line: 20},
	}
	if len(got.Entries) != len(want) {
		t.Fatalf("entries %+v, want %+v", got.Entries, want)
	}
	for i := range want {
		if got.Entries[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got.Entries[i], want[i])
		}
	}
	reasons := map[int]Reason{7: BadPrefix, 8: BadPrefix, 9: BadPrefix, 10: BadCountry, 11: BadCountry, 12: BadRegion,
		13: BadRegion, 14: TooFewFields, 15: Duplicate, 16: BadPrefix, 17: BadText, 19: BadText, 21: BadText}
	if len(got.Rejected) != len(reasons) {
		t.Errorf("rejected %+v", got.Rejected)
	}
	for _, r := range got.Rejected {
		if reasons[r.Line] != r.Reason {
			t.Errorf("line %d rejected as %s, want %s (%q)", r.Line, r.Reason, reasons[r.Line], r.Text)
		}
	}

	// In the publisher's space only: the rest is out of it.
	space := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/23"), netip.MustParsePrefix("2001:db8::/32")}
	got, err = Parse(strings.NewReader(feed), space)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 2 {
		t.Errorf("in the space: %+v", got.Entries)
	}
	outside := 0
	for _, r := range got.Rejected {
		if r.Reason == OutsideSpace {
			outside++
		}
	}
	if outside != 4 { // 198.51.100.0/25, 198.51.100.128/25, 100.64.0.0/10, 198.18.0.0/15
		t.Errorf("%d lines outside the space, want 4: %+v", outside, got.Rejected)
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	_, err := Parse(strings.NewReader("192.0.2.0/24,ID,,"+strings.Repeat("x", MaxLine)+",\n"), nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("a long line: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"192.0.2.0/24,ID,ID-JK,Jakarta,\n", "# c\n2001:db8::/32,SG,,,\n", "x,y\n", "\ufeff,,,,\n"} {
		f.Add(s)
	}
	space := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	f.Fuzz(func(t *testing.T, s string) {
		feed, err := Parse(strings.NewReader(s), space)
		if err != nil {
			return
		}
		for _, e := range feed.Entries {
			if !e.Prefix.IsValid() || e.Prefix != e.Prefix.Masked() || !space[0].Contains(e.Prefix.Addr()) || e.Prefix.Bits() < 24 {
				t.Fatalf("accepted %+v", e)
			}
			if e.Country != "" && !isCountry(e.Country) {
				t.Fatalf("accepted country %q", e.Country)
			}
		}
	})
}
