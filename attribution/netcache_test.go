package attribution

import (
	"net/netip"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// TestNetCache checks that Lookup answers the same with the cache of
// blocks as without, for addresses across many blocks, IPv4 and IPv6, on
// the embedded data alone and under user files whose blocks cut across the
// embedded ones (an ASN file's /25 inside the embedded block, a country
// file's /28 inside that, an IPv4-only file, an IPv6 file): each address is
// looked up twice, cold and cached, beside its neighbours and the edges of
// the user blocks, in one order and, on a cold cache again, in the other.
func TestNetCache(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	asn := fixture{dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{
		"8.8.8.0/25": geoASN(64500, "Test ASN Org"), "2001:4860:4860::/64": geoASN(64501, "Test v6 Org")}}.write(t, dir, "asn.mmdb")
	country := fixture{dbType: "GeoLite2-Country", records: map[string]mmdbtype.DataType{
		"8.8.8.0/28": geoCountry("DE", "NL"), "8.8.4.0/24": geoCountry("FR", "FR"),
		"2001:4860:4860::8800/120": geoCountry("CH", "CH")}}.write(t, dir, "country.mmdb")
	v4only := fixture{dbType: "GeoLite2-Country", ipv4: true, records: map[string]mmdbtype.DataType{
		"1.1.1.0/24": geoCountry("JP", "JP")}}.write(t, dir, "v4only.mmdb")
	bad := fixture{dbType: "GeoLite2-Country", records: map[string]mmdbtype.DataType{
		"9.9.9.0/24": mm{"country": mm{"iso_code": ms("not a code")}}}}.write(t, dir, "bad.mmdb")

	addrs := sampleAddrs(t, 211)
	for _, s := range []string{"8.8.8.0", "8.8.8.15", "8.8.8.16", "8.8.8.127", "8.8.8.128", "8.8.8.255", "8.8.4.4",
		"1.1.1.1", "1.1.2.1", "9.9.9.9", "9.9.8.9", "170.33.13.55", "0.0.0.1", "255.255.255.254",
		"2001:4860:4860::8888", "2001:4860:4860::88ff", "2001:4860:4860::8900", "2001:4860:4860:1::1", "64:ff9b::808:808",
		"2404:2280:100::3039", "10.0.0.1", "::ffff:8.8.8.8"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, ip := range addrs[:len(addrs):len(addrs)] {
		addrs = append(addrs, ip.Next(), ip.Prev())
	}
	for _, files := range [][]string{nil, {asn}, {country, asn}, {v4only, asn, country}, {bad, asn}} {
		for _, backwards := range []bool{false, true} {
			cached, plain := openDB(t, files...), openDB(t, files...)
			plain.nets = nil
			for pass := range 2 {
				for i := range addrs {
					ip := addrs[i]
					if backwards {
						ip = addrs[len(addrs)-1-i]
					}
					if got, want := cached.Lookup(ip), plain.Lookup(ip); got != want {
						t.Fatalf("files %q, backwards %v, pass %d: Lookup(%s) with the cache\n%+v\nwithout\n%+v", files, backwards, pass, ip, got, want)
					}
				}
			}
			if len(cached.nets.m) == 0 {
				t.Errorf("files %q: no block kept", files)
			}
			if got, want := cached.Warnings(), plain.Warnings(); len(got) != len(want) || len(got) > 0 && got[0] != want[0] {
				t.Errorf("files %q: warnings with the cache %q, without %q", files, got, want)
			}
		}
	}
}

// TestNetCacheBound checks that a full cache keeps no more blocks and
// still answers right.
func TestNetCacheBound(t *testing.T) {
	t.Parallel()
	db, plain := openDB(t), openDB(t)
	plain.nets = nil
	db.nets = newNetCache(3)
	for _, ip := range sampleAddrs(t, 997) {
		if got, want := db.Lookup(ip), plain.Lookup(ip); got != want {
			t.Fatalf("Lookup(%s) = %+v, want %+v", ip, got, want)
		}
	}
	if n := len(db.nets.m); n != 3 {
		t.Errorf("%d blocks kept, want 3", n)
	}
}

// BenchmarkLookupBulk looks up the addresses of a bulk run, many to a
// block (128 blocks of the embedded data, 64 addresses in each, in turn),
// with the cache of blocks and without:
// go test -run '^$' -bench LookupBulk -benchmem ./attribution/
func BenchmarkLookupBulk(b *testing.B) {
	var addrs []netip.Addr
	for _, ip := range sampleAddrs(b, 97)[:128] {
		for range 64 {
			addrs = append(addrs, ip)
			ip = ip.Next()
		}
	}
	for _, name := range []string{"cached", "uncached"} {
		b.Run(name, func(b *testing.B) {
			db := openDB(b)
			if name == "uncached" {
				db.nets = nil
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				db.Lookup(addrs[(i*64+i/128)%len(addrs)])
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

// TestKeyOf: a block's key is its masked address and its length, whatever
// address of the block it is computed from, and blocks that differ in
// address, length or family have different keys.
func TestKeyOf(t *testing.T) {
	t.Parallel()
	seen := map[netKey]netip.Prefix{}
	for _, s := range []string{"0.0.0.0/0", "8.8.8.0/24", "8.8.8.0/25", "8.8.8.128/25", "8.8.8.8/32", "255.255.255.255/32",
		"::/0", "::/8", "::/32", "2001:4860:4860::/48", "2001:4860:4860::/64", "2001:4860:4860::8800/120",
		"2001:4860:4860::8888/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::ffff:8.8.8.0/120", "8000::/1", "0.0.0.0/8"} {
		p := netip.MustParsePrefix(s)
		k := keyOf(p.Addr(), p.Bits())
		if q, ok := seen[k]; ok {
			t.Errorf("%s and %s have one key", p, q)
		}
		seen[k] = p
		for _, ip := range []netip.Addr{p.Addr(), lastOf(p), p.Addr().Next()} {
			if !p.Contains(ip) {
				continue
			}
			if got := keyOf(ip, p.Bits()); got != k {
				t.Errorf("keyOf(%s, %d) = %+v, want %+v (%s)", ip, p.Bits(), got, k, p)
			}
		}
	}
}

// lastOf is the last address of p.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		if n := p.Bits() - 8*i; n < 8 {
			b[i] |= byte(0xff >> max(n, 0))
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
