package resolvers_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

// reverseZone holds a reverse zone for 192.0.2.0/24 with a classless
// delegation (RFC 2317) of 192.0.2.128/25, and one for 2001:db8::/32.
const reverseZone = `$TTL 60
$ORIGIN 2.0.192.in-addr.arpa.
@     IN SOA ns hm 1 60 60 60 60
1     IN PTR www.Example.test.
2     IN PTR b.example.test.
2     IN PTR a.example.test.
2     IN PTR A.example.test.
3     IN TXT "no PTR here"
130   IN CNAME 130.128/25.2.0.192.in-addr.arpa.
130.128/25 IN PTR customer-130.hoster.test.
131   IN CNAME 131.128/25.2.0.192.in-addr.arpa.
132   IN CNAME 132.128/25.2.0.192.in-addr.arpa.
132.128/25 IN CNAME 132.2.0.192.in-addr.arpa.
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
@     IN SOA ns hm 1 60 60 60 60
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR v6.example.test.
`

func TestReverseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip   netip.Addr
		want string
	}{
		{netip.MustParseAddr("192.0.2.1"), "1.2.0.192.in-addr.arpa"},
		{netip.MustParseAddr("0.0.0.0"), "0.0.0.0.in-addr.arpa"},
		{netip.MustParseAddr("255.10.0.200"), "200.0.10.255.in-addr.arpa"},
		{netip.MustParseAddr("::ffff:192.0.2.1"), "1.2.0.192.in-addr.arpa"},
		{netip.MustParseAddr("2001:db8::1"), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
		{netip.MustParseAddr("fe80::abcd%eth0"), "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa"},
		{netip.Addr{}, ""},
	}
	for _, tt := range tests {
		got := resolvers.ReverseName(tt.ip)
		if got != tt.want {
			t.Errorf("ReverseName(%v) = %q, want %q", tt.ip, got, tt.want)
		}
		if tt.want == "" {
			continue
		}
		// The same as miekg/dns, but without the trailing dot.
		if want, err := dns.ReverseAddr(tt.ip.WithZone("").String()); err != nil || got+"." != want {
			t.Errorf("ReverseName(%v) = %q, dns.ReverseAddr says %q (%v)", tt.ip, got, want, err)
		}
	}
}

func TestPTR(t *testing.T) {
	t.Parallel()
	zone := resolverstest.StartZone(t, reverseZone)
	// An authoritative-like server that does not follow CNAMEs: the client must.
	h, err := resolverstest.NewZoneHandler(reverseZone)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		h.ServeDNS(firstAnswerWriter{w}, r)
	}))
	tests := []struct {
		name    string
		ip      string
		want    []string
		queries int // on the server that follows CNAMEs
		err     error
	}{
		{"IPv4", "192.0.2.1", []string{"www.example.test"}, 1, nil},
		{"several, sorted, without duplicates", "192.0.2.2", []string{"a.example.test", "b.example.test"}, 1, nil},
		{"IPv4-mapped", "::ffff:192.0.2.1", []string{"www.example.test"}, 1, nil},
		{"IPv6", "2001:db8::1", []string{"v6.example.test"}, 1, nil},
		{"classless delegation", "192.0.2.130", []string{"customer-130.hoster.test"}, 1, nil},
		{"classless delegation to nothing", "192.0.2.131", nil, 1, nil},
		{"NODATA", "192.0.2.3", nil, 1, nil},
		{"NXDOMAIN", "192.0.2.99", nil, 1, nil},
		{"NXDOMAIN IPv6", "2001:db8::2", nil, 1, nil},
		{"CNAME loop", "192.0.2.132", nil, 1, resolvers.ErrCNAMELoop},
		{"outside the zones held", "198.51.100.1", nil, 3, resolvers.ErrRefused},
	}
	for _, tt := range tests {
		for _, srv := range []struct {
			name string
			addr string
		}{{"following", zone.Addr}, {"not following", noFollow.Addr}} {
			t.Run(tt.name+"/"+srv.name, func(t *testing.T) {
				t.Parallel()
				c := newPTRClient(t, resolvers.Config{Servers: []string{srv.addr}})
				got, ex, err := c.PTR(t.Context(), netip.MustParseAddr(tt.ip))
				if !slices.Equal(got, tt.want) {
					t.Errorf("PTR(%s) = %q, want %q", tt.ip, got, tt.want)
				}
				if tt.err == nil && err != nil || tt.err != nil && !errors.Is(err, tt.err) {
					t.Errorf("PTR(%s) error %v, want %v", tt.ip, err, tt.err)
				}
				if len(ex) == 0 {
					t.Fatal("no evidence")
				}
				if srv.addr == zone.Addr && len(ex) != tt.queries {
					t.Errorf("%d queries, want %d: %+v", len(ex), tt.queries, ex)
				}
				want := resolvers.ReverseName(netip.MustParseAddr(tt.ip))
				if ex[0].Name != want || ex[0].Type != "PTR" || ex[0].Resolver != srv.addr {
					t.Errorf("first exchange %+v, want a PTR query for %s to %s", ex[0], want, srv.addr)
				}
			})
		}
	}
}

