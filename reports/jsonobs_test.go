package reports

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// targetLine is o's JSON line by the path appendObservation replaces on
// the hot path: the Target, written by appendTarget or encoding/json.
func targetLine(t testing.TB, o probe.Observation) string {
	t.Helper()
	tg := NewTarget(o)
	if b, ok := appendTarget(nil, &tg); ok {
		return string(b)
	}
	return encodingJSON(t, tg)
}

// sameLine checks that appendObservation writes o as targetLine does, or
// leaves it to that path; it reports whether appendObservation wrote it.
func sameLine(t testing.TB, o probe.Observation) bool {
	t.Helper()
	got, ok := appendObservation(nil, &o, nil)
	if !ok {
		return false
	}
	want := targetLine(t, o)
	if string(got) != want {
		t.Fatalf("appendObservation:\n%s\nthrough the Target:\n%s", got, want)
	}
	// With a cache, empty and then holding what the line repeats.
	var c lineCache
	for pass := range 2 {
		if got, _ := appendObservation(nil, &o, &c); string(got) != want {
			t.Fatalf("appendObservation with a cache, pass %d:\n%s\nthrough the Target:\n%s", pass, got, want)
		}
	}
	return true
}

// TestLineCacheTellsApart: attributions that share a place in the cache
// (the same prefix and ASN) and times that differ only in their zone are
// each written as they are, in any order.
func TestLineCacheTellsApart(t *testing.T) {
	t.Parallel()
	base := attribution.Result{ASN: 45102, ASOrg: "Alibaba (US) Technology Co., Ltd.", Prefix: netip.MustParsePrefix("170.33.0.0/16"),
		Country: "SG", Sources: attribution.Sources{ASN: "ip-location-db/asn"}}
	other := base
	other.Country = "ID"
	cdn := base
	cdn.CDN, cdn.CDNName = true, "Alibaba Cloud CDN"
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	var c lineCache
	for i, r := range []attribution.Result{base, other, base, cdn, other, cdn} {
		o := probe.Observation{Target: probe.Target{Domain: "pemilu2024.kpu.go.id"}, Status: resolvers.StatusOK, StartedAt: at,
			Addresses: []probe.Address{{IP: netip.MustParseAddr("170.33.13.55"), TTL: 60, Result: r}},
			Queries:   []resolvers.Exchange{{Name: "pemilu2024.kpu.go.id", Type: "A", AskedAt: at.In(time.FixedZone("WIB", 7*3600))}}}
		got, ok := appendObservation(nil, &o, &c)
		if want := targetLine(t, o); !ok || string(got) != want {
			t.Fatalf("line %d with the cache:\n%s\nthrough the Target:\n%s", i, got, want)
		}
	}
}

// Addresses, prefixes and times with every form they print in: IPv4,
// IPv6, IPv4-mapped, with a hostile zone, invalid; times zero, whole,
// with nanoseconds, in another zone, past year 9999.
var (
	testIPs = []netip.Addr{netip.MustParseAddr("170.33.13.55"), netip.MustParseAddr("2404:2280:100::3039"),
		netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("::"), netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("fe80::1").WithZone("ev\"il\n\u2028zone"), netip.MustParseAddr("64:ff9b::c000:201"), {}}
	testPrefixes = []netip.Prefix{netip.MustParsePrefix("170.33.0.0/16"), netip.MustParsePrefix("2404:2280::/32"),
		netip.MustParsePrefix("::ffff:192.0.2.0/120"), netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"),
		netip.MustParsePrefix("192.0.2.1/32"), {}}
	testTimes = []time.Time{{}, time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC), time.Date(2026, 12, 1, 6, 0, 0, 123456789, time.UTC),
		time.Date(2026, 12, 1, 6, 0, 0, 120000000, time.FixedZone("WIB", 7*3600)), time.Date(12345, 1, 2, 3, 4, 5, 6, time.UTC),
		time.Unix(0, 0)}
)

