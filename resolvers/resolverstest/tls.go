package resolverstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Certificate is a self-signed certificate for loopback test servers, and a
// pool that trusts it (for resolvers.Config.RootCAs).
type Certificate struct {
	TLS  tls.Certificate
	Pool *x509.CertPool
}

// NewCertificate makes a self-signed ECDSA certificate, valid for a day, for
// 127.0.0.1, ::1 and the given host names.
func NewCertificate(names ...string) (*Certificate, error) {
	return NewCertificateFor(func(tmpl *x509.Certificate) { tmpl.DNSNames = names })
}

// NewCertificateFor is NewCertificate with the template edited by edit
// first, for certificates with odd subjects or names.
func NewCertificateFor(edit func(tmpl *x509.Certificate)) (*Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("resolverstest: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("resolverstest: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "resolverstest", Organization: []string{"hostwatch tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	edit(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("resolverstest: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("resolverstest: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &Certificate{TLS: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, Pool: pool}, nil
}

// TLSServer is a DNS-over-TLS server (RFC 7858) on loopback.
type TLSServer struct {
	// Addr is where it listens, as "127.0.0.1:port".
	Addr string
	// URL is how a resolvers.Client is told to ask it: "tls://127.0.0.1:port".
	URL string
	// Certificate is the server's; its Pool trusts it.
	Certificate *Certificate

	srv *dns.Server
}

// ListenTLS starts a DNS-over-TLS server for h on addr, which must be a
// loopback IP address with a port (0 picks a free one), presenting cert.
// Set up srv (nil for the defaults) to change the dns.Server before it
// starts, for example its MaxTCPQueries or IdleTimeout.
func ListenTLS(addr string, h dns.Handler, cert *Certificate, setup func(srv *dns.Server)) (*TLSServer, error) {
	if h == nil || cert == nil {
		return nil, errors.New("resolverstest: nil handler or certificate")
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("resolverstest: listen address %q: want IP:port: %w", addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("resolverstest: listen address %q is not a loopback address", addr)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}
	l, err := tls.Listen("tcp", ap.String(), conf)
	if err != nil {
		return nil, fmt.Errorf("resolverstest: %w", err)
	}
	srv := &dns.Server{Listener: l, Net: "tcp-tls", TLSConfig: conf, Handler: h}
	if setup != nil {
		setup(srv)
	}
	if err := start(srv); err != nil {
		l.Close()
		return nil, err
	}
	a := l.Addr().String()
	return &TLSServer{Addr: a, URL: "tls://" + a, Certificate: cert, srv: srv}, nil
}

// Close stops the server and waits for its handlers to return.
func (s *TLSServer) Close() error {
	return s.srv.Shutdown()
}

// StartTLS starts a DNS-over-TLS server for h on 127.0.0.1 with a free port
// and a new self-signed certificate (for 127.0.0.1 and ::1 only), and closes
// it when the test ends.
func StartTLS(t testing.TB, h dns.Handler) *TLSServer {
	t.Helper()
	cert, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ListenTLS("127.0.0.1:0", h, cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close DNS-over-TLS server %s: %v", s.Addr, err)
		}
	})
	return s
}

// DoHServer is a DNS-over-HTTPS server (RFC 8484) on loopback, over HTTP/2
// and HTTP/1.1, with httptest's self-signed certificate.
type DoHServer struct {
	// URL is where queries go: "https://127.0.0.1:port/dns-query".
	URL string
	// Certificate is the server's, and RootCAs trusts it.
	Certificate *x509.Certificate
	RootCAs     *x509.CertPool

	srv *httptest.Server
}

// StartDoH starts a DNS-over-HTTPS server for h (usually DoHHandler, or a
// handler that misbehaves) on 127.0.0.1 and closes it when the test ends.
func StartDoH(t testing.TB, h http.Handler) *DoHServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	// Clients give up on connections they no longer need mid-handshake;
	// the server's complaints about that are noise in test output.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &DoHServer{URL: srv.URL + "/dns-query", Certificate: srv.Certificate(), RootCAs: pool, srv: srv}
}

// DoHHandler answers DNS-over-HTTPS requests, POST or GET (RFC 8484 §4.1),
// with the replies of h. Malformed requests get 400 Bad Request, other
// methods 405.
func DoHHandler(h dns.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			pkt []byte
			err error
		)
		switch r.Method {
		case http.MethodPost:
			if r.Header.Get("Content-Type") != "application/dns-message" {
				http.Error(w, "want Content-Type application/dns-message", http.StatusUnsupportedMediaType)
				return
			}
			pkt, err = io.ReadAll(io.LimitReader(r.Body, dns.MaxMsgSize+1))
		case http.MethodGet:
			pkt, err = base64.RawURLEncoding.DecodeString(r.URL.Query().Get("dns"))
		default:
			http.Error(w, "POST or GET", http.StatusMethodNotAllowed)
			return
		}
		q := new(dns.Msg)
		if err == nil {
			err = q.Unpack(pkt)
		}
		if err != nil || len(pkt) > dns.MaxMsgSize {
			http.Error(w, fmt.Sprintf("bad DNS query: %v", err), http.StatusBadRequest)
			return
		}
		rw := &dohWriter{local: addrOf(r.Context().Value(http.LocalAddrContextKey)), remote: remoteAddr(r.RemoteAddr)}
		h.ServeDNS(rw, q)
		if rw.reply == nil {
			http.Error(w, "no reply", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/dns-message")
		w.Write(rw.reply)
	})
}

// dohWriter is the dns.ResponseWriter a handler writes its reply to.
type dohWriter struct {
	local, remote net.Addr
	reply         []byte
}

func (w *dohWriter) LocalAddr() net.Addr  { return w.local }
func (w *dohWriter) RemoteAddr() net.Addr { return w.remote }
func (w *dohWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	w.reply = b
	return nil
}
func (w *dohWriter) Write(b []byte) (int, error) {
	w.reply = append([]byte(nil), b...)
	return len(b), nil
}
func (w *dohWriter) Close() error        { return nil }
func (w *dohWriter) TsigStatus() error   { return nil }
func (w *dohWriter) TsigTimersOnly(bool) {}
func (w *dohWriter) Hijack()             {}

// addrOf returns v as a net.Addr, or an empty TCP address.
func addrOf(v any) net.Addr {
	if a, ok := v.(net.Addr); ok {
		return a
	}
	return &net.TCPAddr{}
}

// remoteAddr parses an http.Request's RemoteAddr into a TCP address, so that
// handlers that look at the network see "tcp" and do not truncate.
func remoteAddr(s string) net.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return net.TCPAddrFromAddrPort(ap)
	}
	return &net.TCPAddr{}
}
