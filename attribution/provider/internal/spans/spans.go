// Package spans turns overlapping, prioritised IP prefixes into disjoint
// address ranges and looks addresses up in them quickly. The provider
// package and its data generator share it, so that the committed data and
// the ranges loaded at run time are resolved by the same rules.
package spans

import (
	"cmp"
	"net/netip"
	"slices"

	"go4.org/netipx"
)

// Item is one prefix of a list or feed.
type Item struct {
	Prefix netip.Prefix
	// Value is what the prefix says, as an index into the caller's table.
	// It must not be negative.
	Value int32
	// Rank breaks ties between prefixes of equal length: the lower wins.
	Rank int32
}

// Span is a range of addresses, From to To inclusive, of one family, and
// the Value that holds there.
type Span struct {
	From, To netip.Addr
	Value    int32
}

// Resolve flattens items into disjoint spans, sorted by address, IPv4
// before IPv6. At each address the winner among the items that hold it is
// chosen thus:
//
//  1. an item whose value yields to the value of another item there is
//     out (yields may be nil);
//  2. of the rest, the longest prefix wins;
//  3. at equal length, the lowest Rank, then the lowest Value.
//
// Adjacent spans with the same value are merged. Invalid prefixes are
// skipped; IPv4-mapped IPv6 prefixes stay IPv6. The result depends only on
// the items as a set, not on their order.
func Resolve(items []Item, yields func(v, over int32) bool) []Span {
	its := make([]item, 0, len(items))
	for _, it := range items {
		if !it.Prefix.IsValid() || it.Value < 0 {
			continue
		}
		p := it.Prefix.Masked()
		its = append(its, item{Item: Item{Prefix: p, Value: it.Value, Rank: it.Rank}, last: netipx.PrefixLastIP(p)})
	}
	slices.SortFunc(its, func(a, b item) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c // Compare puts IPv4 before IPv6
		}
		if c := cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()); c != 0 {
			return c // the containing prefix first
		}
		if c := cmp.Compare(a.Rank, b.Rank); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})

	r := resolver{yields: yields}
	for _, it := range its {
		start := it.Prefix.Addr()
		// Close the open prefixes that end before this one starts. CIDR
		// prefixes nest or are disjoint, so the open ones form a stack.
		r.closeBefore(start)
		if len(r.stack) > 0 && r.cursorValid && r.cursor.Less(start) {
			r.emit(start.Prev())
		}
		r.cursor, r.cursorValid = start, true
		r.stack = append(r.stack, it)
	}
	r.closeBefore(netip.Addr{})
	return r.out
}

type item struct {
	Item
	last netip.Addr
}

type resolver struct {
	yields      func(v, over int32) bool
	stack       []item
	cursor      netip.Addr // the first address not yet emitted
	cursorValid bool       // false once the cursor passed the last address
	out         []Span
}

// closeBefore pops the open prefixes that end before start, emitting what
// they cover; an invalid start closes them all.
func (r *resolver) closeBefore(start netip.Addr) {
	for len(r.stack) > 0 {
		top := r.stack[len(r.stack)-1]
		if start.IsValid() && start.BitLen() == top.last.BitLen() && !top.last.Less(start) {
			return
		}
		if r.cursorValid && r.cursor.BitLen() == top.last.BitLen() && !top.last.Less(r.cursor) {
			r.emit(top.last)
		}
		r.stack = r.stack[:len(r.stack)-1]
	}
}

// emit records the span from the cursor to the open prefixes' winner,
// and moves the cursor past it.
func (r *resolver) emit(to netip.Addr) {
	v := r.winner()
	from := r.cursor
	if n := len(r.out); n > 0 && r.out[n-1].Value == v && r.out[n-1].To.Next() == from {
		r.out[n-1].To = to
	} else {
		r.out = append(r.out, Span{From: from, To: to, Value: v})
	}
	r.cursor = to.Next()
	r.cursorValid = r.cursor.IsValid()
}

// winner is the value that holds where every open prefix does.
func (r *resolver) winner() int32 {
	best := -1
	for i, c := range r.stack {
		if r.yields != nil && r.yieldsToAny(c.Value) {
			continue
		}
		if best < 0 || beats(c, r.stack[best]) {
			best = i
		}
	}
	if best < 0 { // every candidate yields to another: a cycle; fall back to rule 2
		for i, c := range r.stack {
			if best < 0 || beats(c, r.stack[best]) {
				best = i
			}
		}
	}
	return r.stack[best].Value
}

