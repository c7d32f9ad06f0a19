package resolvers_test

import (
	"context"
	"errors"
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

// The names the fuzz targets ask for.
const (
	fuzzName = "www.fuzz.test"
	fuzzPTR  = "192.0.2.1"
)

// fuzzReplies answers every query with one of two messages the fuzzer made:
// first for the name asked first, rest for any other name (the alias a
// client asks for when a reply stops at one), each given the query's ID and
// question and the QR bit, so that the client takes it. It notes the EDNS
// Client Subnet of every query.
type fuzzReplies struct {
	first, rest *dns.Msg
	qname       string // fully qualified, the name asked first

	mu  sync.Mutex
	ecs []string // the subnet each query carried, "" for none
}

func (h *fuzzReplies) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		return
	}
	src := h.rest
	if strings.EqualFold(r.Question[0].Name, h.qname) {
		src = h.first
	}
	m := src.Copy()
	m.Id, m.Response, m.Question, m.Compress = r.Id, true, r.Question, true
	h.mu.Lock()
	h.ecs = append(h.ecs, querySubnet(r))
	h.mu.Unlock()
	if err := w.WriteMsg(m); err != nil {
		// Checked before serving: every message packs. Say no more, so the
		// query fails quickly instead of timing out.
		fail := new(dns.Msg)
		fail.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(fail)
	}
}

// querySubnet returns the EDNS Client Subnet a query carried, as a prefix.
func querySubnet(r *dns.Msg) string {
	opt := r.IsEdns0()
	if opt == nil {
		return ""
	}
	for _, o := range opt.Option {
		if s, ok := o.(*dns.EDNS0_SUBNET); ok {
			a, ok := netip.AddrFromSlice(s.Address)
			if !ok {
				return "bad address " + string(s.Address)
			}
			if s.Family == 1 {
				a = a.Unmap() // miekg/dns gives IPv4 in 16 bytes
			}
			return netip.PrefixFrom(a, int(s.SourceNetmask)).String()
		}
	}
	return ""
}

// servable unpacks a fuzzer's message and reports whether it can be sent
// back, packed again, for a question about qname: the server only serves
// messages that pack, within what UDP carries.
func servable(b []byte, qname string) (*dns.Msg, bool) {
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return nil, false
	}
	c := m.Copy()
	c.Response, c.Compress = true, true
	c.Question = []dns.Question{{Name: dns.Fqdn(qname), Qtype: dns.TypeAAAA, Qclass: dns.ClassINET}}
	// Room for a longer question (an alias instead of qname).
	if p, err := c.Pack(); err != nil || len(p) > 16<<10 {
		return nil, false
	}
	return m, true
}

// subnetOf reads a fuzzer's subnet: 4 or 16 address bytes and a length;
// anything else is no subnet.
func subnetOf(addr []byte, bits uint8) netip.Prefix {
	a, ok := netip.AddrFromSlice(addr)
	if !ok {
		return netip.Prefix{}
	}
	return netip.PrefixFrom(a, int(bits)%(a.BitLen()+1))
}

// fuzzServe starts a server answering with first and rest and a client
// asking it (with ECS ecs, when valid), both closed when t ends.
func fuzzServe(t *testing.T, qname string, first, rest *dns.Msg, ecs netip.Prefix) (*fuzzReplies, *resolvers.Client, string) {
	h := &fuzzReplies{first: first, rest: rest, qname: dns.Fqdn(qname)}
	srv := resolverstest.Start(t, h)
	c := newClient(t, resolvers.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, Retries: -1, SocketsPerServer: 1, ECS: ecs})
	return h, c, srv.Addr
}

// records is what a fuzzer's messages hold: the address, CNAME and PTR
// records a client may take from them, and the ECS scope each gives.
type records struct {
	addrs  map[resolvers.Answer]bool
	cnames map[resolvers.Hop]bool // names in lower case
	ptrs   map[string]bool        // targets in lower case, without the trailing dot
	scopes map[int]bool           // the ECS scope of each message, -1 for none
}

