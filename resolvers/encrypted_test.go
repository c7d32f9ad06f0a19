package resolvers_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

// startTransports starts, for the DNS handler h, one loopback server per
// transport: UDP, DNS over TLS, DNS over HTTPS with POST and with GET. It
// returns a Config for each.
func startTransports(t *testing.T, h dns.Handler) []resolvers.Config {
	t.Helper()
	udp := resolverstest.Start(t, h)
	dot := resolverstest.StartTLS(t, h)
	doh := resolverstest.StartDoH(t, resolverstest.DoHHandler(h))
	return []resolvers.Config{
		{Servers: []string{udp.Addr}},
		{Servers: []string{dot.URL}, RootCAs: dot.Certificate.Pool},
		{Servers: []string{doh.URL}, RootCAs: doh.RootCAs},
		{Servers: []string{strings.Replace(doh.URL, "https://", "https+get://", 1)}, RootCAs: doh.RootCAs},
	}
}

// wantTransport is the Exchange.Transport of a resolver as given to Config.
func wantTransport(server string) string {
	switch {
	case strings.HasPrefix(server, "tls://"):
		return "dot"
	case strings.HasPrefix(server, "https"):
		return "doh"
	}
	return "udp"
}

// checkEncryptedExchanges checks what every exchange with an encrypted
// resolver must hold.
func checkEncryptedExchanges(t *testing.T, ex []resolvers.Exchange, server, transport string) {
	t.Helper()
	for i, e := range ex {
		if e.Resolver != server || e.Transport != transport || e.Name == "" ||
			e.Type == "" || e.Status == "" || e.AskedAt.IsZero() || e.AskedAt.Location() != time.UTC || e.Truncated {
			t.Errorf("exchange %d: %+v; want resolver %s over %s", i, e, server, transport)
		}
		if (e.Rcode == "") != (e.RTT == 0) {
			t.Errorf("exchange %d: Rcode %q with RTT %s", i, e.Rcode, e.RTT)
		}
		if (e.Error == "") != (e.Status == resolvers.StatusOK || e.Status == resolvers.StatusNoData || e.Status == resolvers.StatusNXDomain) {
			t.Errorf("exchange %d: status %s with error %q", i, e.Status, e.Error)
		}
	}
}

// TestEncryptedSameAsUDP resolves the cases of TestResolve over UDP, DNS over
// TLS and DNS over HTTPS (POST and GET), and checks that every transport
// gives the same result and the same exchanges.
func TestEncryptedSameAsUDP(t *testing.T) {
	t.Parallel()
	handlers := map[string]dns.Handler{
		"zone":     mustZoneHandler(t, exampleZone),
		"split":    firstRecordOnly(mustZoneHandler(t, exampleZone)),
		"servfail": rcodeHandler(dns.RcodeServerFailure),
		"refused":  rcodeHandler(dns.RcodeRefused),
		"formerr":  rcodeHandler(dns.RcodeFormatError),
	}
	chain17, err := resolverstest.NewZoneHandler(chainZone(17))
	if err != nil {
		t.Fatal(err)
	}
	handlers["chain17"] = chain17
	servers := make(map[string][]resolvers.Config)
	for name, h := range handlers {
		servers[name] = startTransports(t, h)
	}
	tests := []struct{ handler, qname string }{
		{"zone", "example.test"},
		{"zone", "EXAMPLE.Test"},
		{"zone", "v4only.example.test"},
		{"zone", "v6only.example.test"},
		{"zone", "www.example.test"},
		{"zone", "loop-a.example.test"},
		{"zone", "dangling.example.test"},
		{"zone", "nope.example.test"},
		{"zone", "txtonly.example.test"},
		{"zone", "xn--bcher-kva.example.test"},
		{"zone", "example.org"},
		{"split", "www.example.test"},
		{"split", "loop-a.example.test"},
		{"chain17", "c0.chain.test"},
		{"servfail", "example.test"},
		{"refused", "example.test"},
		{"formerr", "example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.handler+"/"+tt.qname, func(t *testing.T) {
			t.Parallel()
			var (
				want    resolvers.Result
				wantSrv string
			)
			for i, cfg := range servers[tt.handler] {
				cfg.Timeout = 2 * time.Second
				c := newClient(t, cfg)
				res := c.Resolve(t.Context(), tt.qname)
				srv := cfg.Servers[0]
				checkEncryptedExchanges(t, res.Exchanges, srv, wantTransport(srv))
				if i == 0 {
					want, wantSrv = res, srv
					continue
				}
				if res.Status != want.Status || !slices.Equal(res.Answers, want.Answers) ||
					!slices.Equal(res.CNAMEChain, want.CNAMEChain) ||
					errText(res.Err, srv) != errText(want.Err, wantSrv) {
					t.Errorf("%s: %s %v %v %v (%v)\nwant, as over UDP: %s %v %v %v (%v)", srv,
						res.Status, res.Answers, res.CNAMEChain, res.Err, dumpExchanges(res.Exchanges),
						want.Status, want.Answers, want.CNAMEChain, want.Err, dumpExchanges(want.Exchanges))
				}
				if got, w := exchangeSummary(res.Exchanges), exchangeSummary(want.Exchanges); !slices.Equal(got, w) {
					t.Errorf("%s: exchanges %q, want, as over UDP, %q", srv, got, w)
				}
			}
		})
	}
}