func (r *resolver) yieldsToAny(v int32) bool {
	for _, o := range r.stack {
		if o.Value != v && r.yields(v, o.Value) {
			return true
		}
	}
	return false
}

func beats(a, b item) bool {
	if a.Prefix.Bits() != b.Prefix.Bits() {
		return a.Prefix.Bits() > b.Prefix.Bits()
	}
	if a.Rank != b.Rank {
		return a.Rank < b.Rank
	}
	return a.Value < b.Value
}

// Overlay returns the spans of top where it has any, and of bottom
// elsewhere. Both must be sorted and disjoint, as Resolve returns them.
func Overlay(top, bottom []Span) []Span {
	var out []Span
	add := func(s Span) {
		if n := len(out); n > 0 && out[n-1].Value == s.Value && out[n-1].To.Next() == s.From {
			out[n-1].To = s.To
			return
		}
		out = append(out, s)
	}
	i := 0
	for _, b := range bottom {
		// The top spans before b, then the parts of b around top spans.
		for i < len(top) && top[i].To.Less(b.From) {
			add(top[i])
			i++
		}
		cur, curValid := b.From, true
		for curValid && i < len(top) && !b.To.Less(top[i].From) {
			t := top[i]
			if cur.Less(t.From) {
				add(Span{From: cur, To: t.From.Prev(), Value: b.Value})
			}
			if b.To.Less(t.To) { // t reaches past b: later bottom spans may still meet it
				curValid = false
				break
			}
			add(t)
			i++
			cur = t.To.Next()
			curValid = cur.IsValid() && cur.BitLen() == b.To.BitLen() && !b.To.Less(cur)
		}
		if curValid {
			add(Span{From: cur, To: b.To, Value: b.Value})
		}
	}
	for ; i < len(top); i++ {
		add(top[i])
	}
	return out
}

// Index finds the span that holds an address by binary search over sorted
// starts. It is immutable once built and safe for concurrent use.
type Index struct {
	v4From []uint32
	v4Val  []int32 // -1 where no span holds the address
	v6From []u128
	v6Val  []int32
}

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func toU128(a netip.Addr) u128 {
	b := a.As16()
	return u128{
		hi: uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7]),
		lo: uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 | uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15]),
	}
}

func toU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// NewIndex indexes spans, which must be sorted and disjoint.
func NewIndex(spans []Span) Index {
	var ix Index
	for _, s := range spans {
		if s.From.Is4() {
			from := toU32(s.From)
			if n := len(ix.v4From); n == 0 || ix.v4From[n-1] != from {
				ix.v4From = append(ix.v4From, from)
				ix.v4Val = append(ix.v4Val, s.Value)
			} else { // a gap marker at this very address
				ix.v4Val[n-1] = s.Value
			}
			if next := s.To.Next(); next.IsValid() && next.Is4() {
				ix.v4From = append(ix.v4From, toU32(next))
				ix.v4Val = append(ix.v4Val, -1)
			}
			continue
		}
		from := toU128(s.From)
		if n := len(ix.v6From); n == 0 || ix.v6From[n-1] != from {
			ix.v6From = append(ix.v6From, from)
			ix.v6Val = append(ix.v6Val, s.Value)
		} else {
			ix.v6Val[n-1] = s.Value
		}
		if next := s.To.Next(); next.IsValid() {
			ix.v6From = append(ix.v6From, toU128(next))
			ix.v6Val = append(ix.v6Val, -1)
		}
	}
	return ix
}

// Lookup returns the value of the span holding a, or -1. IPv4-mapped
// IPv6 addresses are looked up as IPv4.
func (ix *Index) Lookup(a netip.Addr) int32 {
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		x := toU32(a)
		// The number of starts <= x.
		lo, hi := 0, len(ix.v4From)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if ix.v4From[m] <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == 0 {
			return -1
		}
		return ix.v4Val[lo-1]
	}
	if !a.Is6() {
		return -1
	}
	x := toU128(a)
	lo, hi := 0, len(ix.v6From)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !x.less(ix.v6From[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return -1
	}
	return ix.v6Val[lo-1]
}

// Len is the number of starts indexed, IPv4 and IPv6 (for reports).
func (ix *Index) Len() int { return len(ix.v4From) + len(ix.v6From) }