func recordsOf(msgs ...*dns.Msg) records {
	r := records{addrs: map[resolvers.Answer]bool{}, cnames: map[resolvers.Hop]bool{}, ptrs: map[string]bool{},
		scopes: map[int]bool{-1: true}} // -1 too: the server's SERVFAIL when a message fails to pack
	for _, m := range msgs {
		for _, rr := range m.Answer {
			switch v := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
					r.addrs[resolvers.Answer{Addr: a, TTL: v.Hdr.Ttl}] = true
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
					r.addrs[resolvers.Answer{Addr: a, TTL: v.Hdr.Ttl}] = true
				}
			case *dns.CNAME:
				r.cnames[resolvers.Hop{Name: lowerName(v.Hdr.Name), Target: lowerName(v.Target), TTL: v.Hdr.Ttl}] = true
			case *dns.PTR:
				r.ptrs[lowerName(v.Ptr)] = true
			}
		}
		scope := -1
		if opt := m.IsEdns0(); opt != nil {
			for _, o := range opt.Option {
				if s, ok := o.(*dns.EDNS0_SUBNET); ok {
					scope = int(s.SourceScope)
				}
			}
		}
		r.scopes[scope] = true
	}
	return r
}

func lowerName(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

// maxExchanges bounds the queries of one lookup of one type, with Retries
// -1 and one server: one per hop of the longest chain and one more, each
// perhaps asked again over TCP.
const maxExchanges = (resolvers.MaxCNAMEHops + 1) * 2

// checkFuzzExchanges checks the evidence: every query went to addr, about a
// name of the chain, with the subnet configured and the scope a reply gave.
func checkFuzzExchanges(t *testing.T, ex []resolvers.Exchange, types int, addr string, names []string, ecs netip.Prefix, recs records, h *fuzzReplies) {
	t.Helper()
	if len(ex) == 0 || len(ex) > types*maxExchanges {
		t.Fatalf("%d exchanges", len(ex))
	}
	for _, e := range ex {
		if e.Resolver != addr || (e.Transport != "udp" && e.Transport != "tcp") {
			t.Fatalf("exchange with %s over %s", e.Resolver, e.Transport)
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, e.Name) }) {
			t.Fatalf("asked for %q, not a name of the chain %q", e.Name, names)
		}
		switch {
		case !ecs.IsValid() && (e.ECSSource != "" || e.ECSScope != 0):
			t.Fatalf("no subnet sent, but exchange says %q, scope %d", e.ECSSource, e.ECSScope)
		case ecs.IsValid() && e.ECSSource != ecs.Masked().String():
			t.Fatalf("subnet %s sent, exchange says %q", ecs.Masked(), e.ECSSource)
		case ecs.IsValid() && e.Rcode == "" && e.ECSScope != -1:
			t.Fatalf("no reply, but scope %d", e.ECSScope)
		case ecs.IsValid() && e.Rcode != "" && !recs.scopes[e.ECSScope]:
			t.Fatalf("scope %d, which no reply gave (%v)", e.ECSScope, recs.scopes)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	want := ""
	if ecs.IsValid() {
		want = ecs.Masked().String()
	}
	for _, got := range h.ecs {
		if got != want {
			t.Fatalf("a query carried subnet %q, want %q", got, want)
		}
	}
}

// fuzzSeeds builds the replies the seeds start from, for qname and type
// qtype: each pair is (first, rest).
func fuzzSeeds(tb testing.TB, qname string, qtype uint16, answers ...[2][]string) [][2][]byte {
	tb.Helper()
	var out [][2][]byte
	for _, a := range answers {
		var pair [2][]byte
		for i, lines := range a {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(qname), qtype)
			m.Response = true
			for _, l := range lines {
				switch {
				case l == "NXDOMAIN":
					m.Rcode = dns.RcodeNameError
				case l == "SERVFAIL":
					m.Rcode = dns.RcodeServerFailure
				case l == "TC":
					m.Truncated = true
				case strings.HasPrefix(l, "ECS "):
					p := netip.MustParsePrefix(strings.Fields(l)[1])
					m.SetEdns0(1232, false)
					fam := uint16(1)
					if p.Addr().Is6() {
						fam = 2
					}
					m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_SUBNET{
						Code: dns.EDNS0SUBNET, Family: fam, SourceNetmask: uint8(p.Bits()), SourceScope: uint8(p.Bits()),
						Address: p.Addr().AsSlice(),
					})
				default:
					rr, err := dns.NewRR(l)
					if err != nil {
						tb.Fatalf("%s: %v", l, err)
					}
					if rr.Header().Rrtype == dns.TypeSOA {
						m.Ns = append(m.Ns, rr)
					} else {
						m.Answer = append(m.Answer, rr)
					}
				}
			}
			b, err := m.Pack()
			if err != nil {
				tb.Fatal(err)
			}
			pair[i] = b
		}
		out = append(out, pair)
	}
	return out
}

