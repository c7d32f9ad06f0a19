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
	// must hold before it is reported. Zero means the value recorded with
	// the latest run of each domain and vantage (1 when none was).
	Confirm int
}

// key is what a timeline is kept for: one domain seen from one vantage.
type key struct{ domain, vantage string }

// Timeline replays spans (any order) and returns the periods and changes of
// each domain and vantage. Changes still waiting for confirmation come last
// in their timeline, with Pending set. Both results are sorted by time
// (periods by From, changes by AfterAt), then by domain and vantage.
func Timeline(spans []Span, opts Options) ([]probe.Period, []probe.Change) {
	var keys []key
	byKey := map[key][]Span{}
	for _, sp := range spans {
		k := key{sp.Domain, sp.Vantage}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], sp)
	}
	var periods []probe.Period
	var changes []probe.Change
	for _, k := range keys {
		r := replay{key: k, confirm: ConfirmOf(byKey[k], opts)}
		r.run(byKey[k])
		periods = append(periods, r.periods...)
		changes = append(changes, r.changes...)
	}
	slices.SortStableFunc(periods, func(a, b probe.Period) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Vantage, b.Vantage))
	})
	slices.SortStableFunc(changes, func(a, b probe.Change) int {
		return cmp.Or(a.AfterAt.Compare(b.AfterAt), cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Vantage, b.Vantage))
	})
	return periods, changes
}

// ConfirmOf is the confirmation count a timeline's spans are read with: the
// one asked for, else the one recorded with its latest run.
func ConfirmOf(spans []Span, opts Options) int {
	if opts.Confirm > 0 {
		return opts.Confirm
	}
	if len(spans) == 0 {
		return 1
	}
	latest := 0
	for i, sp := range spans {
		if sp.LastRun > spans[latest].LastRun {
			latest = i
		}
	}
	return max(spans[latest].Confirm, 1)
}

// Compare classifies the difference between two observations of one domain (used by `diff` of two saved reports; no confirmation, no history).
// A zero or unresolved before says nothing about the hosting, so a resolved
// after is then new; an unresolved after is unresolved unless before was too.
func Compare(before, after probe.Hosting) (kinds []probe.ChangeKind, move bool) {
	unknown := before.Status == "" || before.Unresolved()
	switch {
	case after.Unresolved() && before.Unresolved():
		return nil, false
	case after.Unresolved():
		return []probe.ChangeKind{probe.ChangeUnresolved}, false
	case unknown:
		return []probe.ChangeKind{probe.ChangeNew}, false
	}
	kinds, _, move = classify(before, before, after)
	return kinds, move
}

// classify compares an observation h with the union of a period and with
// the period's last observation. shift reports a move or a status change:
// what ends a period; move reports a move under probe.MoveRule.
func classify(union, last, h probe.Hosting) (kinds []probe.ChangeKind, shift, move bool) {
	found := map[probe.ChangeKind]bool{}
	if h.Status != union.Status {
		if len(union.Addresses) > 0 && h.Status == resolvers.StatusNXDomain {
			found[probe.ChangeGone] = true
		} else {
			found[probe.ChangeStatus] = true
		}
		shift = true
	} else {
		move = !subset(h.Places, union.Places, probe.ComparePlaces)
		country := !subset(h.Countries, union.Countries, cmp.Compare[string])
		provider := !subset(h.Providers, union.Providers, cmp.Compare[string])
		// A known provider in a known country, but never the two together
		// before: the provider now serves from another country.
		found[probe.ChangeCountry] = country || move && !provider
		found[probe.ChangeProvider] = provider
		asn := !subset(h.ASNs, union.ASNs, cmp.Compare[uint32])
		found[probe.ChangeASN] = asn
		found[probe.ChangeNetwork] = !move && (asn || !subset(h.Prefixes, union.Prefixes, netip.Prefix.Compare))
		found[probe.ChangeAddresses] = !subset(h.Addresses, union.Addresses, netip.Addr.Compare) || !slices.Equal(h.Addresses, last.Addresses)
		shift = move
	}
	found[probe.ChangeCNAME] = !slices.Equal(last.CNAME, h.CNAME)
	for _, k := range probe.ChangeKinds() {
		if found[k] {
			kinds = append(kinds, k)
		}
	}
	return kinds, shift, move
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
	view     probe.View
	union    probe.Hosting // union of the sets; Status the period's
	last     probe.Hosting // the last observation in the period
	chains   [][]string
	count    int
}

