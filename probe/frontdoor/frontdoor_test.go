package frontdoor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe/reach"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// hosts is a Resolver over a fixed table that records every name asked.
type hosts struct {
	mu    sync.Mutex
	table map[string][]netip.Addr
	asked []string
}

func (h *hosts) resolve(_ context.Context, host string) ([]netip.Addr, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, host)
	addrs, ok := h.table[host]
	if !ok {
		return nil, fmt.Errorf("%s: no such host (NXDOMAIN)", host)
	}
	return addrs, nil
}

func (h *hosts) names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.asked...)
}

func testHosts(names ...string) *hosts {
	h := &hosts{table: map[string][]netip.Addr{}}
	for _, n := range names {
		h.table[n] = []netip.Addr{loopback}
	}
	return h
}

// pki is a test certificate authority.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hostwatch test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &pki{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate for names, sent with the CA after it;
// with ca nil it is self-signed.
func leaf(t *testing.T, ca *pki, names ...string) tls.Certificate {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{der}
	if ca != nil {
		chain = append(chain, ca.cert.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key}
}

// tlsServer starts an HTTPS server on 127.0.0.1 with cert and returns its port.
func tlsServer(t *testing.T, cert tls.Certificate, h http.Handler) uint16 {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return port(t, s.Listener.Addr())
}

// plainServer starts an HTTP server on 127.0.0.1 and returns its port.
func plainServer(t *testing.T, h http.Handler) uint16 {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return port(t, s.Listener.Addr())
}

func port(t *testing.T, a net.Addr) uint16 {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap.Port()
}

// closedPort returns a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, l.Addr())
	l.Close()
	return p
}

