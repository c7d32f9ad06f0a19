package attribution

import (
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

const (
	embeddedASNID     = "ip-location-db/asn"
	embeddedCountryID = "ip-location-db/geo-whois-asn-country"
)

func openDB(t testing.TB, paths ...string) *DB {
	t.Helper()
	db, err := Open(paths...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// TestEmbeddedFacts checks facts about real addresses against the shipped data.
func TestEmbeddedFacts(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	tests := []struct {
		ip         string
		asn        uint32
		org        string // exact
		orgHas     string // or a part of it
		country    string
		wantFacts  bool
		sameAsAddr string // must give the same Result as this address
	}{
		{ip: "170.33.13.55", asn: 134963, org: "Alibaba Cloud (Singapore) Private Limited", country: "SG", wantFacts: true},
		{ip: "8.8.8.8", asn: 15169, orgHas: "Google", country: "US", wantFacts: true},
		{ip: "2001:4860:4860::8888", asn: 15169, orgHas: "Google", wantFacts: true},
		// IPv4-mapped and IPv4-compatible addresses are special-purpose, not
		// the IPv4 address they embed (issue 9).
		{ip: "::ffff:8.8.8.8"},
		{ip: "::ffff:170.33.13.55"},
		{ip: "::808:808"},
		// A NAT64 address carries the claims of the IPv4 address it embeds.
		{ip: "64:ff9b::808:808", asn: 15169, orgHas: "Google", country: "US", wantFacts: true, sameAsAddr: "8.8.8.8"},
		{ip: "64:ff9b::a00:1"},
		{ip: "127.0.0.1"},
		{ip: "10.0.0.1"},
		{ip: "::1"},
		{ip: "fe80::1%eth0"},
		{ip: "255.255.255.255"},
		{ip: "0.0.0.0"},
		{ip: "::"},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.ip)
			got := db.Lookup(ip)
			checkConsistent(t, ip, got)
			if tt.asn != 0 && got.ASN != tt.asn {
				t.Errorf("ASN = %d, want %d", got.ASN, tt.asn)
			}
			if tt.org != "" && got.ASOrg != tt.org {
				t.Errorf("ASOrg = %q, want %q", got.ASOrg, tt.org)
			}
			if tt.orgHas != "" && !strings.Contains(got.ASOrg, tt.orgHas) {
				t.Errorf("ASOrg = %q, want it to contain %q", got.ASOrg, tt.orgHas)
			}
			if tt.country != "" && got.Country != tt.country {
				t.Errorf("Country = %q, want %q", got.Country, tt.country)
			}
			if tt.wantFacts {
				if got.Sources.ASN != embeddedASNID || got.Sources.ASOrg != embeddedASNID || got.Sources.Prefix != embeddedASNID {
					t.Errorf("Sources = %+v, want ASN, ASOrg and Prefix from %s", got.Sources, embeddedASNID)
				}
				if got.Country != "" && got.Sources.Country != embeddedCountryID {
					t.Errorf("Sources.Country = %q, want %s", got.Sources.Country, embeddedCountryID)
				}
			}
			if tt.sameAsAddr != "" {
				want := db.Lookup(netip.MustParseAddr(tt.sameAsAddr))
				if strings.HasPrefix(tt.ip, "64:ff9b::") {
					want.NAT64 = netip.MustParseAddr(tt.sameAsAddr)
				}
				if got != want {
					t.Errorf("Lookup(%s) = %+v, want the same as %s: %+v", tt.ip, got, tt.sameAsAddr, want)
				}
			}
		})
	}
}

// checkConsistent checks what must hold of any Result: the prefix holds the
// address, and every fact names its source and every source a fact.
func checkConsistent(t *testing.T, ip netip.Addr, r Result) {
	t.Helper()
	ip = ip.WithZone("").Unmap()
	if r.NAT64.IsValid() {
		ip = r.NAT64
	}
	if r.Prefix.IsValid() && !r.Prefix.Contains(ip) {
		t.Errorf("%s: prefix %s does not contain the address", ip, r.Prefix)
	}
	for _, f := range []struct {
		name   string
		known  bool
		source string
	}{
		{"asn", r.ASN != 0, r.Sources.ASN},
		{"as_org", r.ASOrg != "", r.Sources.ASOrg},
		{"prefix", r.Prefix.IsValid(), r.Sources.Prefix},
		{"country", r.Country != "", r.Sources.Country},
	} {
		if f.known != (f.source != "") {
			t.Errorf("%s: %s known=%v but source %q (%+v)", ip, f.name, f.known, f.source, r)
		}
	}
	if r.ASN != 0 && (!r.Prefix.IsValid() || r.Sources.Prefix != r.Sources.ASN) {
		t.Errorf("%s: ASN from %q but prefix %s from %q", ip, r.Sources.ASN, r.Prefix, r.Sources.Prefix)
	}
}

