// Package frontdoor records what a domain's web server itself says: redirects, the addresses connected to, revealing headers and the TLS certificate.
package frontdoor

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/internal/httpclient"
	"github.com/hostwatch/hostwatch/probe/reach"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRedirects = 10
	DefaultMaxBody      = 64 << 10
)

// maxHeaderBytes bounds the response headers read from any one server.
const maxHeaderBytes = 256 << 10

// Resolver turns a host name into addresses. Every hop's host is resolved
// through it (hostwatch passes its own resolvers, so the evidence matches the
// audit); the system resolver is never used.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// Options configures Fetch. Only Resolve is required.
type Options struct {
	// Timeout bounds the whole fetch: both schemes and every redirect. Making
	// any one connection (TCP and TLS handshake) may take at most half of it,
	// so that a silent HTTPS port leaves time for the HTTP fallback. Default 10s.
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed; 0 means 10, negative none.
	MaxRedirects int
	// MaxBody is how many bytes of each body are read; 0 means 64 KiB,
	// negative none. Bodies are never kept: only their size and SHA-256.
	MaxBody int64
	// RootCAs verifies certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// UserAgent is sent with every request; "" sends Go's default.
	UserAgent string
	// Resolve resolves the host of every hop. Required.
	Resolve Resolver
	// Now timestamps hops and is the time certificates are verified at;
	// nil means time.Now.
	Now func() time.Time
	// HTTPSPort and HTTPPort are the ports tried for the domain itself;
	// 0 means 443 and 80. URLs from redirects keep their own ports. For tests.
	HTTPSPort, HTTPPort uint16
	// AllowPrivate lets hops connect to addresses that are not globally
	// reachable (--allow-private). By default a hop's addresses in such
	// blocks (loopback, private, link-local such as the cloud metadata
	// service 169.254.169.254, ...) are refused, listed in Hop.Refused and
	// never connected to: every address a fetch connects to is learned from
	// DNS answers and redirects, which a hostile domain controls.
	AllowPrivate bool
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	switch {
	case o.MaxRedirects == 0:
		o.MaxRedirects = DefaultMaxRedirects
	case o.MaxRedirects < 0:
		o.MaxRedirects = 0
	}
	switch {
	case o.MaxBody == 0:
		o.MaxBody = DefaultMaxBody
	case o.MaxBody < 0:
		o.MaxBody = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPSPort == 0 {
		o.HTTPSPort = 443
	}
	if o.HTTPPort == 0 {
		o.HTTPPort = 80
	}
	return o
}

// Hop is one request of the chain and what came back.
type Hop struct {
	URL    string
	Status int // 0 when no response came
	// Error says why the hop failed (timeout, TLS, refused, ...); "" when it did not.
	Error string
	// Failure classifies Error in OONI's words where one fits:
	// generic_timeout_error, connection_refused, connection_reset,
	// host_unreachable, network_unreachable, ssl_failed_handshake, eof_error,
	// interrupted, dns_no_answer, dns_lookup_error, or unknown_failure;
	// and "refused" (hostwatch's own word) when every address of the hop was
	// refused as not globally reachable (see Refused): nothing was sent.
	Failure string
	Host    string
	// Addresses is what Resolve returned for Host (the address itself for an IP literal).
	Addresses []netip.Addr
	// Refused lists the Addresses that were not connected to because they
	// are not globally reachable, each with its special-purpose registry
	// entry; the others were still tried.
	Refused []reach.Refusal
	// ConnectedTo is the address actually connected to; invalid when none was.
	ConnectedTo netip.AddrPort
	// Headers holds only the response headers that reveal hosting or a CDN,
	// keys canonical, values as sent; see HeaderNames for a stable order.
	Headers map[string][]string
	// TLS describes the connection and the server's certificate; nil for
	// plain HTTP or when no TLS handshake completed.
	TLS       *TLSInfo
	StartedAt time.Time
	Duration  time.Duration
	// BodyBytes is how many bytes of the body were read (at most MaxBody), and
	// BodySHA256 the hex SHA-256 of those bytes.
	BodyBytes  int64
	BodySHA256 string
}

// HeaderNames returns the keys of Headers, sorted.
func (h Hop) HeaderNames() []string {
	names := make([]string, 0, len(h.Headers))
	for k := range h.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// TLSInfo is the TLS connection and the certificate the server presented.
// A certificate is always reported, trusted or not; Verified says which.
type TLSInfo struct {
	Version     string // e.g. "TLS 1.3"
	CipherSuite string
	// Verified is true when the chain verifies against the roots for the host name;
	// VerifyError says why not (self-signed, expired, wrong name, ...).
	Verified    bool
	VerifyError string
	// VerifyFailure classifies VerifyError, told apart with errors.As:
	// no_certificate, self_signed, expired, wrong_name, unknown_authority
	// or invalid; "" when Verified.
	VerifyFailure string
	// Subject, Issuer, SANs and validity are the leaf certificate's.
	Subject, Issuer     string
	SANs                []string // DNS names, then IP addresses
	NotBefore, NotAfter time.Time
	// SHA256 is the hex SHA-256 fingerprint of the leaf certificate's DER.
	SHA256 string
	// Chain holds the DER of every certificate the server sent, leaf first.
	Chain [][]byte
}

// Result is everything one Fetch learned about a domain's front door.
type Result struct {
	Domain string
	// Scheme is the scheme of the last attempt: "https", or "http" when the
	// HTTPS connection could not be made.
	Scheme string
	// Hops lists every request made, the failed HTTPS attempt included.
	Hops []Hop
	// Final points into Hops at the response that ended the chain (not a
	// redirect); nil when none did.
	Final *Hop
	// Error says why the fetch did not end with a response; "" when it did.
	Error string
	// Failure classifies Error, told apart where it was made: a hop's
	// failure (see Hop.Failure) or one of redirect_loop,
	// too_many_redirects, bad_redirect, bad_domain; "" when Error is "".
	Failure string
}

var (
	errRedirectLoop    = errors.New("redirect loop")
	errTooManyRedirect = errors.New("too many redirects")
	errTLS             = errors.New("TLS handshake failed")
	errNoAddresses     = errors.New("no addresses")
	errBadRedirect     = errors.New("redirect") // "redirect from …: bad Location", as it always read
	errBadDomain       = errors.New("not a host name")
)

// Fetch GETs / of domain over HTTPS, and over HTTP when no HTTPS connection
// can be made, following redirects itself so that every hop's host is
// resolved through opts.Resolve and recorded. It never returns an error: what
// went wrong is in the Result.
func Fetch(ctx context.Context, domain string, opts Options) Result {
	opts = opts.withDefaults()
	res := Result{Domain: domain}
	host, err := hostOf(domain)
	if err != nil {
		res.Error, res.Failure = err.Error(), resultFailure(err)
		return res
	}
	if opts.Resolve == nil {
		res.Error, res.Failure = "frontdoor: Options.Resolve is required", "unknown_failure"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	f := fetcher{opts: opts}
	at := f.follow(ctx, startURL("https", host, opts.HTTPSPort, 443))
	res.Scheme = "https"
	if at.connectFailed && ctx.Err() == nil {
		plain := f.follow(ctx, startURL("http", host, opts.HTTPPort, 80))
		res.Scheme = "http"
		if !plain.answered && plain.err != nil {
			plain.err = fmt.Errorf("https: %w; http: %w", at.err, plain.err)
		}
		if plain.final >= 0 {
			plain.final += len(at.hops)
		}
		plain.hops = append(at.hops, plain.hops...)
		at = plain
	}
	res.Hops = at.hops
	if at.final >= 0 {
		res.Final = &res.Hops[at.final]
	}
	if at.err != nil {
		res.Error, res.Failure = at.err.Error(), resultFailure(at.err)
	}
	return res
}

// fetcher holds the options of one Fetch.
type fetcher struct{ opts Options }

// attempt is one scheme's chain of hops.
type attempt struct {
	hops  []Hop
	final int // index in hops of the response that ended the chain, or -1
	err   error
	// connectFailed says the first hop could not connect at all, so the
	// other scheme is worth a try.
	connectFailed bool
	answered      bool // some hop got a response
}

// follow requests u and the redirects that follow from it.
func (f fetcher) follow(ctx context.Context, u *url.URL) attempt {
	at := attempt{final: -1}
	seen := map[string]bool{urlKey(u): true}
	for {
		hop, location, connected, err := f.hop(ctx, u)
		at.hops = append(at.hops, hop)
		if hop.Status != 0 {
			at.answered = true
		}
		if err != nil {
			at.err = err
			var re *resolveError
			// Neither a name that does not resolve nor addresses refused
			// fare better over the other scheme.
			at.connectFailed = len(at.hops) == 1 && !connected && !errors.As(err, &re) && !errors.Is(err, reach.ErrRefused)
			return at
		}
		if location == "" {
			at.final = len(at.hops) - 1
			return at
		}
		next, err := u.Parse(location)
		if err != nil {
			at.err = fmt.Errorf("%w from %s: bad Location %q: %w", errBadRedirect, u, location, err)
			return at
		}
		if next.Scheme != "https" && next.Scheme != "http" || next.Hostname() == "" {
			at.err = fmt.Errorf("%w from %s to unsupported URL %q", errBadRedirect, u, location)
			return at
		}
		next.Fragment, next.RawFragment = "", ""
		if seen[urlKey(next)] {
			at.err = fmt.Errorf("%w: %s redirects to %s, already visited", errRedirectLoop, u, next)
			return at
		}
		if len(at.hops) > f.opts.MaxRedirects {
			at.err = fmt.Errorf("%w: more than %d (next: %s)", errTooManyRedirect, f.opts.MaxRedirects, next)
			return at
		}
		seen[urlKey(next)] = true
		u = next
	}
}

// hop makes one request. location is the redirect target when the response
// is a redirect; connected says a connection (and TLS handshake) was made.
func (f fetcher) hop(ctx context.Context, u *url.URL) (h Hop, location string, connected bool, err error) {
	start := f.opts.Now()
	h = Hop{URL: u.String(), Host: hostname(u), StartedAt: start}
	defer func() {
		h.Duration = f.opts.Now().Sub(start)
		if err != nil {
			h.Error = err.Error()
			h.Failure = failure(err)
		}
	}()

	h.Addresses, err = f.resolve(ctx, h.Host)
	if err != nil {
		return h, "", false, err
	}
	policy := reach.Policy{AllowPrivate: f.opts.AllowPrivate}
	allowed, refused := policy.Split(h.Addresses)
	h.Refused = refused
	if len(allowed) == 0 {
		return h, "", false, &reach.RefusedError{Refusals: refused}
	}
	rec := &dialRecord{}
	tr := f.transport(ctx, rec, policy, allowed, h.Host, portOf(u), u.Scheme == "https")
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return h, "", false, fmt.Errorf("request %s: %w", u, err)
	}
	req.Header.Set("Accept", "*/*")
	if f.opts.UserAgent != "" {
		req.Header.Set("User-Agent", f.opts.UserAgent)
	}
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return h, "", false, fmt.Errorf("request %s: %w", u, err)
	}
	resp, err := newClient(tr).Do(rreq)

	var state *tlsState
	connected, h.ConnectedTo, state = rec.get()
	if state != nil {
		h.TLS = tlsInfo(state, h.Host, f.opts.RootCAs, f.opts.Now())
	}
	if err != nil {
		return h, "", connected, outOfTime(ctx, err)
	}
	defer resp.Body.Close()
	h.Status = resp.StatusCode
	h.Headers = revealing(resp.Header)
	h.BodyBytes, h.BodySHA256, err = readBounded(resp.Body, f.opts.MaxBody)
	if err != nil {
		return h, "", connected, outOfTime(ctx, fmt.Errorf("read body of %s: %w", u, err))
	}
	if isRedirect(resp.StatusCode) {
		location = resp.Header.Get("Location")
	}
	return h, location, connected, nil
}

// newClient returns a client over tr that never retries (a hop is observed
// once, as it answered) and returns redirects, which Fetch follows hop by
// hop. tr captures any certificate, and tlsInfo verifies it.
func newClient(tr *http.Transport) *retryablehttp.Client {
	return httpclient.New(httpclient.Options{Transport: tr, NoRedirects: true, AllowUnverified: true})
}

// outOfTime makes an error that came because ctx ended say so, whatever
// layer noticed first.
func outOfTime(ctx context.Context, err error) error {
	if ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

// resolveError is a failure to turn a hop's host into addresses.
type resolveError struct {
	host string
	err  error
}

func (e *resolveError) Error() string { return "resolve " + e.host + ": " + e.err.Error() }
func (e *resolveError) Unwrap() error { return e.err }

// resolve returns the addresses of host through opts.Resolve, or the
// address itself for an IP literal.
func (f fetcher) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	got, err := f.opts.Resolve(ctx, host)
	var addrs []netip.Addr
	for _, a := range got {
		if a.IsValid() {
			addrs = append(addrs, a)
		}
	}
	if err != nil {
		return addrs, &resolveError{host, err}
	}
	if len(addrs) == 0 {
		return nil, &resolveError{host, errNoAddresses}
	}
	return addrs, nil
}

// readBounded reads at most limit bytes of r and returns how many it read
// and their SHA-256.
func readBounded(r io.Reader, limit int64) (int64, string, error) {
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(r, limit))
	return n, hex.EncodeToString(sum.Sum(nil)), err
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// hostOf checks that domain is a bare host name or IP address and returns
// it in lower case without a trailing dot.
func hostOf(domain string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if a, err := netip.ParseAddr(d); err == nil && a.Zone() == "" {
		return a.String(), nil
	}
	if d == "" || strings.ContainsFunc(d, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`/\:?#@[]%`, r)
	}) {
		return "", fmt.Errorf("frontdoor: %q is %w", domain, errBadDomain)
	}
	return d, nil
}

// startURL is scheme://host[:port]/, the port shown only when not the default.
func startURL(scheme, host string, port, def uint16) *url.URL {
	h := host
	if port != def {
		h = net.JoinHostPort(host, strconv.Itoa(int(port)))
	} else if strings.Contains(host, ":") {
		h = "[" + host + "]"
	}
	return &url.URL{Scheme: scheme, Host: h, Path: "/"}
}

// hostname is u's host in lower case, without brackets or a trailing dot.
func hostname(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) uint16 {
	if p, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		return uint16(p)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

// urlKey identifies a URL for loop detection: scheme, host, port, path, query.
func urlKey(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return u.Scheme + "://" + net.JoinHostPort(hostname(u), strconv.Itoa(int(portOf(u)))) + path + "?" + u.RawQuery
}