// errText is the text of err with the resolver's name taken out.
func errText(err error, server string) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), server, "SERVER")
}

// exchangeSummary is what must be the same whatever the transport.
func exchangeSummary(ex []resolvers.Exchange) []string {
	var out []string
	for _, e := range ex {
		out = append(out, fmt.Sprintf("%s %s %s %s", e.Name, e.Type, e.Rcode, e.Status))
	}
	slices.Sort(out) // A and AAAA are asked at once
	return out
}

// TestDoH checks what goes over the wire to a DNS-over-HTTPS server, with
// POST and with GET (RFC 8484 §4.1), and the evidence kept.
func TestDoH(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	type seen struct {
		method, contentType, accept string
		proto, id, size             int
		padded                      bool
	}
	var (
		mu   sync.Mutex
		reqs []seen
	)
	doh := resolverstest.StartDoH(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{method: r.Method, contentType: r.Header.Get("Content-Type"), accept: r.Header.Get("Accept"), proto: r.ProtoMajor}
		var pkt []byte
		if r.Method == http.MethodGet {
			v := r.URL.Query().Get("dns")
			if strings.Contains(v, "=") {
				t.Errorf("GET ?dns=%s is padded", v)
			}
			pkt, _ = base64.RawURLEncoding.DecodeString(v)
		} else {
			pkt, _ = io.ReadAll(r.Body)
		}
		q := new(dns.Msg)
		if err := q.Unpack(pkt); err == nil {
			s.id, s.size = int(q.Id), len(pkt)
			if opt := q.IsEdns0(); opt != nil {
				for _, o := range opt.Option {
					_, s.padded = o.(*dns.EDNS0_PADDING)
				}
			}
		}
		mu.Lock()
		reqs = append(reqs, s)
		mu.Unlock()
		// Rebuild the body for the real handler.
		r2 := r.Clone(r.Context())
		if r.Method == http.MethodPost {
			r2.Body = io.NopCloser(strings.NewReader(string(pkt)))
		}
		resolverstest.DoHHandler(zh).ServeHTTP(w, r2)
	}))
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		server := doh.URL
		if method == http.MethodGet {
			server = strings.Replace(server, "https://", "https+get://", 1)
		}
		c := newClient(t, resolvers.Config{Servers: []string{server}, RootCAs: doh.RootCAs})
		if got := c.Servers(); !slices.Equal(got, []string{server}) {
			t.Errorf("Servers() = %q, want %q", got, server)
		}
		mu.Lock()
		reqs = nil
		mu.Unlock()
		res := c.Resolve(t.Context(), "www.example.test")
		checkResult(t, res, "www.example.test", resolvers.StatusOK, nil, answers(t,
			"edge.example.test. 60 IN A 198.51.100.10",
			"edge.example.test. 60 IN A 198.51.100.11",
			"edge.example.test. 60 IN AAAA 2001:db8:100::10"), nil)
		checkEncryptedExchanges(t, res.Exchanges, server, "doh")
		for _, e := range res.Exchanges {
			if e.Rcode != "NOERROR" || e.RTT <= 0 {
				t.Errorf("%s: exchange %+v", method, e)
			}
		}
		mu.Lock()
		if len(reqs) != 2 {
			t.Errorf("%s: %d requests, want 2: %+v", method, len(reqs), reqs)
		}
		for _, s := range reqs {
			wantCT := "application/dns-message"
			if method == http.MethodGet {
				wantCT = ""
			}
			if s.method != method || s.contentType != wantCT || s.accept != "application/dns-message" ||
				s.proto != 2 || s.id != 0 || !s.padded || s.size%128 != 0 {
				t.Errorf("%s: request %+v; want %s over HTTP/2, ID 0, padded to a multiple of 128 bytes", method, s, method)
			}
		}
		mu.Unlock()
	}
}

