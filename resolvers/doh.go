package resolvers

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/internal/httpclient"
)

// dohMediaType is the media type of DNS messages over HTTPS (RFC 8484 §6).
const dohMediaType = "application/dns-message"

// dohMaxConnsPerHost bounds the connections to one DNS-over-HTTPS server;
// over HTTP/2 one is enough, and over HTTP/1.1 it keeps a burst of queries
// from opening hundreds.
const dohMaxConnsPerHost = 16

// dohServer asks one DNS-over-HTTPS resolver (RFC 8484), with POST or with
// GET, through retryablehttp-go over an HTTP client of its own: certificates
// checked, connections kept alive (HTTP/2 where the server offers it),
// redirects not followed, and no retries (the Client's rounds over its
// resolvers are the retries, and each is in the evidence).
type dohServer struct {
	url    string // where queries go
	get    bool   // GET with ?dns= rather than POST
	client *retryablehttp.Client
	hc     *http.Client
	done   chan struct{} // closed by close: requests in flight end with ErrClosed
}

func newDoH(ep encEndpoint, timeout time.Duration, base *tls.Config) *dohServer {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = base.Clone()
	tr.ForceAttemptHTTP2 = true
	tr.MaxConnsPerHost = dohMaxConnsPerHost
	tr.MaxIdleConnsPerHost = dohMaxConnsPerHost
	// A redirect is an answer (not 200), not followed; a failed exchange is
	// the resolver's to retry, as for every other transport.
	c := httpclient.New(httpclient.Options{Transport: tr, Timeout: timeout, NoRedirects: true, ReadLimit: dns.MaxMsgSize})
	hc := c.HTTPClient
	return &dohServer{url: ep.url, get: ep.get, client: c, hc: hc, done: make(chan struct{})}
}

func (s *dohServer) exchange(ctx context.Context, pkt []byte) ([]byte, error) {
	qend := questionEnd(pkt)
	if qend < 0 {
		return nil, errors.New("malformed query")
	}
	binary.BigEndian.PutUint16(pkt, 0) // RFC 8484 §4.1: ID 0, for HTTP caches
	select {
	case <-s.done:
		return nil, ErrClosed
	default:
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-s.done:
			cancel(ErrClosed)
		case <-ctx.Done():
		}
	}()
	var (
		req *http.Request
		err error
	)
	if s.get {
		sep := "?"
		if strings.Contains(s.url, "?") {
			sep = "&"
		}
		u := s.url + sep + "dns=" + base64.RawURLEncoding.EncodeToString(pkt)
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(pkt))
		if err == nil {
			req.Header.Set("Content-Type", dohMediaType)
		}
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", dohMediaType)
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(rreq)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrClosed) {
			return nil, ErrClosed
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without retryablehttp's and net/http's "POST https://…:" prefixes
		}
		return nil, connError(err)
	}
	defer resp.Body.Close()
	// Read a little more than the largest DNS message, to tell when a body is larger.
	body, err := io.ReadAll(io.LimitReader(resp.Body, dns.MaxMsgSize+1))
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("DNS-over-HTTPS server answered HTTP status %s", resp.Status)
	case err != nil:
		return nil, connError(fmt.Errorf("read reply: %w", err))
	}
	if ct := resp.Header.Get("Content-Type"); !isDoHMediaType(ct) {
		return nil, fmt.Errorf("DNS-over-HTTPS reply has content type %q, not %s", ct, dohMediaType)
	}
	switch {
	case len(body) > dns.MaxMsgSize:
		return nil, fmt.Errorf("DNS-over-HTTPS reply is larger than a DNS message (%d bytes)", dns.MaxMsgSize)
	case len(body) < 12 || body[2]&0x80 == 0:
		return nil, errors.New("DNS-over-HTTPS reply is not a DNS response")
	case binary.BigEndian.Uint16(body) != 0:
		return nil, fmt.Errorf("DNS-over-HTTPS reply has message ID %d, not 0 as asked", binary.BigEndian.Uint16(body))
	case !questionMatches(body, pkt[12:qend]):
		return nil, errors.New("DNS-over-HTTPS reply is for another question")
	}
	return body, nil
}

// isDoHMediaType reports whether a Content-Type header value is
// application/dns-message, with or without parameters.
func isDoHMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == dohMediaType
}

func (s *dohServer) close() error {
	close(s.done)
	s.hc.CloseIdleConnections()
	return nil
}
