package rdap

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultRatePerMinute is the request rate allowed to a registry that
// Config.RatePerMinute does not name.
const DefaultRatePerMinute = 60

// defaultRates returns the built-in per-host limits. LACNIC answers only about
// ten queries a minute before refusing; the other RIRs allow far more than
// DefaultRatePerMinute.
func defaultRates() map[string]int {
	return map[string]int{"rdap.lacnic.net": 8}
}

// limiter keeps one token bucket per registry host. Each bucket holds at most
// a second's worth of tokens (at least one), so requests to a host are spread
// out rather than sent in bursts. A host that answered 429 with Retry-After is
// blocked until then.
type limiter struct {
	rates       map[string]int // per host or host:port; <0 means unlimited
	defaultRate int

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is one host's token bucket. tokens may go negative: each waiting
// request has reserved a token that becomes available later.
type bucket struct {
	perSec       float64
	burst        float64
	tokens       float64
	last         time.Time // time up to which tokens have been credited
	blockedUntil time.Time // from the host's Retry-After
	unlimited    bool
}

// rateLimitError says that a request was not sent because the host's limit
// (ours, or the Retry-After it asked for) would not allow it in time.
type rateLimitError struct {
	host  string
	until time.Time
	cause string
}

func (e *rateLimitError) Error() string {
	return fmt.Sprintf("%s: %s (next request allowed at %s)", e.host, e.cause, e.until.UTC().Format(time.RFC3339))
}

func newLimiter(user map[string]int, defaultRate int) *limiter {
	rates := defaultRates()
	for h, r := range user {
		rates[strings.ToLower(h)] = r
	}
	if defaultRate == 0 {
		defaultRate = DefaultRatePerMinute
	}
	return &limiter{rates: rates, defaultRate: defaultRate, buckets: map[string]*bucket{}}
}

// hostKey is the bucket key of a URL: its host, with the port if one is given.
func hostKey(u *url.URL) string { return strings.ToLower(u.Host) }

// bucketLocked returns the bucket of host; l.mu must be held.
func (l *limiter) bucketLocked(u *url.URL, now time.Time) *bucket {
	key := hostKey(u)
	if b, ok := l.buckets[key]; ok {
		return b
	}
	rate, ok := l.rates[key]
	if !ok {
		rate, ok = l.rates[strings.ToLower(u.Hostname())]
	}
	if !ok || rate == 0 {
		rate = l.defaultRate
	}
	b := &bucket{last: now}
	if rate < 0 {
		b.unlimited = true
	} else {
		b.perSec = float64(rate) / 60
		b.burst = max(1, float64(rate/60))
		b.tokens = b.burst
	}
	l.buckets[key] = b
	return b
}

// wait blocks until a request to u's host may be sent, or fails at once when
// that would be after ctx's deadline or more than maxBlock away because of the
// host's Retry-After. A wait cut short by ctx gives its token back.
func (l *limiter) wait(ctx context.Context, u *url.URL, maxBlock time.Duration) error {
	now := time.Now()
	l.mu.Lock()
	b := l.bucketLocked(u, now)
	if b.unlimited {
		l.mu.Unlock()
		return ctx.Err()
	}
	if b.blockedUntil.Sub(now) > maxBlock {
		until := b.blockedUntil
		l.mu.Unlock()
		return &rateLimitError{host: u.Host, until: until, cause: "the registry asked us to wait (Retry-After)"}
	}
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.perSec)
		b.last = now
	}
	ready := b.last
	if b.tokens < 1 {
		ready = ready.Add(time.Duration((1 - b.tokens) / b.perSec * float64(time.Second)))
	}
	if dl, ok := ctx.Deadline(); ok && ready.After(dl) {
		l.mu.Unlock()
		return &rateLimitError{host: u.Host, until: ready, cause: fmt.Sprintf("waiting for its rate limit (%.0f/min) would pass the deadline", b.perSec*60)}
	}
	b.tokens--
	l.mu.Unlock()

	d := time.Until(ready)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		b.tokens = min(b.burst, b.tokens+1)
		l.mu.Unlock()
		return ctx.Err()
	}
}

// block stops requests to u's host until until, as its Retry-After asked.
func (l *limiter) block(u *url.URL, until time.Time) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(u, now)
	if b.unlimited || !until.After(b.blockedUntil) {
		return
	}
	b.blockedUntil = until
	if until.After(b.last) {
		// One token becomes available at until, and none before it.
		b.last = until
		b.tokens = min(b.tokens, 1)
	}
}
