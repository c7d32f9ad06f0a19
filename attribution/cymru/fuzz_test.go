package cymru

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

// manyASNs is an origin record of 40 ASNs, more than any real prefix has, in
// two character-strings.
func manyASNs() []string {
	var b strings.Builder
	for n := range 40 {
		fmt.Fprintf(&b, "%d ", 64496+n)
	}
	s := b.String() + "| 192.0.2.0/24 | ZZ | arin"
	return []string{s[:200], s[200:]}
}

// fuzzZones are the zones the fuzz targets' clients ask, on loopback.
var fuzzZones = Zones{Origin: "origin.fuzz.test", Origin6: "origin6.fuzz.test", ASN: "asn.fuzz.test"}

// wireTXT returns the character-strings of a TXT record joined, as bytes, read
// from its wire form: an oracle for txtRecords that does not go through the
// presentation form miekg/dns gives.
func wireTXT(tb testing.TB, rr *dns.TXT) string {
	buf := make([]byte, 1<<16)
	hdr := *rr
	hdr.Hdr.Name = "." // one octet of name, then type, class, TTL and length
	end, err := dns.PackRR(&hdr, buf, 0, nil, false)
	if err != nil {
		tb.Fatalf("pack %v: %v", rr, err)
	}
	rdata := buf[11:end]
	var b strings.Builder
	for len(rdata) > 0 {
		n := int(rdata[0])
		b.Write(rdata[1 : 1+n])
		rdata = rdata[1+n:]
	}
	return b.String()
}

// texts is what Lookup should make of the TXT records in rrs.
func texts(tb testing.TB, rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok && t.Hdr.Class == dns.ClassINET {
			out = append(out, strings.ToValidUTF8(wireTXT(tb, t), "\uFFFD"))
		}
	}
	return out
}

// FuzzUnescapeTXT checks unescapeTXT against miekg/dns: any bytes, sent as
// a TXT character-string and unpacked into presentation form, come back.
func FuzzUnescapeTXT(f *testing.F) {
	for _, s := range []string{"64496 | 192.0.2.0/24 | ZZ | arin | 1998-09-25", `a"b\c`, "Telefónica", "\x00\x1b[2J\x7f\xff", `\123`, ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 255 {
			b = b[:255]
		}
		// Root name, type TXT, class IN, TTL 60, the length, one character-string.
		n := len(b) + 1
		wire := append([]byte{0, 0, byte(dns.TypeTXT), 0, 1, 0, 0, 0, 60, byte(n >> 8), byte(n), byte(len(b))}, b...)
		rr, _, err := dns.UnpackRR(wire, 0)
		if err != nil {
			t.Fatalf("unpack: %v", err)
		}
		txt := rr.(*dns.TXT).Txt
		if len(txt) != 1 {
			t.Fatalf("%d strings", len(txt))
		}
		if got := resolvers.UnescapeTXT(txt[0]); got != string(b) {
			t.Fatalf("resolvers.UnescapeTXT(%q) = %q, want %q", txt[0], got, b)
		}
	})
}

// cymruReplies answers the origin query with first and every other query (the
// AS queries) with rest, each given the query's ID and question.
type cymruReplies struct {
	origin      string
	first, rest *dns.Msg
}

func (h *cymruReplies) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		return
	}
	src := h.rest
	if strings.EqualFold(r.Question[0].Name, h.origin) {
		src = h.first
	}
	m := src.Copy()
	m.Id, m.Response, m.Question, m.Compress = r.Id, true, r.Question, true
	if w.WriteMsg(m) != nil {
		fail := new(dns.Msg)
		fail.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(fail)
	}
}

// servable unpacks a fuzzer's message and reports whether it packs again for
// a question about qname, within what UDP carries.
func servable(b []byte, qname string) (*dns.Msg, bool) {
	m := new(dns.Msg)
	if m.Unpack(b) != nil {
		return nil, false
	}
	c := m.Copy()
	c.Response, c.Compress = true, true
	c.Question = []dns.Question{{Name: qname, Qtype: dns.TypeTXT, Qclass: dns.ClassINET}}
	if p, err := c.Pack(); err != nil || len(p) > 16<<10 {
		return nil, false
	}
	return m, true
}

