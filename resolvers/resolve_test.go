package resolvers_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

const exampleZone = "testdata/zones/example.test.zone"

// newClient returns a client for servers, closed when the test ends.
func newClient(t *testing.T, cfg resolvers.Config) *resolvers.Client {
	t.Helper()
	c, err := resolvers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// answers turns zone-file lines of A and AAAA records into Answers.
func answers(t *testing.T, lines ...string) []resolvers.Answer {
	t.Helper()
	var out []resolvers.Answer
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatal(err)
		}
		var a netip.Addr
		switch v := rr.(type) {
		case *dns.A:
			a, _ = netip.AddrFromSlice(v.A.To4())
		case *dns.AAAA:
			a, _ = netip.AddrFromSlice(v.AAAA)
		default:
			t.Fatalf("%s: not an address record", l)
		}
		out = append(out, resolvers.Answer{Addr: a, TTL: rr.Header().Ttl})
	}
	return out
}

// hops turns zone-file lines of CNAME records into Hops.
func hops(t *testing.T, lines ...string) []resolvers.Hop {
	t.Helper()
	var out []resolvers.Hop
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatal(err)
		}
		cn := rr.(*dns.CNAME)
		out = append(out, resolvers.Hop{
			Name:   strings.TrimSuffix(cn.Hdr.Name, "."),
			Target: strings.TrimSuffix(cn.Target, "."),
			TTL:    cn.Hdr.Ttl,
		})
	}
	return out
}

// chainZone is a zone with a CNAME chain of n hops, c0 → c1 → … → cn, where
// cn has an A record.
func chainZone(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN chain.test.\n@ 60 IN SOA ns hm 1 60 60 60 60\n")
	for i := range n {
		fmt.Fprintf(&b, "c%d 60 IN CNAME c%d\n", i, i+1)
	}
	fmt.Fprintf(&b, "c%d 60 IN A 192.0.2.%d\n", n, n)
	return b.String()
}

// firstRecordOnly wraps h so that each reply carries only the first answer
// record, like an authoritative server that does not follow CNAMEs.
func firstRecordOnly(h dns.Handler) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		h.ServeDNS(trimWriter{w}, r)
	})
}

type trimWriter struct{ dns.ResponseWriter }

func (w trimWriter) WriteMsg(m *dns.Msg) error {
	if len(m.Answer) > 1 {
		m.Answer = m.Answer[:1]
	}
	return w.ResponseWriter.WriteMsg(m)
}

func rcodeHandler(rcode int) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, rcode)
		w.WriteMsg(m)
	})
}

// silent never answers.
var silent = dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {})