func redirect(to string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRedirectsAcrossHosts(t *testing.T) {
	t.Parallel()
	ca := newPKI(t)
	cert := leaf(t, ca, "a.test", "b.test")
	portB := tlsServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/final", http.StatusMovedPermanently) // relative
		case "/final":
			h := w.Header()
			h.Set("Server", "Tengine")
			h["EagleId"] = []string{"b7f2a1"} // as sent, not canonical
			h.Add("Via", "cache1.test")
			h.Add("Via", "cache2.test")
			h.Set("X-Cache", "HIT TCP_MEM_HIT")
			h.Set("CF-Ray", "8a1b2c3d4e5f-SIN")
			h.Set("X-Akamai-Request-ID", "1f2e")
			h.Set("x-cdn-pop", "sin1")
			h.Set("X-Edge-Location", "SIN")
			h.Set("Set-Cookie", "session=secret")
			h.Set("X-Request-Id", "abc")
			h.Set("X-Cache-Status", "MISS")
			fmt.Fprint(w, "hello")
		default:
			http.NotFound(w, r)
		}
	}))
	portA := tlsServer(t, cert, redirect(fmt.Sprintf("https://b.test:%d/start", portB), http.StatusFound))

	res := testHosts("a.test")
	// b.test's first address refuses (nothing listens on 127.0.0.2), so the
	// second is the one connected to.
	res.table["b.test"] = []netip.Addr{netip.MustParseAddr("127.0.0.2"), loopback}
	now := time.Now().UTC().Truncate(time.Second)
	r := Fetch(t.Context(), "A.test.", Options{
		AllowPrivate: true, // the test servers are on loopback
		Timeout:      5 * time.Second,
		RootCAs:      ca.pool,
		Resolve:      res.resolve,
		Now:          func() time.Time { return now },
		HTTPSPort:    portA,
		UserAgent:    "hostwatch-test",
	})
	if r.Error != "" || r.Scheme != "https" {
		t.Fatalf("Error %q, Scheme %q", r.Error, r.Scheme)
	}
	if got, want := res.names(), []string{"a.test", "b.test", "b.test"}; !reflect.DeepEqual(got, want) {
		t.Errorf("resolved %q, want %q", got, want)
	}
	want := []struct {
		url, host string
		addrs     []netip.Addr
		port      uint16
		status    int
	}{
		{fmt.Sprintf("https://a.test:%d/", portA), "a.test", []netip.Addr{loopback}, portA, 302},
		{fmt.Sprintf("https://b.test:%d/start", portB), "b.test", res.table["b.test"], portB, 301},
		{fmt.Sprintf("https://b.test:%d/final", portB), "b.test", res.table["b.test"], portB, 200},
	}
	if len(r.Hops) != len(want) {
		t.Fatalf("%d hops, want %d: %+v", len(r.Hops), len(want), r.Hops)
	}
	for i, w := range want {
		h := r.Hops[i]
		if h.URL != w.url || h.Host != w.host || h.Status != w.status || h.Error != "" {
			t.Errorf("hop %d: %s %s %d %q, want %s %s %d", i, h.URL, h.Host, h.Status, h.Error, w.url, w.host, w.status)
		}
		if !reflect.DeepEqual(h.Addresses, w.addrs) {
			t.Errorf("hop %d: addresses %v, want %v", i, h.Addresses, w.addrs)
		}
		if want := netip.AddrPortFrom(loopback, w.port); h.ConnectedTo != want {
			t.Errorf("hop %d: connected to %v, want %v", i, h.ConnectedTo, want)
		}
		if !h.StartedAt.Equal(now) {
			t.Errorf("hop %d: started at %v, want %v", i, h.StartedAt, now)
		}
		if h.TLS == nil || !h.TLS.Verified || h.TLS.VerifyError != "" {
			t.Fatalf("hop %d: TLS %+v, want verified", i, h.TLS)
		}
		if h.TLS.SHA256 != sha(cert.Certificate[0]) || len(h.TLS.Chain) != 2 ||
			!bytes.Equal(h.TLS.Chain[1], ca.cert.Raw) {
			t.Errorf("hop %d: fingerprint or chain wrong: %s, %d certificates", i, h.TLS.SHA256, len(h.TLS.Chain))
		}
		if h.TLS.Subject != "CN=a.test" || h.TLS.Issuer != "CN=hostwatch test CA" ||
			!reflect.DeepEqual(h.TLS.SANs, []string{"a.test", "b.test"}) || h.TLS.Version == "" || h.TLS.CipherSuite == "" {
			t.Errorf("hop %d: TLS %+v", i, h.TLS)
		}
	}
	if r.Final != &r.Hops[2] {
		t.Fatalf("Final is not the last hop")
	}
	wantHeaders := map[string][]string{
		"Server":              {"Tengine"},
		"Eagleid":             {"b7f2a1"},
		"Via":                 {"cache1.test", "cache2.test"},
		"X-Cache":             {"HIT TCP_MEM_HIT"},
		"Cf-Ray":              {"8a1b2c3d4e5f-SIN"},
		"X-Akamai-Request-Id": {"1f2e"},
		"X-Cdn-Pop":           {"sin1"},
		"X-Edge-Location":     {"SIN"},
	}
	if !reflect.DeepEqual(r.Final.Headers, wantHeaders) {
		t.Errorf("headers %v, want %v", r.Final.Headers, wantHeaders)
	}
	if got := r.Final.HeaderNames(); !reflect.DeepEqual(got, []string{"Cf-Ray", "Eagleid", "Server", "Via", "X-Akamai-Request-Id", "X-Cache", "X-Cdn-Pop", "X-Edge-Location"}) {
		t.Errorf("HeaderNames %q", got)
	}
	if r.Final.BodyBytes != 5 || r.Final.BodySHA256 != sha([]byte("hello")) {
		t.Errorf("body %d bytes, %s", r.Final.BodyBytes, r.Final.BodySHA256)
	}
}

