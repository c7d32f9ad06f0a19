package attribution

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// FuzzOpenUser feeds the reader of a user's --mmdb file (openUser: the
// metadata, the layout found from database_type or the first records, the
// Dataset made from them) small MMDB files written with mmdbwriter, as the
// fuzzer damages them. It must fail with an error naming the file, or give a
// source that says which facts it has, a date that is a date, and lookups
// that do not panic.
func FuzzOpenUser(f *testing.F) {
	dir := f.TempDir()
	for name, fx := range map[string]fixture{
		"asn.mmdb":        {dbType: "GeoLite2-ASN", ipv4: true, records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoASN(15169, "Google LLC")}},
		"city.mmdb":       {dbType: "GeoLite2-City", ipv4: true, desc: "GeoLite2 City database", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoCity("US", "X")}},
		"country.mmdb":    {dbType: "DBIP-Country-Lite", ipv4: true, records: map[string]mmdbtype.DataType{"1.1.1.0/24": geoCountry("AU", "AU")}},
		"enterprise.mmdb": {dbType: "GeoIP2-Enterprise", ipv4: true, records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"traits": mm{"autonomous_system_number": mmdbtype.Uint32(15169)}}}},
		"ipinfo.mmdb":     {dbType: "ipinfo lite", ipv4: true, records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"asn": ms("AS15169"), "as_name": ms("Google LLC"), "country_code": ms("US")}}},
		"flat.mmdb":       {dbType: "country ipvAll", ipv4: true, desc: "Test data, licensed under CC BY 4.0", records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"country_code": ms("US")}}},
		"flatasn.mmdb":    {dbType: "asn ipv6", raw: true, records: map[string]mmdbtype.DataType{"2001:4860::/32": mm{"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": ms("Google LLC")}}},
		"unknown.mmdb":    {dbType: "Acme-Widgets", ipv4: true, records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"widgets": mmdbtype.Uint32(3)}}},
		"empty.mmdb":      {dbType: "", ipv4: true},
	} {
		b, err := os.ReadFile(fx.write(f, dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	addrs := []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("2001:4860::1"), netip.MustParseAddr("::")}
	known := []string{"asn", "as_org", "prefix", "country"}
	// One file, written again for each input: a directory per input made
	// and removed cost more than the rest of the run. Inputs run one after
	// another in each process, and the file is closed after each.
	path := filepath.Join(f.TempDir(), "fuzz.mmdb")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, ds, err := openUser(path, true, "")
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		defer func() {
			if err := s.r.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}()
		if s.layout == layoutNone || !s.hasASN && !s.hasCountry {
			t.Fatalf("opened with layout %d, asn %v, country %v", s.layout, s.hasASN, s.hasCountry)
		}
		if len(ds.Fields) == 0 || slices.ContainsFunc(ds.Fields, func(f string) bool { return !slices.Contains(known, f) }) {
			t.Fatalf("fields %q", ds.Fields)
		}
		if ds.Path != path || s.id != ds.ID || !strings.HasSuffix(ds.ID, "(fuzz.mmdb)") || ds.License == "" {
			t.Fatalf("dataset %+v, source %q", ds, s.id)
		}
		if ds.Version != "" {
			if _, err := time.Parse(time.DateOnly, ds.Version); err != nil {
				t.Fatalf("version %q is not a date: %v", ds.Version, err)
			}
		}
		if d, ok := s.r.Metadata.Description["en"]; ok && ds.Description != d {
			t.Fatalf("description %q, want the English one %q", ds.Description, d)
		}
		for _, ip := range addrs {
			found := s.r.Lookup(ip)
			if found.Err() != nil || !found.Found() {
				continue
			}
			_ = s.record(found)
			if p := prefix(ip, found); p.IsValid() && !p.Contains(ip) {
				t.Fatalf("%s: prefix %s", ip, p)
			}
		}
	})
}
