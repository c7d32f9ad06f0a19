// Package httpclient builds every retrying HTTP client hostwatch uses, in one
// place, so that none of them falls back on retryablehttp's own transports:
// those skip certificate checks and dial through hard-coded public
// resolvers, and data hostwatch publishes claims from must not come that way.
package httpclient

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"
)

// Options configure New. The zero value is a client that never retries,
// follows redirects, and sends through a copy of http.DefaultTransport
// (Go's dialer and resolver, the system's certificate roots and proxy).
type Options struct {
	// Transport sends the requests; nil means a clone of
	// http.DefaultTransport. New never lets it skip certificate checks
	// unless AllowUnverified says so.
	Transport http.RoundTripper
	// Timeout bounds each attempt, and all attempts with their waits
	// together; 0 means no limit but the request's context.
	Timeout time.Duration
	// Retries is how often a request is tried again when CheckRetry says
	// it may pass then.
	Retries int
	// NoRedirects returns redirects to the caller instead of following
	// them (RDAP and the front door follow them themselves, hop by hop).
	NoRedirects bool
	// ReadLimit bounds what is read of a response body that is thrown
	// away before a retry; 0 means 1 MiB.
	ReadLimit int64
	// CheckRetry decides whether an attempt is tried again; nil means
	// Transient.
	CheckRetry retryablehttp.CheckRetry
	// Backoff is the wait before each retry; nil means Wait.
	Backoff retryablehttp.Backoff
	// BeforeAttempt, when set, is called before every attempt (the first
	// is 0), for instance to wait for a rate limiter's turn.
	BeforeAttempt func(req *http.Request, attempt int)
	// LastResponse makes a request whose retries are spent return the last
	// response (or error) as it was, instead of retryablehttp's "giving up"
	// error that hides the status.
	LastResponse bool
	// AllowUnverified keeps a transport's InsecureSkipVerify. Only the
	// front door sets it: it captures any certificate and verifies it
	// itself, to report plainly when it is not trusted.
	AllowUnverified bool
}

// New returns a retrying client for o. Its HTTP/2 fallback uses the same
// client, never retryablehttp's default one.
func New(o Options) *retryablehttp.Client {
	tr := o.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	if t, ok := tr.(*http.Transport); ok && !o.AllowUnverified {
		tr = Verified(t)
	}
	hc := &http.Client{Transport: tr, Timeout: o.Timeout}
	if o.NoRedirects {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	ro := retryablehttp.DefaultOptionsSingle
	ro.HttpClient = hc
	ro.Timeout = o.Timeout
	if o.Timeout == 0 {
		// retryablehttp bounds all attempts by Timeout; 0 would leave none
		// of its waits. The request's context still ends it.
		ro.Timeout = 24 * time.Hour
	}
	ro.NoAdjustTimeout = true
	ro.RetryMax = max(o.Retries, 0)
	ro.RespReadLimit = o.ReadLimit
	if ro.RespReadLimit == 0 {
		ro.RespReadLimit = 1 << 20
	}
	ro.CheckRetry = o.CheckRetry
	switch {
	case ro.RetryMax == 0:
		ro.CheckRetry = Never // so that no policy turns an answer into "giving up"
	case ro.CheckRetry == nil:
		ro.CheckRetry = Transient
	}
	ro.Backoff = o.Backoff
	if ro.Backoff == nil {
		ro.Backoff = Wait
	}
	c := retryablehttp.NewClient(ro)
	hc.Timeout = o.Timeout // NewClient sets it to ro.Timeout
	c.HTTPClient2 = hc
	if o.BeforeAttempt != nil {
		c.RequestLogHook = o.BeforeAttempt
	}
	if o.LastResponse {
		c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	}
	return c
}

// Verified returns t, or a copy of it that checks certificates when t
// would not.
func Verified(t *http.Transport) *http.Transport {
	if t.TLSClientConfig == nil || !t.TLSClientConfig.InsecureSkipVerify {
		return t
	}
	t = t.Clone()
	t.TLSClientConfig.InsecureSkipVerify = false
	return t
}

// Transient is the retry policy for downloads: retryablehttp's (transport
// errors other than certificate, scheme and redirect-limit errors, never once
// the request's context is done), except connections a dialer's policy
// refused (probe/reach), and the answers that say "later": 429, 502,
// 503 and 504.
func Transient(ctx context.Context, resp *http.Response, err error) (bool, error) {
	var refusal interface{ Refused() bool }
	if errors.As(err, &refusal) && refusal.Refused() {
		return false, nil // the dialer's policy will say no again
	}
	if err != nil || ctx.Err() != nil {
		return retryablehttp.CheckRecoverableErrors(ctx, resp, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// Wait is the wait before a retry: the answer's Retry-After in seconds when
// it gives one, else min doubling with each attempt; never more than max.
func Wait(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if s, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64); err == nil && s >= 0 {
			if s >= int64(hi/time.Second) {
				return hi
			}
			return time.Duration(s) * time.Second
		}
	}
	d := lo << min(attempt, 16)
	if d <= 0 || d > hi {
		return hi
	}
	return d
}

// Never is a retry policy that tries each request once.
func Never(_ context.Context, _ *http.Response, err error) (bool, error) { return false, nil }

// Doer adapts a retrying client to the plain Do(*http.Request) of net/http.
type Doer struct{ C *retryablehttp.Client }

// Do sends req through the retrying client.
func (d Doer) Do(req *http.Request) (*http.Response, error) {
	r, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, err
	}
	return d.C.Do(r)
}
