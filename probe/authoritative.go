package probe

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/resolvers"
)

// AuthoritativeOptions say how a zone's own name servers are asked (--authoritative).
type AuthoritativeOptions struct {
	// Config is the template for the client of each name server; its Servers
	// are set per server and NoRecursion is forced on.
	Config resolvers.Config
	// Port is the port name servers listen on (53 unless a lab says otherwise).
	Port uint16
	// AllowPrivate lets name servers at addresses that are not globally
	// reachable be asked (--allow-private). By default such an address,
	// learned from the zone's NS records, is not asked: its answer is
	// "refused", with the address's special-purpose registry entry.
	AllowPrivate bool
}

// The names --authoritative gives the answers it compares that are not a
// name server's: the recursive view, and the lookup of the zone's NS set
// when it failed (AnswerNSOf followed by the domain). Reports word them in
// their language; JSON keeps them as they are.
const (
	AnswerRecursive = "recursive"
	AnswerNSOf      = "NS of "
)

// authoritative finds the zone's NS set through the recursive view, asks each
// name server's every address directly, without recursion, and compares
// their answers with each other and with the recursive view.
func authoritative(ctx context.Context, domain string, recursive ResolverAnswer, opts Options) ([]ResolverAnswer, string, []string) {
	nsSets := lookupRecords(ctx, domain, []uint16{dns.TypeNS}, opts.Query, opts)
	var answers []ResolverAnswer
	if len(nsSets) == 1 && nsSets[0].Status != resolvers.StatusOK {
		answers = append(answers, ResolverAnswer{Resolver: AnswerNSOf + domain, Status: nsSets[0].Status, Error: nsSets[0].Error, ErrorKind: nsSets[0].ErrorKind})
		return answers, "", nil
	}
	port := cmp.Or(opts.Authoritative.Port, 53)
	policy := reach.Policy{AllowPrivate: opts.Authoritative.AllowPrivate}
	for _, set := range nsSets {
		for _, rec := range set.Records {
			for _, a := range rec.Addresses {
				name := fmt.Sprintf("%s (%s)", rec.Host, a.IP)
				if r, refused := policy.Check(a.IP); refused {
					// Never sent: status refused, which comparisons leave out.
					err := &reach.RefusedError{Refusals: []reach.Refusal{r}}
					answers = append(answers, ResolverAnswer{Resolver: name, Status: resolvers.StatusRefused, Error: "not asked: " + err.Error(), Refused: &r})
					continue
				}
				cfg := opts.Authoritative.Config
				cfg.Servers = []string{netip.AddrPortFrom(a.IP, port).String()}
				cfg.NoRecursion = true
				cfg.SocketsPerServer = 1
				c, err := resolvers.New(cfg)
				if err != nil {
					answers = append(answers, ResolverAnswer{Resolver: name, Status: resolvers.StatusError, Error: err.Error(), ErrorKind: ErrorOther})
					continue
				}
				res := c.Resolve(ctx, domain)
				c.Close()
				ra := ResolverAnswer{Resolver: name, Status: res.Status, CNAMEChain: res.CNAMEChain}
				if res.Err != nil {
					ra.Error, ra.ErrorKind = res.Err.Error(), ErrorKindOf(res.Status, res.Err)
				}
				for _, ans := range res.Answers {
					ra.Addresses = append(ra.Addresses, ans.Addr)
				}
				answers = append(answers, ra)
			}
		}
	}
	slices.SortStableFunc(answers, func(x, y ResolverAnswer) int { return strings.Compare(x.Resolver, y.Resolver) })
	// Attribute what the name servers said, to compare networks too.
	var attributed []Address
	for _, a := range append([]ResolverAnswer{recursive}, answers...) {
		for _, ip := range a.Addresses {
			addr := Address{IP: ip}
			if opts.Attributor != nil {
				addr.Result = opts.Attributor.Lookup(ip)
			}
			attributed = append(attributed, addr)
		}
	}
	all := append([]ResolverAnswer{recursive}, answers...)
	c, odd := consistency(all, attributed)
	copy(answers, all[1:])
	return answers, c, odd
}
