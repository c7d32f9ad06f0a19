package rdap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/internal/httpclient"
)

// Status values of a Network.
const (
	StatusOK          = "ok"           // the registry returned the network
	StatusNotFound    = "not_found"    // the registry answered 404: it holds no network for the address
	StatusRateLimited = "rate_limited" // the registry answered 429, or its limit left no time to ask
	StatusTimeout     = "timeout"      // no complete answer within Config.Timeout or the caller's deadline
	StatusRefused     = "refused"      // the Doer would not connect: the registry's address, or a redirect's, is not globally reachable
	StatusError       = "error"        // anything else; Error says what
)

// Defaults of Config.
const (
	DefaultCacheTTL  = 24 * time.Hour
	DefaultTimeout   = 10 * time.Second
	MaxRedirects     = 5       // redirects followed per lookup
	MaxResponseBytes = 1 << 20 // larger responses are refused
)

// noBootstrap is the Error of every lookup through an empty Bootstrap.
const noBootstrap = "no RDAP bootstrap data; run hostwatch db update"

// Network is a registry's record of the network holding an address: the RDAP
// "ip network" object (RFC 9083 section 5.4), with how and when it was got.
// When Status is not "ok" only Status, Error, Registry, URL and FetchedAt are set.
type Network struct {
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	Registry string `json:"registry,omitempty"` // base URL chosen from the bootstrap
	URL      string `json:"url,omitempty"`      // URL finally fetched, after redirects

	Handle       string         `json:"handle,omitempty"`
	Name         string         `json:"name,omitempty"`
	Type         string         `json:"type,omitempty"`
	Country      string         `json:"country,omitempty"` // ISO 3166 code; often absent (ARIN)
	ParentHandle string         `json:"parent_handle,omitempty"`
	Start        netip.Addr     `json:"start,omitzero"`
	End          netip.Addr     `json:"end,omitzero"`
	CIDRs        []netip.Prefix `json:"cidrs,omitempty"` // cidr0_cidrs when given, else computed from Start-End

	Registrant string `json:"registrant,omitempty"`  // the holder: the registrant entity of kind org first (its org, fn or handle)
	AbuseEmail string `json:"abuse_email,omitempty"` // e-mail of the first entity with role abuse, nested ones included
	// Geofeed is the network's geofeed URL (RFC 9632 remarks, RFC 9877
	// links), https only; "" when the record names none.
	Geofeed string `json:"geofeed,omitempty"`

	LastChanged time.Time `json:"last_changed,omitzero"` // latest "last changed" event
	Registered  time.Time `json:"registered,omitzero"`   // earliest "registration" event

	// FetchedAt is when the registry's answer arrived (for a cached answer,
	// when it was first fetched), or when the attempt ended without one.
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	FromCache bool      `json:"from_cache,omitempty"`
}

