package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"github.com/hostwatch/hostwatch/attribution/internal/dataset"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
	"go4.org/netipx"

	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
)

const notice = "licensed under a Creative Commons Attribution 4.0 International License.\n"

// writeTarball writes an npm-style package tarball holding files under package/.
func writeTarball(t *testing.T, dir, name string, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range []string{"package.json", "ROUTEVIEWS-LICENSE", "DBIP-LICENSE", "NRO_LICENSE",
		"asn-ipv4.csv", "asn-ipv6.csv", "geo-whois-asn-country-ipv4.csv", "geo-whois-asn-country-ipv6.csv",
		dataset.PublishedCountryMMDB} {
		body, ok := files[n]
		if !ok {
			continue
		}
		h := &tar.Header{Name: "package/" + n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func asnFiles() map[string]string {
	return map[string]string{
		"package.json":       `{"name":"@ip-location-db/asn","version":"2.3.2026061719","license":"SEE LICENSE IN ROUTEVIEWS-LICENSE and DBIP-LICENSE (CC-BY-4.0)"}`,
		"ROUTEVIEWS-LICENSE": notice,
		"DBIP-LICENSE":       notice,
		"NRO_LICENSE":        notice,
		// 1.0.0.1-1.0.0.6 is no CIDR block; 1.0.0.0 stays unknown.
		"asn-ipv4.csv": "1.0.0.1,1.0.0.6,64500,\"Example, Inc.\"\n8.8.8.0,8.8.8.255,15169,Google LLC\n",
		"asn-ipv6.csv": "2001:db8::,2001:db8::ffff,64501,Example6\n",
	}
}

func countryFiles() map[string]string {
	return map[string]string{
		"package.json":                   `{"name":"@ip-location-db/geo-whois-asn-country","version":"2.3.2026061719","license":"CC0-1.0"}`,
		"NRO_LICENSE":                    notice,
		"geo-whois-asn-country-ipv4.csv": "8.8.8.0,8.8.8.255,US\n",
		"geo-whois-asn-country-ipv6.csv": "2001:db8::,2001:db8::ffff,NL\n",
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	asn := writeTarball(t, dir, "asn.tgz", asnFiles())
	cc := writeTarball(t, dir, "cc.tgz", countryFiles())

	out1, out2 := filepath.Join(dir, "out1"), filepath.Join(dir, "out2")
	for _, out := range []string{out1, out2} {
		if err := run([]string{"-out", out, asn, cc}, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"asn.mmdb", "country.mmdb", manifest.FileName} {
		a, err := os.ReadFile(filepath.Join(out1, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out2, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs on the same input", f)
		}
	}

	var m manifest.Manifest
	js, err := os.ReadFile(filepath.Join(out1, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Datasets) != 2 || m.Datasets[0].ID != "ip-location-db/asn" || m.Datasets[0].Version != "2026-06-17" ||
		m.Datasets[0].Package != "@ip-location-db/asn@2.3.2026061719" || len(m.Datasets[0].SHA256) != 64 ||
		m.Datasets[1].License != "CC0-1.0 (package); NRO data CC BY 4.0" {
		t.Errorf("manifest = %s", js)
	}

	db, err := maxminddb.Open(filepath.Join(out1, "asn.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := db.Metadata.BuildTime().UTC(), time.Date(2026, 6, 17, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("build time %v, want %v", got, want)
	}
	type asnRecord struct {
		ASN uint32 `maxminddb:"autonomous_system_number"`
		Org string `maxminddb:"autonomous_system_organization"`
	}
	for _, tt := range []struct {
		ip     string
		want   asnRecord
		prefix string
	}{
		{"1.0.0.0", asnRecord{}, ""},
		{"1.0.0.1", asnRecord{64500, "Example, Inc."}, "1.0.0.1/32"},
		{"1.0.0.3", asnRecord{64500, "Example, Inc."}, "1.0.0.2/31"},
		{"1.0.0.6", asnRecord{64500, "Example, Inc."}, "1.0.0.6/32"},
		{"1.0.0.7", asnRecord{}, ""},
		{"8.8.8.8", asnRecord{15169, "Google LLC"}, "8.8.8.0/24"},
		{"2001:db8::1", asnRecord{64501, "Example6"}, "2001:db8::/112"},
	} {
		res := db.Lookup(netip.MustParseAddr(tt.ip))
		var got asnRecord
		if err := res.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.ip, got, tt.want)
		}
		if tt.prefix != "" && res.Prefix().String() != tt.prefix {
			t.Errorf("%s: prefix %s, want %s", tt.ip, res.Prefix(), tt.prefix)
		}
	}
}

// countryMMDBFiles is the -mmdb package, its file written with records.
func countryMMDBFiles(t *testing.T, ipVersion int, records map[string]mmdbtype.DataType) map[string]string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "country ipvAll", IPVersion: ipVersion, RecordSize: 24, BuildEpoch: 1781725900})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range records {
		if err := tree.Insert(netipx.PrefixIPNet(netip.MustParsePrefix(cidr)), rec); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"package.json":               `{"name":"@ip-location-db/geo-whois-asn-country-mmdb","version":"2.3.2026061719","license":"CC0-1.0"}`,
		"NRO_LICENSE":                notice,
		dataset.PublishedCountryMMDB: buf.String(),
	}
}

func TestRunCountryMMDB(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := countryMMDBFiles(t, 6, map[string]mmdbtype.DataType{
		"8.8.8.0/24":     mmdbtype.Map{"country_code": mmdbtype.String("US")},
		"2001:4860::/32": mmdbtype.Map{"country_code": mmdbtype.String("NL")},
	})
	asn := writeTarball(t, dir, "asn.tgz", asnFiles())
	cc := writeTarball(t, dir, "ccm.tgz", files)
	out := filepath.Join(dir, "out")
	if err := run([]string{"-out", out, asn, cc}, io.Discard); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "country.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != files[dataset.PublishedCountryMMDB] {
		t.Errorf("country.mmdb is not the published file")
	}
	var m manifest.Manifest
	js, err := os.ReadFile(filepath.Join(out, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	if d := m.Datasets[1]; d.ID != "ip-location-db/geo-whois-asn-country" || d.Package != "@ip-location-db/geo-whois-asn-country-mmdb@2.3.2026061719" {
		t.Errorf("country dataset %+v", d)
	}

	for name, bad := range map[string]map[string]string{
		"IPv4 only":    countryMMDBFiles(t, 4, map[string]mmdbtype.DataType{"8.8.8.0/24": mmdbtype.Map{"country_code": mmdbtype.String("US")}}),
		"other layout": countryMMDBFiles(t, 6, map[string]mmdbtype.DataType{"8.8.8.0/24": mmdbtype.Map{"country": mmdbtype.String("US")}}),
		"extra field":  countryMMDBFiles(t, 6, map[string]mmdbtype.DataType{"8.8.8.0/24": mmdbtype.Map{"country_code": mmdbtype.String("US"), "x": mmdbtype.Bool(true)}}),
	} {
		err := run([]string{"-out", out, asn, writeTarball(t, dir, "bad.tgz", bad)}, io.Discard)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	bad := files
	bad[dataset.PublishedCountryMMDB] = "not an mmdb"
	checkErr(t, run([]string{"-out", out, asn, writeTarball(t, dir, "bad.tgz", bad)}, io.Discard), dataset.PublishedCountryMMDB)
	checkErr(t, run([]string{"-out", out, asn, cc, writeTarball(t, dir, "cc.tgz", countryFiles())}, io.Discard), "already have")
	checkErr(t, run([]string{"-out", out, cc, writeTarball(t, dir, "cc.tgz", countryFiles())}, io.Discard), "already have")
}

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(asn, cc map[string]string)
		wantErr string
	}{
		{"licence field changed", func(asn, _ map[string]string) {
			asn["package.json"] = strings.Replace(asn["package.json"], "(CC-BY-4.0)", "(proprietary)", 1)
		}, "review the terms"},
		{"notice changed", func(_, cc map[string]string) { cc["NRO_LICENSE"] = "all rights reserved" }, "review the terms"},
		{"notice missing", func(asn, _ map[string]string) { delete(asn, "DBIP-LICENSE") }, "has no DBIP-LICENSE"},
		{"csv missing", func(asn, _ map[string]string) { delete(asn, "asn-ipv6.csv") }, "has no asn-ipv6.csv"},
		{"bad line", func(asn, _ map[string]string) { asn["asn-ipv4.csv"] += "1.2.3.4,1.2.3.0,1,x\n" }, "asn-ipv4.csv:3: range"},
		{"wrong family", func(_, cc map[string]string) { cc["geo-whois-asn-country-ipv6.csv"] = "1.2.3.0,1.2.3.4,DE\n" }, "wrong file"},
		{"IPv6 row in IPv4 space", func(asn, _ map[string]string) { asn["asn-ipv6.csv"] = "::1.2.3.0,::1.2.3.255,1,x\n" }, "::/96"},
		{"bad version", func(asn, _ map[string]string) {
			asn["package.json"] = strings.Replace(asn["package.json"], "2026061719", "1", 1)
		}, "YYYYMMDDHH"},
		{"unknown package", func(_, cc map[string]string) {
			cc["package.json"] = `{"name":"left-pad","version":"2.3.2026061719"}`
		}, "not one this tool knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			asn, cc := asnFiles(), countryFiles()
			tt.edit(asn, cc)
			err := run([]string{"-out", filepath.Join(dir, "out"),
				writeTarball(t, dir, "asn.tgz", asn), writeTarball(t, dir, "cc.tgz", cc)}, io.Discard)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestRunNotATarball(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tgz")
	if err := os.WriteFile(bad, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"-out", dir, bad}, io.Discard)
	checkErr(t, err, bad)
	err = run([]string{"-out", dir, filepath.Join(dir, "missing.tgz")}, io.Discard)
	checkErr(t, err, "missing.tgz")
}

func TestDataDate(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"2.3.2026061719": "2026-06-17",
		"2.3.2025123100": "2025-12-31",
		"2.3.2026061799": "",
		"2.3.20260617":   "",
		"1.0.0":          "",
		"":               "",
	} {
		got, err := dataset.DataDate(v)
		if want == "" {
			if err == nil {
				t.Errorf("DataDate(%q) = %v, want an error", v, got)
			}
			continue
		}
		if err != nil || got.Format(time.DateOnly) != want || got.Location() != time.UTC {
			t.Errorf("DataDate(%q) = %v, %v; want %s", v, got, err, want)
		}
	}
}
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one containing %q", err, want)
	}
}
