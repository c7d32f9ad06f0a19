package attribution

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

// A byte-flipped --mmdb file was opened, failed every lookup in it silently
// and fell back to the embedded data (issue 9, part 4). Now every single
// flipped byte of a small file either makes Open refuse it with
// ErrCorrupt, or leaves a file whose lookups succeed, or warn.
func TestOpenRefusesDamagedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := fixture{dbType: "GeoLite2-City", desc: "test city data", ipv4: true, records: map[string]mmdbtype.DataType{
		"8.8.8.0/24": geoCity("DE", "Berlin"), "1.1.1.0/24": geoCity("AU", "Sydney")}}.write(t, dir, "good.mmdb")
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("2001:4860::1")}
	refused, damagedLookups := 0, 0
	for i := range b {
		flipped := slices.Clone(b)
		flipped[i] ^= 0xff
		path := filepath.Join(dir, "flipped.mmdb")
		if err := os.WriteFile(path, flipped, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := openUserOnly(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("byte %d: error %q does not name the file", i, err)
			}
			refused++
			continue
		}
		// Opened: whatever the raw reader fails on must be a warning.
		raw, err := maxminddb.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		failing := 0
		for _, ip := range addrs {
			if ip.Is6() && raw.Metadata.IPVersion == 4 {
				continue // not in an IPv4 tree, which is no failure
			}
			res := raw.Lookup(ip)
			var v map[string]any
			if res.Err() != nil || res.Found() && res.Decode(&v) != nil {
				failing++
			}
			db.Lookup(ip)
		}
		raw.Close()
		if failing > 0 {
			damagedLookups++
			if len(db.Warnings()) == 0 {
				t.Errorf("byte %d: %d lookups fail in the file, and no warning", i, failing)
			}
		}
		db.Close()
	}
	if refused == 0 {
		t.Fatalf("no flipped byte of %d was refused", len(b))
	}
	// The whole file: no warnings, IPv6 past an IPv4-only file included.
	db, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range addrs {
		db.Lookup(ip)
	}
	if w := db.Warnings(); len(w) != 0 {
		t.Errorf("warnings for a whole file: %q", w)
	}
	db.Close()
	t.Logf("%d of %d flipped bytes refused on open; %d opened with failing lookups, all warned", refused, len(b), damagedLookups)

	// A flip in the search tree, where the first bytes are.
	tree := slices.Clone(b)
	tree[3] ^= 0xff
	path := filepath.Join(dir, "tree.mmdb")
	if err := os.WriteFile(path, tree, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a flipped tree byte: %v, want ErrCorrupt", err)
	}
}

// openUserOnly opens path as Open does a --mmdb file, without the embedded
// data after it: fast enough to try every damaged copy of a file.
func openUserOnly(path string) (*DB, error) {
	s, ds, err := openUser(path, true, "")
	if err != nil {
		return nil, err
	}
	return &DB{sources: []*source{s}, datasets: []Dataset{ds}}, nil
}

// A file is verified once: its digest is remembered, and the same bytes
// open again without another verification; a damaged copy has another
// digest and is verified, and refused.
func TestVerifiedOnce(t *testing.T) {
	t.Parallel()
	dir, marks := t.TempDir(), t.TempDir()
	path := fixture{dbType: "GeoLite2-Country", desc: "test", records: map[string]mmdbtype.DataType{"8.8.8.0/24": geoCountry("DE", "US")}}.write(t, dir, "c.mmdb")
	for range 2 {
		db, err := OpenWith(Config{MMDBs: []string{path}, VerifiedDir: marks})
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Lookup(netip.MustParseAddr("8.8.8.8")); got.Country != "DE" {
			t.Errorf("Lookup: %+v", got)
		}
		db.Close()
		if es, _ := os.ReadDir(marks); len(es) != 1 {
			t.Fatalf("%d marks, want one for the verified file", len(es))
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[3] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWith(Config{MMDBs: []string{path}, VerifiedDir: marks}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("the damaged file: %v, want ErrCorrupt", err)
	}
	if es, _ := os.ReadDir(marks); len(es) != 1 {
		t.Errorf("%d marks after a failed verification, want still one", len(es))
	}
}

// Files that are whole pass: ip-location-db's published MMDB (the real
// embedded country file, whose description is empty, which the format
// allows and Verify alone refuses) and a file written with none.
func TestOpenVerifiesFilesWithoutDescription(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "geo-whois-asn-country.mmdb")
	if err := os.WriteFile(real, embeddedCountry, 0o644); err != nil {
		t.Fatal(err)
	}
	plain := fixture{dbType: "country ipvAll", records: map[string]mmdbtype.DataType{"8.8.8.0/24": mm{"country_code": ms("SE")}}}.write(t, dir, "plain.mmdb")
	db := openDB(t, real, plain)
	if got := db.Lookup(netip.MustParseAddr("8.8.8.8")); got.Sources.Country != "country ipvAll (geo-whois-asn-country.mmdb)" {
		t.Errorf("8.8.8.8: %+v, want the country from the first file", got)
	}
	// Damaged in its data section, such a file is refused too.
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "country_code")
	b[i-1] ^= 0xff // the control byte of the key
	bad := filepath.Join(dir, "bad.mmdb")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a damaged file without a description: %v, want ErrCorrupt", err)
	}
}

