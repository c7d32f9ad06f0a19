package frontdoor

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/hostwatch/hostwatch/probe/reach"
)

// tlsState is the state of a completed TLS handshake.
type tlsState = tls.ConnectionState

// dialRecord is what the dialer of one hop did. The transport may still be
// dialing when a request gives up, so it is guarded by a mutex.
type dialRecord struct {
	mu        sync.Mutex
	connected netip.AddrPort
	state     *tlsState
}

func (r *dialRecord) set(ap netip.AddrPort, state *tlsState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected, r.state = ap, state
}

func (r *dialRecord) get() (bool, netip.AddrPort, *tlsState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.connected.IsValid(), r.connected, r.state
}

// transport returns an HTTP/1.1 transport for one hop that connects only to
// addrs (never through the system resolver or a proxy), and only where
// policy allows, and records in rec which address it connected to and the
// TLS state.
func (f fetcher) transport(ctx context.Context, rec *dialRecord, policy reach.Policy, addrs []netip.Addr, host string, port uint16, useTLS bool) *http.Transport {
	// The transport detaches dials from the request's cancellation (to reuse
	// connections, which these transports never do), so the dialer uses the
	// hop's context and keeps the deadlines itself.
	fetchBy, ok := ctx.Deadline()
	if !ok {
		fetchBy = time.Now().Add(f.opts.Timeout)
	}
	connectBy := time.Now().Add(f.opts.Timeout / 2)
	if fetchBy.Before(connectBy) {
		connectBy = fetchBy
	}
	dial := func(context.Context, string, string) (net.Conn, error) {
		return dialAddrs(ctx, rec, policy, addrs, host, port, useTLS, connectBy, fetchBy)
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		DialTLSContext:         dial,
		DisableKeepAlives:      true,
		DisableCompression:     true, // so that the body read is the body sent
		MaxResponseHeaderBytes: maxHeaderBytes,
		TLSNextProto:           map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
	}
}

// backstop is how long after the fetch's deadline a connection's own
// deadline ends it, should cancelling the request not.
const backstop = time.Second

// dialError lists why each address could not be connected to.
type dialError struct {
	host string
	port uint16
	errs []error
}

func (e *dialError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("connect to %s port %d: %s", e.host, e.port, strings.Join(msgs, "; "))
}

func (e *dialError) Unwrap() []error { return e.errs }

// dialAddrs connects to addrs in order, sharing what is left of the time
// until connectBy among the addresses not yet tried, and does the TLS
// handshake when useTLS. The connection it returns ends soon after fetchBy.
func dialAddrs(ctx context.Context, rec *dialRecord, policy reach.Policy, addrs []netip.Addr, host string, port uint16, useTLS bool, connectBy, fetchBy time.Time) (net.Conn, error) {
	ctx, cancel := context.WithDeadline(ctx, connectBy)
	defer cancel()
	var errs []error
	for i, a := range addrs {
		ap := netip.AddrPortFrom(a.Unmap(), port)
		left := time.Until(connectBy)
		if left <= 0 {
			errs = append(errs, fmt.Errorf("%s not tried: %w", ap, context.DeadlineExceeded))
			break
		}
		actx, acancel := context.WithTimeout(ctx, left/time.Duration(len(addrs)-i))
		conn, state, err := connect(actx, policy, ap, host, useTLS)
		acancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// A backstop: the request's context normally ends the connection first.
		if err := conn.SetDeadline(fetchBy.Add(backstop)); err != nil {
			conn.Close()
			errs = append(errs, fmt.Errorf("%s: %w", ap, err))
			continue
		}
		rec.set(ap, state)
		return conn, nil
	}
	return nil, &dialError{host: host, port: port, errs: errs}
}

// connect dials ap, where policy allows it, and, when useTLS, completes a
// TLS handshake that accepts any certificate, so that it can be reported;
// tlsInfo verifies it. The policy is checked on the socket about to connect,
// whatever the caller checked before.
func connect(ctx context.Context, policy reach.Policy, ap netip.AddrPort, host string, useTLS bool) (net.Conn, *tlsState, error) {
	d := net.Dialer{Control: policy.Control}
	conn, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return nil, nil, err
	}
	if !useTLS {
		return conn, nil, nil
	}
	tc := tls.Client(conn, &tls.Config{
		ServerName: host,
		// Only to capture any certificate: tlsInfo verifies it and the
		// report says plainly when it is not trusted. Nothing secret is sent.
		InsecureSkipVerify: true,
		NextProtos:         []string{"http/1.1"},
		MinVersion:         tls.VersionTLS10, // old servers are observed, not trusted
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("%w with %s: %w", errTLS, ap, err)
	}
	state := tc.ConnectionState()
	return tc, &state, nil
}

// tlsInfo describes state and verifies the server's chain for host against
// roots (nil: the system's) at now.
func tlsInfo(state *tlsState, host string, roots *x509.CertPool, now time.Time) *TLSInfo {
	info := &TLSInfo{
		Version:     tls.VersionName(state.Version),
		CipherSuite: tls.CipherSuiteName(state.CipherSuite),
	}
	certs := state.PeerCertificates
	if len(certs) == 0 {
		info.VerifyError, info.VerifyFailure = "the server sent no certificate", "no_certificate"
		return info
	}
	leaf := certs[0]
	info.Subject = leaf.Subject.String()
	info.Issuer = leaf.Issuer.String()
	info.SANs = append(info.SANs, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		info.SANs = append(info.SANs, ip.String())
	}
	info.NotBefore, info.NotAfter = leaf.NotBefore.UTC(), leaf.NotAfter.UTC()
	fp := sha256.Sum256(leaf.Raw)
	info.SHA256 = hex.EncodeToString(fp[:])
	for _, c := range certs {
		info.Chain = append(info.Chain, c.Raw)
	}

	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       host,
		Intermediates: intermediates,
		Roots:         roots,
		CurrentTime:   now,
	})
	if err == nil {
		info.Verified = true
		return info
	}
	info.VerifyError, info.VerifyFailure = err.Error(), verifyFailure(err)
	if len(certs) == 1 && selfSigned(leaf) {
		info.VerifyError, info.VerifyFailure = "self-signed certificate: "+info.VerifyError, "self_signed"
	}
	return info
}

// selfSigned reports whether c is signed by its own key.
func selfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// verifyFailure classifies why a chain did not verify, with errors.As.
func verifyFailure(err error) string {
	var inv x509.CertificateInvalidError
	var name x509.HostnameError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return "expired"
	case errors.As(err, &name):
		return "wrong_name"
	case errors.As(err, &unknown):
		return "unknown_authority"
	}
	return "invalid"
}
