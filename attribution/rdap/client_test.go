package rdap

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// registry is an RDAP server on 127.0.0.1 for tests, counting its requests.
type registry struct {
	*httptest.Server
	requests atomic.Int32
}

// newRegistry starts a TLS server on 127.0.0.1:0 that answers with h and
// is closed when the test ends.
func newRegistry(t *testing.T, h http.HandlerFunc) *registry {
	t.Helper()
	r := &registry{}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		h(w, req)
	}))
	if host, _, _ := strings.Cut(r.Listener.Addr().String(), ":"); host != "127.0.0.1" {
		t.Fatalf("test server listens on %s, not loopback", r.Listener.Addr())
	}
	t.Cleanup(r.Close)
	return r
}

// serveFixture answers every request with a fixture file as RDAP JSON.
func serveFixture(t *testing.T, name string) http.HandlerFunc {
	body := readFixture(t, name)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		_, _ = w.Write(body)
	}
}

// testBootstrap maps prefixes to base URLs in an IPv4 bootstrap file.
func testBootstrap(t *testing.T, services map[string]string) *Bootstrap {
	t.Helper()
	var svc []string
	for prefix, base := range services {
		svc = append(svc, fmt.Sprintf(`[[%q], [%q]]`, prefix, base))
	}
	v4 := `{"version": "1.0", "publication": "2026-01-01T00:00:00Z", "services": [` + strings.Join(svc, ",") + `]}`
	b, err := ParseBootstrap([]byte(v4), []byte(`{"services": [[["2001:db8::/32"], ["https://unused.example/"]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newTestClient returns a client that trusts the test servers' certificate
// and, unless cfg says otherwise, hardly limits the rate.
func newTestClient(t *testing.T, r *registry, cfg Config) *Client {
	t.Helper()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = r.Client()
	}
	if cfg.DefaultRatePerMinute == 0 {
		cfg.DefaultRatePerMinute = 600000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	ip203 = netip.MustParseAddr("203.0.113.7")
	ip192 = netip.MustParseAddr("192.0.2.10")
)

func TestLookupOK(t *testing.T) {
	var accept, path atomic.Value
	r := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
		accept.Store(req.Header.Get("Accept"))
		path.Store(req.URL.Path)
		serveFixture(t, "apnic-203.0.113.0.json")(w, req)
	})
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	c := newTestClient(t, r, Config{
		Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL + "/apnic"}),
		Now:       func() time.Time { return now },
	})
	n := c.Lookup(t.Context(), ip203)
	if n.Status != StatusOK || n.Error != "" {
		t.Fatalf("Status %q, Error %q", n.Status, n.Error)
	}
	if n.Registry != r.URL+"/apnic/" || n.URL != r.URL+"/apnic/ip/203.0.113.7" {
		t.Errorf("Registry %q, URL %q", n.Registry, n.URL)
	}
	if path.Load() != "/apnic/ip/203.0.113.7" || !strings.Contains(accept.Load().(string), "application/rdap+json") {
		t.Errorf("request path %v, Accept %v", path.Load(), accept.Load())
	}
	if n.Handle != "203.0.113.0 - 203.0.113.255" || n.AbuseEmail != "abuse@example.net" || n.Registrant == "" {
		t.Errorf("facts: %+v", n)
	}
	if !n.FetchedAt.Equal(now) || n.FromCache {
		t.Errorf("FetchedAt %v, FromCache %v", n.FetchedAt, n.FromCache)
	}
}

func TestLookupStatuses(t *testing.T) {
	rdapError := `{"errorCode": 404, "title": "Not Found", "description": ["No network found for the address"]}`
	big := `{"handle": "X", "remarks": [{"description": ["` + strings.Repeat("x", MaxResponseBytes) + `"]}]}`
	for name, tc := range map[string]struct {
		handler    func(n int32, w http.ResponseWriter, r *http.Request) // n counts from 1
		wantStatus string
		wantError  string
		wantCalls  int32
	}{
		"404": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/rdap+json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(rdapError))
			},
			wantStatus: StatusNotFound, wantError: "HTTP 404", wantCalls: 1,
		},
		"429 with a long Retry-After is not retried": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusTooManyRequests)
			},
			wantStatus: StatusRateLimited, wantError: "Retry-After 2m0s", wantCalls: 1,
		},
		"429 is retried once, not forever": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
			},
			wantStatus: StatusRateLimited, wantError: "429", wantCalls: 2,
		},
		"429 then ok": {
			handler: func(n int32, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				serveFixture(t, "apnic-203.0.113.0.json")(w, r)
			},
			wantStatus: StatusOK, wantCalls: 2,
		},
		"503 then ok": {
			handler: func(n int32, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				serveFixture(t, "apnic-203.0.113.0.json")(w, r)
			},
			wantStatus: StatusOK, wantCalls: 2,
		},
		"connection dropped, then ok": {
			handler: func(n int32, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
					return
				}
				serveFixture(t, "apnic-203.0.113.0.json")(w, r)
			},
			wantStatus: StatusOK, wantCalls: 2,
		},
		"500 twice": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/rdap+json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"errorCode": 500, "title": "Database unavailable"}`))
			},
			wantStatus: StatusError, wantError: "HTTP 500 Internal Server Error: Database unavailable", wantCalls: 2,
		},
		"400": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
			},
			wantStatus: StatusError, wantError: "HTTP 400", wantCalls: 1,
		},
		"malformed JSON": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/rdap+json")
				_, _ = w.Write(readFixture(t, "malformed.json"))
			},
			wantStatus: StatusError, wantError: "malformed RDAP JSON", wantCalls: 1,
		},
		"plain JSON is accepted": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				_, _ = w.Write(readFixture(t, "apnic-203.0.113.0.json"))
			},
			wantStatus: StatusOK, wantCalls: 1,
		},
		"HTML is refused": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>rate limit exceeded</html>"))
			},
			wantStatus: StatusError, wantError: "text/html, not RDAP JSON", wantCalls: 1,
		},
		"over 1 MiB": {
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/rdap+json")
				_, _ = w.Write([]byte(big))
			},
			wantStatus: StatusError, wantError: "larger than", wantCalls: 1,
		},
		"slow": {
			handler: func(_ int32, w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			wantStatus: StatusTimeout, wantError: "in time", wantCalls: 1,
		},
		"slow body": {
			handler: func(_ int32, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/rdap+json")
				_, _ = w.Write([]byte(`{"handle": "`))
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			wantStatus: StatusTimeout, wantCalls: 1,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var r *registry
			r = newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
				tc.handler(r.requests.Load(), w, req)
			})
			// Only the cases about slowness get a short timeout: on a loaded
			// machine, the others must not time out instead of what they test.
			timeout := 30 * time.Second
			if tc.wantStatus == StatusTimeout {
				timeout = 400 * time.Millisecond
			}
			c := newTestClient(t, r, Config{
				Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL + "/"}),
				Timeout:   timeout,
			})
			n := c.Lookup(t.Context(), ip203)
			if n.Status != tc.wantStatus || !strings.Contains(n.Error, tc.wantError) {
				t.Errorf("Status %q, Error %q; want %q, %q", n.Status, n.Error, tc.wantStatus, tc.wantError)
			}
			if tc.wantStatus == StatusOK && n.Handle == "" {
				t.Errorf("ok without facts: %+v", n)
			}
			if got := r.requests.Load(); got != tc.wantCalls {
				t.Errorf("%d requests, want %d", got, tc.wantCalls)
			}
			if n.Registry == "" || n.URL == "" || n.FetchedAt.IsZero() {
				t.Errorf("evidence missing: %+v", n)
			}
		})
	}
}