// Doer sends an HTTP request; *http.Client is one. A Doer that follows
// redirects itself hides them from the rate limiter and the redirect cap.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Config configures a Client. The zero value is usable: embedded bootstrap,
// no disk cache, default timeout and rates.
type Config struct {
	// Bootstrap chooses the registry for an address; nil means DefaultBootstrap().
	// `db update` passes one read with ParseBootstrap from newer files.
	Bootstrap *Bootstrap
	// CacheDir is the disk cache's directory ("" = no disk cache); the CLI
	// passes $XDG_CACHE_HOME/hostwatch/rdap. It is created when first written.
	// It holds one JSON file per registry host and looked-up address,
	// DIR/HOST/ADDRESS.json (":" written as "_"), with the registry's raw
	// response, its HTTP status and the fetch time. Only answers that are
	// facts are kept: a network (200) or "none here" (404). Files are replaced
	// atomically, and a cache that cannot be read or written only costs
	// requests, never a lookup.
	CacheDir string
	// CacheTTL is how long a cached answer is used; 0 means DefaultCacheTTL.
	CacheTTL time.Duration
	// Timeout bounds a lookup's network work once its first request may be
	// sent: every redirect, retry and wait included. 0 means DefaultTimeout.
	Timeout time.Duration
	// RatePerMinute limits requests per registry host, keyed by host name
	// ("rdap.lacnic.net") or host:port. It is merged over the built-in
	// limits (rdap.lacnic.net: 8, as LACNIC refuses more than about ten a
	// minute); 0 means the default rate and a negative value no limit. Each
	// host's token bucket holds a second's worth of requests, at least one,
	// so requests are spread out, not sent in bursts. A lookup waits for its
	// turn as long as ctx allows; when ctx's deadline, or a Retry-After longer
	// than Timeout, leaves no time, it is "rate_limited" at once and nothing
	// is sent.
	RatePerMinute map[string]int
	// DefaultRatePerMinute applies to hosts RatePerMinute does not name;
	// 0 means DefaultRatePerMinute (60).
	DefaultRatePerMinute int
	// MaxRetries is how often a request is tried again after a 429, a 5xx or
	// a network error, within Timeout: 0 means 1, a negative value none, and
	// more than 2 counts as 2.
	MaxRetries int
	// HTTPClient sends the requests; nil means Go's default transport (the
	// system's TLS roots and proxy settings). nil and a *http.Client (of
	// which only the Transport and Timeout are used) are wrapped in a retryablehttp
	// client that retries as MaxRetries says and returns redirects, because
	// Lookup follows them itself. Any other Doer is used as it is, and
	// retries only 429s.
	HTTPClient Doer
	// UserAgent is sent with every request; "" means "hostwatch".
	UserAgent string
	// Now returns the current time; nil means time.Now. For tests of the cache.
	Now func() time.Time
}

// Client looks up addresses in the registries' RDAP services. It is safe for
// concurrent use. Concurrent lookups of the same address are not merged, so
// callers should look up each address once.
type Client struct {
	bootstrap *Bootstrap
	cache     *diskCache
	timeout   time.Duration
	retries   int
	http      Doer
	userAgent string
	now       func() time.Time
	limits    *limiter
}

// New returns a Client for cfg. It fails only on a nonsensical Config.
func New(cfg Config) (*Client, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("rdap: negative timeout %s", cfg.Timeout)
	}
	if cfg.CacheTTL < 0 {
		return nil, fmt.Errorf("rdap: negative cache TTL %s", cfg.CacheTTL)
	}
	if cfg.DefaultRatePerMinute < 0 {
		return nil, fmt.Errorf("rdap: negative default rate %d", cfg.DefaultRatePerMinute)
	}
	c := &Client{
		bootstrap: cfg.Bootstrap,
		timeout:   cfg.Timeout,
		retries:   cfg.MaxRetries,
		http:      cfg.HTTPClient,
		userAgent: cfg.UserAgent,
		now:       cfg.Now,
		limits:    newLimiter(cfg.RatePerMinute, cfg.DefaultRatePerMinute),
	}
	if c.bootstrap == nil {
		c.bootstrap = DefaultBootstrap()
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.retries == 0:
		c.retries = 1
	case c.retries < 0:
		c.retries = 0
	case c.retries > 2:
		c.retries = 2
	}
	if c.userAgent == "" {
		c.userAgent = "hostwatch"
	}
	if c.now == nil {
		c.now = time.Now
	}
	switch hc := c.http.(type) {
	case nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxResponseHeaderBytes = 64 << 10
		c.http = c.retrying(tr, 0)
	case *http.Client:
		c.http = c.retrying(hc.Transport, hc.Timeout)
	}
	if cfg.CacheDir != "" {
		ttl := cfg.CacheTTL
		if ttl == 0 {
			ttl = DefaultCacheTTL
		}
		c.cache = &diskCache{dir: cfg.CacheDir, ttl: ttl}
	}
	return c, nil
}

