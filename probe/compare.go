package probe

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"sync"

	"github.com/hostwatch/hostwatch/resolvers"
)

// resolveEach asks every resolver on its own, at once, and returns the union
// of their answers (what is attributed and reported as the target's
// addresses) and each resolver's own answer.
func resolveEach(ctx context.Context, name string, rs []NamedResolver) (resolvers.Result, []ResolverAnswer) {
	results := make([]resolvers.Result, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() { results[i] = r.Resolve(ctx, name) })
	}
	wg.Wait()

	union := resolvers.Result{Name: name, Status: results[0].Status, Err: results[0].Err}
	answers := make([]ResolverAnswer, len(rs))
	for i, res := range results {
		a := ResolverAnswer{Resolver: rs[i].Name, Status: res.Status, CNAMEChain: res.CNAMEChain}
		if res.Err != nil {
			a.Error, a.ErrorKind = res.Err.Error(), ErrorKindOf(res.Status, res.Err)
		}
		for _, ans := range res.Answers {
			a.Addresses = append(a.Addresses, ans.Addr)
		}
		answers[i] = a
		union.Exchanges = append(union.Exchanges, res.Exchanges...)
		union.Answers = append(union.Answers, res.Answers...)
		if res.Status == resolvers.StatusOK && union.Status != resolvers.StatusOK {
			union.Status, union.Err, union.CNAMEChain = res.Status, nil, res.CNAMEChain
		}
	}
	if union.Status != resolvers.StatusOK {
		union.CNAMEChain = results[0].CNAMEChain
	}
	slices.SortFunc(union.Answers, func(x, y resolvers.Answer) int {
		return cmp.Or(x.Addr.Compare(y.Addr), cmp.Compare(x.TTL, y.TTL))
	})
	union.Answers = slices.CompactFunc(union.Answers, func(x, y resolvers.Answer) bool { return x.Addr == y.Addr })
	return union, answers
}

// consistency applies OONI's rule to the resolvers' answers: two answers
// agree when they share an address or a network (ASN), or when neither has
// addresses and both say the same (NXDOMAIN, NODATA). Answers that are
// unresolved (timeout, SERVFAIL, REFUSED) say nothing and are left out. The
// odd ones out are the answers that agree with no other, when at least two
// others agree; with only two answers that disagree, neither can be called odd.
// With fewer than two answers left there is nothing to compare: "unknown",
// never "consistent" (every server timing out agrees with nothing).
func consistency(answers []ResolverAnswer, attributed []Address) (string, []string) {
	asn := map[netip.Addr]uint32{}
	for _, a := range attributed {
		asn[a.IP] = a.ASN
	}
	var usable []int
	for i := range answers {
		a := &answers[i]
		for _, ip := range a.Addresses {
			if n := asn[ip]; n != 0 {
				a.ASNs = append(a.ASNs, n)
			}
		}
		slices.Sort(a.ASNs)
		a.ASNs = slices.Compact(a.ASNs)
		if !(Hosting{Status: a.Status}).Unresolved() {
			usable = append(usable, i)
		}
	}
	if len(usable) < 2 {
		return "unknown", nil
	}
	agree := func(x, y ResolverAnswer) bool {
		if len(x.Addresses) == 0 || len(y.Addresses) == 0 {
			return len(x.Addresses) == 0 && len(y.Addresses) == 0 && x.Status == y.Status
		}
		return slices.ContainsFunc(x.Addresses, func(ip netip.Addr) bool { return slices.Contains(y.Addresses, ip) }) ||
			slices.ContainsFunc(x.ASNs, func(n uint32) bool { return slices.Contains(y.ASNs, n) })
	}
	all := true
	friends := make(map[int]int, len(usable))
	for _, i := range usable {
		for _, j := range usable {
			if i != j && agree(answers[i], answers[j]) {
				friends[i]++
			} else if i != j {
				all = false
			}
		}
	}
	if all {
		return "consistent", nil
	}
	var odd []string
	agreeing := 0
	for _, i := range usable {
		if friends[i] > 0 {
			agreeing++
		}
	}
	if agreeing >= 2 {
		for _, i := range usable {
			if friends[i] == 0 {
				odd = append(odd, answers[i].Resolver)
			}
		}
	}
	return "inconsistent", odd
}