func TestResolve(t *testing.T) {
	t.Parallel()
	zone := resolverstest.StartZone(t, exampleZone)
	chain16 := resolverstest.StartZone(t, chainZone(16))
	chain17 := resolverstest.StartZone(t, chainZone(17))
	split := resolverstest.Start(t, firstRecordOnly(mustZoneHandler(t, exampleZone)))
	servfail := resolverstest.Start(t, rcodeHandler(dns.RcodeServerFailure))
	refused := resolverstest.Start(t, rcodeHandler(dns.RcodeRefused))
	formerr := resolverstest.Start(t, rcodeHandler(dns.RcodeFormatError))

	tests := []struct {
		name      string
		servers   []*resolverstest.Server
		qname     string
		status    resolvers.Status
		err       error // errors.Is target, when not ok
		answers   []resolvers.Answer
		chain     []resolvers.Hop
		exchanges int // how many queries, 0 = don't check
	}{
		{
			name: "A and AAAA", servers: []*resolverstest.Server{zone}, qname: "example.test",
			status:    resolvers.StatusOK,
			answers:   answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"),
			exchanges: 2,
		},
		{
			name: "upper case name", servers: []*resolverstest.Server{zone}, qname: "EXAMPLE.Test",
			status:  resolvers.StatusOK,
			answers: answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"),
		},
		{
			name: "A only", servers: []*resolverstest.Server{zone}, qname: "v4only.example.test",
			status:  resolvers.StatusOK,
			answers: answers(t, "v4only.example.test. 300 IN A 203.0.113.4"),
		},
		{
			name: "AAAA only", servers: []*resolverstest.Server{zone}, qname: "v6only.example.test",
			status:  resolvers.StatusOK,
			answers: answers(t, "v6only.example.test. 300 IN AAAA 2001:db8:6::6"),
		},
		{
			name: "CNAME chain in one answer", servers: []*resolverstest.Server{zone}, qname: "www.example.test",
			status: resolvers.StatusOK,
			answers: answers(t,
				"edge.example.test. 60 IN A 198.51.100.10",
				"edge.example.test. 60 IN A 198.51.100.11",
				"edge.example.test. 60 IN AAAA 2001:db8:100::10"),
			chain: hops(t,
				"www.example.test. 300 IN CNAME cdn.example.test.",
				"cdn.example.test. 300 IN CNAME edge.example.test."),
			exchanges: 2,
		},
		{
			name: "CNAME chain split across queries", servers: []*resolverstest.Server{split}, qname: "www.example.test",
			status: resolvers.StatusOK,
			answers: answers(t,
				"edge.example.test. 60 IN A 198.51.100.10",
				"edge.example.test. 60 IN AAAA 2001:db8:100::10"),
			chain: hops(t,
				"www.example.test. 300 IN CNAME cdn.example.test.",
				"cdn.example.test. 300 IN CNAME edge.example.test."),
			exchanges: 6,
		},
		{
			name: "CNAME loop", servers: []*resolverstest.Server{zone}, qname: "loop-a.example.test",
			status: resolvers.StatusError, err: resolvers.ErrCNAMELoop,
			chain: hops(t,
				"loop-a.example.test. 300 IN CNAME loop-b.example.test.",
				"loop-b.example.test. 300 IN CNAME loop-a.example.test."),
		},
		{
			name: "CNAME loop split across queries", servers: []*resolverstest.Server{split}, qname: "loop-a.example.test",
			status: resolvers.StatusError, err: resolvers.ErrCNAMELoop,
			chain: hops(t,
				"loop-a.example.test. 300 IN CNAME loop-b.example.test.",
				"loop-b.example.test. 300 IN CNAME loop-a.example.test."),
			exchanges: 4,
		},
		{
			name: "16 hops is fine", servers: []*resolverstest.Server{chain16}, qname: "c0.chain.test",
			status:  resolvers.StatusOK,
			answers: answers(t, "c16.chain.test. 60 IN A 192.0.2.16"),
		},
		{
			name: "more than 16 hops", servers: []*resolverstest.Server{chain17}, qname: "c0.chain.test",
			status: resolvers.StatusError, err: resolvers.ErrCNAMEChainTooLong,
		},
		{
			name: "CNAME to a name that does not exist", servers: []*resolverstest.Server{zone}, qname: "dangling.example.test",
			status: resolvers.StatusNXDomain, err: resolvers.ErrNXDomain,
			chain: hops(t, "dangling.example.test. 300 IN CNAME gone.example.test."),
		},
		{
			name: "NXDOMAIN", servers: []*resolverstest.Server{zone}, qname: "nope.example.test",
			status: resolvers.StatusNXDomain, err: resolvers.ErrNXDomain, exchanges: 2,
		},
		{
			name: "NODATA", servers: []*resolverstest.Server{zone}, qname: "txtonly.example.test",
			status: resolvers.StatusNoData, err: resolvers.ErrNoData, exchanges: 2,
		},
		{
			name: "IDN in punycode", servers: []*resolverstest.Server{zone}, qname: "xn--bcher-kva.example.test",
			status:  resolvers.StatusOK,
			answers: answers(t, "xn--bcher-kva.example.test. 300 IN A 192.0.2.77"),
		},
		{
			name: "SERVFAIL everywhere", servers: []*resolverstest.Server{servfail}, qname: "example.test",
			status: resolvers.StatusServFail, err: resolvers.ErrServFail, exchanges: 6, // 3 rounds × 2 types
		},
		{
			name: "SERVFAIL then an answer", servers: []*resolverstest.Server{servfail, zone}, qname: "example.test",
			status:    resolvers.StatusOK,
			answers:   answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"),
			exchanges: 4,
		},
		{
			name: "REFUSED everywhere", servers: []*resolverstest.Server{refused, refused}, qname: "example.test",
			status: resolvers.StatusRefused, err: resolvers.ErrRefused, exchanges: 12,
		},
		{
			name: "REFUSED outside the zones held", servers: []*resolverstest.Server{zone}, qname: "example.org",
			status: resolvers.StatusRefused, err: resolvers.ErrRefused,
		},
		{
			name: "FORMERR", servers: []*resolverstest.Server{formerr}, qname: "example.test",
			status: resolvers.StatusError, err: resolvers.ErrBadRcode,
		},
		{
			name: "SERVFAIL, then REFUSED", servers: []*resolverstest.Server{servfail, refused}, qname: "example.test",
			status: resolvers.StatusRefused, err: resolvers.ErrRefused,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var addrs []string
			for _, s := range tt.servers {
				addrs = append(addrs, s.Addr)
			}
			c := newClient(t, resolvers.Config{Servers: addrs, Timeout: 2 * time.Second})
			res := c.Resolve(t.Context(), tt.qname)
			checkResult(t, res, tt.qname, tt.status, tt.err, tt.answers, tt.chain)
			if tt.exchanges != 0 && len(res.Exchanges) != tt.exchanges {
				t.Errorf("%d exchanges, want %d:\n%s", len(res.Exchanges), tt.exchanges, dumpExchanges(res.Exchanges))
			}
			checkExchanges(t, res.Exchanges)
		})
	}
}

