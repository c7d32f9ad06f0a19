package resolverstest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

const zone = `$ORIGIN example.test.
$TTL 60
@     IN SOA ns hm 1 60 60 60 60
@     IN A     192.0.2.1
www   IN CNAME cdn
cdn   IN CNAME edge
edge  IN A     198.51.100.1
edge  IN AAAA  2001:db8::1
out   IN CNAME elsewhere.org.
txt   IN TXT   "hello"
a.b.c IN A     192.0.2.9
`

func ask(t *testing.T, net, addr, name string, qtype uint16, udpSize uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	if udpSize != 0 {
		m.SetEdns0(udpSize, false)
	}
	c := &dns.Client{Net: net}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestZoneHandler(t *testing.T) {
	t.Parallel()
	s := resolverstest.StartZone(t, zone)
	rr := func(s string) string {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r.String()
	}
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string
		soa    bool
	}{
		{"A", "example.test", dns.TypeA, dns.RcodeSuccess, []string{rr("example.test. 60 IN A 192.0.2.1")}, false},
		{"case-insensitive", "EXAMPLE.test", dns.TypeA, dns.RcodeSuccess, []string{rr("example.test. 60 IN A 192.0.2.1")}, false},
		{"chain to A", "www.example.test", dns.TypeA, dns.RcodeSuccess, []string{
			rr("www.example.test. 60 IN CNAME cdn.example.test."),
			rr("cdn.example.test. 60 IN CNAME edge.example.test."),
			rr("edge.example.test. 60 IN A 198.51.100.1")}, false},
		{"chain to AAAA", "www.example.test", dns.TypeAAAA, dns.RcodeSuccess, []string{
			rr("www.example.test. 60 IN CNAME cdn.example.test."),
			rr("cdn.example.test. 60 IN CNAME edge.example.test."),
			rr("edge.example.test. 60 IN AAAA 2001:db8::1")}, false},
		{"CNAME asked for", "www.example.test", dns.TypeCNAME, dns.RcodeSuccess, []string{
			rr("www.example.test. 60 IN CNAME cdn.example.test.")}, false},
		{"chain leaving the zone", "out.example.test", dns.TypeA, dns.RcodeSuccess, []string{
			rr("out.example.test. 60 IN CNAME elsewhere.org.")}, false},
		{"NODATA", "txt.example.test", dns.TypeA, dns.RcodeSuccess, nil, true},
		{"empty non-terminal", "b.c.example.test", dns.TypeA, dns.RcodeSuccess, nil, true},
		{"NXDOMAIN", "nope.example.test", dns.TypeA, dns.RcodeNameError, nil, true},
		{"outside the zone", "example.org", dns.TypeA, dns.RcodeRefused, nil, false},
	}
	for _, tt := range tests {
		for _, net := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+net, func(t *testing.T) {
				t.Parallel()
				r := ask(t, net, s.Addr, tt.qname, tt.qtype, 1232)
				if r.Rcode != tt.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				var got []string
				for _, a := range r.Answer {
					got = append(got, a.String())
				}
				if strings.Join(got, "\n") != strings.Join(tt.answer, "\n") {
					t.Errorf("answer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.answer, "\n"))
				}
				if hasSOA := len(r.Ns) == 1 && r.Ns[0].Header().Rrtype == dns.TypeSOA; hasSOA != tt.soa {
					t.Errorf("authority %v, want SOA: %v", r.Ns, tt.soa)
				}
				if r.IsEdns0() == nil {
					t.Error("no OPT record in the reply to an EDNS0 query")
				}
			})
		}
	}
}

func TestZoneHandlerTruncates(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("$ORIGIN big.test.\n@ 60 IN SOA ns hm 1 60 60 60 60\n")
	for i := range 200 {
		fmt.Fprintf(&b, "many 60 IN A 198.18.0.%d\n", i)
	}
	s := resolverstest.StartZone(t, b.String())
	tests := []struct {
		name    string
		net     string
		udpSize uint16
		tc      bool
		answers int
	}{
		{"UDP without EDNS0", "udp", 0, true, -1},
		{"UDP with EDNS0 1232", "udp", 1232, true, -1},
		{"UDP with EDNS0 4096", "udp", 4096, false, 200},
		{"TCP", "tcp", 0, false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ask(t, tt.net, s.Addr, "many.big.test", dns.TypeA, tt.udpSize)
			if r.Truncated != tt.tc {
				t.Errorf("TC = %v, want %v", r.Truncated, tt.tc)
			}
			if tt.answers >= 0 && len(r.Answer) != tt.answers {
				t.Errorf("%d answers, want %d", len(r.Answer), tt.answers)
			}
			r.Compress = true
			if n := r.Len(); tt.tc && n > max(512, int(tt.udpSize)) {
				t.Errorf("truncated reply is %d bytes", n)
			}
		})
	}
}

func TestStartZoneFile(t *testing.T) {
	t.Parallel()
	s := resolverstest.StartZone(t, "testdata/zones/example.test.zone")
	r := ask(t, "udp", s.Addr, "example.test", dns.TypeA, 0)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("reply %v", r)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Errorf("Addr = %q", s.Addr)
	}
}

func TestListen(t *testing.T) {
	t.Parallel()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	})
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:53", "localhost:0", "127.0.0.1"} {
		if s, err := resolverstest.Listen(addr, h); err == nil {
			s.Close()
			t.Errorf("Listen(%q) succeeded, want an error", addr)
		}
	}
	s, err := resolverstest.Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	for _, net := range []string{"udp", "tcp"} {
		if r := ask(t, net, s.Addr, "x.test", dns.TypeA, 0); r.Rcode != dns.RcodeNameError {
			t.Errorf("%s: rcode %d", net, r.Rcode)
		}
	}
	// The same port cannot be taken twice.
	if s2, err := resolverstest.Listen(s.Addr, h); err == nil {
		s2.Close()
		t.Errorf("second Listen(%q) succeeded", s.Addr)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewZoneHandlerError(t *testing.T) {
	t.Parallel()
	if _, err := resolverstest.NewZoneHandler("example.test. IN A not-an-address\n"); err == nil {
		t.Error("no error for a bad zone")
	}
}
