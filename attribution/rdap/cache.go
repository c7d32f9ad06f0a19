package rdap

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cacheFormat is the version of the cache file layout; files of another
// version are ignored.
const cacheFormat = 1

// cacheEntry is one cache file: a registry's raw answer for one address and
// when it was fetched. The answer is kept as the registry sent it and
// parsed at every read, so that a fact the parser learns to read later
// (the geofeed link, added after the cache) comes out of answers cached
// before it: an old entry never reads as "the record has none". A new
// parsed field thus needs no new cacheFormat; only a new file layout does.
type cacheEntry struct {
	Format     int             `json:"format"`
	IP         string          `json:"ip"`
	Registry   string          `json:"registry"`
	URL        string          `json:"url"`
	HTTPStatus int             `json:"http_status"`
	FetchedAt  time.Time       `json:"fetched_at"`
	Response   json.RawMessage `json:"response,omitempty"`
}

// diskCache keeps one file per looked-up address and registry:
//
//	DIR/HOST/ADDRESS.json
//
// where HOST is the registry's host (":" as "_") and ADDRESS the address
// (":" as "_" for IPv6), e.g. rdap.apnic.net/203.0.113.7.json. Only answers
// that are facts (200 with a readable network, and 404) are kept.
type diskCache struct {
	dir string
	ttl time.Duration
}

// maxCacheFile bounds what is read of a cache file.
const maxCacheFile = 2 * MaxResponseBytes

// path returns the cache file of ip as answered by registry.
func (c diskCache) path(registry string, ip netip.Addr) (string, error) {
	u, err := url.Parse(registry)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("registry URL %q has no host", registry)
	}
	return filepath.Join(c.dir, safeName(u.Host), safeName(ip.String())+".json"), nil
}

// safeName keeps letters, digits, '.', '-' and '_' and turns anything else
// into '_', so a host or address is always one plain path element.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		default:
			return '_'
		}
	}, strings.ToLower(s))
	if s == "" || s == "." || s == ".." {
		s = "_" + s
	}
	return s
}

// load returns the cached answer for ip from registry when it is younger
// than the TTL at now. Unreadable, foreign or stale files are misses.
func (c diskCache) load(registry string, ip netip.Addr, now time.Time) (cacheEntry, bool) {
	p, err := c.path(registry, ip)
	if err != nil {
		return cacheEntry{}, false
	}
	f, err := os.Open(p)
	if err != nil {
		return cacheEntry{}, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil || len(data) > maxCacheFile {
		return cacheEntry{}, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil {
		return cacheEntry{}, false
	}
	age := now.Sub(e.FetchedAt)
	switch {
	case e.Format != cacheFormat, e.IP != ip.String(), e.Registry != registry, e.FetchedAt.IsZero():
		return cacheEntry{}, false
	case age >= c.ttl, age < -time.Minute: // stale, or from the future
		return cacheEntry{}, false
	case e.HTTPStatus != 200 && e.HTTPStatus != 404:
		return cacheEntry{}, false
	}
	return e, true
}

// store writes e atomically: to a temporary file in the same directory, then
// renamed over the old one, so a reader never sees half a file.
func (c diskCache) store(e cacheEntry) (err error) {
	ip, err := netip.ParseAddr(e.IP)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	p, err := c.path(e.Registry, ip)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	e.Format = cacheFormat
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cache: encode %s: %w", p, err)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("cache: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