func mustZoneHandler(t *testing.T, path string) dns.Handler {
	t.Helper()
	text, err := readZone(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := resolverstest.NewZoneHandler(text)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func checkResult(t *testing.T, res resolvers.Result, name string, status resolvers.Status, wantErr error, want []resolvers.Answer, chain []resolvers.Hop) {
	t.Helper()
	if res.Name != name {
		t.Errorf("Name = %q, want %q", res.Name, name)
	}
	if res.Status != status {
		t.Errorf("Status = %s (%v), want %s\n%s", res.Status, res.Err, status, dumpExchanges(res.Exchanges))
	}
	switch {
	case status == resolvers.StatusOK && res.Err != nil:
		t.Errorf("Err = %v, want nil", res.Err)
	case status != resolvers.StatusOK && res.Err == nil:
		t.Errorf("Err = nil, want an error")
	case wantErr != nil && !errors.Is(res.Err, wantErr):
		t.Errorf("Err = %v, want one that is %v", res.Err, wantErr)
	}
	if !slices.Equal(res.Answers, want) {
		t.Errorf("Answers = %v, want %v", res.Answers, want)
	}
	if chain != nil && !slices.Equal(res.CNAMEChain, chain) {
		t.Errorf("CNAMEChain = %v, want %v", res.CNAMEChain, chain)
	}
}

// checkExchanges checks what every exchange must hold.
func checkExchanges(t *testing.T, ex []resolvers.Exchange) {
	t.Helper()
	for i, e := range ex {
		if e.Resolver == "" || (e.Transport != "udp" && e.Transport != "tcp") || e.Name == "" ||
			(e.Type != "A" && e.Type != "AAAA") || e.Status == "" || e.AskedAt.IsZero() || e.AskedAt.Location() != time.UTC {
			t.Errorf("exchange %d incomplete: %+v", i, e)
		}
		if (e.Rcode == "") != (e.RTT == 0) {
			t.Errorf("exchange %d: Rcode %q with RTT %s", i, e.Rcode, e.RTT)
		}
		if i > 0 && e.AskedAt.Before(ex[i-1].AskedAt) {
			t.Errorf("exchange %d asked before exchange %d", i, i-1)
		}
	}
}

func dumpExchanges(ex []resolvers.Exchange) string {
	var b strings.Builder
	for _, e := range ex {
		fmt.Fprintf(&b, "\t%s %s %s %s rcode=%q tc=%v status=%s err=%q rtt=%s\n",
			e.Resolver, e.Transport, e.Name, e.Type, e.Rcode, e.Truncated, e.Status, e.Error, e.RTT)
	}
	return b.String()
}

func TestResolveChainTooLongSaysWhere(t *testing.T) {
	t.Parallel()
	s := resolverstest.StartZone(t, chainZone(20))
	c := newClient(t, resolvers.Config{Servers: []string{s.Addr}})
	res := c.Resolve(t.Context(), "c0.chain.test")
	if !errors.Is(res.Err, resolvers.ErrCNAMEChainTooLong) || !strings.Contains(res.Err.Error(), "c16.chain.test") {
		t.Errorf("Err = %v, want ErrCNAMEChainTooLong naming c16.chain.test", res.Err)
	}
	if len(res.CNAMEChain) != resolvers.MaxCNAMEHops {
		t.Errorf("%d hops kept, want %d", len(res.CNAMEChain), resolvers.MaxCNAMEHops)
	}
}

func TestResolveInvalidNames(t *testing.T) {
	t.Parallel()
	s := resolverstest.Start(t, silent) // never asked
	c := newClient(t, resolvers.Config{Servers: []string{s.Addr}, Timeout: 50 * time.Millisecond})
	for _, name := range []string{
		"", ".", "a..test", ".a.test", "a b.test", "bücher.test", `a\.b.test`, "a\x00.test",
		strings.Repeat("a", 64) + ".test",
		strings.Repeat("abcdefghi.", 26) + "test",
		"a.test..",
	} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			t.Parallel()
			res := c.Resolve(t.Context(), name)
			if res.Status != resolvers.StatusInvalid || !errors.Is(res.Err, resolvers.ErrInvalidName) {
				t.Errorf("Status = %s, Err = %v; want invalid", res.Status, res.Err)
			}
			if len(res.Exchanges) != 0 {
				t.Errorf("%d queries sent for an invalid name", len(res.Exchanges))
			}
		})
	}
}

