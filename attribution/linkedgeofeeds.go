package attribution

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/attribution/geofeed"
)

// ErrGeofeedNotHTTPS is returned for a linked geofeed, or a redirect on the
// way to one, that is not https: RFC 9632 §5 asks for TLS, and a claim
// about where a network is must not come through a network in between.
var ErrGeofeedNotHTTPS = errors.New("not an https URL")

// maxGeofeedRedirects bounds the redirects followed to a linked geofeed.
const maxGeofeedRedirects = 5

// GeofeedErrorKind says why a linked geofeed claims nothing. The values are
// stable: reports carry them as a geofeed_error's "kind" and word them in
// the reader's language.
type GeofeedErrorKind string

// The kinds of GeofeedError.
const (
	GeofeedNotHTTPS    GeofeedErrorKind = "not_https"    // the URL, or a redirect's, is not https
	GeofeedTooLarge    GeofeedErrorKind = "too_large"    // more than geofeed.MaxSize, or a line longer than geofeed.MaxLine
	GeofeedHTTPStatus  GeofeedErrorKind = "http_status"  // the server answered other than 200 OK
	GeofeedRedirects   GeofeedErrorKind = "redirects"    // more than maxGeofeedRedirects redirects
	GeofeedTimeout     GeofeedErrorKind = "timeout"      // no complete answer in time
	GeofeedRefused     GeofeedErrorKind = "refused"      // not asked: the server's address is not globally reachable
	GeofeedUntrusted   GeofeedErrorKind = "untrusted"    // its TLS certificate is not trusted
	GeofeedFetchFailed GeofeedErrorKind = "fetch_failed" // any other failure to fetch it
	GeofeedUnreadable  GeofeedErrorKind = "unreadable"   // fetched, but not readable as a geofeed
)

// GeofeedError is why a linked geofeed gave no claim: it could not be
// fetched or read. URL is the record's link as given (https, without
// credentials: rdap keeps no other); the text names the redirects on the
// way with their credentials and queries redacted, since a server may
// redirect to a signed URL that was never published.
type GeofeedError struct {
	URL  string
	Kind GeofeedErrorKind
	Err  error
	// hops are the redirect targets whose text is redacted.
	hops []*url.URL
}

func (e *GeofeedError) Error() string { return "geofeed " + e.URL + ": " + e.Detail() }

// Detail is what went wrong, without the URL, the redirects redacted.
func (e *GeofeedError) Detail() string {
	msg := e.Err.Error()
	for _, h := range e.hops {
		if r := redactURL(h); r != h.String() {
			msg = strings.ReplaceAll(msg, h.String(), r)
		}
	}
	return msg
}

func (e *GeofeedError) Unwrap() error { return e.Err }

// redactURL is u without credentials and with every query value replaced.
func redactURL(u *url.URL) string {
	r := *u
	r.User = nil
	if r.RawQuery != "" {
		q := r.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		r.RawQuery = q.Encode()
	}
	return r.String()
}

// errGeofeedStatus is a linked geofeed's server answering other than 200.
type errGeofeedStatus struct{ status string }

func (e errGeofeedStatus) Error() string { return "answered " + e.status }

// errGeofeedRedirects is a linked geofeed behind too many redirects.
var errGeofeedRedirects = fmt.Errorf("more than %d redirects", maxGeofeedRedirects)

// geofeedErrorKind tells what err, which ended a fetch, was.
func geofeedErrorKind(err error) GeofeedErrorKind {
	var (
		st      errGeofeedStatus
		ne      net.Error
		refusal interface{ Refused() bool }
		cv      *tls.CertificateVerificationError
		ua      x509.UnknownAuthorityError
		ci      x509.CertificateInvalidError
		hn      x509.HostnameError
	)
	switch {
	case errors.Is(err, ErrGeofeedNotHTTPS):
		return GeofeedNotHTTPS
	case errors.Is(err, geofeed.ErrTooLarge):
		return GeofeedTooLarge
	case errors.As(err, &st):
		return GeofeedHTTPStatus
	case errors.Is(err, errGeofeedRedirects):
		return GeofeedRedirects
	case errors.As(err, &refusal) && refusal.Refused():
		return GeofeedRefused
	case errors.As(err, &cv), errors.As(err, &ua), errors.As(err, &ci), errors.As(err, &hn):
		return GeofeedUntrusted
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return GeofeedTimeout
	}
	return GeofeedFetchFailed
}

