package history

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Options tune change detection.
type Options struct {
	// Confirm is how many consecutive observations a move or status change
	// must hold before it is reported (default 1; less than 1 means 1).
	Confirm int
}

// Timeline replays one domain's spans (time order) and returns its periods and confirmed changes.
// Spans of several domains are replayed domain by domain. Both results are
// sorted by time (periods by From, changes by AfterAt), then by domain.
func Timeline(spans []Span, opts Options) ([]probe.Period, []probe.Change) {
	var domains []string
	byDomain := map[string][]Span{}
	for _, sp := range spans {
		if _, ok := byDomain[sp.Domain]; !ok {
			domains = append(domains, sp.Domain)
		}
		byDomain[sp.Domain] = append(byDomain[sp.Domain], sp)
	}
	var periods []probe.Period
	var changes []probe.Change
	for _, d := range domains {
		r := replay{domain: d, confirm: max(opts.Confirm, 1)}
		r.run(byDomain[d])
		periods = append(periods, r.periods...)
		changes = append(changes, r.changes...)
	}
	slices.SortStableFunc(periods, func(a, b probe.Period) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.Domain, b.Domain))
	})
	slices.SortStableFunc(changes, func(a, b probe.Change) int {
		return cmp.Or(a.AfterAt.Compare(b.AfterAt), cmp.Compare(a.Domain, b.Domain))
	})
	return periods, changes
}

// Compare classifies the difference between two observations of one domain (used by `diff` of two saved reports; no confirmation, no history).
// A zero or unresolved before says nothing about the hosting, so a resolved
// after is then new; an unresolved after is unresolved unless before was too.
func Compare(before, after probe.Hosting) []probe.ChangeKind {
	unknown := before.Status == "" || before.Unresolved()
	switch {
	case after.Unresolved() && before.Unresolved():
		return nil
	case after.Unresolved():
		return []probe.ChangeKind{probe.ChangeUnresolved}
	case unknown:
		return []probe.ChangeKind{probe.ChangeNew}
	}
	kinds, _ := classify(before, before, after)
	return kinds
}

// classify compares an observation h with the union of a period and with
// the period's last observation. shift reports a move or a status change:
// what ends a period.
func classify(union, last, h probe.Hosting) (kinds []probe.ChangeKind, shift bool) {
	found := map[probe.ChangeKind]bool{}
	cname := !slices.Equal(last.CNAME, h.CNAME)
	if h.Status != union.Status {
		if len(union.Addresses) > 0 && h.Status == resolvers.StatusNXDomain {
			found[probe.ChangeGone] = true
		} else {
			found[probe.ChangeStatus] = true
		}
		shift = true
	} else {
		found[probe.ChangeCountry] = !subset(h.Countries, union.Countries, cmp.Compare[string])
		found[probe.ChangeProvider] = !subset(h.Orgs, union.Orgs, cmp.Compare[string])
		found[probe.ChangeASN] = !subset(h.ASNs, union.ASNs, cmp.Compare[uint32])
		shift = found[probe.ChangeCountry] || found[probe.ChangeProvider] || found[probe.ChangeASN]
		found[probe.ChangeAddresses] = !subset(h.Addresses, union.Addresses, netip.Addr.Compare) || !slices.Equal(h.Addresses, last.Addresses)
	}
	found[probe.ChangeCNAME] = cname
	for _, k := range probe.ChangeKinds() {
		if found[k] {
			kinds = append(kinds, k)
		}
	}
	return kinds, shift
}

// subset reports whether every element of the sorted set a is in the sorted set b.
func subset[T any](a, b []T, compare func(T, T) int) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearchFunc(b, x, compare); !ok {
			return false
		}
	}
	return true
}

// union merges two sorted sets.
func union[T any](a, b []T, compare func(T, T) int) []T {
	out := slices.Concat(a, b)
	slices.SortFunc(out, compare)
	return slices.CompactFunc(out, func(x, y T) bool { return compare(x, y) == 0 })
}

// group is n consecutive identical observations: the k-th to (k+n-1)-th
// observation of a span.
type group struct {
	span *Span
	h    probe.Hosting
	k, n int
}

// at is the time of the i-th observation of the span: only the first and the
// last are stored, so any later one is dated by the span's last.
func (g group) at(i int) time.Time {
	if i <= 1 {
		return g.span.FirstSeen
	}
	return g.span.LastSeen
}

func (g group) first() time.Time { return g.at(g.k) }
func (g group) last() time.Time  { return g.at(g.k + g.n - 1) }

// period is the period being built.
type period struct {
	from, to time.Time
	union    probe.Hosting // union of the sets; Status the period's
	last     probe.Hosting // the last observation in the period
	count    int
}

func newPeriod(g group) *period {
	return &period{from: g.first(), to: g.last(), union: g.h, last: g.h, count: g.n}
}

func (p *period) add(g group) {
	p.union.Addresses = union(p.union.Addresses, g.h.Addresses, netip.Addr.Compare)
	p.union.ASNs = union(p.union.ASNs, g.h.ASNs, cmp.Compare[uint32])
	p.union.Orgs = union(p.union.Orgs, g.h.Orgs, cmp.Compare[string])
	p.union.Countries = union(p.union.Countries, g.h.Countries, cmp.Compare[string])
	p.last, p.to, p.count = g.h, g.last(), p.count+g.n
}