func TestResolveTimeoutThenNextResolver(t *testing.T) {
	t.Parallel()
	dead := resolverstest.Start(t, silent)
	zone := resolverstest.StartZone(t, exampleZone)
	c := newClient(t, resolvers.Config{Servers: []string{dead.Addr, zone.Addr}, Timeout: time.Second})
	res := c.Resolve(t.Context(), "example.test")
	checkResult(t, res, "example.test", resolvers.StatusOK, nil,
		answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"), nil)
	for _, typ := range []string{"A", "AAAA"} {
		var got []string
		for _, e := range res.Exchanges {
			if e.Type == typ {
				got = append(got, e.Resolver+" "+string(e.Status))
			}
		}
		want := []string{dead.Addr + " timeout", zone.Addr + " ok"}
		if !slices.Equal(got, want) {
			t.Errorf("%s exchanges = %q, want %q", typ, got, want)
		}
	}
	checkExchanges(t, res.Exchanges)
}

func TestResolvePortClosedThenNextResolver(t *testing.T) {
	t.Parallel()
	// A loopback port with nothing behind it: the kernel answers with ICMP
	// port unreachable, so the query fails at once rather than timing out.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()
	zone := resolverstest.StartZone(t, exampleZone)
	c := newClient(t, resolvers.Config{Servers: []string{closed, zone.Addr}, Timeout: 10 * time.Second})
	start := time.Now()
	res := c.Resolve(t.Context(), "example.test")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s: the closed port was not noticed", d)
	}
	checkResult(t, res, "example.test", resolvers.StatusOK, nil,
		answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"), nil)
	if len(res.Exchanges) != 4 || res.Exchanges[0].Resolver != closed || res.Exchanges[0].Status != resolvers.StatusError {
		t.Errorf("exchanges:\n%s", dumpExchanges(res.Exchanges))
	}
	checkExchanges(t, res.Exchanges)
}

func TestResolveTimeoutEverywhere(t *testing.T) {
	t.Parallel()
	dead1 := resolverstest.Start(t, silent)
	dead2 := resolverstest.Start(t, silent)
	c := newClient(t, resolvers.Config{Servers: []string{dead1.Addr, dead2.Addr}, Timeout: 50 * time.Millisecond, Retries: 1})
	start := time.Now()
	res := c.Resolve(t.Context(), "example.test")
	if res.Status != resolvers.StatusTimeout || !errors.Is(res.Err, resolvers.ErrTimeout) {
		t.Errorf("Status = %s, Err = %v; want timeout", res.Status, res.Err)
	}
	// 2 rounds × 2 servers, for each of A and AAAA, in the order asked.
	var got []string
	for _, e := range res.Exchanges {
		if e.Type == "A" {
			got = append(got, e.Resolver)
		}
	}
	if want := []string{dead1.Addr, dead2.Addr, dead1.Addr, dead2.Addr}; !slices.Equal(got, want) {
		t.Errorf("A asked of %q, want %q", got, want)
	}
	if len(res.Exchanges) != 8 {
		t.Errorf("%d exchanges, want 8", len(res.Exchanges))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestResolveTruncatedUsesTCP(t *testing.T) {
	t.Parallel()
	// 100 A and 100 AAAA records do not fit in 1232 bytes.
	var b strings.Builder
	b.WriteString("$ORIGIN big.test.\n@ 60 IN SOA ns hm 1 60 60 60 60\nwww 60 IN CNAME many\n")
	var want []string
	for i := range 100 {
		fmt.Fprintf(&b, "many 60 IN A 198.18.0.%d\nmany 60 IN AAAA 2001:db8::%x\n", i+1, i+1)
		want = append(want, fmt.Sprintf("many.big.test. 60 IN A 198.18.0.%d", i+1))
	}
	for i := range 100 {
		want = append(want, fmt.Sprintf("many.big.test. 60 IN AAAA 2001:db8::%x", i+1))
	}
	zone := resolverstest.StartZone(t, b.String())

	// A server that sets TC on every UDP reply and answers in full over TCP.
	zh := mustZoneHandler(t, exampleZone)
	alwaysTC := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if w.RemoteAddr().Network() == "udp" {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Truncated = true
			w.WriteMsg(m)
			return
		}
		zh.ServeDNS(w, r)
	}))

	tests := []struct {
		name, server, qname string
		answers             []resolvers.Answer
	}{
		{"reply too big for UDP", zone.Addr, "www.big.test", answers(t, want...)},
		{"TC on every UDP reply", alwaysTC.Addr, "example.test",
			answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, resolvers.Config{Servers: []string{tt.server}})
			res := c.Resolve(t.Context(), tt.qname)
			checkResult(t, res, tt.qname, resolvers.StatusOK, nil, tt.answers, nil)
			var got []string
			for _, e := range res.Exchanges {
				got = append(got, fmt.Sprintf("%s %s tc=%v", e.Type, e.Transport, e.Truncated))
			}
			slices.Sort(got)
			want := []string{"A tcp tc=false", "A udp tc=true", "AAAA tcp tc=false", "AAAA udp tc=true"}
			if !slices.Equal(got, want) {
				t.Errorf("exchanges = %q, want %q", got, want)
			}
			checkExchanges(t, res.Exchanges)
		})
	}
}

