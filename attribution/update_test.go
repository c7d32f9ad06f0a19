package attribution

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go4.org/netipx"
)

// publisher serves, on loopback, the files db update fetches: rows of the
// real embedded data for a few addresses (as ip-location-db's CSV), the real
// embedded country MMDB, and package files of a newer version. edit changes
// a file before it is served.
func publisher(t *testing.T, version string, edit func(name string, b []byte) []byte) *httptest.Server {
	t.Helper()
	db, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v4, v6, r4, r6 strings.Builder
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "170.33.13.55", "2001:4860:4860::8888"} {
		ip := netip.MustParseAddr(s)
		r := db.Lookup(ip)
		rng := netipx.RangeOfPrefix(r.Prefix)
		row := fmt.Sprintf("%s,%s,%d,%q\n", rng.From(), rng.To(), r.ASN, r.ASOrg)
		reg := fmt.Sprintf("%s,%s,%s\n", rng.From(), rng.To(), r.RegisteredCountry)
		if ip.Is4() {
			v4.WriteString(row)
			r4.WriteString(reg)
		} else {
			v6.WriteString(row)
			r6.WriteString(reg)
		}
	}
	notice := "Licensed under a Creative Commons Attribution 4.0 International License.\n"
	files := map[string][]byte{
		"/@ip-location-db/asn/package.json":                                      []byte(`{"name":"@ip-location-db/asn","version":"` + version + `","license":"SEE LICENSE IN ROUTEVIEWS-LICENSE and DBIP-LICENSE (CC-BY-4.0)"}`),
		"/@ip-location-db/asn/ROUTEVIEWS-LICENSE":                                []byte(notice),
		"/@ip-location-db/asn/DBIP-LICENSE":                                      []byte(notice),
		"/@ip-location-db/asn/NRO_LICENSE":                                       []byte(notice),
		"/@ip-location-db/asn/asn-ipv4.csv":                                      []byte(v4.String()),
		"/@ip-location-db/asn/asn-ipv6.csv":                                      []byte(v6.String()),
		"/@ip-location-db/geo-whois-asn-country-mmdb/package.json":               []byte(`{"name":"@ip-location-db/geo-whois-asn-country-mmdb","version":"` + version + `","license":"CC0-1.0"}`),
		"/@ip-location-db/geo-whois-asn-country-mmdb/NRO_LICENSE":                []byte(notice),
		"/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb": embeddedCountry,
		"/@ip-location-db/asn-country/package.json":                              []byte(`{"name":"@ip-location-db/asn-country","version":"` + version + `","license":"CC0-1.0"}`),
		"/@ip-location-db/asn-country/NRO_LICENSE":                               []byte(notice),
		"/@ip-location-db/asn-country/asn-country-ipv4.csv":                      []byte(r4.String()),
		"/@ip-location-db/asn-country/asn-country-ipv6.csv":                      []byte(r6.String()),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if edit != nil {
			b = edit(r.URL.Path, b)
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func updateOpts(t *testing.T, dir, base string) UpdateOptions {
	t.Helper()
	return UpdateOptions{Dir: dir, BaseURL: base, HTTP: NewHTTPClient(nil, time.Minute, 0)}
}

func versions(t *testing.T, dir string) string {
	t.Helper()
	db, err := OpenWith(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var vs []string
	for _, d := range mmdbDatasets(db.Datasets()) {
		vs = append(vs, d.ID+"@"+d.Version)
	}
	return strings.Join(vs, " ")
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	embedded := versions(t, dir)

	srv := publisher(t, "2.3.2026112006", nil)
	res, err := Update(t.Context(), updateOpts(t, dir, srv.URL))
	if err != nil || !res.Installed {
		t.Fatalf("Update = %+v, %v", res, err)
	}
	want := "ip-location-db/asn@2026-11-20 ip-location-db/geo-whois-asn-country@2026-11-20"
	if got := versions(t, dir); got != want {
		t.Fatalf("after update: %s, want %s", got, want)
	}
	db, err := OpenWith(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r := db.Lookup(netip.MustParseAddr("170.33.13.55")); r.ASN != 134963 || r.Country != "SG" || r.RegisteredCountry != "SG" {
		t.Errorf("updated data: 170.33.13.55 = %+v", r)
	}
	if p := db.Datasets()[0].Path; !strings.HasPrefix(p, filepath.Join(dir, "current")) {
		t.Errorf("updated dataset path %q", p)
	}
	db.Close()

	// The same version again changes nothing.
	if res, err := Update(t.Context(), updateOpts(t, dir, srv.URL)); err != nil || res.Installed {
		t.Fatalf("second Update = %+v, %v; want nothing installed", res, err)
	}

	// Revert puts the embedded data back in use.
	if err := Revert(dir); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, dir); got != embedded {
		t.Fatalf("after revert: %s, want %s", got, embedded)
	}
}

// A failed, partial or corrupt download never replaces the data in use.
func TestUpdateRefusesBadData(t *testing.T) {
	t.Parallel()
	tests := map[string]func(name string, b []byte) []byte{
		"truncated csv": func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "asn-ipv4.csv") {
				return b[:len(b)/2]
			}
			return b
		},
		"corrupt mmdb": func(name string, b []byte) []byte {
			if strings.HasSuffix(name, ".mmdb") {
				return []byte("not a database")
			}
			return b
		},
		"truncated mmdb": func(name string, b []byte) []byte {
			if strings.HasSuffix(name, ".mmdb") {
				return b[:len(b)/3]
			}
			return b
		},
		"licence changed": func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "asn/package.json") {
				return []byte(strings.Replace(string(b), "CC-BY-4.0", "proprietary", 1))
			}
			return b
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			good := publisher(t, "2.3.2026112006", nil)
			if _, err := Update(t.Context(), updateOpts(t, dir, good.URL)); err != nil {
				t.Fatal(err)
			}
			before := versions(t, dir)
			bad := publisher(t, "2.3.2026112206", edit)
			_, err := Update(t.Context(), updateOpts(t, dir, bad.URL))
			if !errors.Is(err, ErrUpdate) {
				t.Fatalf("Update = %v, want ErrUpdate", err)
			}
			if got := versions(t, dir); got != before {
				t.Fatalf("data in use changed to %s after a failed update", got)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(leftovers) > 0 {
				t.Errorf("staging left behind: %v", leftovers)
			}
		})
	}
}

// A body cut short of its Content-Length is an incomplete download.
func TestFetchIncomplete(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("only a little"))
	}))
	t.Cleanup(srv.Close)
	o := updateOpts(t, t.TempDir(), srv.URL)
	if _, err := fetch(t.Context(), o.HTTP, srv.URL+"/x"); err == nil {
		t.Fatal("fetch of a cut body succeeded")
	}
	if _, err := fetch(t.Context(), o.HTTP, srv.URL+"/x\x00"); err == nil {
		t.Fatal("fetch of a bad URL succeeded")
	}
}