// retrying returns a retryablehttp client over tr that returns redirects
// (Lookup follows them itself, to check and rate-limit each hop) and tries a
// request again, up to MaxRetries times, after a transport error or a 5xx
// answer, when there is time left for the wait and the host's rate limit
// gives a turn. A 429 is not retried there: Lookup honours its Retry-After
// for every lookup of that host.
func (c *Client) retrying(tr http.RoundTripper, timeout time.Duration) Doer {
	return httpclient.Doer{C: httpclient.New(httpclient.Options{
		Transport:    tr,
		Timeout:      timeout,
		Retries:      c.retries,
		NoRedirects:  true,
		ReadLimit:    MaxResponseBytes,
		CheckRetry:   c.checkRetry,
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return c.backoff() },
		LastResponse: true,
	})}
}

// retryURL carries, in a request's context, the URL whose host's rate limit
// a retry waits for.
type retryURL struct{}

// checkRetry is the retry policy of retrying.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	switch {
	case err != nil && !retryable(ctx, err):
		return false, nil
	case err == nil && resp.StatusCode < 500:
		return false, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(c.backoff()).After(dl) {
		return false, nil
	}
	if u, ok := ctx.Value(retryURL{}).(*url.URL); ok {
		if c.limits.wait(ctx, u, c.timeout) != nil {
			return false, nil
		}
	}
	return true, nil
}

// Bootstrap returns the bootstrap the client uses, to report its date.
func (c *Client) Bootstrap() *Bootstrap { return c.bootstrap }

// Lookup asks the registry that the bootstrap names for the network holding
// ip, following redirects to other registries. It never fails or panics:
// what went wrong is in the result's Status and Error.
func (c *Client) Lookup(ctx context.Context, ip netip.Addr) (n Network) {
	defer func() {
		if r := recover(); r != nil {
			n = Network{Status: StatusError, Error: fmt.Sprintf("rdap: internal error looking up %s: %v", ip, r)}
		}
	}()
	if !ip.IsValid() {
		return Network{Status: StatusError, Error: "rdap: invalid address"}
	}
	ip = ip.Unmap().WithZone("")
	if c.bootstrap.empty() {
		return Network{Status: StatusError, Error: noBootstrap}
	}
	base, ok := c.bootstrap.Find(ip)
	if !ok {
		return Network{Status: StatusError, Error: fmt.Sprintf("no RDAP service holds %s in the bootstrap (published %s)", ip, c.bootstrap.Published())}
	}
	if c.cache != nil {
		if e, ok := c.cache.load(base, ip, c.now()); ok {
			if n, ok := fromCache(e); ok {
				return n
			}
		}
	}
	n, e := c.fetch(ctx, base, ip)
	n.Registry = base
	if e != nil && c.cache != nil {
		_ = c.cache.store(*e) // a cache that cannot be written only costs a later request
	}
	return n
}

// fromCache turns a cache entry into a Network; ok is false when its
// response no longer parses.
func fromCache(e cacheEntry) (Network, bool) {
	n := Network{Status: StatusNotFound}
	if e.HTTPStatus == http.StatusOK {
		var err error
		if n, err = parseNetwork(e.Response); err != nil {
			return Network{}, false
		}
		n.Status = StatusOK
	} else {
		n.Error = fmt.Sprintf("the registry holds no network for %s (HTTP 404)", e.IP)
	}
	n.Registry, n.URL, n.FetchedAt, n.FromCache = e.Registry, e.URL, e.FetchedAt, true
	return n, true
}