// Country codes must be two ASCII letters; others are dropped, with a
// warning (issue 9, part 4). The later sources then give the country.
func TestCountryCodesChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := fixture{dbType: "GeoLite2-Country", desc: "test", records: map[string]mmdbtype.DataType{
		"8.8.8.0/24":   geoCountry("=1", "US"),
		"1.1.1.0/24":   geoCountry("\x1b[2J", "AU"),
		"9.9.9.0/24":   geoCountry("ch", "U5"),
		"4.4.4.0/24":   geoCountry("FR", "FR"),
		"64.6.64.0/24": geoCountry("", ""),
	}}.write(t, dir, "cc.mmdb")
	db := openDB(t, path)
	emb := openDB(t)
	id := "GeoLite2-Country (cc.mmdb)"
	for _, tc := range []struct {
		ip, country, registered string
		fromFile                bool
	}{
		{"8.8.8.8", "", "US", false},
		{"1.1.1.1", "", "AU", false},
		{"9.9.9.9", "CH", "", true}, // lower case is read; "U5" is not a code
		{"4.4.4.4", "FR", "FR", true},
	} {
		ip := netip.MustParseAddr(tc.ip)
		got := db.Lookup(ip)
		want := tc.country
		if !tc.fromFile {
			want = emb.Lookup(ip).Country
		}
		if got.Country != want || tc.fromFile != (got.Sources.Country == id) {
			t.Errorf("%s: country %q from %q, want %q (from the file: %v)", tc.ip, got.Country, got.Sources.Country, want, tc.fromFile)
		}
		if tc.registered != "" && got.RegisteredCountry != tc.registered {
			t.Errorf("%s: registered country %q, want %q", tc.ip, got.RegisteredCountry, tc.registered)
		}
		if got.RegisteredCountry == "U5" {
			t.Errorf("%s: registered country U5 kept", tc.ip)
		}
	}
	w := db.Warnings()
	want := id + `: dropped the country code of 3 lookups, not two ASCII letters (the first, 1.1.1.1: "\x1b[2J")`
	if len(w) != 1 || w[0] != want {
		t.Errorf("Warnings() = %q, want [%q]", w, want)
	}
	for _, s := range w {
		if strings.ContainsFunc(s, unicode.IsControl) {
			t.Errorf("warning %q carries control characters", s)
		}
	}
}

// The strings of a user's file enter the model inert: names, the
// database_type and the description (issue 9, part 4), and the report names
// the file's own database_type, build date and description.
func TestUserFileStringsInert(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := fixture{dbType: "GeoLite2-ASN\x1b]8;;http://x.example\x07", desc: "Evil\ndata\x1b[2J", records: map[string]mmdbtype.DataType{
		"8.8.8.0/24": geoASN(64500, "Evil\x1b[2J Org\nAS1 forged"),
	}}.write(t, dir, "evil.mmdb")
	db := openDB(t, path)
	got := db.Lookup(netip.MustParseAddr("8.8.8.8"))
	if got.ASN != 64500 || got.ASOrg != `Evil\x1b[2J Org\x0aAS1 forged` {
		t.Errorf("Lookup: AS%d %q, want AS64500 with the name made inert", got.ASN, got.ASOrg)
	}
	d := db.Datasets()[0]
	if d.DatabaseType != `GeoLite2-ASN\x1b]8;;http://x.example\x07` || d.Description != `Evil\x0adata\x1b[2J` ||
		d.Version != "2026-05-01" || d.ID != `GeoLite2-ASN\x1b]8;;http://x.example\x07 (evil.mmdb)` {
		t.Errorf("dataset %+v: want the file's database_type, description and build date, inert", d)
	}
	b, err := json.Marshal([]any{got.ASOrg, got.Sources, d})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `\u001b`) || strings.Contains(string(b), `\n`) {
		t.Errorf("control characters reach the JSON: %s", b)
	}
}

// A record that cannot be read is a warning, and its address is asked of
// the later sources: never a silent fallback (issue 9, part 4).
func TestLookupErrorsWarned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := fixture{dbType: "GeoLite2-ASN", desc: "test", records: map[string]mmdbtype.DataType{
		"8.8.8.0/24": mm{"autonomous_system_number": ms("not a number"), "autonomous_system_organization": ms("X")},
		"1.1.1.0/24": geoASN(64500, "Fine"),
	}}.write(t, dir, "types.mmdb")
	db := openDB(t, path)
	if w := db.Warnings(); len(w) != 0 {
		t.Fatalf("warnings before any lookup: %q", w)
	}
	got := db.Lookup(netip.MustParseAddr("8.8.8.8"))
	if got.Sources.ASN != embeddedASNID {
		t.Errorf("8.8.8.8: %+v, want the embedded ASN", got)
	}
	if got := db.Lookup(netip.MustParseAddr("1.1.1.1")); got.ASN != 64500 {
		t.Errorf("1.1.1.1: %+v, want AS64500 from the file", got)
	}
	db.Lookup(netip.MustParseAddr("8.8.8.9"))
	w := db.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], "GeoLite2-ASN (types.mmdb): 2 lookups failed and were answered by the sources after it (the first, 8.8.8.8: ") {
		t.Errorf("Warnings() = %q", w)
	}
}
