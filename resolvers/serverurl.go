package resolvers

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// The schemes of encrypted resolvers, as given to ParseServer.
const (
	schemeTLS      = "tls"       // DNS over TLS, RFC 7858
	schemeHTTPS    = "https"     // DNS over HTTPS, RFC 8484, with POST
	schemeHTTPSGet = "https+get" // DNS over HTTPS with GET and ?dns=
)

// DefaultDoTPort is the port of a tls:// resolver given without one (RFC 7858).
const DefaultDoTPort = 853

// DefaultDoHPath is the path of an https:// resolver given without one
// ("https://dns.example" asks "https://dns.example/dns-query").
const DefaultDoHPath = "/dns-query"

// encEndpoint is an encrypted resolver as parsed from a tls:// or https:// URL.
type encEndpoint struct {
	name      string // canonical form: what Servers and the evidence show
	transport string // "dot" or "doh"
	host      string // the host, for certificate checks: a name or an IP address
	dialAddr  string // DoT: host:port to connect to
	url       string // DoH: the https URL queries go to
	get       bool   // DoH: send with GET rather than POST
}

// usage is appended to errors about the form of a resolver.
const usage = "give HOST[:PORT] (UDP), tls://HOST[:PORT] (DNS over TLS) or https://HOST[:PORT]/PATH (DNS over HTTPS)"

// isURLServer reports whether s is given as a URL (with a scheme) rather than
// as HOST[:PORT].
func isURLServer(s string) bool {
	return strings.Contains(s, "://")
}

// parseURLServer parses a resolver given as a URL: tls://HOST[:PORT] for DNS
// over TLS, https://HOST[:PORT][/PATH][?QUERY] for DNS over HTTPS with POST,
// and https+get://… for DNS over HTTPS with GET. HOST is an IP address or a
// host name; a host name is looked up when connecting, and certificates are
// checked against HOST.
func parseURLServer(s string) (encEndpoint, error) {
	orig := s
	s = strings.TrimSpace(s)
	i := strings.Index(s, "://")
	scheme, rest := strings.ToLower(s[:i]), s[i+len("://"):]
	switch scheme {
	case schemeTLS:
		return parseTLSServer(orig, rest)
	case schemeHTTPS, schemeHTTPSGet:
		return parseHTTPSServer(orig, scheme, rest)
	case "http":
		return encEndpoint{}, fmt.Errorf("resolver %q: plain http:// is not accepted; DNS over HTTPS needs https://", orig)
	case "":
		return encEndpoint{}, fmt.Errorf("resolver %q: missing scheme before ://; %s", orig, usage)
	}
	return encEndpoint{}, fmt.Errorf("resolver %q: scheme %q is not supported; %s", orig, scheme, usage)
}

// parseTLSServer parses the part of tls://HOST[:PORT] after the scheme.
func parseTLSServer(orig, rest string) (encEndpoint, error) {
	if strings.ContainsAny(rest, "/?#@") {
		return encEndpoint{}, fmt.Errorf("resolver %q: a DNS-over-TLS resolver is tls://HOST[:PORT], without path, query or user", orig)
	}
	host, port := rest, ""
	bracketed := false
	switch {
	case rest == "":
	case isBareIPv6(rest):
		// "tls://2001:db8::1", like ParseServer's bare IPv6 address.
	case strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]"):
		host, bracketed = rest[1:len(rest)-1], true
	case strings.Contains(rest, ":"):
		h, p, err := net.SplitHostPort(rest)
		if err != nil {
			return encEndpoint{}, fmt.Errorf("resolver %q: not tls://HOST or tls://HOST:PORT", orig)
		}
		host, port, bracketed = h, p, strings.HasPrefix(rest, "[")
	}
	h, err := checkURLHost(orig, host, bracketed)
	if err != nil {
		return encEndpoint{}, err
	}
	p := uint64(DefaultDoTPort)
	if port != "" || strings.HasSuffix(rest, ":") {
		if p, err = parsePort(orig, port); err != nil {
			return encEndpoint{}, err
		}
	}
	hp := net.JoinHostPort(h, strconv.FormatUint(p, 10))
	return encEndpoint{name: schemeTLS + "://" + hp, transport: "dot", host: h, dialAddr: hp}, nil
}