// TestEmbeddedAgreesWithData compares Lookup, across the whole address
// space, with the records of the embedded files read directly.
func TestEmbeddedAgreesWithData(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	asnDB, err := maxminddb.OpenBytes(embeddedASN)
	if err != nil {
		t.Fatal(err)
	}
	countryDB, err := maxminddb.OpenBytes(embeddedCountry)
	if err != nil {
		t.Fatal(err)
	}
	n, withASN := 0, 0
	addrs := sampleAddrs(t, 500)
	for i, ip := range addrs {
		got := db.Lookup(ip)
		checkConsistent(t, ip, got)

		var a struct {
			ASN uint32 `maxminddb:"autonomous_system_number"`
			Org string `maxminddb:"autonomous_system_organization"`
		}
		res := asnDB.Lookup(ip)
		if err := res.Decode(&a); err != nil {
			t.Fatal(err)
		}
		var c struct { // as published (country_code) or as mkdataset writes it from CSV
			Country struct {
				ISOCode string `maxminddb:"iso_code"`
			} `maxminddb:"country"`
			CountryCode string `maxminddb:"country_code"`
		}
		if err := countryDB.Lookup(ip).Decode(&c); err != nil {
			t.Fatal(err)
		}
		cc := c.CountryCode + c.Country.ISOCode
		if got.ASN != a.ASN || got.ASOrg != a.Org || got.Country != cc ||
			(a.ASN != 0 && got.Prefix != res.Prefix()) {
			t.Errorf("#%d Lookup(%s) = %+v; data says %+v in %s, country %q", i, ip, got, a, res.Prefix(), cc)
		}
		if got.ASN != 0 && got.Country != "" {
			n++
		}
		if a.ASN != 0 {
			withASN++
		}
	}
	// Networks of the ASN file that only carry a registration country (space
	// registered but not announced) have no ASN; of the others nearly all
	// have a country too.
	if n < withASN*9/10 {
		t.Errorf("only %d of %d sampled addresses with an ASN have a country", n, withASN)
	}
}

// sampleAddrs returns real addresses: per stride, the middle of one network
// of the embedded ASN data, IPv4 and IPv6 alike, in a fixed order.
func sampleAddrs(t testing.TB, stride int) []netip.Addr {
	t.Helper()
	r, err := maxminddb.OpenBytes(embeddedASN)
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Addr
	i := 0
	for res := range r.Networks() {
		if i++; i%stride != 0 {
			continue
		}
		p := res.Prefix()
		a := p.Addr().As16()
		// Set the bit below the prefix to land inside it, away from its edges.
		if bits := p.Addr().BitLen(); p.Bits() < bits {
			off := 16 - bits/8
			b := p.Bits()
			a[off+b/8] |= 0x80 >> (b % 8)
		}
		ip := netip.AddrFrom16(a)
		if p.Addr().Is4() {
			ip = ip.Unmap()
		}
		out = append(out, ip)
	}
	return out
}

func TestEmbeddedDatasets(t *testing.T) {
	t.Parallel()
	ds := mmdbDatasets(openDB(t).Datasets())
	if len(ds) != 2 || ds[0].ID != embeddedASNID || ds[1].ID != embeddedCountryID {
		t.Fatalf("Datasets() = %+v, want %s then %s", ds, embeddedASNID, embeddedCountryID)
	}
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, d := range ds {
		if !date.MatchString(d.Version) || d.License == "" || d.Path != "" ||
			!strings.Contains(d.Attribution, "nro.net") || !strings.HasPrefix(d.Package, "@ip-location-db/") ||
			len(d.SHA256) != 64 || d.Description == "" || d.Kind != KindEmbedded {
			t.Errorf("dataset %+v lacks a fact", d)
		}
	}
	for _, want := range []string{"routeviews.org", "db-ip.com", "CC BY 4.0"} {
		if !strings.Contains(ds[0].Attribution, want) {
			t.Errorf("ASN attribution %q does not mention %s", ds[0].Attribution, want)
		}
	}
	if !strings.Contains(ds[1].License, "CC BY 4.0") || !strings.Contains(ds[1].License, "CC0") {
		t.Errorf("country licence %q: want both the package's CC0 and the NRO data's CC BY 4.0", ds[1].License)
	}
	if got := strings.Join(ds[0].Fields, ","); got != "asn,as_org,prefix,registered_country" {
		t.Errorf("ASN fields %s", got)
	}
	if got := strings.Join(ds[1].Fields, ","); got != "country" {
		t.Errorf("country fields %s", got)
	}
	// The caller's copy is its own.
	ds[0].Fields[0] = "changed"
}

