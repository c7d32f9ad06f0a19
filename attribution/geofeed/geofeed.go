// Package geofeed reads RFC 8805 geofeeds: the CSV files in which network
// operators say themselves where their prefixes are used
// (prefix,country,region,city,postal). A geofeed is the operator's own
// claim, a source of its own next to the databases', and so it is checked
// as RFC 8805 §4 asks a consumer to: every line whose prefix, country or
// region is malformed, or whose prefix lies outside the publisher's
// address space, is rejected and reported, never half-used.
package geofeed

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/language"
)

// MaxSize is the most of a geofeed Parse reads: the largest published
// feeds are a few megabytes.
const MaxSize = 32 << 20

// MaxLine is the longest line Parse accepts.
const MaxLine = 4096

// Entry is one accepted line of a geofeed.
type Entry struct {
	Prefix netip.Prefix
	// Country is the ISO 3166-1 alpha-2 code, upper case; "" when the
	// operator says the prefix should not be placed in any country.
	Country string
	// Region is the ISO 3166-2 subdivision code (e.g. "ID-JK"), "" when not given.
	Region string
	City   string
	// Postal is the postal code, which RFC 8805 §2.1.1.5 deprecates; kept
	// as given.
	Postal string
	Line   int
}

// Reason is why a line was rejected, as callers tell them apart.
type Reason string

// The reasons a line is rejected.
const (
	BadPrefix    Reason = "bad_prefix"    // not a CIDR prefix, host bits set, or IPv4-mapped
	BadCountry   Reason = "bad_country"   // not an ISO 3166-1 alpha-2 country
	BadRegion    Reason = "bad_region"    // not an ISO 3166-2 code of the line's country
	OutsideSpace Reason = "outside_space" // the prefix is not in the publisher's space
	TooFewFields Reason = "too_few_fields"
	BadText      Reason = "bad_text"  // not UTF-8, or control characters
	Duplicate    Reason = "duplicate" // a prefix given twice: the first is kept
)

// Rejected is a line that was not used, and why.
type Rejected struct {
	Line   int
	Reason Reason
	Text   string // the line as given, cut to 200 bytes
}

// Feed is a parsed geofeed.
type Feed struct {
	Entries  []Entry // in the order of the file
	Rejected []Rejected
}

// ErrTooLarge is returned when a feed is larger than MaxSize, or has a line
// longer than MaxLine.
var ErrTooLarge = errors.New("geofeed too large")

// Parse reads a geofeed. When space is not empty, only prefixes inside one
// of its prefixes are accepted (RFC 9632 §5: the feed a registry record
// links to may speak only for that record's addresses). Malformed lines are
// rejected, not fatal; only a read error or ErrTooLarge fails the parse.
func Parse(r io.Reader, space []netip.Prefix) (Feed, error) {
	var f Feed
	sc := bufio.NewScanner(io.LimitReader(r, MaxSize+1))
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	seen := map[netip.Prefix]bool{}
	n, size := 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		size += len(line) + 1
		if size > MaxSize {
			return f, fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, MaxSize)
		}
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		line = strings.TrimRight(line, "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		e, reason := parseLine(line, space)
		if reason == "" && seen[e.Prefix] {
			reason = Duplicate
		}
		if reason != "" {
			f.Rejected = append(f.Rejected, Rejected{Line: n, Reason: reason, Text: cut(line, 200)})
			continue
		}
		seen[e.Prefix] = true
		e.Line = n
		f.Entries = append(f.Entries, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return f, fmt.Errorf("%w: line %d is longer than %d bytes", ErrTooLarge, n+1, MaxLine)
		}
		return f, fmt.Errorf("read geofeed: %w", err)
	}
	return f, nil
}

func parseLine(line string, space []netip.Prefix) (Entry, Reason) {
	if !validText(line) {
		return Entry{}, BadText
	}
	fields := strings.Split(line, ",")
	if strings.Contains(line, `"`) {
		// A field may be quoted, as CSV (RFC 4180) quotes one holding a
		// comma: a city such as "Washington, D.C.".
		r := csv.NewReader(strings.NewReader(line))
		r.FieldsPerRecord = -1
		var err error
		if fields, err = r.Read(); err != nil {
			return Entry{}, BadText
		}
	}
	if len(fields) < 2 {
		return Entry{}, TooFewFields
	}
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	for len(fields) < 5 {
		fields = append(fields, "")
	}
	p, err := netip.ParsePrefix(fields[0])
	if err != nil || p != p.Masked() || p.Addr().Is4In6() {
		return Entry{}, BadPrefix
	}
	e := Entry{Prefix: p, Country: strings.ToUpper(fields[1]), Region: strings.ToUpper(fields[2]), City: fields[3], Postal: fields[4]}
	if e.Country != "" && !isCountry(e.Country) {
		return Entry{}, BadCountry
	}
	if e.Region != "" {
		cc, sub, ok := strings.Cut(e.Region, "-")
		if !ok || cc != e.Country || len(sub) < 1 || len(sub) > 3 || !alnum(sub) {
			return Entry{}, BadRegion
		}
	}
	if len(space) > 0 && !slices.ContainsFunc(space, func(s netip.Prefix) bool { return s.Bits() <= p.Bits() && s.Contains(p.Addr()) }) {
		return Entry{}, OutsideSpace
	}
	return e, ""
}

// isCountry reports whether cc is an ISO 3166-1 alpha-2 code of a country
// (CLDR's list, which has XK; not ZZ, not the private-use codes).
func isCountry(cc string) bool {
	if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
		return false
	}
	r, err := language.ParseRegion(cc)
	return err == nil && r.IsCountry() && r.String() == cc
}

func alnum(s string) bool {
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// validText reports whether the line is UTF-8 without control characters:
// C0, DEL and C1 (U+0080 to U+009F, where U+009B is a terminal's CSI).
func validText(s string) bool {
	for _, c := range s {
		if c == '\uFFFD' || c != '\t' && unicode.IsControl(c) {
			return false
		}
	}
	return true
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