func newPeriod(g group) *period {
	p := &period{from: g.first(), to: g.last(), view: g.span.View, union: g.h, last: g.h, count: g.n}
	p.chains = [][]string{g.h.CNAME}
	return p
}

func (p *period) add(g group) {
	p.union.Addresses = union(p.union.Addresses, g.h.Addresses, netip.Addr.Compare)
	p.union.ASNs = union(p.union.ASNs, g.h.ASNs, cmp.Compare[uint32])
	p.union.Prefixes = union(p.union.Prefixes, g.h.Prefixes, netip.Prefix.Compare)
	p.union.Orgs = union(p.union.Orgs, g.h.Orgs, cmp.Compare[string])
	p.union.Places = union(p.union.Places, g.h.Places, probe.ComparePlaces)
	p.union.Providers = union(p.union.Providers, g.h.Providers, cmp.Compare[string])
	p.union.Countries = union(p.union.Countries, g.h.Countries, cmp.Compare[string])
	if !slices.ContainsFunc(p.chains, func(c []string) bool { return slices.Equal(c, g.h.CNAME) }) {
		p.chains = append(p.chains, g.h.CNAME)
	}
	p.last, p.to, p.count = g.h, g.last(), p.count+g.n
}

// hosting is the period's hosting: the union of its sets, with the CNAME
// chain of its last observation.
func (p *period) hosting() probe.Hosting {
	h := p.union
	h.CNAME = p.last.CNAME
	return h
}

type periodStart struct {
	run    int64
	hosted bool
}

// begin starts a period with g.
func (r *replay) begin(g group) {
	r.cur = newPeriod(g)
	r.starts = append(r.starts, periodStart{run: g.span.FirstRun, hosted: g.h.Status == resolvers.StatusOK})
}

// replay walks one domain's observations from one vantage in time order.
type replay struct {
	key
	confirm int
	cur     *period
	// pending holds the observations of a move or status change that is not
	// confirmed yet, and pendingN counts them.
	pending    []group
	pendingN   int
	unresolved bool // in a stretch of unresolved observations, already reported
	// hosted is the last period that had addresses: where the domain was
	// last hosted, for a domain that comes back.
	hosted  *probe.Hosting
	periods []probe.Period
	// starts are the first runs of the periods, and whether each had addresses.
	starts  []periodStart
	changes []probe.Change
}

func (r *replay) run(spans []Span) {
	// In the order the runs were recorded (run IDs grow with each commit),
	// which is time order unless runs overlapped: then each run was compared
	// with what was committed before it, and the replay agrees with it.
	slices.SortStableFunc(spans, func(a, b Span) int {
		return cmp.Or(cmp.Compare(a.FirstRun, b.FirstRun), a.FirstSeen.Compare(b.FirstSeen))
	})
	queue := make([]group, 0, len(spans))
	for i := range spans {
		queue = append(queue, group{span: &spans[i], h: probe.HostingOf(spans[i].Observation), k: 1, n: max(spans[i].Count, 1)})
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = slices.Insert(queue[1:], 0, r.step(g)...)
	}
	if len(r.pending) > 0 {
		start := r.pending[0]
		kinds, _, move := r.classify(start.h)
		c := r.change(kinds, start)
		c.Move, c.Seen, c.Confirm = move, r.pendingN, r.confirm
		r.changes = append(r.changes, c)
	}
	if r.cur != nil {
		r.closePeriod()
	}
}

// classify compares h with the current period. A domain coming back with
// addresses after a stretch without (nxdomain, nodata, error) is compared
// with where it was last hosted: back in another place, it moved.
func (r *replay) classify(h probe.Hosting) (kinds []probe.ChangeKind, shift, move bool) {
	kinds, shift, move = classify(r.cur.union, r.cur.last, h)
	hosted := r.hosted
	if r.cur.union.Status == resolvers.StatusOK || hosted == nil || h.Status != resolvers.StatusOK || len(h.Places) == 0 {
		return kinds, shift, move
	}
	if subset(h.Places, hosted.Places, probe.ComparePlaces) {
		return kinds, shift, false
	}
	country := !subset(h.Countries, hosted.Countries, cmp.Compare[string])
	provider := !subset(h.Providers, hosted.Providers, cmp.Compare[string])
	extra := map[probe.ChangeKind]bool{probe.ChangeCountry: country || !provider, probe.ChangeProvider: provider}
	var out []probe.ChangeKind
	for _, k := range probe.ChangeKinds() {
		if extra[k] || slices.Contains(kinds, k) {
			out = append(out, k)
		}
	}
	return out, shift, true
}

