package dataset

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func TestParseASNLine(t *testing.T) {
	t.Parallel()
	a := netip.MustParseAddr
	tests := []struct {
		line    string
		want    asnRow
		wantErr string
	}{
		{line: `1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd`,
			want: asnRow{a("1.0.4.0"), a("1.0.7.255"), 38803, "Gtelecom Pty Ltd"}},
		{line: `1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."`,
			want: asnRow{a("1.0.0.0"), a("1.0.0.255"), 13335, "Cloudflare, Inc."}},
		{line: `2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK"""`,
			want: asnRow{a("2.26.200.0"), a("2.26.215.255"), 201907, `LLC "SPUTNIK"`}},
		{line: `1.1.8.0,1.1.8.255,149511,"Yamu Technologies Co., Ltd."` + "\r",
			want: asnRow{a("1.1.8.0"), a("1.1.8.255"), 149511, "Yamu Technologies Co., Ltd."}},
		{line: `2001:200:1ba::,2001:200:1ba:ffff:ffff:ffff:ffff:ffff,24047,"Internet Systems Consortium, Inc."`,
			want: asnRow{a("2001:200:1ba::"), a("2001:200:1ba:ffff:ffff:ffff:ffff:ffff"), 24047, "Internet Systems Consortium, Inc."}},
		{line: `2c0f:e9a0:2:0:0:0:2a::,2c0f:e9a0:2::2a:ffff,4294967295,`,
			want: asnRow{a("2c0f:e9a0:2::2a:0"), a("2c0f:e9a0:2::2a:ffff"), 4294967295, ""}},
		{line: "38.199.24.0,38.199.25.255,273099,LINAGE COMUNICACIONES\u00a0SAS",
			want: asnRow{a("38.199.24.0"), a("38.199.25.255"), 273099, "LINAGE COMUNICACIONES\u00a0SAS"}},
		{line: `1.2.3.4,1.2.3.4,1,""`, want: asnRow{a("1.2.3.4"), a("1.2.3.4"), 1, ""}},

		{line: ``, wantErr: "want fields start,end"},
		{line: `1.0.0.0,1.0.0.255`, wantErr: "want fields start,end"},
		{line: `1.0.0.0,1.0.0.255,13335`, wantErr: "want 4 fields"},
		{line: `1.0.0.0,1.0.0.255,AS13335,x`, wantErr: "bad ASN"},
		{line: `1.0.0.0,1.0.0.255,-1,x`, wantErr: "bad ASN"},
		{line: `1.0.0.0,1.0.0.255,4294967296,x`, wantErr: "bad ASN"},
		{line: `1.0.0.0,1.0.0.255,0,x`, wantErr: "ASN 0"},
		{line: `1.0.0.256,1.0.0.255,1,x`, wantErr: "range start"},
		{line: `1.0.0.0,nope,1,x`, wantErr: "range end"},
		{line: `1.0.0.255,1.0.0.0,1,x`, wantErr: "ends before it starts"},
		{line: `1.0.0.0,2001::,1,x`, wantErr: "mixes IPv4 and IPv6"},
		{line: `fe80::1%eth0,fe80::2,1,x`, wantErr: "range start"},
		{line: `::ffff:1.2.3.4,::ffff:1.2.3.5,1,x`, wantErr: "IPv4-mapped"},
		{line: `1.0.0.0,1.0.0.255,1,"Cloudflare, Inc.`, wantErr: "unterminated quote"},
		{line: `1.0.0.0,1.0.0.255,1,"`, wantErr: "unterminated quote"},
		{line: `1.0.0.0,1.0.0.255,1,"a"b"`, wantErr: "lone quote"},
		{line: `1.0.0.0,1.0.0.255,1,a"b`, wantErr: "bare quote"},
		{line: "1.0.0.0,1.0.0.255,1,\xff", wantErr: "not UTF-8"},
		{line: "1.0.0.0,1.0.0.255,1,a\tb", wantErr: "control character"},
		{line: "1.0.0.0,1.0.0.255,1,a\r\r", wantErr: "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			got, err := parseASNLine(tt.line)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && got != tt.want {
				t.Errorf("parseASNLine(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseCountryLine(t *testing.T) {
	t.Parallel()
	a := netip.MustParseAddr
	tests := []struct {
		line    string
		want    countryRow
		wantErr string
	}{
		{line: `1.0.0.0,1.0.0.255,AU`, want: countryRow{a("1.0.0.0"), a("1.0.0.255"), "AU"}},
		{line: `2001:2::,2001:2::ffff:ffff:ffff:ffff:ffff,JP` + "\r",
			want: countryRow{a("2001:2::"), a("2001:2:0:ffff:ffff:ffff:ffff:ffff"), "JP"}},
		{line: `1.0.0.0,1.0.0.255,au`, wantErr: "bad country code"},
		{line: `1.0.0.0,1.0.0.255,AUS`, wantErr: "bad country code"},
		{line: `1.0.0.0,1.0.0.255,`, wantErr: "bad country code"},
		{line: `1.0.0.0,1.0.0.255`, wantErr: "want fields start,end"},
		{line: `2001::,1.0.0.255,AU`, wantErr: "mixes"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			got, err := parseCountryLine(tt.line)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && got != tt.want {
				t.Errorf("parseCountryLine(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one containing %q", err, want)
	}
}

// quoteField writes a value as a CSV field the way ip-location-db does:
// quoted only when it has to be.
func quoteField(s string) string {
	if strings.ContainsAny(s, `",`) {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func FuzzParseASNLine(f *testing.F) {
	for _, s := range []string{
		`1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."`,
		`2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK"""`,
		`2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project`,
		`1.0.0.0,1.0.0.255,1,`,
		`1.0.0.0,1.0.0.255,1,"a"b"`,
		`::ffff:1.2.3.4,::ffff:1.2.3.5,1,x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := parseASNLine(line)
		if err != nil {
			return
		}
		if !r.Start.IsValid() || r.Start.Is4() != r.End.Is4() || r.End.Less(r.Start) || r.ASN == 0 {
			t.Fatalf("parseASNLine(%q) accepted a bad row: %+v", line, r)
		}
		// What was accepted must survive being written out and read back.
		again := fmt.Sprintf("%s,%s,%s,%s", r.Start, r.End, strconv.FormatUint(uint64(r.ASN), 10), quoteField(r.Org))
		r2, err := parseASNLine(again)
		if err != nil {
			t.Fatalf("round trip of %q as %q: %v", line, again, err)
		}
		if r2 != r {
			t.Fatalf("round trip of %q: got %+v, want %+v", line, r2, r)
		}
	})
}

func FuzzParseCountryLine(f *testing.F) {
	f.Add(`1.0.0.0,1.0.0.255,AU`)
	f.Add(`2001:2::,2001:2::ffff:ffff:ffff:ffff:ffff,JP`)
	f.Fuzz(func(t *testing.T, line string) {
		r, err := parseCountryLine(line)
		if err != nil {
			return
		}
		if r.Start.Is4() != r.End.Is4() || r.End.Less(r.Start) || len(r.Country) != 2 {
			t.Fatalf("parseCountryLine(%q) accepted a bad row: %+v", line, r)
		}
	})
}