// TestRetryAfterBlocksTheHost checks that after a 429 with Retry-After the
// host is not asked again until then: the next lookup is answered at once.
func TestRetryAfterBlocksTheHost(t *testing.T) {
	r := newRegistry(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newTestClient(t, r, Config{Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL + "/"})})
	if n := c.Lookup(t.Context(), ip203); n.Status != StatusRateLimited {
		t.Fatalf("first lookup: %+v", n)
	}
	start := time.Now()
	n := c.Lookup(t.Context(), netip.MustParseAddr("203.0.113.8"))
	if n.Status != StatusRateLimited || !strings.Contains(n.Error, "Retry-After") || time.Since(start) > 500*time.Millisecond {
		t.Errorf("second lookup: %+v after %s", n, time.Since(start))
	}
	if got := r.requests.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestRedirectToAnotherRegistry(t *testing.T) {
	ripe := newRegistry(t, serveFixture(t, "arin-192.0.2.0.json"))
	arin := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, ripe.URL+"/ripe"+strings.TrimPrefix(req.URL.Path, "/arin"), http.StatusMovedPermanently)
	})
	c := newTestClient(t, arin, Config{Bootstrap: testBootstrap(t, map[string]string{"192.0.0.0/8": arin.URL + "/arin/"})})
	n := c.Lookup(t.Context(), ip192)
	if n.Status != StatusOK || n.Handle != "NET-192-0-2-0-EXAMPLE" {
		t.Fatalf("%+v", n)
	}
	if n.Registry != arin.URL+"/arin/" || n.URL != ripe.URL+"/ripe/ip/192.0.2.10" {
		t.Errorf("Registry %q, URL %q", n.Registry, n.URL)
	}
	if arin.requests.Load() != 1 || ripe.requests.Load() != 1 {
		t.Errorf("requests: arin %d, ripe %d", arin.requests.Load(), ripe.requests.Load())
	}
}

