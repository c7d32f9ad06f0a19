package httpclient

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"
)

func get(t *testing.T, c *retryablehttp.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := retryablehttp.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if resp != nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestCertificatesChecked(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	insecure := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	for name, tc := range map[string]struct {
		o      Options
		wantOK bool
	}{
		"default transport":               {Options{}, false},
		"a transport that skips checks":   {Options{Transport: insecure}, false},
		"the front door's own checking":   {Options{Transport: insecure, AllowUnverified: true}, true},
		"a transport trusting the server": {Options{Transport: srv.Client().Transport}, true},
	} {
		t.Run(name, func(t *testing.T) {
			c := New(tc.o)
			if c.HTTPClient2 != c.HTTPClient {
				t.Error("the HTTP/2 fallback is retryablehttp's own client")
			}
			_, err := get(t, c, srv.URL)
			if (err == nil) != tc.wantOK {
				t.Errorf("err = %v, want ok %v", err, tc.wantOK)
			}
		})
	}
	if !insecure.TLSClientConfig.InsecureSkipVerify {
		t.Error("New changed the caller's transport")
	}
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	fast := func(time.Duration, time.Duration, int, *http.Response) time.Duration { return time.Millisecond }
	for name, tc := range map[string]struct {
		o          Options
		wantCalls  int32
		wantStatus int
		wantErr    bool
	}{
		"no retries: the answer as it came": {Options{}, 1, http.StatusServiceUnavailable, false},
		"two retries reach the good answer": {Options{Retries: 2, Backoff: fast}, 3, http.StatusOK, false},
		"spent retries hide the status":     {Options{Retries: 1, Backoff: fast}, 2, 0, true},
		"spent retries, last response kept": {Options{Retries: 1, Backoff: fast, LastResponse: true}, 2, http.StatusServiceUnavailable, false},
	} {
		t.Run(name, func(t *testing.T) {
			calls.Store(0)
			var attempts []int
			tc.o.BeforeAttempt = func(_ *http.Request, n int) { attempts = append(attempts, n) }
			resp, err := get(t, New(tc.o), srv.URL)
			if got := calls.Load(); got != tc.wantCalls || len(attempts) != int(got) {
				t.Errorf("%d calls, %d attempts seen; want %d", got, len(attempts), tc.wantCalls)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if resp != nil && resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
		})
	}
}

func TestNoRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/next", http.StatusFound)
		}
	}))
	defer srv.Close()
	for _, no := range []bool{false, true} {
		resp, err := get(t, New(Options{NoRedirects: no}), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: http.StatusOK, true: http.StatusFound}[no]; resp.StatusCode != want {
			t.Errorf("NoRedirects %v: status %d, want %d", no, resp.StatusCode, want)
		}
	}
}

func TestWait(t *testing.T) {
	after := func(v string) *http.Response { return &http.Response{Header: http.Header{"Retry-After": {v}}} }
	for _, tc := range []struct {
		attempt int
		resp    *http.Response
		want    time.Duration
	}{
		{0, nil, time.Second},
		{1, nil, 2 * time.Second},
		{4, nil, 16 * time.Second},
		{5, nil, 30 * time.Second},
		{1000, nil, 30 * time.Second},
		{0, after("7"), 7 * time.Second},
		{0, after("0"), 0},
		{0, after("99999999999999999"), 30 * time.Second},
		{0, after("-3"), time.Second},
		{0, after("Wed, 21 Oct 2015 07:28:00 GMT"), time.Second},
	} {
		if got := Wait(time.Second, 30*time.Second, tc.attempt, tc.resp); got != tc.want {
			t.Errorf("Wait(attempt %d, %v) = %s, want %s", tc.attempt, tc.resp, got, tc.want)
		}
	}
}
