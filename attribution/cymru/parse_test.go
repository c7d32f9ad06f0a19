package cymru

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/resolvers"
)

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	pfx := netip.MustParsePrefix
	tests := []struct {
		txt  string
		want Origin
		err  string // a part of the error message; "" for none
	}{
		{"23028 | 216.90.108.0/24 | US | arin | 1998-09-25",
			Origin{[]uint32{23028}, pfx("216.90.108.0/24"), "US", "arin", "1998-09-25"}, ""},
		{"15169 36040 | 192.0.2.0/24 | US | arin | 2014-07-01",
			Origin{[]uint32{15169, 36040}, pfx("192.0.2.0/24"), "US", "arin", "2014-07-01"}, ""},
		{"  64496   64497\t|   192.0.2.0/24|ZZ |  ripencc|2001-01-01  ",
			Origin{[]uint32{64496, 64497}, pfx("192.0.2.0/24"), "ZZ", "ripencc", "2001-01-01"}, ""},
		{"64496 | 2001:db8::/32 | ZZ | ripencc | 2005-01-01",
			Origin{[]uint32{64496}, pfx("2001:db8::/32"), "ZZ", "ripencc", "2005-01-01"}, ""},
		{"64496 | 192.0.2.0/24 | ZZ | apnic | ",
			Origin{[]uint32{64496}, pfx("192.0.2.0/24"), "ZZ", "apnic", ""}, ""},
		{"64496 | 192.0.2.0/24 |  | apnic",
			Origin{[]uint32{64496}, pfx("192.0.2.0/24"), "", "apnic", ""}, ""},
		{"64496 | 192.0.2.0/24",
			Origin{[]uint32{64496}, pfx("192.0.2.0/24"), "", "", ""}, ""},
		{"64496 | 192.0.2.0/24 | ZZ | arin | 2001-01-01 |",
			Origin{[]uint32{64496}, pfx("192.0.2.0/24"), "ZZ", "arin", "2001-01-01"}, ""},
		{"4294967295 | 0.0.0.0/0 | | |",
			Origin{[]uint32{4294967295}, pfx("0.0.0.0/0"), "", "", ""}, ""},
		{"", Origin{}, "at least"},
		{"64496", Origin{}, "at least"},
		{" | 192.0.2.0/24 | ZZ | arin | 2001-01-01", Origin{}, "no ASN"},
		{"AS64496 | 192.0.2.0/24 | ZZ | arin | 2001-01-01", Origin{}, "not a number"},
		{"NA | 192.0.2.0/24 | ZZ | arin | 2001-01-01", Origin{}, "not a number"},
		{"-1 | 192.0.2.0/24", Origin{}, "not a number"},
		{"4294967296 | 192.0.2.0/24", Origin{}, "out of range"},
		{"64496,64497 | 192.0.2.0/24", Origin{}, "not a number"},
		{"64496 | 192.0.2.0", Origin{}, "prefix"},
		{"64496 | 192.0.2.1/24", Origin{}, "host bits"},
		{"64496 | | ZZ | arin | 2001-01-01", Origin{}, "prefix"},
		{"64496 | 192.0.2.0/24 | ZZ | arin | 2001-01-01 | extra", Origin{}, "fields"},
	}
	for _, tt := range tests {
		got, err := ParseOrigin(tt.txt)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseOrigin(%q): %v", tt.txt, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseOrigin(%q) error %v, want one saying %q", tt.txt, err, tt.err)
		case !reflect.DeepEqual(got, tt.want):
			t.Errorf("ParseOrigin(%q) = %+v, want %+v", tt.txt, got, tt.want)
		}
	}
}

