package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/reports/schema"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// db update --geofeed fetches an operator's RFC 8805 feed from a server on
// 127.0.0.1, rejects its bad lines (naming them), and every command then
// shows its claim next to the databases' (audit), with their disagreement
// (issue 13, part 4).
func TestDBUpdateGeofeed(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	const feed = "# an operator's geofeed\n" +
		"11.22.33.0/24,ID,ID-JK,Jakarta,\n" +
		"11.22.34.0/24,XX,,Nowhere,\n" + // not a country
		"11.22.35.1/24,ID,,,\n" // host bits set
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/geofeed.csv" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, feed)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	url := "http://" + l.Addr().String() + "/geofeed.csv"

	code, stdout, stderr := runHostwatch(t, "db", "update", "--geofeed", url)
	if code != 0 || !strings.Contains(stdout, "1 lines installed, 2 rejected") || !strings.Contains(stdout, "line 3 rejected (bad_country)") ||
		!strings.Contains(stdout, "line 4 rejected (bad_prefix)") {
		t.Fatalf("db update --geofeed: exit %d\n%s%s", code, stdout, stderr)
	}
	zone, err := resolverstest.NewZoneHandler("$ORIGIN geo.test.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\n" +
		"www 300 IN A 11.22.33.44\nother 300 IN A 11.22.34.1\n")
	if err != nil {
		t.Fatal(err)
	}
	resolver, err := resolverstest.Listen("127.0.0.1:0", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resolver.Close() })
	code, stdout, stderr = runHostwatch(t, "audit", "-o", "json", "--resolver", resolver.Addr, "www.geo.test", "other.geo.test")
	if code != 0 {
		t.Fatalf("audit: exit %d: %s", code, stderr)
	}
	var rep reports.Document
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	var doc struct {
		Datasets  []attribution.Dataset
		Addresses []reports.Address
	}
	doc.Datasets = rep.Datasets
	for _, tg := range rep.Targets {
		doc.Addresses = append(doc.Addresses, tg.Addresses...)
	}
	if len(doc.Addresses) != 2 {
		t.Fatalf("addresses %+v", doc.Addresses)
	}
	g := doc.Addresses[0].Geofeed
	if g == nil || g.Country != "ID" || g.Region != "ID-JK" || g.City != "Jakarta" || g.Prefix != "11.22.33.0/24" ||
		!strings.HasPrefix(g.Source, "geofeed-127.0.0.1-") || g.Date == "" {
		t.Errorf("geofeed claim %+v", g)
	}
	if g != nil && g.Disagrees != (doc.Addresses[0].Country != "ID") {
		t.Errorf("disagrees %v with the country %q", g.Disagrees, doc.Addresses[0].Country)
	}
	if doc.Addresses[1].Geofeed != nil {
		t.Errorf("a rejected line was used: %+v", doc.Addresses[1].Geofeed)
	}
	listed := false
	for _, d := range doc.Datasets {
		listed = listed || strings.HasPrefix(d.ID, "geofeed-") && len(d.Fields) == 1 && d.Fields[0] == "geofeed" &&
			d.Kind == attribution.KindGeofeed && strings.HasPrefix(d.URL, "http")
	}
	if !listed {
		t.Errorf("the geofeed is not among the datasets: %+v", doc.Datasets)
	}

	// lookup shows the claim too, in JSON, JSON lines and the table.
	code, stdout, stderr = runHostwatch(t, "lookup", "-o", "json", "11.22.33.44", "11.22.34.1")
	if code != 0 {
		t.Fatalf("lookup: exit %d: %s", code, stderr)
	}
	if err := schema.Validate([]byte(stdout), "lookup.v1.schema.json", ""); err != nil {
		t.Errorf("lookup -o json does not follow its schema: %v", err)
	}
	var lk reports.LookupDocument
	if err := json.Unmarshal([]byte(stdout), &lk); err != nil {
		t.Fatal(err)
	}
	if len(lk.Addresses) != 2 || lk.Addresses[0].Geofeed == nil || lk.Addresses[0].Geofeed.Region != "ID-JK" || lk.Addresses[1].Geofeed != nil {
		t.Errorf("lookup addresses %+v", lk.Addresses)
	}
	if code, stdout, _ = runHostwatch(t, "lookup", "-o", "jsonl", "11.22.33.44"); code != 0 || !strings.Contains(stdout, `"geofeed":{"source":"geofeed-127.0.0.1-`) {
		t.Errorf("lookup -o jsonl: exit %d, %s", code, stdout)
	}
	if code, stdout, _ = runHostwatch(t, "lookup", "-o", "table", "11.22.33.44"); code != 0 || !strings.Contains(stdout, "11.22.33.44: geofeed geofeed-127.0.0.1-") ||
		!strings.Contains(stdout, "11.22.33.0/24 ID ID-JK Jakarta") {
		t.Errorf("lookup table: exit %d\n%s", code, stdout)
	}

	// db status says where the feed came from: fetched, not embedded.
	code, stdout, stderr = runHostwatch(t, "db", "status", "-o", "json")
	var st reports.DataStatus
	if err := json.Unmarshal([]byte(stdout), &st); code != 0 || err != nil {
		t.Fatalf("db status: exit %d, %v: %s", code, err, stderr)
	}
	for _, s := range st.Sources {
		if s.Kind == attribution.KindGeofeed && s.Origin != url {
			t.Errorf("db status: the geofeed's origin is %q, want %q", s.Origin, url)
		}
	}

	for _, bad := range []string{"ftp://example.invalid/feed.csv", "not a url"} {
		if code, _, stderr := runHostwatch(t, "db", "update", "--geofeed", bad); code != exitUsage || !strings.Contains(stderr, "not an http") {
			t.Errorf("--geofeed %q: exit %d, %s", bad, code, stderr)
		}
	}
}
