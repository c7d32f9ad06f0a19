package dataset

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// asnRow is one line of an ip-location-db asn CSV file:
// start,end,autonomous_system_number,autonomous_system_organization.
type asnRow struct {
	Start, End netip.Addr // inclusive
	ASN        uint32
	Org        string
}

// countryRow is one line of an ip-location-db country CSV file: start,end,CC.
type countryRow struct {
	Start, End netip.Addr // inclusive
	Country    string
}

// parseASNLine parses one line of asn-ipv4.csv or asn-ipv6.csv. The
// organisation may be quoted as in RFC 4180 ("Cloudflare, Inc.", with ""
// for a quote); the other fields never contain commas or quotes.
func parseASNLine(line string) (asnRow, error) {
	line = strings.TrimSuffix(line, "\r")
	start, end, rest, err := parseRange(line)
	if err != nil {
		return asnRow{}, err
	}
	num, org, ok := strings.Cut(rest, ",")
	if !ok {
		return asnRow{}, errors.New("want 4 fields: start,end,asn,org")
	}
	asn, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return asnRow{}, fmt.Errorf("bad ASN %q", num)
	}
	if asn == 0 {
		return asnRow{}, errors.New("ASN 0 is reserved")
	}
	org, err = unquote(org)
	if err != nil {
		return asnRow{}, fmt.Errorf("organisation: %w", err)
	}
	return asnRow{Start: start, End: end, ASN: uint32(asn), Org: org}, nil
}

// parseCountryLine parses one line of geo-whois-asn-country-ipv4.csv or
// -ipv6.csv: start,end and an ISO 3166-1 alpha-2 code in capitals.
func parseCountryLine(line string) (countryRow, error) {
	line = strings.TrimSuffix(line, "\r")
	start, end, cc, err := parseRange(line)
	if err != nil {
		return countryRow{}, err
	}
	if len(cc) != 2 || !isUpper(cc[0]) || !isUpper(cc[1]) {
		return countryRow{}, fmt.Errorf("bad country code %q", cc)
	}
	return countryRow{Start: start, End: end, Country: cc}, nil
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }

// parseRange reads "start,end," from the front of line and returns the rest.
// Both ends must be plain addresses of one family, start <= end.
func parseRange(line string) (start, end netip.Addr, rest string, err error) {
	s, rest, ok := strings.Cut(line, ",")
	if !ok {
		return start, end, "", errors.New("want fields start,end and more")
	}
	e, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return start, end, "", errors.New("want fields start,end and more")
	}
	if start, err = parseAddr(s); err != nil {
		return start, end, "", fmt.Errorf("range start: %w", err)
	}
	if end, err = parseAddr(e); err != nil {
		return start, end, "", fmt.Errorf("range end: %w", err)
	}
	if start.Is4() != end.Is4() {
		return start, end, "", fmt.Errorf("range %s-%s mixes IPv4 and IPv6", start, end)
	}
	if end.Less(start) {
		return start, end, "", fmt.Errorf("range %s-%s ends before it starts", start, end)
	}
	return start, end, rest, nil
}

// parseAddr accepts an IPv4 or IPv6 address without zone. IPv4-mapped IPv6
// addresses are refused: lookups unmap them, so such a row could never match.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("address %q has a zone", s)
	}
	if a.Is4In6() {
		return netip.Addr{}, fmt.Errorf("address %q is IPv4-mapped IPv6", s)
	}
	return a, nil
}

// unquote returns a CSV field's value: a field in double quotes has its
// doubled quotes undone; a field without may not contain a quote. Control
// characters (newlines included) are refused: a line is one record.
func unquote(f string) (string, error) {
	if !utf8.ValidString(f) {
		return "", errors.New("not UTF-8")
	}
	if strings.ContainsFunc(f, unicode.IsControl) {
		return "", fmt.Errorf("control character in %q", f)
	}
	if !strings.HasPrefix(f, `"`) {
		if strings.Contains(f, `"`) {
			return "", fmt.Errorf("bare quote in %q", f)
		}
		return f, nil
	}
	if len(f) < 2 || !strings.HasSuffix(f, `"`) {
		return "", fmt.Errorf("unterminated quote in %q", f)
	}
	inner := f[1 : len(f)-1]
	if strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
		return "", fmt.Errorf("lone quote inside %q", f)
	}
	return strings.ReplaceAll(inner, `""`, `"`), nil
}