// change describes a change to the observations of g, against the current period.
func (r *replay) change(kinds []probe.ChangeKind, after group) probe.Change {
	c := probe.Change{Domain: r.domain, Vantage: r.vantage, Kinds: kinds, After: after.h, AfterAt: after.first(),
		AfterView: after.span.View, BeforeView: after.span.View, Seen: 1, Confirm: 1}
	if r.cur != nil {
		c.Before, c.BeforeAt, c.BeforeView = r.cur.hosting(), r.cur.to, r.cur.view
	}
	return c
}

// emit records a change reported at once.
func (r *replay) emit(kinds []probe.ChangeKind, after group) {
	c := r.change(kinds, after)
	c.ConfirmedAt = c.AfterAt
	r.changes = append(r.changes, c)
}

func (r *replay) closePeriod() {
	if r.cur.union.Status == resolvers.StatusOK {
		h := r.cur.hosting()
		r.hosted = &h
	}
	r.periods = append(r.periods, probe.Period{
		Domain: r.domain, Vantage: r.vantage, View: r.cur.view, From: r.cur.from, To: r.cur.to,
		Hosting: r.cur.hosting(), CNAMEChains: r.cur.chains, Observations: r.cur.count,
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
			r.emit([]probe.ChangeKind{probe.ChangeUnresolved}, g)
		}
		return nil
	}
	r.unresolved = false
	if r.cur == nil {
		r.emit([]probe.ChangeKind{probe.ChangeNew}, g)
		r.begin(g)
		return nil
	}
	if !g.span.View.Equal(r.cur.view) {
		// Asked another way: what it answers is not comparable with the
		// period, so it starts one of its own, and a pending change is
		// dropped with the old view.
		r.pending, r.pendingN = nil, 0
		r.emit([]probe.ChangeKind{probe.ChangeView}, g)
		r.closePeriod()
		r.begin(g)
		return nil
	}
	kinds, shift, _ := r.classify(g.h)
	if !shift {
		// Fits the period: a pending change was a blip.
		r.pending, r.pendingN = nil, 0
		if len(kinds) > 0 {
			r.emit(kinds, g)
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
	kinds, _, move := r.classify(start.h)
	c := r.change(kinds, start)
	c.Move, c.Seen, c.Confirm, c.ConfirmedAt = move, r.confirm, r.confirm, g.at(g.k+need-1)
	r.changes = append(r.changes, c)
	r.closePeriod()
	first := start
	first.n = 1
	r.begin(first)
	var again []group
	if start.n > 1 {
		again = append(again, group{span: start.span, h: start.h, k: start.k + 1, n: start.n - 1})
	}
	return append(again, rest...)
}

// Latest returns what each domain's latest observation in spans brought,
// for each vantage: the confirmed changes Timeline reports for spans but not
// for spans without that observation, and the change still pending after it
// (with Pending set). A check run uses it to report every change once: with
// Confirm above 1, a change confirmed inside a span is dated by the span's
// last observation, so its ConfirmedAt moves on while the span grows.
func Latest(spans []Span, opts Options) []probe.Change {
	_, now := Timeline(spans, opts)
	// Drop the latest observation of each timeline: the last observation of
	// its span with the latest LastRun.
	prev := slices.Clone(spans)
	latest := map[key]int{}
	for i, sp := range prev {
		k := key{sp.Domain, sp.Vantage}
		if j, ok := latest[k]; !ok || sp.LastRun > prev[j].LastRun || sp.LastRun == prev[j].LastRun && !sp.LastSeen.Before(prev[j].LastSeen) {
			latest[k] = i
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
	// Confirmed changes are never taken back, so before's are a prefix of
	// now's, timeline by timeline; compare them by what does not depend on
	// the dropped observation.
	type changeKey struct {
		key
		kinds string
		after int64
	}
	keyOf := func(c probe.Change) changeKey {
		return changeKey{key{c.Domain, c.Vantage}, fmt.Sprint(c.Kinds), c.AfterAt.UnixNano()}
	}
	seen := map[changeKey]int{}
	for _, c := range before {
		if !c.Pending() {
			seen[keyOf(c)]++
		}
	}
	var out []probe.Change
	for _, c := range now {
		if k := keyOf(c); !c.Pending() && seen[k] > 0 {
			seen[k]--
			continue
		}
		out = append(out, c)
	}
	return out
}