// fillObservation sets every field of an observation that appendObservation
// writes to something other than its zero value (with the filler of
// TestAppendTarget), so that a field added to the model and not to
// appendObservation shows up as a difference; seed picks the strings,
// addresses and times.
func fillObservation(seed int) probe.Observation {
	var o probe.Observation
	// What is skipped is left to the Target path.
	f := &filler{n: seed, skip: map[string]bool{"Answers": true, "Records": true, "HTTP": true, "Authoritative": true,
		"Err": true, "Cymru": true, "RDAP": true, "RTT": true, "Geofeed": true, "GeofeedFailure": true}}
	f.fill(reflect.ValueOf(&o).Elem())
	o.StartedAt = testTimes[seed%len(testTimes)]
	for i := range o.Addresses {
		a := &o.Addresses[i]
		a.IP = testIPs[(seed+i)%len(testIPs)]
		a.Prefix = testPrefixes[(seed+i)%len(testPrefixes)]
		a.NAT64 = testIPs[(seed+i+3)%len(testIPs)]
	}
	for i := range o.Queries {
		q := &o.Queries[i]
		q.AskedAt = testTimes[(seed+i+1)%len(testTimes)]
		q.RTT = []time.Duration{0, 1234567, time.Nanosecond, 1500 * time.Microsecond, 90 * time.Second, -time.Millisecond}[(seed+i)%6]
		q.ECSScope = []int{-1, 0, 24, 56}[(seed+i)%4]
		q.Resends = (seed + i) % 3
	}
	return o
}

// TestAppendObservation checks appendObservation byte for byte against
// the Target path, with every field filled in, with nil and empty parts,
// and on the observations of the golden files; and that it leaves the rare
// parts to the Target path.
func TestAppendObservation(t *testing.T) {
	cases := map[string]probe.Observation{"zero": {}, "bench": benchObservation()}
	for seed := range 40 {
		cases[fmt.Sprintf("full %d", seed)] = fillObservation(seed)
	}
	empty := fillObservation(1)
	empty.CNAMEChain, empty.Addresses, empty.Queries, empty.OddOnesOut, empty.Consistency = nil, []probe.Address{}, []resolvers.Exchange{}, []string{}, ""
	cases["empty lists"] = empty
	nils := fillObservation(2)
	nils.Addresses[0].Extra = nil
	nils.Addresses[1].Extra.PTR, nils.Addresses[1].Extra.PTRError = nil, ""
	nils.Addresses[0].Sources.ASN, nils.Addresses[1].Sources = "", attribution.Sources{}
	nils.Queries[0].ECSSource, nils.Queries[0].Raw = "", nil
	nils.Queries[1].ECSScope, nils.Queries[1].Rcode = -1, ""
	cases["nil and empty members"] = nils
	unasked := fillObservation(3)
	unasked.Addresses[0].Extra.PTRAsked = false
	unasked.Addresses[1].Extra.PTRStatus, unasked.Addresses[1].Extra.PTRResolver = "", ""
	cases["ptr not asked, bare error"] = unasked
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if !sameLine(t, o) {
				t.Fatal("left to the Target path")
			}
		})
	}

	for i, o := range sampleReport(t).Observations {
		wrote := sameLine(t, o)
		if want := i != 1; wrote != want { // the second has a Cymru record
			t.Errorf("sample %d (%s): written by appendObservation %v, want %v", i, o.Target.Domain, wrote, want)
		}
	}

	left := map[string]func(*probe.Observation){
		"answers":       func(o *probe.Observation) { o.Answers = []probe.ResolverAnswer{{}} },
		"records":       func(o *probe.Observation) { o.Records = []probe.RecordSet{{}} },
		"http":          func(o *probe.Observation) { o.HTTP = &probe.FrontDoor{} },
		"authoritative": func(o *probe.Observation) { o.Authoritative = []probe.ResolverAnswer{{}} },
		"cymru":         func(o *probe.Observation) { o.Addresses[0].Extra.Cymru = &cymru.Result{} },
		"rdap":          func(o *probe.Observation) { o.Addresses[1].Extra.RDAP = &rdap.Network{} },
		"rtt":           func(o *probe.Observation) { o.Addresses[0].Extra.RTT = &probe.RTT{} },
		"geofeed":       func(o *probe.Observation) { o.Addresses[1].Extra.Geofeed = &attribution.GeofeedClaim{} },
		"geofeed_error": func(o *probe.Observation) { o.Addresses[0].Extra.GeofeedFailure = &probe.GeofeedFailure{} },
	}
	for name, set := range left {
		o := fillObservation(4)
		set(&o)
		if _, ok := appendObservation(nil, &o, nil); ok {
			t.Errorf("%s: written by appendObservation, want left to the Target path", name)
		}
	}
}

