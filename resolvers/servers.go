// Package resolvers turns a domain name into its A and AAAA answers, keeping the evidence of every query sent.
package resolvers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// ParseServer turns a resolver given as an IP literal, with or without a port,
// into host:port form ("1.1.1.1" → "1.1.1.1:53", "2001:db8::1" → "[2001:db8::1]:53").
// Host names are rejected: a resolver must be named by its address, so that the
// evidence says exactly who was asked (LookupServer turns a name into one).
//
// An encrypted resolver is given as a URL, and its host may be a name, since
// the certificate is checked against it:
//   - tls://HOST[:PORT] is DNS over TLS (RFC 7858), port 853 by default
//     ("tls://9.9.9.9" → "tls://9.9.9.9:853");
//   - https://HOST[:PORT][/PATH][?QUERY] is DNS over HTTPS (RFC 8484) with POST,
//     path /dns-query by default;
//   - https+get://… is the same with GET and ?dns=.
//
// The result is the canonical URL, which the evidence names and which
// ParseServer gives back unchanged.
func ParseServer(s string) (string, error) {
	if isURLServer(s) {
		ep, err := parseURLServer(s)
		return ep.name, err
	}
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("resolver address is empty")
	}
	// A bare address, v4 or v6 (possibly with a zone).
	if a, err := parseIP(s); err == nil {
		return netip.AddrPortFrom(a, 53).String(), nil
	}
	// "[v6]" without a port.
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := parseIP(s[1 : len(s)-1]); err == nil && a.Is6() {
			return netip.AddrPortFrom(a, 53).String(), nil
		}
		return "", fmt.Errorf("resolver %q: not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]:53; host names are not accepted)", orig)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("resolver %q: not an IP address or IP:port (give an IP literal such as 192.0.2.1 or [2001:db8::1]:53; host names are not accepted)", orig)
	}
	a, err := parseIP(host)
	if err != nil {
		return "", fmt.Errorf("resolver %q: %q is not an IP address (give an IP literal such as 192.0.2.1 or [2001:db8::1]:53; host names are not accepted)", orig, host)
	}
	if a.Is4() && strings.HasPrefix(s, "[") {
		return "", fmt.Errorf("resolver %q: brackets are only for IPv6 addresses", orig)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", fmt.Errorf("resolver %q: port %q is not a number from 1 to 65535", orig, port)
	}
	return netip.AddrPortFrom(a, uint16(p)).String(), nil
}

// parseIP parses an IP literal. netip takes any text after "%" as an IPv6
// zone; a resolver's zone must be an interface name (letters, digits, '.',
// '-', '_'; at most 15 bytes), else "[::%]]:53" would be accepted and not
// parse again.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, err
	}
	if z := a.Zone(); z != "" {
		if len(z) > 15 {
			return netip.Addr{}, fmt.Errorf("zone %q is longer than an interface name", z)
		}
		for _, c := range []byte(z) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
				return netip.Addr{}, fmt.Errorf("zone %q is not an interface name", z)
			}
		}
	}
	return a, nil
}

// SystemServers reads the nameserver lines of a resolv.conf file (usually
// /etc/resolv.conf) and returns them as host:port addresses.
func SystemServers(path string) ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read resolvers from %s: %w", path, err)
	}
	port := cfg.Port
	if port == "" {
		port = "53"
	}
	var out []string
	for _, s := range cfg.Servers {
		hp, err := ParseServer(net.JoinHostPort(s, port))
		if err != nil {
			return nil, fmt.Errorf("read resolvers from %s: %w", path, err)
		}
		out = append(out, hp)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read resolvers from %s: no nameserver lines", path)
	}
	return out, nil
}

// LookupServer is ParseServer that also accepts a host name, with or without
// a port ("localhost:5353", "dns.example"). The name is looked up once, with
// the system's resolver (and /etc/hosts), and its first IPv4 address is used
// (else its first IPv6 address), so that the evidence still names the exact
// address asked. A tls:// or https:// resolver is only parsed: its host name
// is looked up when connecting, and its certificate must match that name.
func LookupServer(ctx context.Context, s string) (string, error) {
	hp, err := ParseServer(s)
	if err == nil || isURLServer(s) {
		return hp, err
	}
	host, port := strings.TrimSpace(s), "53"
	if h, p, splitErr := net.SplitHostPort(host); splitErr == nil {
		host, port = h, p
	}
	if !isHostName(host) {
		return "", err
	}
	if p, perr := strconv.ParseUint(port, 10, 16); perr != nil || p == 0 {
		return "", fmt.Errorf("resolver %q: port %q is not a number from 1 to 65535", s, port)
	}
	addrs, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if lerr != nil || len(addrs) == 0 {
		return "", fmt.Errorf("resolver %q: cannot look up %s: %w", s, host, cmp.Or(lerr, errors.New("no addresses")))
	}
	pick := addrs[0]
	for _, a := range addrs {
		if a.Unmap().Is4() {
			pick = a.Unmap()
			break
		}
	}
	return ParseServer(net.JoinHostPort(pick.String(), port))
}

// isHostName reports whether s looks like a host name: letters, digits,
// hyphens and dots, with at least one letter.
func isHostName(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return letter && len(s) <= 253
}
