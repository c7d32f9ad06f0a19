package resolvers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// ErrCertificate: the TLS certificate of a tls:// or https:// resolver could
// not be verified (unknown authority, wrong name, expired, ...). The error
// that wraps it says why.
var ErrCertificate = errors.New("the TLS certificate could not be verified")

// errConnLost: a DNS-over-TLS connection was closed or broke while a query
// was waiting on it; the query may be asked again on a new connection.
var errConnLost = errors.New("connection lost")

// encrypted is a resolver reached over an encrypted transport: DNS over TLS
// or DNS over HTTPS.
type encrypted interface {
	// exchange sends the packed query pkt, whose message ID it may
	// overwrite, and returns the packed reply, whose ID and question it has
	// checked. It returns when ctx ends at the latest.
	exchange(ctx context.Context, pkt []byte) ([]byte, error)
	// close releases the connections kept open.
	close() error
}

// paddingBlock is the size encrypted queries are padded to a multiple of,
// as RFC 8467 recommends for queries (EDNS(0) Padding, RFC 7830), so that
// their length says less about the name asked.
const paddingBlock = 128

// tlsBase is the TLS configuration shared by a Client's encrypted resolvers:
// certificates are always verified, against roots or else the system's.
func tlsBase(roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12, // RFC 8310 §8.1 and RFC 8484 §5.2 ask for TLS 1.2 or later
		RootCAs:            roots,
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
	}
}

// attemptEncrypted sends one query to one resolver over its encrypted
// transport, like attempt does over UDP: a nil error means a final answer;
// otherwise the message is non-nil when the server replied.
func (c *Client) attemptEncrypted(ctx context.Context, s *server, q *dns.Msg, ex *[]Exchange) (*dns.Msg, Status, error) {
	e := Exchange{
		Resolver:  s.addr,
		Transport: s.transport,
		Name:      strings.TrimSuffix(q.Question[0].Name, "."),
		Type:      dns.TypeToString[q.Question[0].Qtype],
		AskedAt:   time.Now().UTC(),
	}
	var m *dns.Msg
	pkt, err := packPadded(q)
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		start := time.Now()
		var buf []byte
		buf, err = s.enc.exchange(actx, pkt)
		cancel()
		switch {
		case err == nil:
			e.RTT = time.Since(start)
			m = new(dns.Msg)
			if c.keepRaw {
				e.Raw = bytes.Clone(buf)
			}
			if err = m.Unpack(buf); err != nil {
				err = fmt.Errorf("unpack reply: %w", err)
				m = nil
			}
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("%w: no reply within %s", ErrTimeout, c.timeout)
		}
	}
	status, err := record(&e, viewOf(m), err)
	*ex = append(*ex, e)
	return m, status, err
}

// packPadded packs a copy of q with message ID 0 (as RFC 8484 §4.1 asks for
// DNS over HTTPS; DNS over TLS sets its own) and EDNS(0) padding.
func packPadded(q *dns.Msg) ([]byte, error) {
	m := q.Copy()
	m.Id = 0
	if opt := m.IsEdns0(); opt != nil {
		pad := &dns.EDNS0_PADDING{}
		opt.Option = append(opt.Option, pad)
		if n := m.Len() % paddingBlock; n != 0 {
			pad.Padding = make([]byte, paddingBlock-n)
		}
	}
	pkt, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidName, m.Question[0].Name, err)
	}
	return pkt, nil
}

// connError turns the error of connecting to an encrypted resolver, or of
// sending to it, into one that says what went wrong in the package's terms:
// an unverifiable certificate, a refused connection, a timeout.
func connError(err error) error {
	var (
		cve       *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &cve):
		return fmt.Errorf("%w: %w", ErrCertificate, cve.Err)
	case errors.As(err, &unknownCA):
		return fmt.Errorf("%w: %w", ErrCertificate, unknownCA)
	case errors.As(err, &hostErr):
		return fmt.Errorf("%w: %w", ErrCertificate, hostErr)
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: %w", ErrCertificate, invalid)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: %w", ErrConnRefused, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	case isTimeout(err):
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}