// TestDoT checks a DNS-over-TLS resolver: answers, evidence, padding, and
// that queries share one connection.
func TestDoT(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	var (
		mu    sync.Mutex
		conns = map[string]bool{}
		sizes []int
	)
	dot := resolverstest.StartTLS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		b, _ := r.Pack()
		mu.Lock()
		conns[w.RemoteAddr().String()] = true
		sizes = append(sizes, len(b))
		mu.Unlock()
		zh.ServeDNS(w, r)
	}))
	c := newClient(t, resolvers.Config{Servers: []string{dot.URL}, RootCAs: dot.Certificate.Pool})
	if got := c.Servers(); !slices.Equal(got, []string{dot.URL}) {
		t.Errorf("Servers() = %q, want %q", got, dot.URL)
	}
	for _, name := range []string{"example.test", "www.example.test", "v4only.example.test"} {
		res := c.Resolve(t.Context(), name)
		if res.Status != resolvers.StatusOK {
			t.Errorf("%s: %s %v\n%s", name, res.Status, res.Err, dumpExchanges(res.Exchanges))
		}
		checkEncryptedExchanges(t, res.Exchanges, dot.URL, "dot")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Errorf("queries came over %d connections, want 1: %v", len(conns), conns)
	}
	for _, n := range sizes {
		if n%128 != 0 {
			t.Errorf("query of %d bytes, want it padded to a multiple of 128", n)
		}
	}
}

// TestDoTManyInFlight sends many queries at once over DNS over TLS, to a
// server that closes each connection after some queries (miekg/dns does
// after 128), so that replies come pipelined and connections are opened
// again while queries wait.
func TestDoTManyInFlight(t *testing.T) {
	t.Parallel()
	const n = 2000
	zh, err := resolverstest.NewZoneHandler(numberedZone(n))
	if err != nil {
		t.Fatal(err)
	}
	for _, maxQueries := range []int{0, 1} { // 0: miekg/dns's default of 128
		t.Run(fmt.Sprint("max queries ", maxQueries), func(t *testing.T) {
			t.Parallel()
			cert, err := resolverstest.NewCertificate()
			if err != nil {
				t.Fatal(err)
			}
			var conns sync.Map // client address → true
			h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
				conns.Store(w.RemoteAddr().String(), true)
				zh.ServeDNS(w, r)
			})
			srv, err := resolverstest.ListenTLS("127.0.0.1:0", h, cert, func(s *dns.Server) { s.MaxTCPQueries = maxQueries })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			c := newClient(t, resolvers.Config{Servers: []string{srv.URL}, RootCAs: cert.Pool, Retries: -1})
			names := benchNames(n)
			inflight := 50
			if maxQueries == 1 {
				names, inflight = names[:50], 1 // one query per connection
			}
			if failed := resolveAll(t.Context(), c, names, inflight); failed > 0 {
				t.Errorf("%d of %d names failed", failed, len(names))
			}
			n := 0
			conns.Range(func(any, any) bool { n++; return true })
			t.Logf("%d names over %d connections", len(names), n)
		})
	}
}