func TestLookupZeroAndClosed(t *testing.T) {
	t.Parallel()
	db, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Lookup(netip.Addr{}); got != (Result{}) {
		t.Errorf("Lookup(zero Addr) = %+v", got)
	}
	var nilDB *DB
	if got := nilDB.Lookup(netip.MustParseAddr("8.8.8.8")); got != (Result{}) {
		t.Errorf("nil DB Lookup = %+v", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := db.Lookup(netip.MustParseAddr("8.8.8.8")); got != (Result{}) {
		t.Errorf("Lookup after Close = %+v", got)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestConcurrentLookups(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	addrs := sampleAddrs(t, 5000)
	want := make([]Result, len(addrs))
	for i, ip := range addrs {
		want[i] = db.Lookup(ip)
	}
	fresh := openDB(t) // a cold cache, filled by all goroutines at once
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range addrs {
				j := (i + g*len(addrs)/8) % len(addrs)
				if got := fresh.Lookup(addrs[j]); got != want[j] {
					t.Errorf("Lookup(%s) = %+v, want %+v", addrs[j], got, want[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

// fixture is a small MMDB file written for a test.
type fixture struct {
	dbType  string
	ipv4    bool // an IPv4-only tree
	raw     bool // no IPv4 aliases, no reserved networks: any block can be written
	desc    string
	records map[string]mmdbtype.DataType // CIDR → record
}

var fixtureEpoch = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// write writes f into dir as name and returns its path.
func (f fixture) write(t testing.TB, dir, name string) string {
	t.Helper()
	opts := mmdbwriter.Options{DatabaseType: f.dbType, BuildEpoch: fixtureEpoch.Unix(), RecordSize: 28}
	if f.ipv4 {
		opts.IPVersion = 4
	}
	if f.raw {
		opts.DisableIPv4Aliasing, opts.IncludeReservedNetworks = true, true
	}
	if f.desc != "" {
		opts.Description = map[string]string{"en": f.desc}
	}
	tree, err := mmdbwriter.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range f.records {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(out); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type mm = mmdbtype.Map
type ms = mmdbtype.String

func names(en string) mm { return mm{"names": mm{"en": ms(en), "de": ms(en + " (de)")}} }

func geoCountry(cc, registered string) mm {
	return mm{
		"continent":          mm{"code": ms("EU"), "geoname_id": mmdbtype.Uint32(6255148), "names": names("Europe")["names"]},
		"country":            mm{"iso_code": ms(cc), "geoname_id": mmdbtype.Uint32(1), "names": names(cc)["names"]},
		"registered_country": mm{"iso_code": ms(registered), "names": names(registered)["names"]},
		"traits":             mm{"is_anycast": mmdbtype.Bool(true)},
	}
}

func geoCity(cc, city string) mm {
	rec := geoCountry(cc, cc)
	rec["city"] = names(city)
	rec["location"] = mm{"latitude": mmdbtype.Float64(52.52), "longitude": mmdbtype.Float64(13.40), "accuracy_radius": mmdbtype.Uint16(20), "time_zone": ms("Europe/Berlin")}
	rec["postal"] = mm{"code": ms("10115")}
	rec["subdivisions"] = mmdbtype.Slice{mm{"iso_code": ms("BE"), "names": names("Berlin")["names"]}}
	return rec
}

func geoASN(asn uint32, org string) mm {
	rec := mm{"autonomous_system_number": mmdbtype.Uint32(asn)}
	if org != "" {
		rec["autonomous_system_organization"] = ms(org)
	}
	return rec
}

func TestUserFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	google := "8.8.8.0/24"
	ip := netip.MustParseAddr("8.8.8.8")
	emb := openDB(t).Lookup(ip) // what the embedded data says, whatever the version
	if emb.ASN == 0 || emb.Country == "" {
		t.Fatalf("embedded data knows too little of %s: %+v", ip, emb)
	}
	other := emb.ASN + 1

	files := map[string]fixture{
		"GeoLite2-ASN.mmdb": {dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{
			"8.8.8.0/25": geoASN(other, "Test ASN Org")}},
		"GeoLite2-ASN-same.mmdb": {dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{
			google: geoASN(emb.ASN, "")}},
		"GeoLite2-ASN-noorg.mmdb": {dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{
			google: geoASN(other, "")}},
		"GeoLite2-Country.mmdb": {dbType: "GeoLite2-Country", records: map[string]mmdbtype.DataType{
			google: geoCountry("DE", "US")}},
		"GeoLite2-Country-NL.mmdb": {dbType: "GeoLite2-Country", records: map[string]mmdbtype.DataType{
			google: geoCountry("NL", "US")}},
		"GeoLite2-City.mmdb": {dbType: "GeoLite2-City", records: map[string]mmdbtype.DataType{
			google: geoCity("DE", "Berlin")}},
		// Registered country only: not a location, so no country.
		"GeoLite2-Country-regonly.mmdb": {dbType: "GeoLite2-Country", records: map[string]mmdbtype.DataType{
			google: mm{"registered_country": mm{"iso_code": ms("US")}}}},
		"dbip-country-lite.mmdb": {dbType: "DBIP-Country-Lite", records: map[string]mmdbtype.DataType{
			google: mm{"continent": mm{"code": ms("EU")}, "country": mm{"iso_code": ms("FR"), "is_in_european_union": mmdbtype.Bool(true)}}}},
		"dbip-city-lite.mmdb": {dbType: "DBIP-City-Lite", records: map[string]mmdbtype.DataType{
			google: geoCity("AT", "Wien")}},
		"dbip-asn-lite.mmdb": {dbType: "DBIP-ASN-Lite (compat=GeoLite2-ASN)", records: map[string]mmdbtype.DataType{
			google: geoASN(other, "DB-IP Org")}},
		"ipinfo_lite.mmdb": {dbType: "ipinfo ipinfo_lite.mmdb", records: map[string]mmdbtype.DataType{
			google: mm{"asn": ms("AS64513"), "as_name": ms("IPinfo Org"), "as_domain": ms("example.com"),
				"country_code": ms("JP"), "country": ms("Japan"), "continent_code": ms("AS"), "continent": ms("Asia")}}},
		"ipinfo_country_asn.mmdb": {dbType: "ipinfo country_asn.mmdb", records: map[string]mmdbtype.DataType{
			google: mm{"asn": ms("AS64514"), "as_name": ms("Old IPinfo"), "country": ms("BR"), "country_name": ms("Brazil")}}},
		"ip-location-db-country.mmdb": {dbType: "country ipvAll", records: map[string]mmdbtype.DataType{
			google: mm{"country_code": ms("SE")}}},
		"ip-location-db-asn.mmdb": {dbType: "asn ipvAll", records: map[string]mmdbtype.DataType{
			google: mm{"autonomous_system_number": mmdbtype.Uint32(64515), "autonomous_system_organization": ms("ILDB Org")}}},
		"v4only-country.mmdb": {dbType: "GeoLite2-Country", ipv4: true, records: map[string]mmdbtype.DataType{
			google: geoCountry("CH", "CH")}},
		"licensed.mmdb": {dbType: "country ipvAll", desc: "Test data, licensed under CC BY 4.0", records: map[string]mmdbtype.DataType{
			google: mm{"country_code": ms("IT")}}},
	}
	paths := map[string]string{}
	for name, f := range files {
		paths[name] = f.write(t, dir, name)
	}
	id := func(dbType, name string) string { return dbType + " (" + name + ")" }
	tests := []struct {
		name  string
		files []string
		ip    string
		want  Result // Sources as dataset IDs; "" and "emb" mean none and embedded
	}{
		{name: "user ASN file first, embedded country",
			files: []string{"GeoLite2-ASN.mmdb"},
			want: Result{ASN: other, ASOrg: "Test ASN Org", Prefix: netip.MustParsePrefix("8.8.8.0/25"), Country: emb.Country,
				Sources: Sources{ASN: id("GeoLite2-ASN", "GeoLite2-ASN.mmdb"), ASOrg: id("GeoLite2-ASN", "GeoLite2-ASN.mmdb"),
					Prefix: id("GeoLite2-ASN", "GeoLite2-ASN.mmdb"), Country: "emb"}}},
		{name: "user country, embedded ASN",
			files: []string{"GeoLite2-Country.mmdb"},
			want: Result{ASN: emb.ASN, ASOrg: emb.ASOrg, Prefix: emb.Prefix, Country: "DE",
				Sources: Sources{ASN: "emb", ASOrg: "emb", Prefix: "emb", Country: id("GeoLite2-Country", "GeoLite2-Country.mmdb")}}},
		{name: "first country file given wins",
			files: []string{"GeoLite2-Country-NL.mmdb", "GeoLite2-Country.mmdb"},
			want: Result{ASN: emb.ASN, ASOrg: emb.ASOrg, Prefix: emb.Prefix, Country: "NL",
				Sources: Sources{ASN: "emb", ASOrg: "emb", Prefix: "emb", Country: id("GeoLite2-Country", "GeoLite2-Country-NL.mmdb")}}},
		{name: "field by field across two user files",
			files: []string{"GeoLite2-City.mmdb", "dbip-asn-lite.mmdb"},
			want: Result{ASN: other, ASOrg: "DB-IP Org", Prefix: netip.MustParsePrefix(google), Country: "DE",
				Sources: Sources{ASN: id("DBIP-ASN-Lite (compat=GeoLite2-ASN)", "dbip-asn-lite.mmdb"),
					ASOrg:  id("DBIP-ASN-Lite (compat=GeoLite2-ASN)", "dbip-asn-lite.mmdb"),
					Prefix: id("DBIP-ASN-Lite (compat=GeoLite2-ASN)", "dbip-asn-lite.mmdb"), Country: id("GeoLite2-City", "GeoLite2-City.mmdb")}}},
		{name: "organisation from a later source that agrees on the ASN",
			files: []string{"GeoLite2-ASN-same.mmdb"},
			want: Result{ASN: emb.ASN, ASOrg: emb.ASOrg, Prefix: netip.MustParsePrefix(google), Country: emb.Country,
				Sources: Sources{ASN: id("GeoLite2-ASN", "GeoLite2-ASN-same.mmdb"), ASOrg: "emb",
					Prefix: id("GeoLite2-ASN", "GeoLite2-ASN-same.mmdb"), Country: "emb"}}},
		{name: "no organisation of another AS",
			files: []string{"GeoLite2-ASN-noorg.mmdb"},
			want: Result{ASN: other, Prefix: netip.MustParsePrefix(google), Country: emb.Country,
				Sources: Sources{ASN: id("GeoLite2-ASN", "GeoLite2-ASN-noorg.mmdb"),
					Prefix: id("GeoLite2-ASN", "GeoLite2-ASN-noorg.mmdb"), Country: "emb"}}},
		{name: "registered country is not a location",
			files: []string{"GeoLite2-Country-regonly.mmdb"},
			want:  emb},
		{name: "DB-IP country lite",
			files: []string{"dbip-country-lite.mmdb"},
			want: Result{ASN: emb.ASN, ASOrg: emb.ASOrg, Prefix: emb.Prefix, Country: "FR",
				Sources: Sources{ASN: "emb", ASOrg: "emb", Prefix: "emb", Country: id("DBIP-Country-Lite", "dbip-country-lite.mmdb")}}},
		{name: "DB-IP city lite",
			files: []string{"dbip-city-lite.mmdb"},
			want: Result{ASN: emb.ASN, ASOrg: emb.ASOrg, Prefix: emb.Prefix, Country: "AT",
				Sources: Sources{ASN: "emb", ASOrg: "emb", Prefix: "emb", Country: id("DBIP-City-Lite", "dbip-city-lite.mmdb")}}},
		{name: "IPinfo Lite",
			files: []string{"ipinfo_lite.mmdb"},
			want: Result{ASN: 64513, ASOrg: "IPinfo Org", Prefix: netip.MustParsePrefix(google), Country: "JP",
				Sources: Sources{ASN: id("ipinfo ipinfo_lite.mmdb", "ipinfo_lite.mmdb"), ASOrg: id("ipinfo ipinfo_lite.mmdb", "ipinfo_lite.mmdb"),
					Prefix: id("ipinfo ipinfo_lite.mmdb", "ipinfo_lite.mmdb"), Country: id("ipinfo ipinfo_lite.mmdb", "ipinfo_lite.mmdb")}}},
		{name: "older IPinfo country_asn",
			files: []string{"ipinfo_country_asn.mmdb"},
			want: Result{ASN: 64514, ASOrg: "Old IPinfo", Prefix: netip.MustParsePrefix(google), Country: "BR",
				Sources: Sources{ASN: id("ipinfo country_asn.mmdb", "ipinfo_country_asn.mmdb"), ASOrg: id("ipinfo country_asn.mmdb", "ipinfo_country_asn.mmdb"),
					Prefix: id("ipinfo country_asn.mmdb", "ipinfo_country_asn.mmdb"), Country: id("ipinfo country_asn.mmdb", "ipinfo_country_asn.mmdb")}}},
		{name: "ip-location-db country and asn",
			files: []string{"ip-location-db-country.mmdb", "ip-location-db-asn.mmdb"},
			want: Result{ASN: 64515, ASOrg: "ILDB Org", Prefix: netip.MustParsePrefix(google), Country: "SE",
				Sources: Sources{ASN: id("asn ipvAll", "ip-location-db-asn.mmdb"), ASOrg: id("asn ipvAll", "ip-location-db-asn.mmdb"),
					Prefix: id("asn ipvAll", "ip-location-db-asn.mmdb"), Country: id("country ipvAll", "ip-location-db-country.mmdb")}}},
		{name: "IPv4-only file",
			files: []string{"v4only-country.mmdb"},
			want: Result{ASN: emb.ASN, ASOrg: emb.ASOrg, Prefix: emb.Prefix, Country: "CH",
				Sources: Sources{ASN: "emb", ASOrg: "emb", Prefix: "emb", Country: id("GeoLite2-Country", "v4only-country.mmdb")}}},
		{name: "IPv6 past an IPv4-only file",
			files: []string{"v4only-country.mmdb"}, ip: "2001:4860:4860::8888"},
		{name: "user file without the address",
			files: []string{"GeoLite2-ASN.mmdb", "GeoLite2-City.mmdb"}, ip: "170.33.13.55"},
		// Not 8.8.8.8: a special-purpose address, in no file (issue 9).
		{name: "IPv4-mapped address",
			files: []string{"GeoLite2-Country.mmdb"}, ip: "::ffff:8.8.8.8",
			want: Result{SpecialUse: "IPv4-mapped (RFC 4291)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ps []string
			for _, f := range tt.files {
				ps = append(ps, paths[f])
			}
			db := openDB(t, ps...)
			addr := ip
			if tt.ip != "" {
				addr = netip.MustParseAddr(tt.ip)
			}
			got := db.Lookup(addr)
			checkConsistent(t, addr, got)
			// Registration countries and providers have their own tests
			// (TestRegisteredCountry, TestProviders, package provider).
			got.RegisteredCountry, got.Sources.RegisteredCountry = "", ""
			got = withoutProvider(got)
			want := withoutProvider(tt.want)
			want.RegisteredCountry, want.Sources.RegisteredCountry = "", ""
			if tt.ip != "" && tt.ip != "::ffff:8.8.8.8" {
				// Past the user files: what the embedded data alone says.
				want = withoutProvider(openDB(t).Lookup(addr))
				want.RegisteredCountry, want.Sources.RegisteredCountry = "", ""
			}
			for _, src := range []*string{&want.Sources.ASN, &want.Sources.ASOrg, &want.Sources.Prefix} {
				if *src == "emb" {
					*src = embeddedASNID
				}
			}
			if want.Sources.Country == "emb" {
				want.Sources.Country = embeddedCountryID
			}
			if got != want {
				t.Errorf("Lookup(%s)\n got %+v\nwant %+v", addr, got, want)
			}
		})
	}
}

// TestBlockBeyondIPv4 looks up IPv4 addresses in a file whose one block,
// ::/8, holds all of the IPv4 space (::/96) and more.
func TestBlockBeyondIPv4(t *testing.T) {
	t.Parallel()
	path := fixture{dbType: "GeoLite2-ASN", raw: true, records: map[string]mmdbtype.DataType{
		"::/8": geoASN(64500, "Wide")}}.write(t, t.TempDir(), "wide.mmdb")
	db := openDB(t, path)
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "::1:0:0:2"} {
		ip := netip.MustParseAddr(a)
		got := db.Lookup(ip)
		checkConsistent(t, ip, got)
		want := netip.MustParsePrefix("0.0.0.0/0")
		if ip.Is6() {
			want = netip.MustParsePrefix("::/8")
		}
		if got.ASN != 64500 || got.Prefix != want {
			t.Errorf("Lookup(%s) = %+v, want AS64500 in %s", a, got, want)
		}
	}
}

func TestUserDatasets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	asn := fixture{dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoASN(64500, "X")}}.write(t, dir, "a.mmdb")
	city := fixture{dbType: "GeoLite2-City", desc: "GeoLite2 City database", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoCity("DE", "Berlin")}}.write(t, dir, "c.mmdb")
	lic := fixture{dbType: "country ipvAll", desc: "Data licensed under CC BY 4.0 by Example", records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"country_code": ms("SE")}}}.write(t, dir, "l.mmdb")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	asn2 := fixture{dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoASN(64501, "Y")}}.write(t, sub, "a.mmdb")

	db := openDB(t, city, asn, lic, asn2)
	ds := mmdbDatasets(db.Datasets())
	want := []Dataset{
		{ID: "GeoLite2-City (c.mmdb)", Version: "2026-05-01", License: unknownLicense, Path: city, Fields: []string{"country"}, Description: "GeoLite2 City database"},
		{ID: "GeoLite2-ASN (a.mmdb)", Version: "2026-05-01", License: unknownLicense, Path: asn, Fields: []string{"asn", "as_org", "prefix"}},
		{ID: "country ipvAll (l.mmdb)", Version: "2026-05-01", License: "Data licensed under CC BY 4.0 by Example", Path: lic, Fields: []string{"country"},
			Description: "Data licensed under CC BY 4.0 by Example"},
		{ID: "GeoLite2-ASN (a.mmdb) #2", Version: "2026-05-01", License: unknownLicense, Path: asn2, Fields: []string{"asn", "as_org", "prefix"}},
	}
	if len(ds) != len(want)+2 {
		t.Fatalf("got %d datasets, want %d user ones then 2 embedded: %+v", len(ds), len(want), ds)
	}
	for i, w := range want {
		if got := ds[i]; got.ID != w.ID || got.Version != w.Version || got.License != w.License || got.Path != w.Path ||
			strings.Join(got.Fields, ",") != strings.Join(w.Fields, ",") || got.Description != w.Description || got.Kind != KindMMDB {
			t.Errorf("dataset %d\n got %+v\nwant %+v", i, got, w)
		}
	}
	if ds[4].ID != embeddedASNID || ds[5].ID != embeddedCountryID || ds[4].Kind != KindEmbedded {
		t.Errorf("embedded datasets come last: %+v", ds[4:])
	}
	if got := db.Lookup(netip.MustParseAddr("8.8.8.8")); got.Sources.ASN != "GeoLite2-ASN (a.mmdb)" || got.ASN != 64500 {
		t.Errorf("Lookup: %+v, want the first a.mmdb's ASN", got)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := fixture{dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoASN(64500, "X")}}.write(t, dir, "good.mmdb")
	tests := []struct {
		name    string
		path    string
		unknown bool  // errors.Is(err, ErrUnknownLayout)
		is      error // and this, if set
	}{
		{name: "missing", path: filepath.Join(dir, "missing.mmdb"), is: fs.ErrNotExist},
		{name: "garbage", path: write("garbage.mmdb", []byte("this is not an MMDB file\n"))},
		{name: "empty", path: write("empty.mmdb", nil)},
		{name: "directory", path: dir},
		{name: "truncated", path: write("truncated.mmdb", func() []byte {
			b, err := os.ReadFile(good)
			if err != nil {
				t.Fatal(err)
			}
			return b[:len(b)/2]
		}())},
		{name: "unknown fields", unknown: true, path: fixture{dbType: "Acme-Widgets", records: map[string]mmdbtype.DataType{
			"8.8.8.0/24": mm{"foo": ms("bar"), "widgets": mmdbtype.Uint32(3)}}}.write(t, dir, "widgets.mmdb")},
		{name: "GeoIP2 type without these facts", unknown: true, path: fixture{dbType: "GeoIP2-Anonymous-IP", records: map[string]mmdbtype.DataType{
			"8.8.8.0/24": mm{"is_anonymous": mmdbtype.Bool(true)}}}.write(t, dir, "anon.mmdb")},
		{name: "records that are not maps", unknown: true, path: fixture{dbType: "strings", records: map[string]mmdbtype.DataType{
			"8.8.8.0/24": ms("AS15169")}}.write(t, dir, "strings.mmdb")},
		{name: "no records", unknown: true, path: fixture{dbType: "empty"}.write(t, dir, "norecords.mmdb")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A bad file fails the whole Open, wherever it is in the list.
			db, err := Open(good, tt.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			if db != nil {
				t.Errorf("Open returned a DB with its error")
			}
			if want := `open mmdb "` + tt.path + `"`; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
			if got := errors.Is(err, ErrUnknownLayout); got != tt.unknown {
				t.Errorf("errors.Is(%q, ErrUnknownLayout) = %v, want %v", err, got, tt.unknown)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%q, %v) = false", err, tt.is)
			}
		})
	}
}

func TestParseASN(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]uint32{
		"AS15169": 15169, "as15169": 15169, "15169": 15169, "AS4294967295": 4294967295,
		"": 0, "AS": 0, "AS-1": 0, "AS4294967296": 0, "ASN15169": 0, "AS 15169": 0,
	} {
		if got := parseASN(in); got != want {
			t.Errorf("parseASN(%q) = %d, want %d", in, got, want)
		}
	}
}

// BenchmarkLookup looks up real addresses, IPv4 and IPv6, from the
// embedded data, each in a block of its own (the worst case of the cache
// of blocks, which keeps the first maxNets of them and then only costs),
// with the cache and without: go test -run '^$' -bench . -benchmem ./attribution/
func BenchmarkLookup(b *testing.B) {
	db := openDB(b)
	addrs := sampleAddrs(b, 97)
	var v4, v6 int
	for _, a := range addrs {
		if a.Is4() {
			v4++
		} else {
			v6++
		}
	}
	b.Logf("%d addresses: %d IPv4, %d IPv6", len(addrs), v4, v6)
	for _, name := range []string{"cached", "uncached"} {
		b.Run(name, func(b *testing.B) {
			db := db
			if name == "uncached" {
				plain := *db
				plain.nets = nil
				db = &plain
			}
			i := 0
			for b.Loop() {
				db.Lookup(addrs[i%len(addrs)])
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

// BenchmarkLookupParallel is BenchmarkLookup on every core at once.
func BenchmarkLookupParallel(b *testing.B) {
	db := openDB(b)
	addrs := sampleAddrs(b, 97)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			db.Lookup(addrs[i%len(addrs)])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkOpen opens the embedded data and looks up one address, as a
// one-shot CLI command does.
func BenchmarkOpen(b *testing.B) {
	ip := netip.MustParseAddr("170.33.13.55")
	for b.Loop() {
		db, err := Open()
		if err != nil {
			b.Fatal(err)
		}
		db.Lookup(ip)
		db.Close()
	}
}

// FuzzOpen feeds Open damaged and odd MMDB files: it must fail with an error
// naming the file, or give a DB whose lookups do not panic.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	for name, fx := range map[string]fixture{
		"asn.mmdb":     {dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoASN(15169, "Google LLC")}},
		"city.mmdb":    {dbType: "GeoLite2-City", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoCity("US", "X")}},
		"ipinfo.mmdb":  {dbType: "ipinfo lite", records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"asn": ms("AS1"), "country_code": ms("US")}}},
		"country.mmdb": {dbType: "country ipvAll", ipv4: true, records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"country_code": ms("US")}}},
	} {
		b, err := os.ReadFile(fx.write(f, dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	addrs := []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("2001:4860::1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.mmdb")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		defer db.Close()
		for _, ip := range addrs {
			checkConsistent(t, ip, db.Lookup(ip))
		}
	})
}

