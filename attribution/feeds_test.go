package attribution

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
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
	good = false
	if err := UpdateFeeds(t.Context(), dir, feeds, o.HTTP, io.Discard); !errors.Is(err, ErrUpdate) {
		t.Fatalf("a truncated feed: %v, want ErrUpdate", err)
	}
	check() // the previous copy is still in use
}