// refusedDial is the error of a dialer that will not connect to an
// address, as the CLI's does for addresses not globally reachable.
type refusedDial struct{ addr string }

func (e *refusedDial) Error() string { return "refused to connect to " + e.addr }
func (e *refusedDial) Refused() bool { return true }

// A redirect to an address the Doer refuses ends the lookup as "refused",
// at once: it is not tried again, and nothing reaches that address.
func TestRedirectRefused(t *testing.T) {
	metadata := newRegistry(t, serveFixture(t, "arin-192.0.2.0.json"))
	r := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, metadata.URL+"/latest/meta-data/", http.StatusFound)
	})
	hc := r.Client()
	tr := hc.Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == metadata.Listener.Addr().String() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &refusedDial{addr}}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	hc.Transport = tr
	c := newTestClient(t, r, Config{HTTPClient: hc, MaxRetries: 2, Bootstrap: testBootstrap(t, map[string]string{"192.0.2.0/24": r.URL})})
	n := c.Lookup(t.Context(), ip192)
	if n.Status != StatusRefused || !strings.Contains(n.Error, "refused to connect to "+metadata.Listener.Addr().String()) ||
		n.URL != metadata.URL+"/latest/meta-data/" {
		t.Errorf("%+v", n)
	}
	if r.requests.Load() != 1 || metadata.requests.Load() != 0 {
		t.Errorf("requests: registry %d (want 1), refused address %d (want 0)", r.requests.Load(), metadata.requests.Load())
	}
}

func TestRedirectLimits(t *testing.T) {
	t.Run("loop", func(t *testing.T) {
		r := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, req.URL.Path+"x", http.StatusFound)
		})
		c := newTestClient(t, r, Config{Bootstrap: testBootstrap(t, map[string]string{"192.0.2.0/24": r.URL})})
		n := c.Lookup(t.Context(), ip192)
		if n.Status != StatusError || !strings.Contains(n.Error, "more than 5 redirects") {
			t.Errorf("%+v", n)
		}
		if got := r.requests.Load(); got != MaxRedirects+1 {
			t.Errorf("%d requests, want %d", got, MaxRedirects+1)
		}
	})
	t.Run("https to http", func(t *testing.T) {
		r := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, "http://127.0.0.1:1/ip/192.0.2.10", http.StatusFound)
		})
		c := newTestClient(t, r, Config{Bootstrap: testBootstrap(t, map[string]string{"192.0.2.0/24": r.URL})})
		if n := c.Lookup(t.Context(), ip192); n.Status != StatusError || !strings.Contains(n.Error, "plain http") {
			t.Errorf("%+v", n)
		}
	})
}