// txtReply packs a reply of TXT records, each given as its strings.
func txtReply(tb testing.TB, rcode int, records ...[]string) []byte {
	tb.Helper()
	m := new(dns.Msg)
	m.SetQuestion("q.fuzz.test.", dns.TypeTXT)
	m.Response, m.Rcode = true, rcode
	for _, txt := range records {
		m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: "q.fuzz.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: txt})
	}
	b, err := m.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzLookup feeds Lookup TXT replies made by the fuzzer, through a real
// resolvers.Client and a server on loopback: first answers the origin query,
// rest every AS query. Lookup must take exactly the records that parse and
// hold the address, in order, and ask for a bounded number of ASes.
func FuzzLookup(f *testing.F) {
	ok := dns.RcodeSuccess
	seeds := [][2][]byte{
		{txtReply(f, ok, []string{"64496 | 192.0.2.0/24 | ZZ | arin | 1998-09-25"}), txtReply(f, ok, []string{"64496 | ZZ | arin | 1998-09-25 | EXAMPLE-NET | Example | Networks, ZZ"})},
		{txtReply(f, ok, []string{"64496 | 192.0.0.0/16 | ZZ | arin | 1993-01-01"}, []string{"64497 64498 | 192.0.2.0/24 | ZZ | arin | 2014-07-01"}, []string{"64496 | 192.0.2.0/25 | ZZ | arin"}),
			txtReply(f, ok, []string{"64497 | ZZ | arin | 2014-07-01 | DOC-A"}, []string{"64498 | ZZ | arin | 2014-07-01 | DOC-B"})},
		{txtReply(f, ok, []string{"64499 | 192.0.2.0/24 | ", "ZZ | ripencc", " | 2001-01-01"}), txtReply(f, ok, []string{"64499 | ZZ | ripencc | 2001-01-01 | Telef\xc3\xb3nica \"Test\" \\ Net, ZZ"})},
		{txtReply(f, ok, []string{"this is not | a record"}, []string{"64497 | 198.51.100.0/24 | ZZ | arin"}, []string{"64500 | 2001:db8::/32 | ZZ | ripencc | 2005-01-01"}), txtReply(f, dns.RcodeNameError)},
		{txtReply(f, ok, []string{"64496 | 192.0.2.0/24 | \x1b[2J | arin\xff"}), txtReply(f, ok, []string{"64496 | \x1b]8;;x\x07 | arin | | \n forged row"})},
		{txtReply(f, dns.RcodeNameError), txtReply(f, ok)},
		{txtReply(f, ok, manyASNs()), txtReply(f, ok, []string{"64496 | ZZ | arin | | X"})},
		{txtReply(f, ok), txtReply(f, ok)},
		{txtReply(f, dns.RcodeServerFailure), txtReply(f, ok)},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], false)
	}
	f.Add(txtReply(f, ok, []string{"64500 | 2001:db8::/32 | ZZ | ripencc | 2005-01-01"}, []string{"64501 | 2001:db8::/48 | ZZ | ripencc"}),
		txtReply(f, ok, []string{"64500 | ZZ | ripencc | 2005-01-01 | V6-NET, ZZ"}), true)
	f.Fuzz(func(t *testing.T, first, rest []byte, v6 bool) {
		ip := netip.MustParseAddr("192.0.2.1")
		if v6 {
			ip = netip.MustParseAddr("2001:db8::1")
		}
		c := &Client{Zones: fuzzZones}
		origin := c.OriginName(ip)
		m1, ok1 := servable(first, origin)
		m2, ok2 := servable(rest, c.ASName(4294967295))
		if !ok1 || !ok2 {
			return
		}
		srv := resolverstest.Start(t, &cymruReplies{origin: origin, first: m1, rest: m2})
		rc, err := resolvers.New(resolvers.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, Retries: -1, SocketsPerServer: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		c.q = rc
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		res := c.Lookup(ctx, ip)
		if ctx.Err() != nil {
			t.Fatalf("Lookup did not end: %+v", res)
		}

		// What the origin reply should give.
		var want []Origin
		status := StatusError
		switch m1.Rcode {
		case dns.RcodeNameError:
			status = StatusNotFound
		case dns.RcodeSuccess:
			txts := texts(t, m1.Answer)
			for _, s := range txts {
				if o, err := ParseOrigin(s); err == nil && o.Prefix.Contains(ip) {
					want = append(want, o)
				}
			}
			slices.SortFunc(want, compareOrigins)
			want = slices.CompactFunc(want, func(a, b Origin) bool { return compareOrigins(a, b) == 0 })
			switch {
			case len(want) > 0:
				status = StatusOK
			case len(txts) == 0:
				status = StatusNotFound
			}
		}
		if res.Status != status || !reflect.DeepEqual(res.Origins, want) {
			t.Fatalf("Lookup = %s, %+v (%s); want %s, %+v", res.Status, res.Origins, res.Error, status, want)
		}
		if len(res.Queries) == 0 || !strings.EqualFold(res.Queries[0].Name+".", origin) {
			t.Fatalf("first query %+v, want %s", res.Queries, origin)
		}
		if !utf8.ValidString(res.Error) {
			t.Fatalf("error %q is not UTF-8", res.Error)
		}

		// The AS queries: each ASN asked once, and no more of them than Lookup
		// allows, so that one reply cannot make it send thousands.
		var asns []uint32 // those of the most specific origins first
		for _, o := range res.Origins {
			for _, n := range o.ASNs {
				if !slices.Contains(asns, n) {
					asns = append(asns, n)
				}
			}
		}
		asns = asns[:min(len(asns), maxASLookups)]
		slices.Sort(asns)
		asked := 0
		for _, q := range res.Queries {
			if !strings.EqualFold(q.Name+".", origin) {
				asked++
			}
		}
		if asked < len(asns) || asked > 2*len(asns) { // 2: perhaps again over TCP
			t.Fatalf("%d AS queries for %d ASNs", asked, len(asns))
		}
		var wantAS []AS
		if m2.Rcode == dns.RcodeSuccess {
			for _, n := range asns {
				for _, s := range texts(t, m2.Answer) {
					if a, err := ParseAS(s); err == nil && a.ASN == n {
						wantAS = append(wantAS, a)
						break
					}
				}
			}
		}
		if !reflect.DeepEqual(res.ASNames, wantAS) {
			t.Fatalf("ASNames = %+v, want %+v", res.ASNames, wantAS)
		}
	})
}