// TestEncryptedCertificateChecks checks that certificates are verified by
// default, and that Config.RootCAs trusts a test certificate.
func TestEncryptedCertificateChecks(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	dot := resolverstest.StartTLS(t, zh)
	doh := resolverstest.StartDoH(t, resolverstest.DoHHandler(zh))
	_, port, _ := strings.Cut(dot.Addr, ":")
	dohByName := strings.Replace(doh.URL, "127.0.0.1", "localhost", 1)
	other, err := resolverstest.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, server string
		cfg          resolvers.Config
		why          string // in the error; "" when trusted
	}{
		{"DoT trusted", dot.URL, resolvers.Config{RootCAs: dot.Certificate.Pool}, ""},
		{"DoH trusted", doh.URL, resolvers.Config{RootCAs: doh.RootCAs}, ""},
		{"DoT self-signed, system roots", dot.URL, resolvers.Config{}, "unknown authority"},
		{"DoH self-signed, system roots", doh.URL, resolvers.Config{}, "unknown authority"},
		{"DoT another authority", dot.URL, resolvers.Config{RootCAs: other.Pool}, "unknown authority"},
		{"DoH another authority", doh.URL, resolvers.Config{RootCAs: other.Pool}, "unknown authority"},
		{"DoT wrong name", "tls://localhost:" + port, resolvers.Config{RootCAs: dot.Certificate.Pool}, "localhost"},
		{"DoH wrong name", dohByName, resolvers.Config{RootCAs: doh.RootCAs}, "not localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Servers, tt.cfg.Retries = []string{tt.server}, -1
			c := newClient(t, tt.cfg)
			res := c.Resolve(t.Context(), "example.test")
			checkEncryptedExchanges(t, res.Exchanges, tt.server, wantTransport(tt.server))
			if tt.why == "" {
				checkResult(t, res, "example.test", resolvers.StatusOK, nil,
					answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"), nil)
				return
			}
			if res.Status != resolvers.StatusError || !errors.Is(res.Err, resolvers.ErrCertificate) ||
				!strings.Contains(res.Err.Error(), "certificate could not be verified") || !strings.Contains(res.Err.Error(), tt.why) {
				t.Errorf("Status = %s, Err = %v; want error, a certificate that could not be verified: %s", res.Status, res.Err, tt.why)
			}
			for _, e := range res.Exchanges {
				if e.Status != resolvers.StatusError || !strings.Contains(e.Error, tt.why) {
					t.Errorf("exchange %+v; want status error about %q", e, tt.why)
				}
			}
		})
	}
}