func TestCertificateNotTrusted(t *testing.T) {
	t.Parallel()
	ca := newPKI(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	for _, tc := range []struct {
		name   string
		cert   tls.Certificate
		now    time.Time
		reason string
		code   string // VerifyFailure
	}{
		{"self-signed", leaf(t, nil, "a.test"), time.Now(), "self-signed certificate: x509: certificate signed by unknown authority", "self_signed"},
		{"wrong name", leaf(t, ca, "other.test"), time.Now(), "certificate is valid for other.test, not a.test", "wrong_name"},
		{"expired", leaf(t, ca, "a.test"), time.Now().Add(48 * time.Hour), "expired", "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tlsServer(t, tc.cert, ok)
			r := Fetch(t.Context(), "a.test", Options{
				AllowPrivate: true, // the test servers are on loopback
				Timeout:      5 * time.Second,
				RootCAs:      ca.pool,
				Resolve:      testHosts("a.test").resolve,
				Now:          func() time.Time { return tc.now },
				HTTPSPort:    p,
			})
			if r.Error != "" || r.Scheme != "https" || len(r.Hops) != 1 || r.Final == nil || r.Final.Status != 200 {
				t.Fatalf("result %+v", r)
			}
			info := r.Final.TLS
			if info == nil || info.Verified || !strings.Contains(info.VerifyError, tc.reason) || info.VerifyFailure != tc.code {
				t.Fatalf("TLS %+v, want not verified because %q (%s)", info, tc.reason, tc.code)
			}
			if info.SHA256 != sha(tc.cert.Certificate[0]) {
				t.Errorf("fingerprint %s, want the leaf's", info.SHA256)
			}
		})
	}
}

func TestHTTPFallback(t *testing.T) {
	t.Parallel()
	httpPort := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx")
		fmt.Fprint(w, "plain")
	}))
	for _, tc := range []struct {
		name      string
		httpsPort uint16
		failure   string
	}{
		{"refused", closedPort(t), "connection_refused"},
		{"no TLS", httpPort, "ssl_failed_handshake"}, // a plain HTTP server on the HTTPS port
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Fetch(t.Context(), "a.test", Options{
				AllowPrivate: true, // the test servers are on loopback
				Timeout:      5 * time.Second,
				Resolve:      testHosts("a.test").resolve,
				HTTPSPort:    tc.httpsPort,
				HTTPPort:     httpPort,
			})
			if r.Error != "" || r.Scheme != "http" || len(r.Hops) != 2 {
				t.Fatalf("result %+v", r)
			}
			first, second := r.Hops[0], r.Hops[1]
			if first.URL != fmt.Sprintf("https://a.test:%d/", tc.httpsPort) || first.Status != 0 ||
				first.Failure != tc.failure || first.Error == "" || first.TLS != nil || first.ConnectedTo.IsValid() {
				t.Errorf("HTTPS hop %+v, want failure %s", first, tc.failure)
			}
			if second.URL != fmt.Sprintf("http://a.test:%d/", httpPort) || second.Status != 200 || second.TLS != nil ||
				second.ConnectedTo != netip.AddrPortFrom(loopback, httpPort) || second.Headers["Server"][0] != "nginx" {
				t.Errorf("HTTP hop %+v", second)
			}
			if r.Final != &r.Hops[1] {
				t.Errorf("Final is not the HTTP hop")
			}
		})
	}
}

func TestBothSchemesFail(t *testing.T) {
	t.Parallel()
	r := Fetch(t.Context(), "a.test", Options{
		AllowPrivate: true, // the test servers are on loopback
		Timeout:      5 * time.Second,
		Resolve:      testHosts("a.test").resolve,
		HTTPSPort:    closedPort(t),
		HTTPPort:     closedPort(t),
	})
	if len(r.Hops) != 2 || r.Final != nil || !strings.HasPrefix(r.Error, "https: ") || !strings.Contains(r.Error, "; http: ") || r.Failure != "connection_refused" {
		t.Fatalf("result %+v", r)
	}
	for _, h := range r.Hops {
		if h.Failure != "connection_refused" {
			t.Errorf("hop %s: failure %q", h.URL, h.Failure)
		}
	}
}

