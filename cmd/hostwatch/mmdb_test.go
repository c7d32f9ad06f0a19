package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeMMDB writes a small GeoLite2-City-shaped file to dir/name.
func writeMMDB(t *testing.T, dir, name, desc string, records map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", Description: map[string]string{"en": desc},
		BuildEpoch: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Unix(), RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range records {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := tree.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func city(cc string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}, "city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("X")}}}
}

// runHostwatch runs hostwatch in-process; the tests point XDG_DATA_HOME
// and XDG_CACHE_HOME at their own directories.
func runHostwatch(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Now: time.Now, Version: "test",
		Getenv: func(string) string { return "" }}
	code = Main(t.Context(), streams, args)
	return code, out.String(), errOut.String()
}

// A damaged --mmdb file is refused on open with exit 2, naming it; it was
// opened, and every lookup in it fell back silently to the embedded data
// (issue 9, part 4).
func TestMMDBDamagedIsRefused(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	path := writeMMDB(t, dir, "city.mmdb", "test", map[string]mmdbtype.Map{"8.8.8.0/24": city("DE")})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[3] ^= 0xff // in the search tree
	bad := filepath.Join(dir, "flipped.mmdb")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"lookup", "-o", "json", "--mmdb", bad, "8.8.8.8"},
		{"db", "status", "--mmdb", bad},
	} {
		code, stdout, stderr := runHostwatch(t, args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, bad) || !strings.Contains(stderr, "damaged") ||
			strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line naming the damaged file", args, code, stdout, stderr)
		}
	}
}

// Country codes that are not two ASCII letters are dropped, with a warning
// on stderr and in the report; the report names the file's own
// database_type, build date and description (issue 9, part 4).
func TestMMDBWarnings(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	path := writeMMDB(t, dir, "cc.mmdb", "Test\x1b[2J city data", map[string]mmdbtype.Map{
		"8.8.8.0/24": city("\x1b[2J"),
		"1.1.1.0/24": city("=1"),
		"9.9.9.0/24": city("CH"),
	})
	code, stdout, stderr := runHostwatch(t, "lookup", "-o", "json", "--mmdb", path, "8.8.8.8", "1.1.1.1", "9.9.9.9")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	const warning = `GeoLite2-City (cc.mmdb): dropped the country code of 2 lookups, not two ASCII letters (the first, 1.1.1.1: "=1")`
	if stderr != "hostwatch: warning: "+warning+"\n" {
		t.Errorf("stderr %q, want the warning", stderr)
	}
	var doc struct {
		Warnings []string `json:"warnings"`
		Datasets []struct {
			Name, Version, Description string
			DatabaseType               string `json:"database_type"`
		} `json:"datasets"`
		Addresses []struct {
			IP, Country string
			Sources     struct{ Country string } `json:"sources"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	found := false
	for _, w := range doc.Warnings {
		found = found || w == warning
	}
	if !found {
		t.Errorf("report warnings %q, want %q among them", doc.Warnings, warning)
	}
	if d := doc.Datasets[0]; d.DatabaseType != "GeoLite2-City" || d.Version != "2026-05-01" || d.Description != `Test\x1b[2J city data` {
		t.Errorf("dataset %+v: want the file's database_type, build date and description, inert", d)
	}
	for _, a := range doc.Addresses {
		if strings.ContainsAny(a.Country, "=\x1b") || a.IP == "9.9.9.9" && (a.Country != "CH" || a.Sources.Country != "GeoLite2-City (cc.mmdb)") {
			t.Errorf("%s: country %q from %q", a.IP, a.Country, a.Sources.Country)
		}
	}
}
