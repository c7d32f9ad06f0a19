package attribution

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
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
	err  error
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
// when it says nothing of ip. The claim's Source is the URL.
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
			ix.err = fmt.Errorf("geofeed %s: %w", rawURL, err)
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
	return c, c.Source != "", nil
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
				return &linkedFeed{err: fmt.Errorf("geofeed %s: %w", rawURL, ctx.Err())}
			}
		}
		w := make(chan struct{})
		l.wait[rawURL] = w
		l.mu.Unlock()
		body, err := l.fetch(ctx, rawURL)
		f := &linkedFeed{body: body, date: l.now().UTC().Format(time.DateOnly), err: err}
		l.mu.Lock()
		l.feeds[rawURL] = f
		delete(l.wait, rawURL)
		l.mu.Unlock()
		close(w)
		return f
	}
}

func (l *LinkedGeofeeds) fetch(ctx context.Context, rawURL string) ([]byte, error) {
	next := rawURL
	for hop := 0; ; hop++ {
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("geofeed %s: %s: %w", rawURL, next, ErrGeofeedNotHTTPS)
		}
		req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("geofeed %s: %w", rawURL, err)
		}
		resp, err := l.client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("geofeed %s: %w", rawURL, err)
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			resp.Body.Close()
			if hop >= maxGeofeedRedirects {
				return nil, fmt.Errorf("geofeed %s: more than %d redirects", rawURL, maxGeofeedRedirects)
			}
			to, err := u.Parse(loc)
			if err != nil {
				return nil, fmt.Errorf("geofeed %s: redirect to %q: %w", rawURL, loc, err)
			}
			next = to.String()
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("geofeed %s: %s", rawURL, resp.Status)
		}
		if resp.ContentLength > geofeed.MaxSize {
			return nil, fmt.Errorf("geofeed %s: %w (%d bytes)", rawURL, geofeed.ErrTooLarge, resp.ContentLength)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, geofeed.MaxSize+1))
		if err != nil {
			return nil, fmt.Errorf("geofeed %s: incomplete download: %w", rawURL, err)
		}
		if len(b) > geofeed.MaxSize {
			return nil, fmt.Errorf("geofeed %s: %w (more than %d bytes)", rawURL, geofeed.ErrTooLarge, geofeed.MaxSize)
		}
		return b, nil
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
