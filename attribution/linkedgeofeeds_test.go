package attribution_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/geofeed"
	"github.com/hostwatch/hostwatch/internal/httpclient"
	"github.com/hostwatch/hostwatch/probe/reach"
)

// TestLinkedGeofeeds fetches geofeeds as registry records link to them,
// from a TLS server on 127.0.0.1: once per URL however many ask, only the
// prefixes inside the record's space, https only (redirects too), bounded
// in size, through the reach policy.
func TestLinkedGeofeeds(t *testing.T) {
	t.Parallel()
	var hits sync.Map // path -> *atomic.Int32
	count := func(path string) int32 {
		v, _ := hits.LoadOrStore(path, new(atomic.Int32))
		return v.(*atomic.Int32).Load()
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
		switch r.URL.Path {
		case "/geofeed.csv":
			fmt.Fprint(w, "# an operator's feed\n192.0.2.0/25,ID,ID-JK,Jakarta,\n192.0.2.128/25,SG,,Singapore,\n198.51.100.0/24,FR,,Paris,\n")
		case "/moved":
			http.Redirect(w, r, "/geofeed.csv", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://"+r.Host+"/geofeed.csv", http.StatusFound)
		case "/signed":
			http.Redirect(w, r, "/gone.csv?X-Signature=s3cr3t&user=me", http.StatusFound)
		case "/huge":
			w.Header().Set("Content-Length", fmt.Sprint(geofeed.MaxSize+1))
			w.WriteHeader(http.StatusOK)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("the server is at %s, not on 127.0.0.1", srv.URL)
	}
	client := func(p reach.Policy) *retryablehttp.Client {
		tr := p.Transport(srv.Client().Transport.(*http.Transport))
		return httpclient.New(httpclient.Options{Transport: tr, Timeout: 5 * time.Second, NoRedirects: true})
	}
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	l := attribution.NewLinkedGeofeeds(client(reach.Policy{AllowPrivate: true}), func() time.Time { return day })
	space := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c, ok, err := l.Claim(t.Context(), srv.URL+"/geofeed.csv", space, netip.MustParseAddr("192.0.2.10"))
			want := attribution.GeofeedClaim{Source: srv.URL + "/geofeed.csv", Date: "2026-12-01", Prefix: netip.MustParsePrefix("192.0.2.0/25"),
				Country: "ID", Region: "ID-JK", City: "Jakarta"}
			if err != nil || !ok || c != want {
				t.Errorf("claim %+v, %v, %v; want %+v", c, ok, err, want)
			}
		})
	}
	wg.Wait()
	if n := count("/geofeed.csv"); n != 1 {
		t.Errorf("the feed was fetched %d times, want once for the run", n)
	}
	// A prefix outside the record's space is not the record's to claim.
	if c, ok, err := l.Claim(t.Context(), srv.URL+"/geofeed.csv", space, netip.MustParseAddr("198.51.100.7")); ok || err != nil {
		t.Errorf("outside the space: %+v, %v, %v", c, ok, err)
	}
	// Another record's space reads the same fetch.
	if c, ok, err := l.Claim(t.Context(), srv.URL+"/geofeed.csv", []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, netip.MustParseAddr("198.51.100.7")); !ok || err != nil || c.Country != "FR" {
		t.Errorf("inside another space: %+v, %v, %v", c, ok, err)
	}
	if n := count("/geofeed.csv"); n != 1 {
		t.Errorf("the feed was fetched %d times, want once for the run", n)
	}
	// Redirects are followed while they stay https.
	if c, ok, err := l.Claim(t.Context(), srv.URL+"/moved", space, netip.MustParseAddr("192.0.2.200")); !ok || err != nil || c.Country != "SG" {
		t.Errorf("redirected: %+v, %v, %v", c, ok, err)
	}
	for _, tc := range []struct {
		url  string
		want error
		kind attribution.GeofeedErrorKind
	}{
		{"http" + strings.TrimPrefix(srv.URL, "https") + "/geofeed.csv", attribution.ErrGeofeedNotHTTPS, attribution.GeofeedNotHTTPS},
		{srv.URL + "/to-http", attribution.ErrGeofeedNotHTTPS, attribution.GeofeedNotHTTPS},
		{srv.URL + "/huge", geofeed.ErrTooLarge, attribution.GeofeedTooLarge},
	} {
		_, ok, err := l.Claim(t.Context(), tc.url, space, netip.MustParseAddr("192.0.2.10"))
		var ge *attribution.GeofeedError
		if ok || !errors.Is(err, tc.want) || !errors.As(err, &ge) || ge.Kind != tc.kind || ge.URL != tc.url {
			t.Errorf("%s: %v (%+v), want %v of kind %s", tc.url, err, ge, tc.want, tc.kind)
		}
	}
	_, ok, err := l.Claim(t.Context(), srv.URL+"/missing.csv", space, netip.MustParseAddr("192.0.2.10"))
	var ge *attribution.GeofeedError
	if ok || !errors.As(err, &ge) || ge.Kind != attribution.GeofeedHTTPStatus || !strings.Contains(err.Error(), "404") {
		t.Errorf("a missing feed: %v", err)
	}
	// A redirect's query (a signed URL, never published) stays out of the error.
	_, ok, err = l.Claim(t.Context(), srv.URL+"/signed", space, netip.MustParseAddr("192.0.2.10"))
	if ok || !errors.As(err, &ge) || ge.Kind != attribution.GeofeedHTTPStatus || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "user=me") {
		t.Errorf("a redirect to a signed URL: %v", err)
	}
	// A server whose certificate is not trusted.
	untrusted := attribution.NewLinkedGeofeeds(httpclient.New(httpclient.Options{
		Transport: reach.Policy{AllowPrivate: true}.Transport(http.DefaultTransport.(*http.Transport)), Timeout: 5 * time.Second, NoRedirects: true}), nil)
	if _, ok, err := untrusted.Claim(t.Context(), srv.URL+"/geofeed.csv", space, netip.MustParseAddr("192.0.2.10")); ok || !errors.As(err, &ge) || ge.Kind != attribution.GeofeedUntrusted {
		t.Errorf("an untrusted certificate: %v (%+v)", err, ge)
	}
	// Only the feeds that gave a claim are datasets of the run.
	ds := l.Datasets()
	if len(ds) != 2 || ds[0].ID != srv.URL+"/geofeed.csv" || ds[1].ID != srv.URL+"/moved" || ds[0].Version != "2026-12-01" ||
		ds[0].Kind != attribution.KindLinkedGeofeed || ds[0].URL != ds[0].ID || !strings.Contains(ds[0].Description, "operator's own claim") {
		t.Errorf("datasets %+v", ds)
	}
	// Without --allow-private, a feed on loopback is refused, never asked.
	before := count("/geofeed.csv")
	strict := attribution.NewLinkedGeofeeds(client(reach.Policy{}), nil)
	if _, ok, err := strict.Claim(t.Context(), srv.URL+"/geofeed.csv", space, netip.MustParseAddr("192.0.2.10")); ok || !errors.As(err, &ge) ||
		ge.Kind != attribution.GeofeedRefused || !strings.Contains(err.Error(), "not globally reachable") {
		t.Errorf("loopback without --allow-private: %v", err)
	}
	if count("/geofeed.csv") != before {
		t.Error("the refused feed was asked")
	}
}