func TestLookupSpecialUse(t *testing.T) {
	t.Parallel()
	db, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tests := []struct {
		ip   string
		want string // substring of SpecialUse; "" for a global address
	}{
		{"10.1.2.3", "RFC 1918"},
		{"172.16.5.4", "RFC 1918"},
		{"192.168.1.1", "RFC 1918"},
		{"127.0.0.1", "loopback"},
		{"100.64.0.1", "RFC 6598"},
		{"169.254.1.1", "link-local"},
		{"192.0.2.10", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"224.0.0.251", "multicast"},
		{"255.255.255.255", "reserved"},
		{"::1", "loopback"},
		{"::ffff:10.0.0.1", "IPv4-mapped"},
		{"::ffff:8.8.8.8", "IPv4-mapped"},
		{"::808:808", "IPv4-compatible"},
		{"64:ff9b::a00:1", "RFC 1918"},
		{"64:ff9b:1::808:808", "RFC 8215"},
		{"fe80::1", "link-local"},
		{"fd00::1", "unique-local"},
		{"2001:db8::1", "documentation"},
		{"2001:2::1", "benchmarking"},
		{"3fff::1", "documentation"},
		{"ff02::1", "multicast"},
		{"170.33.13.55", ""},
		{"8.8.8.8", ""},
		{"172.15.255.255", ""},
		{"2001:4860:4860::8888", ""},
		{"2404:2280:100::10", ""},
		{"64:ff9b::aa21:d37", ""},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		got := db.Lookup(ip)
		if tt.want == "" {
			if got.SpecialUse != "" || got.ASN == 0 {
				t.Errorf("Lookup(%s) = %+v, want a global address with an ASN", tt.ip, got)
			}
			continue
		}
		if !strings.Contains(got.SpecialUse, tt.want) {
			t.Errorf("Lookup(%s).SpecialUse = %q, want it to contain %q", tt.ip, got.SpecialUse, tt.want)
		}
		if got.ASN != 0 || got.Country != "" || got.ASOrg != "" || got.Sources != (Sources{}) {
			t.Errorf("Lookup(%s) claims facts about a special-purpose address: %+v", tt.ip, got)
		}
	}
}