// FuzzAppendObservation checks appendObservation against the Target path
// for observations made of any strings, address bytes, prefix lengths,
// times and round trips.
func FuzzAppendObservation(f *testing.F) {
	f.Add("h0.bench.test", "ip-location-db/asn", []byte{170, 33, 13, 55}, uint8(24), int64(1764568800123456789), int64(1234567), 24, uint8(0))
	f.Add("bad \xff\"\n", "\u2028<&>", []byte{0x24, 0x04, 0x22, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x39}, uint8(40), int64(0), int64(-5), -1, uint8(0xff))
	f.Add("", "", []byte{}, uint8(0), int64(-62135596800000000), int64(0), 0, uint8(0x55))
	f.Fuzz(func(t *testing.T, s, u string, ip []byte, bits uint8, nanos, rtt int64, scope int, flags uint8) {
		addr, _ := netip.AddrFromSlice(ip)
		if flags&1 != 0 && addr.Is6() {
			addr = addr.WithZone(u)
		}
		prefix, _ := addr.WithZone("").Prefix(int(bits))
		at := time.Unix(0, nanos)
		if flags&2 != 0 {
			at = time.Time{}
		}
		var extra *probe.Extra
		if flags&4 != 0 {
			extra = &probe.Extra{PTRAsked: flags&8 != 0, PTR: []string{s, u}, PTRError: u, PTRStatus: resolvers.Status(s), PTRResolver: s}
		}
		res := attribution.Result{ASN: uint32(nanos), ASOrg: s, Prefix: prefix, Country: u, RegisteredCountry: s,
			Provider: u, ProviderKind: s, Region: u, CDN: flags&16 != 0, CDNName: s, SpecialUse: u,
			Sources: attribution.Sources{ASN: s, Country: u, CDN: s}}
		if flags&32 != 0 {
			res.NAT64 = addr
		}
		ecs := ""
		if flags&64 != 0 {
			ecs = s
		}
		o := probe.Observation{Target: probe.Target{Domain: s, Unicode: u, Input: s + u}, Status: resolvers.Status(u), Error: s,
			StartedAt: at, CNAMEChain: []resolvers.Hop{{Name: s, Target: u, TTL: uint32(rtt)}},
			Addresses: []probe.Address{{IP: addr, TTL: uint32(bits), Result: res, Extra: extra}},
			Queries: []resolvers.Exchange{{Resolver: s, Transport: u, Name: s, Type: u, Rcode: u, Status: resolvers.Status(s), Error: u,
				AskedAt: at, RTT: time.Duration(rtt), Resends: int(bits % 3), ECSSource: ecs, ECSScope: scope, Raw: ip}},
			Consistency: u, OddOnesOut: []string{s}}
		if flags&128 != 0 {
			o.CNAMEChain, o.Queries, o.OddOnesOut = nil, nil, nil
		}
		if !sameLine(t, o) {
			t.Fatal("left to the Target path")
		}
	})
}