func TestRedirectLoop(t *testing.T) {
	t.Parallel()
	ca := newPKI(t)
	cert := leaf(t, ca, "a.test", "b.test")
	var portA uint16
	var ready sync.WaitGroup
	ready.Add(1)
	portB := tlsServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ready.Wait()
		http.Redirect(w, r, fmt.Sprintf("https://a.test:%d/", portA), http.StatusFound)
	}))
	portA = tlsServer(t, cert, redirect(fmt.Sprintf("https://b.test:%d/", portB), http.StatusFound))
	ready.Done()
	r := Fetch(t.Context(), "a.test", Options{
		AllowPrivate: true, // the test servers are on loopback
		Timeout:      5 * time.Second,
		RootCAs:      ca.pool,
		Resolve:      testHosts("a.test", "b.test").resolve,
		HTTPSPort:    portA,
	})
	if len(r.Hops) != 2 || r.Final != nil || !strings.Contains(r.Error, "redirect loop") || r.Failure != "redirect_loop" {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(r.Error, fmt.Sprintf("redirects to https://a.test:%d/, already visited", portA)) {
		t.Errorf("error %q does not name the URL visited twice", r.Error)
	}
}

func TestTooManyRedirects(t *testing.T) {
	t.Parallel()
	ca := newPKI(t)
	p := tlsServer(t, leaf(t, ca, "a.test"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		http.Redirect(w, r, "/"+strconv.Itoa(n+1), http.StatusTemporaryRedirect)
	}))
	r := Fetch(t.Context(), "a.test", Options{
		AllowPrivate: true, // the test servers are on loopback
		Timeout:      5 * time.Second,
		MaxRedirects: 3,
		RootCAs:      ca.pool,
		Resolve:      testHosts("a.test").resolve,
		HTTPSPort:    p,
	})
	if len(r.Hops) != 4 || r.Final != nil || !strings.Contains(r.Error, "too many redirects: more than 3") || r.Failure != "too_many_redirects" {
		t.Fatalf("%d hops, Error %q, Failure %q", len(r.Hops), r.Error, r.Failure)
	}
	for _, h := range r.Hops {
		if h.Status != http.StatusTemporaryRedirect || h.Error != "" {
			t.Errorf("hop %s: %d %q", h.URL, h.Status, h.Error)
		}
	}
}

// trickle is a handler that writes head and then one line of more every
// interval until the client goes away or the test ends.
func trickle(t *testing.T, head string, more func(i int) string, interval time.Duration) http.Handler {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString(head)
		for i := 0; buf.Flush() == nil; i++ {
			select {
			case <-stop:
				return
			case <-time.After(interval):
			}
			buf.WriteString(more(i))
		}
	})
}

func TestSlowLoris(t *testing.T) {
	t.Parallel()
	ca := newPKI(t)
	cert := leaf(t, ca, "a.test")
	for _, tc := range []struct {
		name    string
		handler http.Handler
		status  int
	}{
		{"headers", trickle(t, "HTTP/1.1 200 OK\r\n", func(i int) string { return fmt.Sprintf("X-Slow-%d: x\r\n", i) }, 20*time.Millisecond), 0},
		{"body", trickle(t, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", func(int) string { return "x" }, 20*time.Millisecond), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tlsServer(t, cert, tc.handler)
			start := time.Now()
			r := Fetch(t.Context(), "a.test", Options{
				AllowPrivate: true, // the test servers are on loopback
				Timeout:      700 * time.Millisecond,
				RootCAs:      ca.pool,
				Resolve:      testHosts("a.test").resolve,
				HTTPSPort:    p,
			})
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Fetch took %v", d)
			}
			if len(r.Hops) != 1 || r.Final != nil || r.Scheme != "https" || r.Error == "" {
				t.Fatalf("result %+v", r)
			}
			h := r.Hops[0]
			if h.Failure != "generic_timeout_error" || h.Status != tc.status {
				t.Errorf("hop: status %d, failure %q, error %q", h.Status, h.Failure, h.Error)
			}
			if h.TLS == nil || !h.TLS.Verified || h.ConnectedTo != netip.AddrPortFrom(loopback, p) {
				t.Errorf("the connection was not recorded: %+v", h)
			}
			if tc.status != 0 && (h.BodyBytes == 0 || h.BodyBytes >= 1000) {
				t.Errorf("read %d bytes of the trickled body", h.BodyBytes)
			}
		})
	}
}