// LinkedGeofeeds fetches the geofeeds (RFC 8805) that registry records link
// to (RFC 9632, found by --rdap), and says what they claim of an address:
// over https only, at most geofeed.MaxSize, each URL fetched at most once
// for the life of the value (one run). Safe for concurrent use.
type LinkedGeofeeds struct {
	client *retryablehttp.Client
	now    func() time.Time
	mu     sync.Mutex
	feeds  map[string]*linkedFeed   // by URL
	parsed map[string]*linkedIndex  // by URL and space
	wait   map[string]chan struct{} // fetches in flight, by URL
}

type linkedFeed struct {
	body []byte
	date string
	err  error // a *GeofeedError
	used bool  // some claim came from it, under mu
}

type linkedIndex struct {
	feeds *geofeeds
	err   error
}

// NewLinkedGeofeeds returns a fetcher sending through c, which must not
// follow redirects itself (httpclient.Options.NoRedirects): each hop is
// checked to be https. now dates the claims (time.Now when nil).
func NewLinkedGeofeeds(c *retryablehttp.Client, now func() time.Time) *LinkedGeofeeds {
	if now == nil {
		now = time.Now
	}
	return &LinkedGeofeeds{client: c, now: now, feeds: map[string]*linkedFeed{},
		parsed: map[string]*linkedIndex{}, wait: map[string]chan struct{}{}}
}

// Claim is what the geofeed at rawURL says of ip, taking only its prefixes
// inside space (the linking record's addresses, RFC 9632 §5); ok is false
// when it says nothing of ip. The claim's Source is the URL. An error is a
// *GeofeedError: the feed could not be fetched or read, which is kept for
// the run (but for a fetch the caller's context cut short).
func (l *LinkedGeofeeds) Claim(ctx context.Context, rawURL string, space []netip.Prefix, ip netip.Addr) (c GeofeedClaim, ok bool, err error) {
	f := l.feed(ctx, rawURL)
	if f.err != nil {
		return GeofeedClaim{}, false, f.err
	}
	keys := make([]string, len(space))
	for i, p := range space {
		keys[i] = p.String()
	}
	key := rawURL + " " + strings.Join(keys, ",")
	l.mu.Lock()
	ix := l.parsed[key]
	if ix == nil {
		ix = &linkedIndex{}
		feed, err := geofeed.Parse(bytes.NewReader(f.body), space)
		if err != nil {
			kind := GeofeedUnreadable
			if errors.Is(err, geofeed.ErrTooLarge) {
				kind = GeofeedTooLarge
			}
			ix.err = &GeofeedError{URL: rawURL, Kind: kind, Err: err}
		} else {
			ix.feeds = &geofeeds{feeds: []installedGeofeed{indexGeofeed(rawURL, f.date, rawURL, feed)}}
		}
		l.parsed[key] = ix
	}
	l.mu.Unlock()
	if ix.err != nil {
		return GeofeedClaim{}, false, ix.err
	}
	c = ix.feeds.lookup(ip)
	if c.Source == "" {
		return GeofeedClaim{}, false, nil
	}
	l.mu.Lock()
	f.used = true
	l.mu.Unlock()
	return c, true, nil
}