func TestStaleWarnings(t *testing.T) {
	t.Parallel()
	ds := []Dataset{{ID: "a", Version: "2026-06-17"}, {ID: "b", Version: "v2"}, {ID: "c", Version: "2026-11-01"}}
	got := StaleWarnings(ds, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	if len(got) != 1 || !strings.HasPrefix(got[0], "a is from 2026-06-17, 160 days old") {
		t.Fatalf("StaleWarnings = %q", got)
	}
}

// The registration country comes from the AS's registry record and is kept
// apart from the country; a source's registration country is used only for
// the ASN it describes.
func TestRegisteredCountry(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	for _, c := range []struct{ ip, country, registered string }{
		{"1.1.1.1", "AU", "AU"}, // APNIC-registered block announced by Cloudflare
		{"170.33.13.55", "SG", "SG"},
		{"8.8.8.8", "US", "US"},
		{"36.86.63.182", "ID", "ID"},
	} {
		got := db.Lookup(netip.MustParseAddr(c.ip))
		if got.Country != c.country || got.RegisteredCountry != c.registered || got.Sources.RegisteredCountry != embeddedASNID {
			t.Errorf("Lookup(%s) = country %q, registered %q from %q; want %q, %q", c.ip, got.Country, got.RegisteredCountry, got.Sources.RegisteredCountry, c.country, c.registered)
		}
	}
	dir := t.TempDir()
	other := fixture{dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoASN(64500, "Other")}}.write(t, dir, "asn.mmdb")
	got := openDB(t, other).Lookup(netip.MustParseAddr("8.8.8.8"))
	if got.ASN != 64500 || got.RegisteredCountry != "" {
		t.Errorf("with another AS from a user file: %+v; the embedded registration of AS15169 must not be used", got)
	}
	country := fixture{dbType: "GeoLite2-Country", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoCountry("DE", "NL")}}.write(t, dir, "country.mmdb")
	got = openDB(t, other, country).Lookup(netip.MustParseAddr("8.8.8.8"))
	if got.Country != "DE" || got.RegisteredCountry != "NL" || !strings.Contains(got.Sources.RegisteredCountry, "country.mmdb") {
		t.Errorf("with a user country file: %+v", got)
	}
}