func TestEndlessBody(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	p := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	const limit = 100_000
	start := time.Now()
	r := Fetch(t.Context(), "a.test", Options{
		AllowPrivate: true, // the test servers are on loopback
		Timeout:      5 * time.Second,
		MaxBody:      limit,
		Resolve:      testHosts("a.test").resolve,
		HTTPSPort:    closedPort(t),
		HTTPPort:     p,
	})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Fetch took %v", d)
	}
	if r.Error != "" || r.Final == nil || r.Final.Status != 200 {
		t.Fatalf("result %+v", r)
	}
	if r.Final.BodyBytes != limit || r.Final.BodySHA256 != sha(bytes.Repeat([]byte("x"), limit)) {
		t.Errorf("read %d bytes, %s", r.Final.BodyBytes, r.Final.BodySHA256)
	}
}

func TestResolveFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		table   map[string][]netip.Addr
		failure string
	}{
		{"nxdomain", nil, "dns_lookup_error"},
		{"no addresses", map[string][]netip.Addr{"a.test": nil}, "dns_no_answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &hosts{table: tc.table}
			r := Fetch(t.Context(), "a.test", Options{AllowPrivate: true, Timeout: 5 * time.Second, Resolve: h.resolve})
			// No HTTP fallback: the name, not the port, is the problem.
			if len(r.Hops) != 1 || r.Scheme != "https" || !strings.HasPrefix(r.Error, "resolve a.test: ") {
				t.Fatalf("result %+v", r)
			}
			if r.Hops[0].Failure != tc.failure {
				t.Errorf("failure %q, want %q", r.Hops[0].Failure, tc.failure)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	if r := Fetch(t.Context(), "a.test", Options{}); !strings.Contains(r.Error, "Resolve is required") {
		t.Errorf("no resolver: %+v", r)
	}
	for _, d := range []string{"", "a.test/x", "a.test:443", "https://a.test", "a test", "fe80::1%eth0"} {
		if r := Fetch(t.Context(), d, Options{AllowPrivate: true, Resolve: testHosts().resolve}); !strings.Contains(r.Error, "not a host name") || r.Failure != "bad_domain" || len(r.Hops) != 0 {
			t.Errorf("%q: %+v", d, r)
		}
	}
}

func TestInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := Fetch(ctx, "a.test", Options{AllowPrivate: true, Resolve: testHosts("a.test").resolve, HTTPSPort: closedPort(t)})
	if len(r.Hops) != 1 || r.Hops[0].Failure != "interrupted" {
		t.Fatalf("result %+v", r)
	}
}

func TestIsRevealing(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Server": true, "via": true, "X-CACHE": true, "X-Cache-Hits": true, "X-Served-By": true,
		"Cf-Ray": true, "CF-Cache-Status": true, "EagleId": true, "X-Amz-Cf-Id": true, "X-Amz-Cf-Pop": true,
		"X-Azure-Ref": true, "X-Akamai-Transformed": true, "Akamai-GRN": true, "X-Fastly-Request-ID": true,
		"X-Powered-By": true, "X-Swift-SaveTime": true, "Ali-Swift-Global-Savetime": true, "X-Cdn": true,
		"X-CDN-Provider": true, "X-Edge-Location": true, "X-Varnish": true, "Fly-Request-Id": true,
		"Set-Cookie": false, "Content-Type": false, "X-Cache-Status": false, "X-Edge": false,
		"X-Akamai": false, "Date": false, "Location": false, "Akamai-Other": false,
	} {
		if got := isRevealing(name); got != want {
			t.Errorf("isRevealing(%q) = %v", name, got)
		}
	}
	h := http.Header{"B": {"1"}, "Server": {"a"}}
	h["server"] = []string{"b"} // not canonical, as a raw map could hold
	if got := revealing(h); !reflect.DeepEqual(got, map[string][]string{"Server": {"a", "b"}}) {
		t.Errorf("revealing %v", got)
	}
	if got := revealing(http.Header{"Date": {"x"}}); got != nil {
		t.Errorf("revealing of nothing revealing: %v", got)
	}
}