func TestCache(t *testing.T) {
	r := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, "/203.0.113.99") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		serveFixture(t, "apnic-203.0.113.0.json")(w, req)
	})
	dir := filepath.Join(t.TempDir(), "hostwatch", "rdap")
	clock := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = clock.Add(d) }
	cfg := Config{
		Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL + "/apnic/"}),
		CacheDir:  dir,
		Now:       now,
	}
	first := newTestClient(t, r, cfg).Lookup(t.Context(), ip203)
	if first.Status != StatusOK || first.FromCache {
		t.Fatalf("first: %+v", first)
	}
	host := strings.ReplaceAll(strings.TrimPrefix(r.URL, "https://"), ":", "_")
	if _, err := os.Stat(filepath.Join(dir, host, "203.0.113.7.json")); err != nil {
		t.Errorf("cache file: %v", err)
	}

	// A new client (a new run) with the same directory, an hour later.
	advance(time.Hour)
	second := newTestClient(t, r, cfg).Lookup(t.Context(), ip203)
	if !second.FromCache || !second.FetchedAt.Equal(first.FetchedAt) || r.requests.Load() != 1 {
		t.Errorf("second: FromCache %v, FetchedAt %v (first %v), %d requests", second.FromCache, second.FetchedAt, first.FetchedAt, r.requests.Load())
	}
	second.FromCache = false
	if fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("cached answer differs:\n%+v\n%+v", second, first)
	}

	// A 404 is a fact too.
	c := newTestClient(t, r, cfg)
	if n := c.Lookup(t.Context(), netip.MustParseAddr("203.0.113.99")); n.Status != StatusNotFound || n.FromCache {
		t.Errorf("404: %+v", n)
	}
	if n := c.Lookup(t.Context(), netip.MustParseAddr("203.0.113.99")); n.Status != StatusNotFound || !n.FromCache {
		t.Errorf("cached 404: %+v", n)
	}
	if got := r.requests.Load(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}

	// After the TTL the registry is asked again.
	advance(24 * time.Hour)
	third := c.Lookup(t.Context(), ip203)
	if third.FromCache || !third.FetchedAt.Equal(now()) || r.requests.Load() != 3 {
		t.Errorf("after TTL: %+v, %d requests", third, r.requests.Load())
	}

	// A corrupt cache file is a miss, not a failure.
	if err := os.WriteFile(filepath.Join(dir, host, "203.0.113.7.json"), []byte(`{"format": 1, "ip": "203.0.`), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := c.Lookup(t.Context(), ip203); n.Status != StatusOK || n.FromCache || r.requests.Load() != 4 {
		t.Errorf("corrupt cache: %+v, %d requests", n, r.requests.Load())
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, host, ".tmp-*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// TestCacheUnwritable checks that a cache that cannot be written costs
// nothing but the cache.
func TestCacheUnwritable(t *testing.T) {
	r := newRegistry(t, serveFixture(t, "apnic-203.0.113.0.json"))
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, r, Config{
		Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL}),
		CacheDir:  filepath.Join(blocker, "rdap"), // a directory under a file
	})
	for range 2 {
		if n := c.Lookup(t.Context(), ip203); n.Status != StatusOK || n.FromCache {
			t.Errorf("%+v", n)
		}
	}
}

func TestCacheEntryIsRawResponse(t *testing.T) {
	r := newRegistry(t, serveFixture(t, "ripe-2001-db8.json"))
	dir := t.TempDir()
	v6 := `{"services": [[["2001:db8::/32"], [` + fmt.Sprintf("%q", r.URL+"/ripe/") + `]]]}`
	b, err := ParseBootstrap(nil, []byte(v6))
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, r, Config{Bootstrap: b, CacheDir: dir})
	ip := netip.MustParseAddr("2001:db8::1")
	if n := c.Lookup(t.Context(), ip); n.Status != StatusOK {
		t.Fatalf("%+v", n)
	}
	u, _ := url.Parse(r.URL)
	data, err := os.ReadFile(filepath.Join(dir, strings.ReplaceAll(u.Host, ":", "_"), "2001_db8__1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if e.Format != cacheFormat || e.IP != "2001:db8::1" || e.HTTPStatus != 200 || e.Registry != r.URL+"/ripe/" ||
		!strings.Contains(string(e.Response), `"ORG-EXAMPLE1-RIPE"`) || e.FetchedAt.IsZero() {
		t.Errorf("cache entry: %s", data)
	}
}

func TestRateLimiterWaits(t *testing.T) {
	r := newRegistry(t, serveFixture(t, "apnic-203.0.113.0.json"))
	u, _ := url.Parse(r.URL)
	c := newTestClient(t, r, Config{
		Bootstrap:     testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL}),
		RatePerMinute: map[string]int{u.Host: 600}, // 10/s, a burst of 10
	})
	start := time.Now()
	for i := range 14 {
		if n := c.Lookup(t.Context(), netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})); n.Status != StatusOK {
			t.Fatalf("%+v", n)
		}
	}
	took := time.Since(start)
	if took < 300*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("14 lookups at 10/s with a burst of 10 took %s, want about 0.4s", took)
	}
}