func TestPTRFollowsAliasByAsking(t *testing.T) {
	t.Parallel()
	h, err := resolverstest.NewZoneHandler(reverseZone)
	if err != nil {
		t.Fatal(err)
	}
	s := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		h.ServeDNS(firstAnswerWriter{w}, r)
	}))
	c := newPTRClient(t, resolvers.Config{Servers: []string{s.Addr}})
	got, ex, err := c.PTR(t.Context(), netip.MustParseAddr("192.0.2.130"))
	if err != nil || !slices.Equal(got, []string{"customer-130.hoster.test"}) {
		t.Fatalf("PTR = %q, %v", got, err)
	}
	var names []string
	for _, e := range ex {
		names = append(names, e.Name)
	}
	want := []string{"130.2.0.192.in-addr.arpa", "130.128/25.2.0.192.in-addr.arpa"}
	if !slices.Equal(names, want) {
		t.Errorf("asked for %q, want %q", names, want)
	}
}

func TestPTRFailures(t *testing.T) {
	t.Parallel()
	silence := resolverstest.Start(t, dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {}))
	servfail := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(m)
	}))
	tests := []struct {
		name    string
		server  string
		err     error
		status  resolvers.Status
		queries int
	}{
		{"timeout", silence.Addr, resolvers.ErrTimeout, resolvers.StatusTimeout, 2},
		{"SERVFAIL", servfail.Addr, resolvers.ErrServFail, resolvers.StatusServFail, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newPTRClient(t, resolvers.Config{Servers: []string{tt.server}, Timeout: 100 * time.Millisecond, Retries: 1})
			got, ex, err := c.PTR(t.Context(), netip.MustParseAddr("192.0.2.1"))
			if got != nil || !errors.Is(err, tt.err) {
				t.Fatalf("PTR = %q, %v; want an error wrapping %v", got, err, tt.err)
			}
			if !strings.Contains(err.Error(), "1.2.0.192.in-addr.arpa PTR") {
				t.Errorf("error %q does not name the question", err)
			}
			if len(ex) != tt.queries {
				t.Fatalf("%d exchanges, want %d", len(ex), tt.queries)
			}
			for _, e := range ex {
				if e.Status != tt.status {
					t.Errorf("exchange status %s, want %s", e.Status, tt.status)
				}
			}
		})
	}
	t.Run("invalid address", func(t *testing.T) {
		t.Parallel()
		c := newPTRClient(t, resolvers.Config{Servers: []string{silence.Addr}})
		if got, ex, err := c.PTR(t.Context(), netip.Addr{}); got != nil || ex != nil || err == nil {
			t.Errorf("PTR(zero Addr) = %q, %v, %v", got, ex, err)
		}
	})
}

func TestQuery(t *testing.T) {
	t.Parallel()
	zone := resolverstest.StartZone(t, reverseZone)
	c := newPTRClient(t, resolvers.Config{Servers: []string{zone.Addr}})
	tests := []struct {
		name   string
		qtype  uint16
		rcode  int
		answer int
	}{
		{"3.2.0.192.in-addr.arpa.", dns.TypeTXT, dns.RcodeSuccess, 1},
		{"3.2.0.192.in-addr.arpa", dns.TypeTXT, dns.RcodeSuccess, 1},
		{"3.2.0.192.in-addr.arpa", dns.TypePTR, dns.RcodeSuccess, 0},
		{"99.2.0.192.in-addr.arpa", dns.TypeTXT, dns.RcodeNameError, 0},
	}
	for _, tt := range tests {
		m, ex, err := c.Query(t.Context(), tt.name, tt.qtype)
		if err != nil {
			t.Errorf("Query(%s, %s): %v", tt.name, dns.TypeToString[tt.qtype], err)
			continue
		}
		if m.Rcode != tt.rcode || len(m.Answer) != tt.answer {
			t.Errorf("Query(%s, %s): rcode %s, %d answers; want %s, %d", tt.name, dns.TypeToString[tt.qtype],
				dns.RcodeToString[m.Rcode], len(m.Answer), dns.RcodeToString[tt.rcode], tt.answer)
		}
		if len(ex) != 1 || ex[0].Name != strings.TrimSuffix(tt.name, ".") || ex[0].Type != dns.TypeToString[tt.qtype] {
			t.Errorf("Query(%s, %s): evidence %+v", tt.name, dns.TypeToString[tt.qtype], ex)
		}
	}
	if _, ex, err := c.Query(t.Context(), "bad name.test", dns.TypeTXT); !errors.Is(err, resolvers.ErrInvalidName) || ex != nil {
		t.Errorf("Query of an invalid name: %v, %v", ex, err)
	}
	if _, _, err := c.Query(t.Context(), "example.org", dns.TypeTXT); !errors.Is(err, resolvers.ErrRefused) {
		t.Errorf("Query outside the zones: %v, want REFUSED", err)
	}
}

// newPTRClient returns a client for cfg, closed when the test ends.
func newPTRClient(t *testing.T, cfg resolvers.Config) *resolvers.Client {
	t.Helper()
	c, err := resolvers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// firstAnswerWriter keeps only the first answer record of each reply, like an
// authoritative server that does not follow CNAMEs.
type firstAnswerWriter struct{ dns.ResponseWriter }

func (w firstAnswerWriter) WriteMsg(m *dns.Msg) error {
	if len(m.Answer) > 1 && m.Answer[0].Header().Rrtype == dns.TypeCNAME {
		m.Answer = m.Answer[:1]
	}
	return w.ResponseWriter.WriteMsg(m)
}
