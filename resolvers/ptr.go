package resolvers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// ReverseName returns the name under which the PTR records of ip are kept,
// without the trailing dot: "1.2.0.192.in-addr.arpa" for 192.0.2.1, and the
// 32 reversed nibbles under ip6.arpa for an IPv6 address. An IPv4-mapped IPv6
// address gets its IPv4 name; an IPv6 zone is ignored. It returns "" for the
// zero Addr.
func ReverseName(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.Is4():
		a := ip.As4()
		b := make([]byte, 0, len("255.255.255.255.in-addr.arpa"))
		for i := len(a) - 1; i >= 0; i-- {
			b = strconv.AppendUint(b, uint64(a[i]), 10)
			b = append(b, '.')
		}
		return string(append(b, "in-addr.arpa"...))
	case ip.Is6():
		const hex = "0123456789abcdef"
		a := ip.As16()
		b := make([]byte, 0, 64+len("ip6.arpa"))
		for i := len(a) - 1; i >= 0; i-- {
			b = append(b, hex[a[i]&0xf], '.', hex[a[i]>>4], '.')
		}
		return string(append(b, "ip6.arpa"...))
	}
	return ""
}

// PTR looks up the reverse DNS names of ip (its PTR records) through the
// Client's resolvers, with the same retries and TCP fallback as Resolve, and
// returns them in lower case without the trailing dot, sorted and without
// duplicates, with the evidence of every query sent. CNAME records are
// followed, within a reply and by asking for the alias when a reply stops at
// one, as RFC 2317 classless reverse delegation needs. A name that does not
// exist (NXDOMAIN) or has no PTR records (NODATA) gives an empty list and a
// nil error; a failure gives an error wrapping ErrTimeout, ErrServFail,
// ErrRefused, ErrCNAMELoop and the like.
func (c *Client) PTR(ctx context.Context, ip netip.Addr) ([]string, []Exchange, error) {
	name := ReverseName(ip)
	if name == "" {
		return nil, nil, errors.New("reverse lookup: invalid IP address")
	}
	var ex []Exchange
	cur := name
	seen := []string{name}
	hops := 0
	for {
		m, _, err := c.query(ctx, cur, dns.TypePTR, &ex)
		if err != nil {
			return nil, ex, err
		}
		target := cur
		for {
			next, _, ok := findCNAME(m.Answer, target)
			if !ok {
				break
			}
			if hops >= MaxCNAMEHops {
				return nil, ex, fmt.Errorf("%s PTR: %w: stopped at %s after %d hops", name, ErrCNAMEChainTooLong, target, hops)
			}
			hops++
			if slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, next) }) {
				return nil, ex, fmt.Errorf("%s PTR: %w: %s is an alias for %s, which is already in the chain", name, ErrCNAMELoop, target, next)
			}
			seen = append(seen, next)
			target = next
		}
		names := ptrTargets(m.Answer, target)
		switch {
		case len(names) > 0:
			return names, ex, nil
		case m.Rcode == dns.RcodeNameError, target == cur:
			return nil, ex, nil // NXDOMAIN or NODATA
		}
		// The reply stopped at an alias without records: ask for the alias itself.
		cur = target
	}
}

// ptrTargets returns the targets of the PTR records owned by name, in lower
// case without the trailing dot, sorted and without duplicates.
func ptrTargets(rrs []dns.RR, name string) []string {
	var out []string
	for _, rr := range rrs {
		p, ok := rr.(*dns.PTR)
		if !ok || p.Hdr.Class != dns.ClassINET || !equalName(p.Hdr.Name, name) {
			continue
		}
		t := strings.ToLower(strings.TrimSuffix(p.Ptr, "."))
		if t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