// TestLinkedGeofeedCutShort: a fetch a domain's deadline cut short is not
// kept for the run: the next domain asks again and gets the claim.
func TestLinkedGeofeedCutShort(t *testing.T) {
	t.Parallel()
	var slow atomic.Bool
	slow.Store(true)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, "192.0.2.0/24,ID,,,\n")
	}))
	t.Cleanup(srv.Close)
	tr := reach.Policy{AllowPrivate: true}.Transport(srv.Client().Transport.(*http.Transport))
	l := attribution.NewLinkedGeofeeds(httpclient.New(httpclient.Options{Transport: tr, Timeout: 5 * time.Second, NoRedirects: true}), nil)
	space := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	var ge *attribution.GeofeedError
	if _, ok, err := l.Claim(ctx, srv.URL+"/feed.csv", space, netip.MustParseAddr("192.0.2.1")); ok || !errors.As(err, &ge) || ge.Kind != attribution.GeofeedTimeout {
		t.Fatalf("cut short: %v (%+v)", err, ge)
	}
	slow.Store(false)
	if c, ok, err := l.Claim(t.Context(), srv.URL+"/feed.csv", space, netip.MustParseAddr("192.0.2.1")); !ok || err != nil || c.Country != "ID" {
		t.Errorf("asked again: %+v, %v, %v", c, ok, err)
	}
}