// TestDoHBadReplies checks that a DNS-over-HTTPS reply that is not a DNS
// answer is an error that says why.
func TestDoHBadReplies(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	good := resolverstest.DoHHandler(zh)
	// reply answers with the DNS reply of good, changed by edit.
	reply := func(edit func(h http.Header, body []byte) []byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &recorder{header: http.Header{}}
			good.ServeHTTP(rec, r)
			body := edit(rec.header, rec.body)
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.Write(body)
		})
	}
	tests := []struct {
		name    string
		handler http.Handler
		why     string
	}{
		{"HTTP 500", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}), "HTTP status 500 Internal Server Error"},
		{"redirect", http.RedirectHandler("https://127.0.0.1:1/elsewhere", http.StatusFound), "HTTP status 302 Found"},
		{"wrong content type", reply(func(h http.Header, b []byte) []byte {
			h.Set("Content-Type", "text/html; charset=utf-8")
			return b
		}), `content type "text/html; charset=utf-8"`},
		{"no content type", reply(func(h http.Header, b []byte) []byte {
			h.Set("Content-Type", "")
			return b
		}), `content type ""`},
		{"body too large", reply(func(h http.Header, b []byte) []byte {
			return append(b, make([]byte, 70000)...)
		}), "larger than a DNS message"},
		{"not a DNS message", reply(func(h http.Header, b []byte) []byte {
			return []byte("hello")
		}), "not a DNS response"},
		{"message ID not 0", reply(func(h http.Header, b []byte) []byte {
			b[1] = 7
			return b
		}), "message ID 7"},
		{"another question", reply(func(h http.Header, b []byte) []byte {
			m := new(dns.Msg)
			if err := m.Unpack(b); err != nil {
				return b
			}
			m.Question[0].Name = "other.example.test."
			out, _ := m.Pack()
			return out
		}), "another question"},
		{"garbage after the header", reply(func(h http.Header, b []byte) []byte {
			return append(b[:12:12], 0xff, 0xff, 0xff)
		}), "another question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doh := resolverstest.StartDoH(t, tt.handler)
			c := newClient(t, resolvers.Config{Servers: []string{doh.URL}, RootCAs: doh.RootCAs, Retries: -1})
			res := c.Resolve(t.Context(), "example.test")
			checkEncryptedExchanges(t, res.Exchanges, doh.URL, "doh")
			if res.Status != resolvers.StatusError || !strings.Contains(fmt.Sprint(res.Err), tt.why) {
				t.Errorf("Status = %s, Err = %v; want error about %q\n%s", res.Status, res.Err, tt.why, dumpExchanges(res.Exchanges))
			}
			if len(res.Exchanges) != 2 {
				t.Errorf("%d exchanges, want 2 (no retries)", len(res.Exchanges))
			}
		})
	}
}