// hosting is the period's hosting: the union of its sets, with the CNAME
// chain of its last observation.
func (p *period) hosting() probe.Hosting {
	h := p.union
	h.CNAME = p.last.CNAME
	return h
}

// replay walks one domain's observations in time order.
type replay struct {
	domain  string
	confirm int
	cur     *period
	// pending holds the observations of a move or status change that is not
	// confirmed yet, and pendingN counts them.
	pending    []group
	pendingN   int
	unresolved bool // in a stretch of unresolved observations, already reported
	periods    []probe.Period
	changes    []probe.Change
}

func (r *replay) run(spans []Span) {
	slices.SortStableFunc(spans, func(a, b Span) int { return a.FirstSeen.Compare(b.FirstSeen) })
	queue := make([]group, 0, len(spans))
	for i := range spans {
		queue = append(queue, group{span: &spans[i], h: probe.HostingOf(spans[i].Observation), k: 1, n: max(spans[i].Count, 1)})
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = slices.Insert(queue[1:], 0, r.step(g)...)
	}
	if r.cur != nil {
		r.closePeriod()
	}
}

func (r *replay) emit(kinds []probe.ChangeKind, after group, confirmedAt time.Time) {
	c := probe.Change{Domain: r.domain, Kinds: kinds, After: after.h, AfterAt: after.first(), ConfirmedAt: confirmedAt}
	if r.cur != nil {
		c.Before, c.BeforeAt = r.cur.hosting(), r.cur.to
	}
	r.changes = append(r.changes, c)
}

func (r *replay) closePeriod() {
	r.periods = append(r.periods, probe.Period{
		Domain: r.domain, From: r.cur.from, To: r.cur.to, Hosting: r.cur.hosting(), Observations: r.cur.count,
	})
}

// step takes in a group of observations and returns the observations to
// take in again: those of a confirmed change after its first, which are
// then compared with the new period.
func (r *replay) step(g group) []group {
	if g.h.Unresolved() {
		// The last known hosting stands; a pending change neither counts
		// nor breaks.
		if !r.unresolved {
			r.unresolved = true
			r.emit([]probe.ChangeKind{probe.ChangeUnresolved}, g, g.first())
		}
		return nil
	}
	r.unresolved = false
	if r.cur == nil {
		r.emit([]probe.ChangeKind{probe.ChangeNew}, g, g.first())
		r.cur = newPeriod(g)
		return nil
	}
	kinds, shift := classify(r.cur.union, r.cur.last, g.h)
	if !shift {
		// Fits the period: a pending change was a blip.
		r.pending, r.pendingN = nil, 0
		if len(kinds) > 0 {
			r.emit(kinds, g, g.first())
		}
		r.cur.add(g)
		return nil
	}
	need := r.confirm - r.pendingN
	r.pending = append(r.pending, g)
	r.pendingN += g.n
	if r.pendingN < r.confirm {
		return nil
	}
	start := r.pending[0]
	rest := r.pending[1:]
	r.pending, r.pendingN = nil, 0
	kinds, _ = classify(r.cur.union, r.cur.last, start.h)
	r.emit(kinds, start, g.at(g.k+need-1))
	r.closePeriod()
	first := start
	first.n = 1
	r.cur = newPeriod(first)
	var again []group
	if start.n > 1 {
		again = append(again, group{span: start.span, h: start.h, k: start.k + 1, n: start.n - 1})
	}
	return append(again, rest...)
}

// Latest returns the changes that each domain's latest observation in spans
// brought: those Timeline reports for spans but not for spans without that
// observation. A check run uses it to report every change once: with Confirm
// above 1, a change confirmed inside a span is dated by the span's last
// observation, so its ConfirmedAt moves on while the span grows.
func Latest(spans []Span, opts Options) []probe.Change {
	_, now := Timeline(spans, opts)
	// Drop the latest observation of each domain: the last observation of
	// its span with the latest LastSeen (the last one of those on a tie).
	prev := slices.Clone(spans)
	latest := map[string]int{}
	for i, sp := range prev {
		if j, ok := latest[sp.Domain]; !ok || !sp.LastSeen.Before(prev[j].LastSeen) {
			latest[sp.Domain] = i
		}
	}
	drop := make([]bool, len(prev))
	for _, i := range latest {
		if prev[i].Count > 1 {
			prev[i].Count--
		} else {
			drop[i] = true
		}
	}
	kept := prev[:0]
	for i, sp := range prev {
		if !drop[i] {
			kept = append(kept, sp)
		}
	}
	_, before := Timeline(kept, opts)
	// Changes are never taken back, so before is a prefix of now, domain by
	// domain; compare them by what does not depend on the dropped one.
	type key struct {
		domain, kinds string
		after         int64
	}
	keyOf := func(c probe.Change) key {
		return key{c.Domain, fmt.Sprint(c.Kinds), c.AfterAt.UnixNano()}
	}
	seen := map[key]int{}
	for _, c := range before {
		seen[keyOf(c)]++
	}
	var out []probe.Change
	for _, c := range now {
		if k := keyOf(c); seen[k] > 0 {
			seen[k]--
			continue
		}
		out = append(out, c)
	}
	return out
}
