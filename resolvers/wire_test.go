package resolvers

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// wireSeeds are replies as resolvers send them, packed by miekg/dns, with
// whether parseWire reads them itself.
func wireSeeds(tb testing.TB) []struct {
	name string
	msg  []byte
	fast bool
} {
	tb.Helper()
	mk := func(rcode int, edns bool, compress bool, sections ...[]string) []byte {
		m := new(dns.Msg)
		m.SetQuestion("www.Example.test.", dns.TypeA)
		m.Response, m.Rcode, m.Compress = true, rcode, compress
		for i, sec := range sections {
			for _, s := range sec {
				rr, err := dns.NewRR(s)
				if err != nil {
					tb.Fatal(err)
				}
				switch i {
				case 0:
					m.Answer = append(m.Answer, rr)
				case 1:
					m.Ns = append(m.Ns, rr)
				default:
					m.Extra = append(m.Extra, rr)
				}
			}
		}
		if edns {
			m.SetEdns0(1232, false)
		}
		b, err := m.Pack()
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	soa := []string{"example.test. 60 IN SOA ns.example.test. hm.example.test. 1 60 60 60 60"}
	ecs := new(dns.Msg)
	ecs.SetQuestion("www.example.test.", dns.TypeA)
	ecs.SetEdns0(1232, false)
	ecs.IsEdns0().Option = append(ecs.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24})
	ecsWire, _ := ecs.Pack()
	badvers := new(dns.Msg)
	badvers.SetQuestion("www.example.test.", dns.TypeA)
	badvers.SetEdns0(1232, false)
	badvers.IsEdns0().SetExtendedRcode(dns.RcodeBadVers)
	badversWire, _ := badvers.Pack()
	return []struct {
		name string
		msg  []byte
		fast bool
	}{
		{"A", mk(0, true, false, []string{"www.example.test. 300 IN A 192.0.2.1"}), true},
		{"A compressed", mk(0, true, true, []string{"www.example.test. 300 IN A 192.0.2.1", "WWW.example.test. 30 IN A 192.0.2.2"}), true},
		{"AAAA", mk(0, false, true, []string{"www.example.test. 300 IN AAAA 2001:db8::1"}), true},
		{"CNAME chain", mk(0, true, true, []string{"www.example.test. 60 IN CNAME cdn.example.test.", "cdn.example.test. 60 IN CNAME Edge-1.cdn_x.test.", "edge-1.cdn_x.test. 20 IN A 198.51.100.10"}), true},
		{"CNAME to root", mk(0, true, true, []string{"www.example.test. 60 IN CNAME ."}), true},
		{"NXDOMAIN", mk(3, true, true, nil, soa), true},
		{"NODATA", mk(0, true, false, nil, soa), true},
		{"referral with glue", mk(0, true, true, nil, []string{"example.test. 60 IN NS ns.example.test."}, []string{"ns.example.test. 60 IN A 192.0.2.53", "ns.example.test. 60 IN AAAA 2001:db8::53"}), true},
		{"SERVFAIL", mk(2, false, false), true},
		{"other class", mk(0, true, true, []string{"www.example.test. 60 CH A 192.0.2.67"}), true},
		{"BADVERS", badversWire, true},
		{"TXT", mk(0, true, true, []string{"www.example.test. 60 IN TXT \"192.0.2.68\""}), false},
		{"escaped owner", mk(0, true, true, []string{"w\\.w.example.test. 60 IN A 192.0.2.1"}), false},
		{"ECS option", ecsWire, false},
		{"header only", []byte{0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0}, false},
	}
}

// TestParseWire checks that parseWire reads the usual replies itself and
// leaves the others to miekg/dns.
func TestParseWire(t *testing.T) {
	for _, tc := range wireSeeds(t) {
		t.Run(tc.name, func(t *testing.T) {
			var v view
			if got := parseWire(tc.msg, &v); got != tc.fast {
				t.Fatalf("parseWire = %v, want %v", got, tc.fast)
			}
			if tc.fast {
				compareWithMiekg(t, tc.msg, &v)
			}
		})
	}
}