// Datasets describes the linked geofeeds that gave a claim in the run, by
// URL, for a report's list: each with the day it was fetched, as the
// operator's own claim.
func (l *LinkedGeofeeds) Datasets() []Dataset {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Dataset
	for u, f := range l.feeds {
		if !f.used {
			continue
		}
		out = append(out, Dataset{ID: u, Version: f.date, License: "the operator's own publication (RFC 8805)",
			Fields: []string{"geofeed"}, Kind: KindLinkedGeofeed, URL: u,
			Description: "An operator's geofeed (RFC 8805) that the registry's record links to (RFC 9632), fetched from " + u + " on " + f.date +
				"; its country, region and city are the operator's own claim, shown next to the databases' and never merged into them."})
	}
	slices.SortFunc(out, func(a, b Dataset) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// feed fetches rawURL once; callers asking for it meanwhile wait.
func (l *LinkedGeofeeds) feed(ctx context.Context, rawURL string) *linkedFeed {
	for {
		l.mu.Lock()
		if f := l.feeds[rawURL]; f != nil {
			l.mu.Unlock()
			return f
		}
		if w := l.wait[rawURL]; w != nil {
			l.mu.Unlock()
			select {
			case <-w:
				continue
			case <-ctx.Done():
				return &linkedFeed{err: &GeofeedError{URL: rawURL, Kind: geofeedErrorKind(ctx.Err()), Err: ctx.Err()}}
			}
		}
		w := make(chan struct{})
		l.wait[rawURL] = w
		l.mu.Unlock()
		body, hops, err := l.fetch(ctx, rawURL)
		f := &linkedFeed{body: body, date: l.now().UTC().Format(time.DateOnly)}
		if err != nil {
			f.err = &GeofeedError{URL: rawURL, Kind: geofeedErrorKind(err), Err: err, hops: hops}
		}
		l.mu.Lock()
		if err == nil || ctx.Err() == nil {
			// A fetch the caller's deadline cut short says nothing of the
			// feed: the next domain asks again.
			l.feeds[rawURL] = f
		}
		delete(l.wait, rawURL)
		l.mu.Unlock()
		close(w)
		return f
	}
}

// fetch gets rawURL, following https redirects; hops are the redirect
// targets, whose text an error redacts.
func (l *LinkedGeofeeds) fetch(ctx context.Context, rawURL string) (body []byte, hops []*url.URL, err error) {
	next := rawURL
	for hop := 0; ; hop++ {
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			if hop == 0 {
				return nil, hops, ErrGeofeedNotHTTPS
			}
			return nil, hops, fmt.Errorf("redirected to %s: %w", next, ErrGeofeedNotHTTPS)
		}
		req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, hops, err
		}
		resp, err := l.client.Do(req)
		if err != nil {
			return nil, hops, err
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			resp.Body.Close()
			if hop >= maxGeofeedRedirects {
				return nil, hops, errGeofeedRedirects
			}
			to, err := u.Parse(loc)
			if err != nil {
				return nil, hops, fmt.Errorf("redirect to an unreadable location: %w", err)
			}
			hops = append(hops, to)
			next = to.String()
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, hops, errGeofeedStatus{resp.Status}
		}
		if resp.ContentLength > geofeed.MaxSize {
			return nil, hops, fmt.Errorf("%w (%d bytes)", geofeed.ErrTooLarge, resp.ContentLength)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, geofeed.MaxSize+1))
		if err != nil {
			return nil, hops, fmt.Errorf("incomplete download: %w", err)
		}
		if len(b) > geofeed.MaxSize {
			return nil, hops, fmt.Errorf("%w (more than %d bytes)", geofeed.ErrTooLarge, geofeed.MaxSize)
		}
		return b, hops, nil
	}
}

// indexGeofeed indexes a parsed feed for lookups by longest prefix.
func indexGeofeed(name, date, rawURL string, f geofeed.Feed) installedGeofeed {
	ig := installedGeofeed{name: name, date: date, url: rawURL, byPrefix: map[netip.Prefix]geofeed.Entry{}}
	for _, e := range f.Entries {
		ig.byPrefix[e.Prefix] = e
		if !slices.Contains(ig.bits, e.Prefix.Bits()) {
			ig.bits = append(ig.bits, e.Prefix.Bits())
		}
	}
	slices.SortFunc(ig.bits, func(a, b int) int { return cmp.Compare(b, a) })
	return ig
}