func TestParseAS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		txt  string
		want AS
		err  string
	}{
		{"23028 | US | arin | 2002-01-04 | TEAMCYMRU - SAVVIS, US",
			AS{23028, "US", "arin", "2002-01-04", "TEAMCYMRU - SAVVIS, US"}, ""},
		{"64496 | ZZ | ripencc | 1998-09-25 | EXAMPLE-NET | Example | Networks, ZZ",
			AS{64496, "ZZ", "ripencc", "1998-09-25", "EXAMPLE-NET | Example | Networks, ZZ"}, ""},
		{"64496 | ZZ | ripencc | 1998-09-25 | |",
			AS{64496, "ZZ", "ripencc", "1998-09-25", "|"}, ""},
		{"  64496|ZZ|  apnic |   | Example  ",
			AS{64496, "ZZ", "apnic", "", "Example"}, ""},
		{"64496 | ZZ | other |",
			AS{64496, "ZZ", "other", "", ""}, ""},
		{"64496",
			AS{64496, "", "", "", ""}, ""},
		{"64496 | ZZ | arin | 2001-01-01 | Telefónica Test, ZZ",
			AS{64496, "ZZ", "arin", "2001-01-01", "Telefónica Test, ZZ"}, ""},
		{"", AS{}, "no ASN"},
		{" | ZZ | arin | 2001-01-01 | X", AS{}, "no ASN"},
		{"64496 64497 | ZZ | arin | 2001-01-01 | X", AS{}, "not a number"},
		{"AS64496 | ZZ | arin | 2001-01-01 | X", AS{}, "not a number"},
		{"99999999999 | ZZ", AS{}, "out of range"},
	}
	for _, tt := range tests {
		got, err := ParseAS(tt.txt)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseAS(%q): %v", tt.txt, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseAS(%q) error %v, want one saying %q", tt.txt, err, tt.err)
		case got != tt.want:
			t.Errorf("ParseAS(%q) = %+v, want %+v", tt.txt, got, tt.want)
		}
	}
}

func TestUnescapeTXT(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`a\"b`, `a"b`},
		{`a\\b`, `a\b`},
		{`Telef\195\179nica`, "Telefónica"},
		{`\009tab`, "\ttab"},
		{`\256`, "256"},
		{`\12`, "12"},
		{`end\`, `end\`},
	}
	for _, tt := range tests {
		if got := resolvers.UnescapeTXT(tt.in); got != tt.want {
			t.Errorf("resolvers.UnescapeTXT(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{
		"23028 | 216.90.108.0/24 | US | arin | 1998-09-25",
		"15169 36040 | 192.0.2.0/24 | US | arin | 2014-07-01",
		"64496 | 2001:db8::/32 | ZZ | ripencc | 2005-01-01",
		"64496 | 192.0.2.0/24 |  | apnic",
		"64496 | 192.0.2.0/24 | ZZ | arin | 2001-01-01 |",
		"4294967296 | 192.0.2.1/24",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		o, err := ParseOrigin(txt)
		if err != nil {
			return
		}
		if len(o.ASNs) == 0 || !o.Prefix.IsValid() || o.Prefix != o.Prefix.Masked() {
			t.Fatalf("ParseOrigin(%q) = %+v", txt, o)
		}
		for _, s := range []string{o.Country, o.Registry, o.Allocated} {
			if strings.Contains(s, "|") || s != strings.TrimSpace(s) {
				t.Fatalf("ParseOrigin(%q): field %q", txt, s)
			}
		}
		// What was parsed, written out again, parses to the same.
		asns := make([]string, len(o.ASNs))
		for i, n := range o.ASNs {
			asns[i] = fmt.Sprint(n)
		}
		again := fmt.Sprintf("%s | %s | %s | %s | %s", strings.Join(asns, " "), o.Prefix, o.Country, o.Registry, o.Allocated)
		o2, err := ParseOrigin(again)
		if err != nil || !reflect.DeepEqual(o, o2) {
			t.Fatalf("ParseOrigin(%q) = %+v, but %q gives %+v, %v", txt, o, again, o2, err)
		}
	})
}

func FuzzParseAS(f *testing.F) {
	for _, s := range []string{
		"23028 | US | arin | 2002-01-04 | TEAMCYMRU - SAVVIS, US",
		"64496 | ZZ | ripencc | 1998-09-25 | EXAMPLE-NET | Example | Networks, ZZ",
		"64496 | ZZ | other |",
		"64496",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		a, err := ParseAS(txt)
		if err != nil {
			return
		}
		for _, s := range []string{a.Country, a.Registry, a.Allocated} {
			if strings.Contains(s, "|") || s != strings.TrimSpace(s) {
				t.Fatalf("ParseAS(%q): field %q", txt, s)
			}
		}
		if a.Description != strings.TrimSpace(a.Description) {
			t.Fatalf("ParseAS(%q): description %q", txt, a.Description)
		}
		again := fmt.Sprintf("%d | %s | %s | %s | %s", a.ASN, a.Country, a.Registry, a.Allocated, a.Description)
		if a2, err := ParseAS(again); err != nil || a2 != a {
			t.Fatalf("ParseAS(%q) = %+v, but %q gives %+v, %v", txt, a, again, a2, err)
		}
	})
}