// parseHTTPSServer parses the part of https://HOST[:PORT][/PATH][?QUERY]
// after the scheme.
func parseHTTPSServer(orig, scheme, rest string) (encEndpoint, error) {
	if strings.Contains(rest, "#") {
		return encEndpoint{}, fmt.Errorf("resolver %q: a DNS-over-HTTPS URL takes no #fragment", orig)
	}
	u, err := url.Parse("https://" + rest)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return encEndpoint{}, fmt.Errorf("resolver %q: not a valid URL: %v", orig, err)
	}
	if u.User != nil {
		return encEndpoint{}, fmt.Errorf("resolver %q: a user name or password is not accepted in a DNS-over-HTTPS URL (it would be written into every report)", orig)
	}
	hostport := u.Host
	if isBareIPv6(hostport) {
		return encEndpoint{}, fmt.Errorf("resolver %q: put an IPv6 address in brackets (https://[2001:db8::1]/dns-query)", orig)
	}
	host, port := hostport, ""
	bracketed := strings.HasPrefix(hostport, "[")
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && (!bracketed || strings.HasSuffix(hostport[:i], "]")) {
		host, port = hostport[:i], hostport[i+1:]
		if port == "" {
			return encEndpoint{}, fmt.Errorf("resolver %q: port %q is not a number from 1 to 65535", orig, port)
		}
	}
	if bracketed {
		if !strings.HasSuffix(host, "]") {
			return encEndpoint{}, fmt.Errorf("resolver %q: unbalanced brackets around the host", orig)
		}
		host = host[1 : len(host)-1]
	}
	h, err := checkURLHost(orig, host, bracketed)
	if err != nil {
		return encEndpoint{}, err
	}
	hp := h
	if strings.Contains(h, ":") {
		hp = "[" + h + "]"
	}
	if port != "" {
		p, err := parsePort(orig, port)
		if err != nil {
			return encEndpoint{}, err
		}
		hp = net.JoinHostPort(h, strconv.FormatUint(p, 10))
	}
	path := u.EscapedPath()
	if path == "" {
		path = DefaultDoHPath
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return encEndpoint{}, fmt.Errorf("resolver %q: bad query string: %v", orig, err)
	}
	if q.Has("dns") {
		return encEndpoint{}, fmt.Errorf("resolver %q: the URL must not carry a dns= parameter; hostwatch adds the query itself", orig)
	}
	tail := path
	if len(q) > 0 {
		tail += "?" + q.Encode()
	}
	// The canonical URL must parse back to itself, so that the evidence can be
	// given back to ParseServer.
	target := "https://" + hp + tail
	if v, err := url.Parse(target); err != nil || v.Host != hp || v.EscapedPath() != path {
		return encEndpoint{}, fmt.Errorf("resolver %q: not a valid URL", orig)
	}
	return encEndpoint{
		name:      scheme + "://" + hp + tail,
		transport: "doh",
		host:      h,
		url:       target,
		get:       scheme == schemeHTTPSGet,
	}, nil
}

// checkURLHost checks the host of a resolver URL: an IP address without a
// zone, or a host name. It returns it in canonical form: IP addresses as
// netip prints them, names in lower case without a trailing dot.
func checkURLHost(orig, host string, bracketed bool) (string, error) {
	if host == "" {
		return "", fmt.Errorf("resolver %q: missing host; %s", orig, usage)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		switch {
		case a.Zone() != "":
			return "", fmt.Errorf("resolver %q: an IPv6 zone is not accepted in a resolver URL", orig)
		case a.Is4() && bracketed:
			return "", fmt.Errorf("resolver %q: brackets are only for IPv6 addresses", orig)
		}
		return a.String(), nil
	}
	if bracketed {
		return "", fmt.Errorf("resolver %q: %q is not an IPv6 address", orig, host)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if !isHostName(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return "", fmt.Errorf("resolver %q: %q is not an IP address or host name", orig, host)
	}
	for label := range strings.SplitSeq(name, ".") {
		if len(label) > 63 {
			return "", fmt.Errorf("resolver %q: label %.20q… of the host is longer than 63 characters", orig, label)
		}
	}
	return name, nil
}

// isBareIPv6 reports whether s is an IPv6 address written without brackets.
func isBareIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && !strings.HasPrefix(s, "[")
}

// parsePort parses a port number from 1 to 65535.
func parsePort(orig, port string) (uint64, error) {
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("resolver %q: port %q is not a number from 1 to 65535", orig, port)
	}
	return p, nil
}