// fetch does the HTTP work of a lookup and returns the result, with a cache
// entry when the answer is worth keeping.
func (c *Client) fetch(ctx context.Context, base string, ip netip.Addr) (Network, *cacheEntry) {
	u, err := url.Parse(base + "ip/" + ip.String())
	if err != nil {
		return Network{Status: StatusError, Error: fmt.Sprintf("rdap: bad registry URL %q: %v", base, err)}, nil
	}
	// The first request waits for its turn under the caller's context only;
	// from then on the lookup has Timeout.
	if err := c.limits.wait(ctx, u, c.timeout); err != nil {
		return c.failure(ctx, u, err), nil
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	retries := c.retries
	for hops := 0; ; {
		resp, err := c.do(rctx, u)
		if err != nil {
			return c.failure(rctx, u, err), nil
		}
		at := c.now().UTC()
		if resp.Request != nil && resp.Request.URL != nil {
			u = resp.Request.URL // a Doer that follows redirects itself
		}
		body, readErr := readBody(resp)
		if readErr == nil && rctx.Err() != nil {
			// net/http has been seen to end a body cut off by the deadline with
			// io.EOF instead of an error; such a body may be truncated.
			readErr = fmt.Errorf("read response: %w", context.Cause(rctx))
		}
		code := resp.StatusCode
		n := Network{URL: u.String(), FetchedAt: at}

		switch {
		case code >= 300 && code < 400 && resp.Header.Get("Location") != "":
			next, err := redirectTarget(u, resp.Header.Get("Location"))
			if err != nil {
				n.Status, n.Error = StatusError, err.Error()
				return n, nil
			}
			if hops++; hops > MaxRedirects {
				n.Status, n.Error = StatusError, fmt.Sprintf("rdap: more than %d redirects, last to %s", MaxRedirects, next)
				return n, nil
			}
			u = next
			if err := c.limits.wait(rctx, u, c.timeout); err != nil {
				return c.failure(rctx, u, err), nil
			}
			continue

		case code == http.StatusTooManyRequests:
			wait := retryAfter(resp.Header.Get("Retry-After"), time.Now())
			c.limits.block(u, time.Now().Add(wait))
			if retries > 0 && c.pause(rctx, wait) {
				retries--
				if err := c.limits.wait(rctx, u, c.timeout); err != nil {
					return c.failure(rctx, u, err), nil
				}
				continue
			}
			n.Status = StatusRateLimited
			n.Error = fmt.Sprintf("%s answered 429 Too Many Requests (Retry-After %s)", u.Host, wait.Round(time.Second))
			return n, nil

		case code == http.StatusNotFound:
			n.Status = StatusNotFound
			n.Error = fmt.Sprintf("the registry holds no network for %s (HTTP 404)", ip)
			return n, &cacheEntry{IP: ip.String(), Registry: base, URL: n.URL, HTTPStatus: code, FetchedAt: at}

		case code != http.StatusOK:
			n.Status, n.Error = StatusError, httpError(u, code, body)
			return n, nil
		}

		if readErr != nil {
			f := c.failure(rctx, u, readErr)
			f.FetchedAt = at
			return f, nil
		}
		if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
			n.Status, n.Error = StatusError, fmt.Sprintf("%s: %v", u, err)
			return n, nil
		}
		parsed, err := parseNetwork(body)
		if err != nil {
			n.Status, n.Error = StatusError, fmt.Sprintf("%s: %v", u, err)
			return n, nil
		}
		if !holds(parsed, ip) {
			n.Status, n.Error = StatusError, fmt.Sprintf("%s: the network %s does not hold %s", u, extent(parsed), ip)
			return n, nil
		}
		parsed.Status, parsed.URL, parsed.FetchedAt = StatusOK, n.URL, at
		return parsed, &cacheEntry{IP: ip.String(), Registry: base, URL: n.URL, HTTPStatus: code, FetchedAt: at, Response: body}
	}
}

// holds reports whether n, as far as it says where it is (its range, else
// its prefixes), holds ip: a registry's answer about another network is no
// answer about ip.
func holds(n Network, ip netip.Addr) bool {
	switch {
	case n.Start.IsValid():
		return n.Start.BitLen() == ip.BitLen() && !ip.Less(n.Start) && !n.End.Less(ip)
	case len(n.CIDRs) > 0:
		return slices.ContainsFunc(n.CIDRs, func(p netip.Prefix) bool { return p.Contains(ip) })
	}
	return true
}

// extent names where n says it is, for errors.
func extent(n Network) string {
	if n.Start.IsValid() {
		return n.Start.String() + " - " + n.End.String()
	}
	return fmt.Sprint(n.CIDRs)
}