func TestRateLimiterRespectsContext(t *testing.T) {
	r := newRegistry(t, serveFixture(t, "apnic-203.0.113.0.json"))
	c := newTestClient(t, r, Config{
		Bootstrap:     testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL}),
		RatePerMinute: map[string]int{"127.0.0.1": 1}, // matched by host name, any port
	})
	if n := c.Lookup(t.Context(), ip203); n.Status != StatusOK {
		t.Fatalf("%+v", n)
	}

	// A deadline that the limit cannot meet: answered at once.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start := time.Now()
	n := c.Lookup(ctx, netip.MustParseAddr("203.0.113.8"))
	if n.Status != StatusRateLimited || !strings.Contains(n.Error, "1/min") || time.Since(start) > 200*time.Millisecond {
		t.Errorf("with deadline: %+v after %s", n, time.Since(start))
	}

	// No deadline, but the caller gives up.
	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	n = c.Lookup(ctx, netip.MustParseAddr("203.0.113.9"))
	if n.Status != StatusError || !strings.Contains(n.Error, "canceled") || time.Since(start) > time.Second {
		t.Errorf("cancelled: %+v after %s", n, time.Since(start))
	}
	if got := r.requests.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestLookupWithoutRegistry(t *testing.T) {
	c, err := New(Config{Bootstrap: &Bootstrap{}})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Lookup(t.Context(), ip203); n.Status != StatusError || n.Error != "no RDAP bootstrap data; run hostwatch db update" {
		t.Errorf("empty bootstrap: %+v", n)
	}
	c, err = New(Config{}) // the embedded bootstrap
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fe80::1")} {
		n := c.Lookup(t.Context(), ip)
		if n.Status != StatusError || !strings.Contains(n.Error, "no RDAP service holds") || !strings.Contains(n.Error, "2024-11-01") {
			t.Errorf("%s: %+v", ip, n)
		}
	}
	if n := c.Lookup(t.Context(), netip.Addr{}); n.Status != StatusError {
		t.Errorf("invalid address: %+v", n)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{{Timeout: -1}, {CacheTTL: -time.Hour}, {DefaultRatePerMinute: -5}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestConcurrentLookups runs lookups from many goroutines through one client
// and one cache directory, for the race detector.
func TestConcurrentLookups(t *testing.T) {
	r := newRegistry(t, serveFixture(t, "apnic-203.0.113.0.json"))
	c := newTestClient(t, r, Config{
		Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": r.URL}),
		CacheDir:  t.TempDir(),
	})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			n := c.Lookup(t.Context(), netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 8)}))
			if n.Status != StatusOK {
				t.Errorf("%+v", n)
			}
		})
	}
	wg.Wait()
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              time.Second,
		"7":                             7 * time.Second,
		"-3":                            0,
		"999999":                        24 * time.Hour,
		"Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second,
		"Wed, 31 Dec 2025 23:00:00 GMT": 0,
		"soon":                          time.Second,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

