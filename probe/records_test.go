package probe

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers"
)

// TestTXTValue checks that a TXT value is the string the record holds, not
// its zone-file form, for records as they come off the wire.
func TestTXTValue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ zone, want string }{
		{`a.test. 60 IN TXT "v=spf1 mx -all"`, "v=spf1 mx -all"},
		{`a.test. 60 IN TXT "a \"quoted\" txt"`, `a "quoted" txt`},
		{`a.test. 60 IN TXT "back\\slash"`, `back\slash`},
		{`a.test. 60 IN TXT "tab\009and\010newline"`, "tab\tand\nnewline"},
		{`a.test. 60 IN TXT "caf\195\169"`, "café"},
		{`a.test. 60 IN TXT "v=DKIM1; k=rsa; " "p=MIGf"`, "v=DKIM1; k=rsa; p=MIGf"},
		{`a.test. 60 IN TXT "<script>alert(1)</script>"`, "<script>alert(1)</script>"},
		{`a.test. 60 IN TXT "ends in \\"`, `ends in \`},
	} {
		rr, err := dns.NewRR(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		// Packed and unpacked, as a resolver's reply is.
		m := new(dns.Msg)
		m.Answer = []dns.RR{rr}
		wire, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		got := new(dns.Msg)
		if err := got.Unpack(wire); err != nil {
			t.Fatal(err)
		}
		if r := record(t.Context(), got.Answer[0], Options{}); r.Value != tt.want {
			t.Errorf("%s: value %q, want %q", tt.zone, r.Value, tt.want)
		}
	}
}

func FuzzTXTString(f *testing.F) {
	for _, s := range []string{"", `\`, `\"`, `\0`, `\25`, `\256`, `\2555`, `a\\b`, "x\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Whatever the wire holds, its zone-file form reads back as itself.
		if len(s) > 255 {
			return
		}
		rr := &dns.TXT{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{escapeTXT(s)}}
		m := new(dns.Msg)
		m.Answer = []dns.RR{rr}
		wire, err := m.Pack()
		if err != nil {
			t.Skip()
		}
		got := new(dns.Msg)
		if err := got.Unpack(wire); err != nil {
			t.Fatal(err)
		}
		if v := resolvers.UnescapeTXT(got.Answer[0].(*dns.TXT).Txt[0]); v != s {
			t.Fatalf("txtString of %q = %q", s, v)
		}
	})
}

// escapeTXT writes s in zone-file form, every byte as \DDD.
func escapeTXT(s string) string {
	b := make([]byte, 0, 4*len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		b = append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
	}
	return string(b)
}