// do sends one GET for u.
func (c *Client) do(ctx context.Context, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(context.WithValue(ctx, retryURL{}, u), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("rdap: %w", err)
	}
	req.Header.Set("Accept", "application/rdap+json, application/json;q=0.9")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return resp, nil
}

// readBody reads and closes the body, refusing more than MaxResponseBytes.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", MaxResponseBytes)
	}
	return body, nil
}

// refusal is an error of a Doer that would not connect to an address (the
// CLI's refuses addresses that are not globally reachable, so that a
// redirect cannot send a lookup to a cloud metadata service or a private
// network). It is told apart by its method, as net.Error's Timeout is.
type refusal interface {
	error
	Refused() bool
}

// refused returns the refusal in err's chain, if a Doer refused to connect.
func refused(err error) (refusal, bool) {
	var r refusal
	ok := errors.As(err, &r) && r.Refused()
	return r, ok
}

// failure turns an error that ended a lookup into its result.
func (c *Client) failure(ctx context.Context, u *url.URL, err error) Network {
	n := Network{URL: u.String(), FetchedAt: c.now().UTC(), Error: err.Error()}
	if r, ok := refused(err); ok {
		n.Status = StatusRefused
		n.Error = fmt.Sprintf("%s: %v", u.Host, r) // the layers of HTTP around it add nothing
		return n
	}
	var rl *rateLimitError
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		n.Status = StatusRateLimited
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		n.Status = StatusTimeout
		n.Error = fmt.Sprintf("no answer from %s in time (timeout %s): %v", u.Host, c.timeout, err)
	case ctx.Err() != nil:
		n.Status = StatusError
		n.Error = fmt.Sprintf("lookup at %s stopped: %v", u.Host, context.Cause(ctx))
	default:
		n.Status = StatusError
	}
	return n
}

// backoff is the pause before retrying after a 5xx or a network error: a
// quarter of the timeout, at most half a second.
func (c *Client) backoff() time.Duration { return min(500*time.Millisecond, c.timeout/4) }

// retryable reports whether a transport error may pass if tried again: not
// when the lookup's time is up or the caller gave up, nor when the Doer
// refused the address.
func retryable(ctx context.Context, err error) bool {
	var ne net.Error
	_, isRefused := refused(err)
	return ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) &&
		!(errors.As(err, &ne) && ne.Timeout()) && !isRefused
}

// pause waits d unless that would pass ctx's deadline; it reports whether
// the caller may go on.
func (c *Client) pause(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); a missing
// or unreadable one counts as one second, and waits are capped at a day.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	d := time.Second
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		d = time.Duration(max(0, min(secs, 86400))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = max(0, t.Sub(now))
	}
	return min(d, 24*time.Hour)
}

// redirectTarget resolves a Location header against the URL that sent it,
// allowing only http and https and never a step down from https to http.
func redirectTarget(from *url.URL, location string) (*url.URL, error) {
	next, err := from.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("rdap: %s redirected to an unreadable location %q: %w", from.Host, location, err)
	}
	switch {
	case next.Scheme != "http" && next.Scheme != "https", next.Host == "":
		return nil, fmt.Errorf("rdap: %s redirected to %q, which is not an http(s) URL", from.Host, location)
	case from.Scheme == "https" && next.Scheme == "http":
		return nil, fmt.Errorf("rdap: %s redirected from https to plain http (%s); not followed", from.Host, next)
	}
	return next, nil
}

// checkContentType accepts the RDAP media type and plain JSON, and a missing
// Content-Type.
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("unreadable Content-Type %q", ct)
	}
	if mt != "application/rdap+json" && mt != "application/json" {
		return fmt.Errorf("answered with %s, not RDAP JSON", mt)
	}
	return nil
}

// httpError describes an unexpected HTTP status, with the RDAP error title
// when the body has one.
func httpError(u *url.URL, code int, body []byte) string {
	msg := fmt.Sprintf("%s answered HTTP %d %s", u.Host, code, http.StatusText(code))
	if t := errorTitle(body); t != "" {
		msg += ": " + t
	}
	return msg
}
