package rdap

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// bootstrapFiles holds IANA's RDAP bootstrap files; bootstrap/README.md says
// where they came from.
//
//go:embed bootstrap/ipv4.json bootstrap/ipv6.json
var bootstrapFiles embed.FS

// Bootstrap maps address blocks to the RDAP services that answer for them, as
// IANA publishes it (RFC 9224). The zero value holds no data: every Lookup
// through it reports that there is no bootstrap data. A Bootstrap is read-only
// once made and safe for concurrent use.
type Bootstrap struct {
	entries []bootstrapEntry // longest prefix first
	pubV4   string
	pubV6   string
}

// bootstrapEntry is one prefix of a service and that service's preferred URL.
type bootstrapEntry struct {
	prefix netip.Prefix
	url    string
}

// bootstrapFile is the JSON layout of an RFC 9224 bootstrap file.
type bootstrapFile struct {
	Version     string              `json:"version"`
	Publication string              `json:"publication"`
	Description string              `json:"description"`
	Services    [][]json.RawMessage `json:"services"`
}

// ParseBootstrap reads IANA's ipv4.json and ipv6.json bootstrap files (RFC 9224).
// Either may be nil or empty, meaning no data for that address family, but one
// that is given must be a well-formed file whose prefixes all belong to its
// family and whose services all name at least one http or https URL; a file
// that fails any check is rejected whole, so that a truncated or corrupt
// download never replaces good data.
func ParseBootstrap(ipv4, ipv6 []byte) (*Bootstrap, error) {
	b := &Bootstrap{}
	var err error
	if b.pubV4, err = b.add(ipv4, true); err != nil {
		return nil, fmt.Errorf("ipv4 bootstrap: %w", err)
	}
	if b.pubV6, err = b.add(ipv6, false); err != nil {
		return nil, fmt.Errorf("ipv6 bootstrap: %w", err)
	}
	slices.SortStableFunc(b.entries, func(x, y bootstrapEntry) int {
		return y.prefix.Bits() - x.prefix.Bits()
	})
	return b, nil
}

// add parses one bootstrap file into b and returns its publication date.
func (b *Bootstrap) add(data []byte, v4 bool) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", nil
	}
	var f bootstrapFile
	if err := json.Unmarshal(data, &f); err != nil {
		return "", fmt.Errorf("malformed JSON: %w", err)
	}
	if f.Services == nil {
		return "", errors.New(`no "services" array`)
	}
	for i, svc := range f.Services {
		if len(svc) != 2 {
			return "", fmt.Errorf("service %d: want [[prefixes], [urls]], got %d elements", i, len(svc))
		}
		var prefixes, urls []string
		if err := json.Unmarshal(svc[0], &prefixes); err != nil {
			return "", fmt.Errorf("service %d: prefixes: %w", i, err)
		}
		if err := json.Unmarshal(svc[1], &urls); err != nil {
			return "", fmt.Errorf("service %d: urls: %w", i, err)
		}
		base, err := preferredURL(urls)
		if err != nil {
			return "", fmt.Errorf("service %d: %w", i, err)
		}
		for _, s := range prefixes {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return "", fmt.Errorf("service %d: %w", i, err)
			}
			if p.Addr().Is4() != v4 {
				return "", fmt.Errorf("service %d: prefix %s is of the wrong address family", i, s)
			}
			b.entries = append(b.entries, bootstrapEntry{prefix: p.Masked(), url: base})
		}
	}
	return f.Publication, nil
}

// preferredURL picks the first https URL of a service, else its first http
// URL, and makes sure it ends in a slash so that "ip/ADDRESS" can be appended.
func preferredURL(urls []string) (string, error) {
	var pick string
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		if u.Scheme == "https" {
			pick = raw
			break
		}
		if pick == "" {
			pick = raw
		}
	}
	if pick == "" {
		return "", fmt.Errorf("no usable http or https URL in %q", urls)
	}
	if !strings.HasSuffix(pick, "/") {
		pick += "/"
	}
	return pick, nil
}

// EmbeddedBootstrapFile returns the bytes of an embedded bootstrap file,
// "ipv4.json" or "ipv6.json", as IANA published it.
func EmbeddedBootstrapFile(name string) ([]byte, error) {
	return bootstrapFiles.ReadFile("bootstrap/" + name)
}

// Publication returns the publication date a bootstrap file states, so that
// a file is never replaced by an older one.
func Publication(data []byte) (time.Time, error) {
	var f struct {
		Publication string `json:"publication"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return time.Time{}, fmt.Errorf("malformed JSON: %w", err)
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(f.Publication))
	if err != nil {
		return time.Time{}, fmt.Errorf("publication %q: %w", f.Publication, err)
	}
	return t, nil
}

// DefaultBootstrap returns the bootstrap embedded in the binary (IANA's files,
// see attribution/rdap/bootstrap/README.md). Each call parses them afresh, so
// callers should keep the result. Should the embedded files ever fail to
// parse, it returns an empty Bootstrap whose lookups say that there is no
// bootstrap data.
func DefaultBootstrap() *Bootstrap {
	v4, err4 := bootstrapFiles.ReadFile("bootstrap/ipv4.json")
	v6, err6 := bootstrapFiles.ReadFile("bootstrap/ipv6.json")
	if err4 != nil || err6 != nil {
		return &Bootstrap{}
	}
	b, err := ParseBootstrap(v4, v6)
	if err != nil {
		return &Bootstrap{}
	}
	return b
}

// Find returns the base URL (ending in "/") of the RDAP service for ip: that
// of the longest bootstrap prefix holding it, and of that service's URLs the
// first https one. IPv4-mapped IPv6 addresses are looked up as IPv4.
func (b *Bootstrap) Find(ip netip.Addr) (baseURL string, ok bool) {
	if b == nil || !ip.IsValid() {
		return "", false
	}
	ip = ip.Unmap().WithZone("")
	for _, e := range b.entries {
		if e.prefix.Contains(ip) {
			return e.url, true
		}
	}
	return "", false
}

// Published returns the newer of the publication dates of the two files, as
// written in them (RFC 3339, e.g. "2024-11-01T22:00:01Z"): the date of the
// bootstrap as a whole. It is empty when no file gave a date.
func (b *Bootstrap) Published() string {
	if b == nil {
		return ""
	}
	v4, v6 := b.Publications()
	t4, err4 := time.Parse(time.RFC3339, v4)
	t6, err6 := time.Parse(time.RFC3339, v6)
	switch {
	case err4 != nil && err6 != nil:
		return max(v4, v6)
	case err4 != nil:
		return v6
	case err6 != nil:
		return v4
	case t4.After(t6):
		return v4
	default:
		return v6
	}
}

// Publications returns the publication dates of the IPv4 and the IPv6 file,
// each empty when that file was not given or had none.
func (b *Bootstrap) Publications() (ipv4, ipv6 string) {
	if b == nil {
		return "", ""
	}
	return b.pubV4, b.pubV6
}

// empty reports whether b holds no prefixes at all.
func (b *Bootstrap) empty() bool {
	return b == nil || len(b.entries) == 0
}