// mmdbDatasets leaves out the provider sources that Datasets lists after the MMDB files.
func mmdbDatasets(ds []Dataset) []Dataset {
	var out []Dataset
	for _, d := range ds {
		if !slices.Contains(d.Fields, "provider") && !slices.Contains(d.Fields, "cdn") {
			out = append(out, d)
		}
	}
	return out
}

func withoutProvider(r Result) Result {
	r.Provider, r.ProviderKind, r.Region, r.CDN, r.CDNName = "", "", "", false, ""
	r.Sources.Provider, r.Sources.CDN = "", ""
	return r
}

// TestProviders checks provider facts against the real embedded data.
func TestProviders(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	for _, c := range []struct {
		ip, provider, kind string
		cdn                bool
	}{
		{"170.33.13.55", "Alibaba Cloud", "cloud", false},
		{"47.96.1.10", "Alibaba Cloud", "cloud", false},
		{"36.86.63.182", "Telkom Indonesia", "isp", false},
		{"1.1.1.1", "Cloudflare", "cdn", true},
		{"51.210.1.10", "OVHcloud", "hosting", false},
	} {
		got := db.Lookup(netip.MustParseAddr(c.ip))
		if got.Provider != c.provider || got.ProviderKind != c.kind || got.CDN != c.cdn || got.Sources.Provider == "" {
			t.Errorf("Lookup(%s) = provider %q kind %q cdn %v (source %q); want %q %q %v", c.ip, got.Provider, got.ProviderKind, got.CDN, got.Sources.Provider, c.provider, c.kind, c.cdn)
		}
	}
	if got := db.Lookup(netip.MustParseAddr("10.0.0.1")); got.Provider != "" || got.CDN {
		t.Errorf("a private address got a provider: %+v", got)
	}
	if name, ok := db.CDNByCNAME([]string{"d111.cloudfront.net"}); !ok || name == "" {
		t.Errorf("CDNByCNAME(cloudfront) = %q, %v", name, ok)
	}
}
