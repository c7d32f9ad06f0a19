package attribution

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// A provider feed installed by db update gives regions, and a feed that
// fails to download or parse leaves the previous copy in use.
func TestUpdateFeeds(t *testing.T) {
	t.Parallel()
	// A document in the format of AWS's ip-ranges.json (a fixture for the
	// plumbing; the facts the tests check come from it, not from the data).
	feed := `{"syncToken":"1","createDate":"2026-11-20-00-00-00","prefixes":[
{"ip_prefix":"3.0.0.0/15","region":"ap-southeast-1","service":"AMAZON","network_border_group":"ap-southeast-1"},
{"ip_prefix":"3.0.0.0/15","region":"ap-southeast-1","service":"EC2","network_border_group":"ap-southeast-1"}],
"ipv6_prefixes":[]}`
	good := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !good {
			w.Write([]byte(`{"prefixes": [`))
			return
		}
		w.Write([]byte(feed))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	feeds := []Feed{{Name: "aws", URL: srv.URL + "/ip-ranges.json", Parse: DefaultFeeds()[0].Parse}}
	o := updateOpts(t, dir, srv.URL)
	if err := UpdateFeeds(t.Context(), dir, feeds, o.HTTP, io.Discard); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		db, err := OpenWith(Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		got := db.Lookup(netip.MustParseAddr("3.0.0.1"))
		if got.Provider != "Amazon Web Services" || got.Region != "ap-southeast-1" || got.Sources.Provider != "aws feed" {
			t.Errorf("3.0.0.1 = provider %q region %q from %q; want the feed's", got.Provider, got.Region, got.Sources.Provider)
		}
	}
	check()
	// The feed's date is the document's createDate, not the download's:
	// a year-old document is stale at once (issue 9, part 12).
	db, err := OpenWith(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ds := db.Datasets()
	db.Close()
	i := slices.IndexFunc(ds, func(d Dataset) bool { return d.ID == "aws feed" })
	if i < 0 || ds[i].Version != "2026-11-20" || !slices.Contains(ds[i].Fields, "region") || ds[i].Kind != KindProviderFeed || ds[i].URL == "" {
		t.Fatalf("datasets: %+v, want the aws feed dated 2026-11-20 giving region, a provider_feed with its URL", ds)
	}
	if w := StaleWarnings(ds, time.Date(2027, 11, 20, 0, 0, 0, 0, time.UTC)); !slices.ContainsFunc(w, func(s string) bool {
		return strings.HasPrefix(s, "aws feed is from 2026-11-20, 365 days old")
	}) {
		t.Errorf("a year on, StaleWarnings = %q, want the aws feed among them", w)
	}
	good = false
	if err := UpdateFeeds(t.Context(), dir, feeds, o.HTTP, io.Discard); !errors.Is(err, ErrUpdate) {
		t.Fatalf("a truncated feed: %v, want ErrUpdate", err)
	}
	check() // the previous copy is still in use
}

// Azure's service tags carry no date: the date in the name they are
// published under (ServiceTags_Public_YYYYMMDD.json) stands for it, and
// without one the feed is undated rather than as new as its download.
func TestFeedDateFromFileName(t *testing.T) {
	t.Parallel()
	feed := `{"changeNumber": 1, "cloud": "Public", "values": [{"name": "AzureCloud.eastus", "id": "AzureCloud.eastus",
"properties": {"changeNumber": 1, "region": "eastus", "platform": "Azure", "systemService": "", "addressPrefixes": ["20.42.0.0/17"]}}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(feed)) }))
	t.Cleanup(srv.Close)
	for url, want := range map[string]string{
		srv.URL + "/download/ServiceTags_Public_20251117.json": "2025-11-17",
		srv.URL + "/servicetags.json":                          "",
	} {
		dir := t.TempDir()
		feeds := []Feed{{Name: "azure", URL: url, Parse: DefaultFeeds()[3].Parse}}
		if err := UpdateFeeds(t.Context(), dir, feeds, updateOpts(t, dir, srv.URL).HTTP, io.Discard); err != nil {
			t.Fatal(err)
		}
		db, err := OpenWith(Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		ds := db.Datasets()
		if got := db.Lookup(netip.MustParseAddr("20.42.0.1")); got.Region != "eastus" {
			t.Errorf("%s: the feed is not in use: %+v", url, got)
		}
		db.Close()
		i := slices.IndexFunc(ds, func(d Dataset) bool { return d.ID == "azure feed" })
		if i < 0 || ds[i].Version != want {
			t.Errorf("%s: datasets %+v, want the azure feed dated %q", url, ds, want)
		}
	}
}