func TestClientUsesOwnTransport(t *testing.T) {
	t.Parallel()
	tr := &http.Transport{}
	c := newClient(tr)
	if c.HTTPClient.Transport != tr || c.HTTPClient2 != c.HTTPClient {
		t.Fatal("retryablehttp client does not use our transport for both paths")
	}
	if retry, err := c.CheckRetry(t.Context(), nil, errors.New("refused")); retry || err != nil {
		t.Errorf("CheckRetry = %v, %v; want no retry", retry, err)
	}
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.n++
		l.mu.Unlock()
	}
	return c, err
}

func (l *countingListener) accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// countingServer starts an HTTP server on 127.0.0.1 that counts the
// connections it accepts.
func countingServer(t *testing.T) (uint16, *countingListener) {
	t.Helper()
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }))
	l := &countingListener{Listener: s.Listener}
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return port(t, l.Addr()), l
}

// By default a hop whose addresses are none of them globally reachable is
// refused: recorded with each address's registry entry, never connected to,
// and not tried again over plain HTTP. (Redirects to such addresses are
// tested in a network namespace, in cmd/hostwatch.)
func TestRefusesAddressesNotGlobal(t *testing.T) {
	t.Parallel()
	p, l := countingServer(t)
	res := testHosts()
	res.table["a.test"] = []netip.Addr{loopback, netip.MustParseAddr("10.255.0.1"), netip.MustParseAddr("::ffff:169.254.169.254")}
	r := Fetch(t.Context(), "a.test", Options{Timeout: 5 * time.Second, Resolve: res.resolve, HTTPSPort: p, HTTPPort: p})
	if len(r.Hops) != 1 {
		t.Fatalf("%d hops, want 1 (no plain HTTP after a refusal): %+v", len(r.Hops), r.Hops)
	}
	h := r.Hops[0]
	wantRefused := []reach.Refusal{
		{Addr: loopback, SpecialUse: "loopback (RFC 1122)"},
		{Addr: netip.MustParseAddr("10.255.0.1"), SpecialUse: "private-use (RFC 1918)"},
		{Addr: netip.MustParseAddr("169.254.169.254"), SpecialUse: "link-local (RFC 3927)"},
	}
	if h.Failure != "refused" || h.Status != 0 || h.ConnectedTo.IsValid() || !reflect.DeepEqual(h.Refused, wantRefused) {
		t.Errorf("hop: failure %q, status %d, connected to %v, refused %v; want refused %v", h.Failure, h.Status, h.ConnectedTo, h.Refused, wantRefused)
	}
	if !strings.Contains(r.Error, "169.254.169.254 (link-local (RFC 3927))") || !strings.Contains(r.Error, "--allow-private") {
		t.Errorf("Error %q does not name the address, its registry entry and the flag", r.Error)
	}
	if n := l.accepted(); n != 0 {
		t.Errorf("the server accepted %d connections, want none", n)
	}

	// With AllowPrivate the same fetch connects.
	r = Fetch(t.Context(), "a.test", Options{AllowPrivate: true, Timeout: 5 * time.Second, Resolve: testHosts("a.test").resolve, HTTPSPort: closedPort(t), HTTPPort: p})
	if r.Final == nil || r.Final.Status != 200 || len(r.Final.Refused) != 0 || l.accepted() == 0 {
		t.Errorf("with AllowPrivate: final %+v, error %q, %d connections", r.Final, r.Error, l.accepted())
	}
}

// The policy is applied on the socket itself, whatever address reaches the
// dialer.
func TestConnectChecksTheSocket(t *testing.T) {
	t.Parallel()
	p, l := countingServer(t)
	_, _, err := connect(t.Context(), reach.Policy{}, netip.AddrPortFrom(loopback, p), "a.test", false)
	if !errors.Is(err, reach.ErrRefused) || failure(err) != "refused" {
		t.Errorf("connect = %v (failure %q), want a refusal", err, failure(err))
	}
	if n := l.accepted(); n != 0 {
		t.Errorf("the server accepted %d connections, want none", n)
	}
}