// recorder is a minimal http.ResponseWriter that keeps what is written.
type recorder struct {
	header http.Header
	body   []byte
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

// TestEncryptedTimeout checks that a resolver that does not answer in time
// is a timeout over both transports, and that a DNS-over-TLS connection on
// which nothing came back is not used again.
func TestEncryptedTimeout(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	var (
		mu    sync.Mutex
		conns = map[string]bool{}
	)
	// silent answers nothing for silent.example.test, and the rest from the zone.
	// conns are the connections that asked for another name: only the
	// second client below does.
	silent := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if strings.HasPrefix(r.Question[0].Name, "silent.") {
			return
		}
		mu.Lock()
		conns[w.RemoteAddr().String()] = true
		mu.Unlock()
		zh.ServeDNS(w, r)
	})
	dot := resolverstest.StartTLS(t, silent)
	release := make(chan struct{})
	doh := resolverstest.StartDoH(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	for _, srv := range []struct {
		url string
		cfg resolvers.Config
	}{
		{dot.URL, resolvers.Config{RootCAs: dot.Certificate.Pool}},
		{doh.URL, resolvers.Config{RootCAs: doh.RootCAs}},
	} {
		cfg := srv.cfg
		cfg.Servers, cfg.Timeout, cfg.Retries = []string{srv.url}, 200*time.Millisecond, -1
		c := newClient(t, cfg)
		res := c.Resolve(t.Context(), "silent.example.test")
		if res.Status != resolvers.StatusTimeout || !errors.Is(res.Err, resolvers.ErrTimeout) {
			t.Errorf("%s: Status = %s, Err = %v; want timeout", srv.url, res.Status, res.Err)
		}
		checkEncryptedExchanges(t, res.Exchanges, srv.url, wantTransport(srv.url))
	}
	// Long enough for a handshake on a loaded machine: only the silent name
	// must time out here. It asks for example.test on its first connection,
	// and again on a new one after the silent name timed out on it.
	c := newClient(t, resolvers.Config{Servers: []string{dot.URL}, RootCAs: dot.Certificate.Pool, Timeout: 2 * time.Second, Retries: -1})
	for _, name := range []string{"example.test", "silent.example.test", "example.test"} {
		c.Resolve(t.Context(), name)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 2 {
		t.Errorf("%d connections, want 2: a new one after a timeout with nothing coming back", len(conns))
	}
}

// TestEncryptedFailover checks that a failing encrypted resolver is left for
// the next one, with every attempt in the evidence.
func TestEncryptedFailover(t *testing.T) {
	t.Parallel()
	zh := mustZoneHandler(t, exampleZone)
	broken := resolverstest.StartDoH(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	dot := resolverstest.StartTLS(t, zh)
	// A DoT resolver on a port where nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "tls://" + l.Addr().String()
	l.Close()
	pool := dot.Certificate.Pool.Clone()
	pool.AddCert(broken.Certificate)
	c := newClient(t, resolvers.Config{Servers: []string{closed, broken.URL, dot.URL}, RootCAs: pool, Retries: -1})
	res := c.Resolve(t.Context(), "example.test")
	checkResult(t, res, "example.test", resolvers.StatusOK, nil,
		answers(t, "example.test. 300 IN A 192.0.2.1", "example.test. 300 IN AAAA 2001:db8::1"), nil)
	var got []string
	for _, e := range res.Exchanges {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.Type, e.Resolver, e.Transport, e.Status))
		if e.Resolver == closed && !strings.Contains(e.Error, "connection refused") ||
			e.Resolver == broken.URL && !strings.Contains(e.Error, "HTTP status 503 Service Unavailable") {
			t.Errorf("exchange %+v: the error does not say why", e)
		}
	}
	slices.Sort(got)
	want := []string{
		"A " + broken.URL + " doh error", "A " + closed + " dot error", "A " + dot.URL + " dot ok",
		"AAAA " + broken.URL + " doh error", "AAAA " + closed + " dot error", "AAAA " + dot.URL + " dot ok",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("exchanges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEncryptedClose checks that closing the Client ends the queries waiting
// on an encrypted resolver, and fails later ones.
func TestEncryptedClose(t *testing.T) {
	t.Parallel()
	asked := make(chan struct{}, 4)
	dot := resolverstest.StartTLS(t, dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) { asked <- struct{}{} }))
	doh := resolverstest.StartDoH(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- struct{}{}
		<-r.Context().Done()
	}))
	for _, cfg := range []resolvers.Config{
		{Servers: []string{dot.URL}, RootCAs: dot.Certificate.Pool},
		{Servers: []string{doh.URL}, RootCAs: doh.RootCAs},
	} {
		cfg.Timeout = 30 * time.Second
		c, err := resolvers.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan resolvers.Result)
		go func() { done <- c.Resolve(context.Background(), "example.test") }()
		<-asked
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case res := <-done:
			if !errors.Is(res.Err, resolvers.ErrClosed) {
				t.Errorf("%s: Err = %v, want ErrClosed", cfg.Servers[0], res.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Resolve still waiting after Close", cfg.Servers[0])
		}
		res := c.Resolve(t.Context(), "example.test")
		if res.Status != resolvers.StatusError || !errors.Is(res.Err, resolvers.ErrClosed) {
			t.Errorf("%s: after Close: Status = %s, Err = %v", cfg.Servers[0], res.Status, res.Err)
		}
	}
}

// TestEncryptedQuery checks that Query, which PTR and Team Cymru lookups
// use, works over the encrypted transports too.
func TestEncryptedQuery(t *testing.T) {
	t.Parallel()
	for _, cfg := range startTransports(t, mustZoneHandler(t, exampleZone)) {
		c := newClient(t, cfg)
		m, ex, err := c.Query(t.Context(), "txtonly.example.test", dns.TypeTXT)
		if err != nil || len(m.Answer) != 1 || len(ex) != 1 {
			t.Errorf("%s: Query = %v, %v, %v", cfg.Servers[0], m, ex, err)
			continue
		}
		if txt, ok := m.Answer[0].(*dns.TXT); !ok || txt.Txt[0] != "no addresses here" {
			t.Errorf("%s: answer %v", cfg.Servers[0], m.Answer[0])
		}
		checkEncryptedExchanges(t, ex, cfg.Servers[0], wantTransport(cfg.Servers[0]))
	}
}