// FuzzParseWire checks that whatever parseWire accepts, miekg/dns accepts
// too, and that lookup reads the same from both: rcode, truncation, the
// size of the answer section, CNAME targets and addresses, for every name
// in the answer section and some that are not.
func FuzzParseWire(f *testing.F) {
	for _, tc := range wireSeeds(f) {
		f.Add(tc.msg)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var v view
		if parseWire(msg, &v) {
			compareWithMiekg(t, msg, &v)
		}
	})
}

func compareWithMiekg(t *testing.T, msg []byte, v *view) {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(msg); err != nil {
		t.Fatalf("parseWire accepted what miekg/dns rejects: %v", err)
	}
	want := viewOf(m)
	if v.rcode != want.rcode || v.truncated != want.truncated || v.ancount != want.ancount {
		t.Fatalf("rcode %d, truncated %v, %d answers; miekg/dns: %d, %v, %d",
			v.rcode, v.truncated, v.ancount, want.rcode, want.truncated, want.ancount)
	}
	names := []string{"", "www.example.test", "WWW.EXAMPLE.TEST", "www.example", "example.test", "ww.example.test", "www.example.test.x"}
	for _, rr := range m.Answer {
		names = append(names, strings.TrimSuffix(rr.Header().Name, "."), strings.ToUpper(strings.TrimSuffix(rr.Header().Name, ".")))
		if cn, ok := rr.(*dns.CNAME); ok {
			names = append(names, strings.TrimSuffix(cn.Target, "."))
		}
	}
	for _, name := range names {
		gotT, gotTTL, gotOK := v.cname(name)
		wantT, wantTTL, wantOK := want.cname(name)
		if gotT != wantT || gotTTL != wantTTL || gotOK != wantOK {
			t.Fatalf("cname(%q) = %q %d %v; miekg/dns: %q %d %v", name, gotT, gotTTL, gotOK, wantT, wantTTL, wantOK)
		}
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			if got, want := v.addrs(nil, name, qtype), want.addrs(nil, name, qtype); !slices.Equal(got, want) {
				t.Fatalf("addrs(%q, %d) = %v; miekg/dns: %v", name, qtype, got, want)
			}
		}
	}
}

// TestAppendQueryWire checks the queries written by hand against miekg/dns.
func TestAppendQueryWire(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	for _, name := range []string{"x", "www.Example.test", "_dmarc.a-b.test", long} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypePTR} {
			for _, rd := range []bool{true, false} {
				if !isPlainName(name) {
					t.Fatalf("%q is not plain", name)
				}
				q := new(dns.Msg)
				q.Id = 0
				q.RecursionDesired = rd
				q.Question = []dns.Question{{Name: name + ".", Qtype: qtype, Qclass: dns.ClassINET}}
				q.SetEdns0(1232, false)
				want, err := q.Pack()
				if err != nil {
					t.Fatal(err)
				}
				if got := appendQueryWire(nil, name, qtype, rd, 1232); string(got) != string(want) {
					t.Errorf("%q %d rd=%v:\n got %x\nwant %x", name, qtype, rd, got, want)
				}
			}
		}
	}
	for _, name := range []string{"", ".", "a..b", "a.", ".a", "a b", "a\\.b", strings.Repeat("a", 64), long + "e"} {
		if isPlainName(name) {
			t.Errorf("isPlainName(%q) = true", name)
		}
	}
}

// typeName and rcodeName say what miekg/dns's tables say.
func TestMnemonics(t *testing.T) {
	for qt := range uint16(300) {
		if got, want := typeName(qt), dns.TypeToString[qt]; got != want {
			t.Errorf("typeName(%d) = %q, want %q", qt, got, want)
		}
	}
	for rc := range 30 {
		want, ok := dns.RcodeToString[rc]
		if !ok {
			want = fmt.Sprintf("RCODE%d", rc)
		}
		if got := rcodeName(rc); got != want {
			t.Errorf("rcodeName(%d) = %q, want %q", rc, got, want)
		}
	}
}