// The real registries' shapes, served on loopback: RIPE NCC's maintainer
// listed first as registrant (with and without the organisation's vCard)
// and ARIN's 2015 zero-padded addresses give the holder and the range
// (issue 9, part 12).
func TestLookupRegistryShapes(t *testing.T) {
	for _, tc := range []struct {
		fixture, ip, holder, start string
	}{
		{"ripe-198.51.100.0-mntner-first.json", "198.51.100.1", "Example DNS, s.r.o.", "198.51.100.0"},
		{"ripe-198.51.100.0-org-without-vcard.json", "198.51.100.1", "ORG-EDNS1-TEST", "198.51.100.0"},
		{"arin-2015-zero-padded.json", "192.0.2.10", "Example Documentation Inc.", "192.0.2.0"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r := newRegistry(t, serveFixture(t, tc.fixture))
			ip := netip.MustParseAddr(tc.ip)
			c := newTestClient(t, r, Config{Bootstrap: testBootstrap(t, map[string]string{
				netip.PrefixFrom(ip, 24).Masked().String(): r.URL + "/rir"})})
			n := c.Lookup(t.Context(), ip)
			if n.Status != StatusOK || n.Registrant != tc.holder || n.Start != netip.MustParseAddr(tc.start) || len(n.CIDRs) != 1 {
				t.Errorf("Lookup(%s) = status %q (%s), holder %q, start %s, CIDRs %v; want ok, %q, %s",
					ip, n.Status, n.Error, n.Registrant, n.Start, n.CIDRs, tc.holder, tc.start)
			}
		})
	}
}

// TestCacheWrittenBeforeGeofeed: an answer cached by a hostwatch older
// than the geofeed field (the same format 1 file, as 344fc94 wrote it) is
// not read as "no geofeed": the cache keeps the registry's raw answer and
// parses it at every read, so the link comes out of it without asking the
// registry again. A file claiming a 200 without the answer is a miss,
// never an answer with nothing in it.
func TestCacheWrittenBeforeGeofeed(t *testing.T) {
	r := newRegistry(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		fmt.Fprint(w, `{"objectClassName":"ip network","handle":"FRESH","startAddress":"203.0.113.0","endAddress":"203.0.113.255"}`)
	})
	dir := t.TempDir()
	clock := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	base := r.URL + "/apnic/"
	cfg := Config{Bootstrap: testBootstrap(t, map[string]string{"203.0.113.0/24": base}), CacheDir: dir, Now: func() time.Time { return clock }}
	host := strings.ReplaceAll(strings.TrimPrefix(r.URL, "https://"), ":", "_")
	if err := os.MkdirAll(filepath.Join(dir, host), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(response string) {
		t.Helper()
		old := fmt.Sprintf(`{"format":1,"ip":"203.0.113.7","registry":%q,"url":%q,"http_status":200,"fetched_at":%q%s}`,
			base, base+"ip/203.0.113.7", clock.Add(-time.Hour).Format(time.RFC3339Nano), response)
		if err := os.WriteFile(filepath.Join(dir, host, "203.0.113.7.json"), []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, record, want string
	}{
		{"link", `"links":[{"value":"x","rel":"geo","type":"application/geofeed+csv","href":"https://feed.example/geofeed.csv"}]`, "https://feed.example/geofeed.csv"},
		{"remark", `"remarks":[{"description":["Geofeed https://feed.example/remark.csv"]}]`, "https://feed.example/remark.csv"},
		{"none", `"name":"NO-FEED"`, ""},
	} {
		write(`,"response":{"objectClassName":"ip network","handle":"OLD","startAddress":"203.0.113.0","endAddress":"203.0.113.255",` + tc.record + `}`)
		n := newTestClient(t, r, cfg).Lookup(t.Context(), ip203)
		if n.Status != StatusOK || !n.FromCache || n.Handle != "OLD" || n.Geofeed != tc.want {
			t.Errorf("%s: %+v, want geofeed %q from the cache", tc.name, n, tc.want)
		}
	}
	if got := r.requests.Load(); got != 0 {
		t.Errorf("%d requests for answers in the cache", got)
	}
	write("") // a 200 without its answer
	if n := newTestClient(t, r, cfg).Lookup(t.Context(), ip203); n.Status != StatusOK || n.FromCache || n.Handle != "FRESH" || r.requests.Load() != 1 {
		t.Errorf("a 200 without its answer: %+v, %d requests", n, r.requests.Load())
	}
}
