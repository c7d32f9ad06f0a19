// Package reach keeps the connections hostwatch makes to addresses it learned
// from outside (DNS answers, HTTP and RDAP redirects, NS records) to globally
// reachable ones. A hostile domain must not be able to point hostwatch at a
// cloud metadata service (169.254.169.254) or a private network and have what
// came back put in a published report. Addresses the user names (--resolver,
// --resolvers, a proxy) are not its business: only learned ones pass here.
//
// The check is made where the connection is made, on the address about to be
// dialed (a net.Dialer Control function), so that no path — a redirect,
// a fallback to another address, a name resolved again — goes around it.
package reach

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
)

// Policy says which learned addresses may be connected to. The zero value
// allows only globally reachable ones: those in no entry of the IANA
// special-purpose address registries that is not globally reachable (the
// table attribution.SpecialUse reads).
type Policy struct {
	// AllowPrivate lets every address through (--allow-private), for labs
	// and tests whose servers are on loopback or private addresses.
	AllowPrivate bool
	// Named are the hosts (names or addresses, without ports) that the user
	// gave, such as db update's --base-url: Transport connects to them
	// unchecked, and checks only where a redirect leads elsewhere.
	Named []string
}

// Refusal is an address the policy refused, with the special-purpose
// registry entry that holds it.
type Refusal struct {
	Addr       netip.Addr
	SpecialUse string // e.g. "link-local (RFC 3927)"
}

func (r Refusal) String() string { return fmt.Sprintf("%s (%s)", r.Addr, r.SpecialUse) }

// Check reports whether the policy refuses a, and why. An IPv4-mapped IPv6
// address is judged as the IPv4 address a connection to it reaches.
func (p Policy) Check(a netip.Addr) (Refusal, bool) {
	if p.AllowPrivate {
		return Refusal{}, false
	}
	if !a.IsValid() {
		return Refusal{Addr: a, SpecialUse: "invalid address"}, true
	}
	a = a.Unmap()
	if use := attribution.SpecialUse(a.WithZone("")); use != "" {
		return Refusal{Addr: a, SpecialUse: use}, true
	}
	return Refusal{}, false
}

// Split returns the addresses of addrs the policy allows, in order, and the
// refusals of the others.
func (p Policy) Split(addrs []netip.Addr) (allowed []netip.Addr, refused []Refusal) {
	for _, a := range addrs {
		if r, no := p.Check(a); no {
			refused = append(refused, r)
			continue
		}
		allowed = append(allowed, a)
	}
	return allowed, refused
}

// ErrRefused is what every RefusedError is (errors.Is).
var ErrRefused = errors.New("not globally reachable")

// RefusedError is the error of a connection the policy refused to make.
type RefusedError struct{ Refusals []Refusal }

func (e *RefusedError) Error() string {
	parts := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		parts[i] = r.String()
	}
	return "refused to connect to " + strings.Join(parts, ", ") + ": " + ErrRefused.Error() + " (--allow-private allows it)"
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Refused is always true. It lets packages that cannot import this one
// (attribution/rdap, which the attribution this package reads imports) tell
// a refusal from other dial errors with errors.As and an interface, as
// net.Error's Timeout does.
func (e *RefusedError) Refused() bool { return true }

// Control is a net.Dialer Control function: it fails, before anything is
// sent, a connection to an address the policy refuses. It is called for
// every address a dial tries.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Never the case for TCP and UDP: refuse what cannot be judged.
		return &RefusedError{Refusals: []Refusal{{SpecialUse: fmt.Sprintf("unreadable address %q", address)}}}
	}
	if r, no := p.Check(ap.Addr()); no {
		return &RefusedError{Refusals: []Refusal{r}}
	}
	return nil
}

// Transport returns a copy of base whose connections are checked by
// Control, whatever the host name they were asked for resolved to. A
// connection to a proxy that base.Proxy names (the user's own setting, such
// as HTTPS_PROXY) or to a host in Named is not checked: those are addresses
// the user gave.
func (p Policy) Transport(base *http.Transport) *http.Transport {
	tr := base.Clone()
	proxies := &addrSet{}
	if next := base.Proxy; next != nil {
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			u, err := next(r)
			if u != nil {
				proxies.add(proxyAddr(u))
			}
			return u, err
		}
	}
	// As http.DefaultTransport dials.
	plain := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	guarded := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	named := make(map[string]bool, len(p.Named))
	for _, h := range p.Named {
		named[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if proxies.has(addr) || named[strings.ToLower(host)] {
			return plain.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	tr.DialTLSContext = nil // TLS over DialContext, so that every dial is checked
	return tr
}

// proxyAddr is the host:port net/http dials for the proxy u.
func proxyAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// addrSet is a set of host:port strings, safe for concurrent use.
type addrSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *addrSet) add(a string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	s.m[a] = true
}

func (s *addrSet) has(a string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[a]
}
