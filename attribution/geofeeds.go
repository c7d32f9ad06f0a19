package attribution

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"

	"github.com/hostwatch/hostwatch/attribution/geofeed"
)

// geofeedsDir holds the operators' RFC 8805 geofeeds db update --geofeed
// fetched: NAME.csv, as fetched, and NAME.source.json.
const geofeedsDir = "geofeeds"

// GeofeedClaim is what an operator's own geofeed says of an address: a
// source of its own, kept next to the databases' country, never merged
// into it. Zero when no geofeed covers the address.
type GeofeedClaim struct {
	// Source names the geofeed (a dataset of the report), Date the day it was fetched.
	Source, Date string
	Prefix       netip.Prefix
	// Country is "" when the operator asks that the prefix not be placed.
	Country, Region, City string
}

// GeofeedUpdate is the outcome of fetching one geofeed.
type GeofeedUpdate struct {
	Name, URL         string
	Entries, Rejected int
	// FirstRejected lists the first few rejected lines, for the log.
	FirstRejected []geofeed.Rejected
}

// geofeedSource is NAME.source.json.
type geofeedSource struct {
	URL       string `json:"url"`
	FetchedAt string `json:"fetched_at"`
	SHA256    string `json:"sha256"`
	Entries   int    `json:"entries"`
	Rejected  int    `json:"rejected"`
}

// ErrGeofeedURL is returned for a --geofeed that is not an http(s) URL.
var ErrGeofeedURL = errors.New("not an http or https URL")

// GeofeedName is the name a geofeed fetched from rawURL is kept and cited
// under: its host and a digest of the whole URL.
func GeofeedName(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("geofeed %q: %w", rawURL, ErrGeofeedURL)
	}
	sum := sha256.Sum256([]byte(rawURL))
	host := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(u.Hostname()))
	return "geofeed-" + host + "-" + hex.EncodeToString(sum[:4]), nil
}

// UpdateGeofeeds fetches each geofeed (RFC 8805), checks it line by line,
// and installs it in DIR/geofeeds with the date it was fetched (now). A
// feed with no valid line is not installed; the errors are returned
// together, the other feeds installed.
func UpdateGeofeeds(ctx context.Context, dir string, urls []string, c *retryablehttp.Client, now time.Time) ([]GeofeedUpdate, error) {
	if c == nil {
		c = NewHTTPClient(nil, 2*time.Minute, 2)
	}
	out := filepath.Join(dir, geofeedsDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	var done []GeofeedUpdate
	var failed geofeedErrors
	for _, u := range urls {
		name, err := GeofeedName(u)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		up, err := updateGeofeed(ctx, out, name, u, c, now)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		done = append(done, up)
	}
	if len(failed) > 0 {
		return done, fmt.Errorf("%w: geofeeds: %w", ErrUpdate, failed)
	}
	return done, nil
}

// geofeedErrors are the feeds' failures on one line, each still told
// apart with errors.Is (ErrTooLarge, ErrGeofeedURL).
type geofeedErrors []error

func (e geofeedErrors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (e geofeedErrors) Unwrap() []error { return e }

func updateGeofeed(ctx context.Context, out, name, u string, c *retryablehttp.Client, now time.Time) (GeofeedUpdate, error) {
	// A feed larger than Parse reads is refused as it comes, not after
	// hundreds of megabytes were held.
	b, err := fetchAtMost(ctx, c, u, geofeed.MaxSize)
	if err != nil {
		return GeofeedUpdate{}, err
	}
	f, err := geofeed.Parse(bytes.NewReader(b), nil)
	if err != nil {
		return GeofeedUpdate{}, fmt.Errorf("geofeed %s: %w", u, err)
	}
	if len(f.Entries) == 0 {
		return GeofeedUpdate{}, fmt.Errorf("geofeed %s: no valid line (%d rejected)", u, len(f.Rejected))
	}
	sum := sha256.Sum256(b)
	src, err := json.Marshal(geofeedSource{URL: u, FetchedAt: now.UTC().Format(time.RFC3339), SHA256: hex.EncodeToString(sum[:]),
		Entries: len(f.Entries), Rejected: len(f.Rejected)})
	if err != nil {
		return GeofeedUpdate{}, err
	}
	if err := errors.Join(writeAtomic(filepath.Join(out, name+".csv"), b), writeAtomic(filepath.Join(out, name+".source.json"), src)); err != nil {
		return GeofeedUpdate{}, err
	}
	return GeofeedUpdate{Name: name, URL: u, Entries: len(f.Entries), Rejected: len(f.Rejected), FirstRejected: f.Rejected[:min(5, len(f.Rejected))]}, nil
}

// geofeeds are the installed geofeeds, looked up by longest prefix.
type geofeeds struct {
	feeds []installedGeofeed // sorted by name
}

type installedGeofeed struct {
	name, date, url string
	byPrefix        map[netip.Prefix]geofeed.Entry
	bits            []int // the prefix lengths used, longest first
}

// loadGeofeeds reads DIR/geofeeds. A feed that no longer parses, or has no
// source note, is skipped: what it would say is not claimed.
func loadGeofeeds(dir string) *geofeeds {
	g := &geofeeds{}
	if dir == "" {
		return g
	}
	names, _ := filepath.Glob(filepath.Join(dir, geofeedsDir, "*.csv"))
	slices.Sort(names)
	for _, p := range names {
		name := strings.TrimSuffix(filepath.Base(p), ".csv")
		var src geofeedSource
		sb, err := os.ReadFile(filepath.Join(dir, geofeedsDir, name+".source.json"))
		if err != nil || json.Unmarshal(sb, &src) != nil {
			continue
		}
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		f, err := geofeed.Parse(fh, nil)
		fh.Close()
		if err != nil {
			continue
		}
		date := ""
		if t, err := time.Parse(time.RFC3339, src.FetchedAt); err == nil {
			date = t.UTC().Format(time.DateOnly)
		}
		g.feeds = append(g.feeds, indexGeofeed(name, date, src.URL, f))
	}
	return g
}

// lookup is the claim of the first feed (by name) that covers ip, by its
// longest prefix.
func (g *geofeeds) lookup(ip netip.Addr) GeofeedClaim {
	if g == nil {
		return GeofeedClaim{}
	}
	for _, f := range g.feeds {
		for _, bits := range f.bits {
			p, err := ip.Prefix(bits)
			if err != nil {
				continue
			}
			if e, ok := f.byPrefix[p]; ok {
				return GeofeedClaim{Source: f.name, Date: f.date, Prefix: e.Prefix, Country: e.Country, Region: e.Region, City: e.City}
			}
		}
	}
	return GeofeedClaim{}
}

// datasets describes the installed geofeeds for a report's list.
func (g *geofeeds) datasets() []Dataset {
	if g == nil {
		return nil
	}
	var out []Dataset
	for _, f := range g.feeds {
		out = append(out, Dataset{ID: f.name, Version: f.date, License: "the operator's own publication (RFC 8805)",
			Fields: []string{"geofeed"}, Kind: KindGeofeed, URL: f.url, Description: "An operator's geofeed (RFC 8805), fetched from " + f.url + "; its country, region and city are the operator's own claim, shown next to the databases' and never merged into them."})
	}
	return out
}