// FuzzResolve feeds Client.Resolve replies made by the fuzzer, over UDP
// (and TCP when they are truncated) from a server on loopback: answer
// extraction, CNAME chains within a reply and across queries, ECS options.
// Resolve must end, within its bounds, and take only what the replies hold.
func FuzzResolve(f *testing.F) {
	chain := func(n int, last string) []string {
		var out []string
		for i := range n {
			from := "c" + string(rune('a'+i)) + ".fuzz.test."
			if i == 0 {
				from = fuzzName + "."
			}
			out = append(out, from+" 60 IN CNAME c"+string(rune('a'+i+1))+".fuzz.test.")
		}
		return append(out, "c"+string(rune('a'+n))+".fuzz.test. 60 IN "+last)
	}
	seeds := fuzzSeeds(f, fuzzName, dns.TypeA,
		[2][]string{{fuzzName + ". 300 IN A 192.0.2.1", fuzzName + ". 300 IN AAAA 2001:db8::1"}, {}},
		[2][]string{{fuzzName + ". 60 IN CNAME cdn.fuzz.test.", "cdn.fuzz.test. 60 IN CNAME edge.fuzz.test.", "edge.fuzz.test. 30 IN A 198.51.100.10", "EDGE.fuzz.test. 20 IN A 198.51.100.10"}, {}},
		[2][]string{{fuzzName + ". 60 IN CNAME alias.fuzz.test."}, {"alias.fuzz.test. 60 IN A 203.0.113.7", "alias.fuzz.test. 60 IN AAAA 2001:db8::7"}},
		[2][]string{{fuzzName + ". 60 IN CNAME loop.fuzz.test.", "loop.fuzz.test. 60 IN CNAME " + fuzzName + "."}, {}},
		[2][]string{{fuzzName + ". 60 IN CNAME a.fuzz.test."}, {"a.fuzz.test. 60 IN CNAME b.fuzz.test.", "b.fuzz.test. 60 IN CNAME a.fuzz.test."}},
		[2][]string{chain(17, "A 192.0.2.17"), {}},
		[2][]string{chain(16, "A 192.0.2.16"), {}},
		[2][]string{{"NXDOMAIN", "fuzz.test. 60 IN SOA ns.fuzz.test. hm.fuzz.test. 1 60 60 60 60"}, {}},
		[2][]string{{fuzzName + ". 60 IN CNAME gone.fuzz.test."}, {"NXDOMAIN"}},
		[2][]string{{"ECS 192.0.2.0/24", fuzzName + ". 60 IN A 192.0.2.9"}, {}},
		[2][]string{{"ECS 2001:db8::/56", fuzzName + ". 60 IN AAAA 2001:db8::9"}, {}},
		[2][]string{{"TC"}, {}},
		[2][]string{{"SERVFAIL"}, {}},
		[2][]string{{"other.fuzz.test. 60 IN A 192.0.2.66", fuzzName + ". 60 CH A 192.0.2.67", fuzzName + ". 60 IN TXT \"192.0.2.68\""}, {}},
	)
	for i, s := range seeds {
		switch i % 3 {
		case 0:
			f.Add(s[0], s[1], []byte(nil), uint8(0))
		case 1:
			f.Add(s[0], s[1], []byte{192, 0, 2, 0}, uint8(24))
		default:
			f.Add(s[0], s[1], netip.MustParseAddr("2001:db8::").AsSlice(), uint8(56))
		}
	}
	f.Fuzz(func(t *testing.T, first, rest, ecsAddr []byte, ecsBits uint8) {
		m1, ok1 := servable(first, fuzzName)
		m2, ok2 := servable(rest, "x"+strings.Repeat(".x", 120))
		if !ok1 || !ok2 {
			return
		}
		ecs := subnetOf(ecsAddr, ecsBits)
		h, c, addr := fuzzServe(t, fuzzName, m1, m2, ecs)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		res := c.Resolve(ctx, fuzzName)
		if ctx.Err() != nil {
			t.Fatalf("Resolve did not end: %v", res.Err)
		}
		recs := recordsOf(m1, m2)

		if !slices.Contains(resolvers.Statuses(), res.Status) {
			t.Fatalf("status %q", res.Status)
		}
		if (res.Status == resolvers.StatusOK) != (len(res.Answers) > 0) || (res.Status == resolvers.StatusOK) != (res.Err == nil) {
			t.Fatalf("status %s with %d answers and error %v", res.Status, len(res.Answers), res.Err)
		}
		if (errors.Is(res.Err, resolvers.ErrCNAMELoop) || errors.Is(res.Err, resolvers.ErrCNAMEChainTooLong)) && res.Status != resolvers.StatusError {
			t.Fatalf("status %s for %v", res.Status, res.Err)
		}
		for i, a := range res.Answers {
			if !recs.addrs[a] {
				t.Fatalf("answer %v is in no reply", a)
			}
			if i > 0 && !res.Answers[i-1].Addr.Less(a.Addr) {
				t.Fatalf("answers not sorted or repeated: %v", res.Answers)
			}
		}
		// A and AAAA each follow at most MaxCNAMEHops records.
		if len(res.CNAMEChain) > 2*resolvers.MaxCNAMEHops {
			t.Fatalf("%d hops", len(res.CNAMEChain))
		}
		names := []string{fuzzName}
		for i, hop := range res.CNAMEChain {
			if i == 0 && !strings.EqualFold(hop.Name, fuzzName) {
				t.Fatalf("chain starts at %q", hop.Name)
			}
			if !recs.cnames[resolvers.Hop{Name: strings.ToLower(hop.Name), Target: strings.ToLower(hop.Target), TTL: hop.TTL}] {
				t.Fatalf("hop %+v is in no reply", hop)
			}
			names = append(names, hop.Target)
		}
		checkFuzzExchanges(t, res.Exchanges, 2, addr, names, ecs, recs, h)
	})
}