func TestResolveIgnoresMismatchedReplies(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	// wrongFirst sends a forged reply, then the real one.
	wrongFirst := func(forge func(m *dns.Msg)) dns.Handler {
		return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Answer = []dns.RR{forged(t, r.Question[0])}
			forge(m)
			w.WriteMsg(m)
			zh.ServeDNS(w, r)
		})
	}
	onlyWrong := func(forge func(m *dns.Msg)) dns.Handler {
		return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Answer = []dns.RR{forged(t, r.Question[0])}
			forge(m)
			w.WriteMsg(m)
		})
	}
	wrongID := func(m *dns.Msg) { m.Id++ }
	wrongName := func(m *dns.Msg) { m.Question[0].Name = "evil.test." }
	wrongType := func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeTXT }
	wrongClass := func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }
	noQuestion := func(m *dns.Msg) { m.Question = nil }
	notAReply := func(m *dns.Msg) { m.Response = false }

	tests := []struct {
		name    string
		handler dns.Handler
		status  resolvers.Status
	}{
		{"wrong ID, then right", wrongFirst(wrongID), resolvers.StatusOK},
		{"wrong name, then right", wrongFirst(wrongName), resolvers.StatusOK},
		{"wrong type, then right", wrongFirst(wrongType), resolvers.StatusOK},
		{"wrong class, then right", wrongFirst(wrongClass), resolvers.StatusOK},
		{"no question, then right", wrongFirst(noQuestion), resolvers.StatusOK},
		{"not a reply, then right", wrongFirst(notAReply), resolvers.StatusOK},
		{"only wrong IDs", onlyWrong(wrongID), resolvers.StatusTimeout},
		{"only wrong names", onlyWrong(wrongName), resolvers.StatusTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := resolverstest.Start(t, tt.handler)
			// Short where nothing right comes back; long enough for the
			// right reply on a loaded machine (the whole suite in parallel)
			// where it does.
			timeout := 5 * time.Second
			if tt.status == resolvers.StatusTimeout {
				timeout = 200 * time.Millisecond
			}
			c := newClient(t, resolvers.Config{Servers: []string{s.Addr}, Timeout: timeout, Retries: -1})
			res := c.Resolve(t.Context(), "example.test")
			var want []resolvers.Answer
			if tt.status == resolvers.StatusOK {
				want = answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1")
			}
			checkResult(t, res, "example.test", tt.status, nil, want, nil)
			checkExchanges(t, res.Exchanges)
		})
	}
}

// forged is an answer no honest server gives.
func forged(t *testing.T, q dns.Question) dns.RR {
	t.Helper()
	s := q.Name + " 300 IN A 203.0.113.66"
	if q.Qtype == dns.TypeAAAA {
		s = q.Name + " 300 IN AAAA 2001:db8:bad::66"
	}
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestResolveConcurrentNoCrossTalk(t *testing.T) {
	t.Parallel()
	const n = 2000
	zone := resolverstest.StartZone(t, numberedZone(n))
	c := newClient(t, resolvers.Config{Servers: []string{zone.Addr}, SocketsPerServer: 2})
	var wg sync.WaitGroup
	for w := range 100 {
		wg.Go(func() {
			for i := w; i < n; i += 100 {
				name := fmt.Sprintf("n%d.bench.test", i)
				res := c.Resolve(t.Context(), name)
				want := answers(t,
					fmt.Sprintf("%s. 300 IN A %s", name, v4(i)),
					fmt.Sprintf("%s. 300 IN AAAA %s", name, v6(i)))
				if res.Status != resolvers.StatusOK || !slices.Equal(res.Answers, want) {
					t.Errorf("%s: %s %v %v, want %v", name, res.Status, res.Err, res.Answers, want)
				}
			}
		})
	}
	wg.Wait()
}

// numberedZone holds n0 … n(n-1).bench.test, each with its own addresses.
func numberedZone(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns hm 1 60 60 60 60\n")
	for i := range n {
		fmt.Fprintf(&b, "n%d IN A %s\nn%d IN AAAA %s\n", i, v4(i), i, v6(i))
	}
	return b.String()
}

// v4 and v6 give name i its own addresses (up to 131,072 names).
func v4(i int) string { return fmt.Sprintf("198.%d.%d.%d", 18+i>>16, i>>8&0xff, i&0xff) }
func v6(i int) string { return fmt.Sprintf("2001:db8::%x:%x", i>>16, i&0xffff) }

func TestResolveContextCancelled(t *testing.T) {
	t.Parallel()
	dead := resolverstest.Start(t, silent)
	c := newClient(t, resolvers.Config{Servers: []string{dead.Addr}, Timeout: 30 * time.Second})
	tests := []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		status resolvers.Status
		err    error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, resolvers.StatusError, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 50*time.Millisecond)
		}, resolvers.StatusTimeout, context.DeadlineExceeded},
		{"already cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx, cancel
		}, resolvers.StatusError, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			res := c.Resolve(ctx, "example.test")
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Resolve took %s after the context ended", d)
			}
			if res.Status != tt.status || !errors.Is(res.Err, tt.err) {
				t.Errorf("Status = %s, Err = %v; want %s, %v", res.Status, res.Err, tt.status, tt.err)
			}
		})
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	asked := make(chan struct{})
	var once sync.Once
	dead := resolverstest.Start(t, dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {
		once.Do(func() { close(asked) }) // and never answer
	}))
	c, err := resolvers.New(resolvers.Config{Servers: []string{dead.Addr}, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan resolvers.Result)
	go func() { done <- c.Resolve(context.Background(), "example.test") }()
	<-asked
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if !errors.Is(res.Err, resolvers.ErrClosed) {
			t.Errorf("Err = %v, want ErrClosed", res.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Resolve still waiting after Close")
	}
	res := c.Resolve(t.Context(), "example.test")
	if res.Status != resolvers.StatusError || !errors.Is(res.Err, resolvers.ErrClosed) {
		t.Errorf("after Close: Status = %s, Err = %v", res.Status, res.Err)
	}
}

func TestNewAndServers(t *testing.T) {
	t.Parallel()
	c := newClient(t, resolvers.Config{Servers: []string{"127.0.0.1", "[::1]:5353"}})
	if got, want := c.Servers(), []string{"127.0.0.1:53", "[::1]:5353"}; !slices.Equal(got, want) {
		t.Errorf("Servers() = %q, want %q", got, want)
	}
	for _, cfg := range []resolvers.Config{
		{},
		{Servers: []string{"localhost"}},
		{Servers: []string{"127.0.0.1"}, Timeout: -1},
	} {
		if c, err := resolvers.New(cfg); err == nil {
			c.Close()
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestResolveResendsLostQuery: a query whose datagram is lost is sent again,
// with the same ID, within its one attempt, rather than waiting out the
// timeout: a server that ignores the first copy of every query still
// answers every name, with no retry (each question reaches it twice).
func TestResolveResendsLostQuery(t *testing.T) {
	t.Parallel()
	zone := mustZoneHandler(t, exampleZone)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	srv := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, m *dns.Msg) {
		key := fmt.Sprintf("%d %s", m.Id, m.Question[0].String())
		mu.Lock()
		seen[key]++
		n := seen[key]
		mu.Unlock()
		if n == 1 {
			return // lost
		}
		zone.ServeDNS(w, m)
	}))
	c := newClient(t, resolvers.Config{Servers: []string{srv.Addr}, Timeout: time.Minute, Retries: -1})
	res := c.Resolve(t.Context(), "example.test")
	checkResult(t, res, "example.test", resolvers.StatusOK, nil,
		answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"), nil)
	// The evidence says each query was sent again once.
	if len(res.Exchanges) != 2 {
		t.Fatalf("%d exchanges, want 2", len(res.Exchanges))
	}
	for _, e := range res.Exchanges {
		if e.Resends != 1 {
			t.Errorf("%s %s: Resends = %d, want 1", e.Name, e.Type, e.Resends)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Errorf("the server saw %d distinct queries (ID and question), want 2: %v", len(seen), seen)
	}
	for key, n := range seen {
		if n != 2 {
			t.Errorf("%s reached the server %d times, want 2", key, n)
		}
	}
}

// TestResolveSlowServerNotAskedTwice: a resolver slower than the initial
// retransmission timeout has its first queries sent again, and then its
// timeout learnt (the backoff lets a query sent once be answered): it is
// not asked everything twice.
func TestResolveSlowServerNotAskedTwice(t *testing.T) {
	t.Parallel()
	zone := mustZoneHandler(t, exampleZone)
	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		total int
	)
	srv := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, m *dns.Msg) {
		mu.Lock()
		seen[fmt.Sprintf("%d %s", m.Id, m.Question[0].String())]++
		total++
		mu.Unlock()
		time.Sleep(600 * time.Millisecond)
		zone.ServeDNS(w, m)
	}))
	c := newClient(t, resolvers.Config{Servers: []string{srv.Addr}, Timeout: time.Minute, Retries: -1})
	const names = 5
	for range names {
		res := c.Resolve(t.Context(), "example.test")
		checkResult(t, res, "example.test", resolvers.StatusOK, nil,
			answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"), nil)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2*names {
		t.Errorf("the server saw %d distinct queries, want %d", len(seen), 2*names)
	}
	if again := total - len(seen); again >= names {
		t.Errorf("%d of %d queries were sent again; want the first few only", again, len(seen))
	}
}