// FuzzPTR is FuzzResolve for Client.PTR: reverse names, and CNAME records
// followed as RFC 2317 classless delegation needs.
func FuzzPTR(f *testing.F) {
	ip := netip.MustParseAddr(fuzzPTR)
	rev := resolvers.ReverseName(ip)
	seeds := fuzzSeeds(f, rev, dns.TypePTR,
		[2][]string{{rev + ". 300 IN PTR host.example.", rev + ". 300 IN PTR Host.Example.", rev + ". 300 IN PTR other.example."}, {}},
		[2][]string{{rev + ". 300 IN CNAME 1.0-63.2.0.192.in-addr.arpa.", "1.0-63.2.0.192.in-addr.arpa. 300 IN PTR host.example."}, {}},
		[2][]string{{rev + ". 300 IN CNAME 1.0-63.2.0.192.in-addr.arpa."}, {"1.0-63.2.0.192.in-addr.arpa. 300 IN PTR host.example."}},
		[2][]string{{rev + ". 300 IN CNAME 1.0-63.2.0.192.in-addr.arpa.", "1.0-63.2.0.192.in-addr.arpa. 300 IN CNAME " + rev + "."}, {}},
		[2][]string{{"NXDOMAIN"}, {}},
		[2][]string{{rev + ". 300 IN PTR \\027[2J.example."}, {}},
		[2][]string{{"TC", "ECS 192.0.2.0/24"}, {}},
	)
	for i, s := range seeds {
		if i%2 == 0 {
			f.Add(s[0], s[1], []byte(nil), uint8(0))
		} else {
			f.Add(s[0], s[1], []byte{192, 0, 2, 0}, uint8(24))
		}
	}
	f.Fuzz(func(t *testing.T, first, rest, ecsAddr []byte, ecsBits uint8) {
		m1, ok1 := servable(first, rev)
		m2, ok2 := servable(rest, "x"+strings.Repeat(".x", 120))
		if !ok1 || !ok2 {
			return
		}
		ecs := subnetOf(ecsAddr, ecsBits)
		h, c, addr := fuzzServe(t, rev, m1, m2, ecs)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		got, ex, err := c.PTR(ctx, ip)
		if ctx.Err() != nil {
			t.Fatalf("PTR did not end: %v", err)
		}
		if err != nil && got != nil {
			t.Fatalf("names %q with error %v", got, err)
		}
		recs := recordsOf(m1, m2)
		for i, n := range got {
			if !recs.ptrs[n] {
				t.Fatalf("name %q is in no reply", n)
			}
			if n == "" || n != strings.ToLower(n) || strings.HasSuffix(n, ".") {
				t.Fatalf("name %q not lower case without the dot", n)
			}
			if i > 0 && got[i-1] >= n {
				t.Fatalf("names not sorted or repeated: %q", got)
			}
		}
		// The names asked for: the reverse name and the CNAME targets in the replies.
		names := []string{rev}
		for hop := range recs.cnames {
			names = append(names, hop.Target)
		}
		checkFuzzExchanges(t, ex, 1, addr, names, ecs, recs, h)
	})
}
