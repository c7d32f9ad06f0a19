package spans

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

func TestResolveExamples(t *testing.T) {
	t.Parallel()
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	tests := []struct {
		name   string
		items  []Item
		yields func(v, over int32) bool
		want   []Span
	}{
		{name: "nothing"},
		{name: "nested: the longer prefix wins inside",
			items: []Item{{Prefix: p("10.0.0.0/8"), Value: 1}, {Prefix: p("10.1.0.0/16"), Value: 2}},
			want: []Span{{a("10.0.0.0"), a("10.0.255.255"), 1}, {a("10.1.0.0"), a("10.1.255.255"), 2},
				{a("10.2.0.0"), a("10.255.255.255"), 1}}},
		{name: "equal prefixes: the lower rank wins, whatever the order given",
			items: []Item{{Prefix: p("10.0.0.0/8"), Value: 1, Rank: 5}, {Prefix: p("10.0.0.0/8"), Value: 2, Rank: 3}},
			want:  []Span{{a("10.0.0.0"), a("10.255.255.255"), 2}}},
		{name: "equal prefixes and ranks: the lower value wins",
			items: []Item{{Prefix: p("10.0.0.0/8"), Value: 2}, {Prefix: p("10.0.0.0/8"), Value: 1}},
			want:  []Span{{a("10.0.0.0"), a("10.255.255.255"), 1}}},
		{name: "a list that yields loses even with the longer prefix",
			items:  []Item{{Prefix: p("10.0.0.0/8"), Value: 1}, {Prefix: p("10.1.0.0/16"), Value: 2}, {Prefix: p("11.0.0.0/16"), Value: 2}},
			yields: func(v, over int32) bool { return v == 2 && over == 1 },
			want:   []Span{{a("10.0.0.0"), a("10.255.255.255"), 1}, {a("11.0.0.0"), a("11.0.255.255"), 2}}},
		{name: "host bits are masked; invalid prefixes and negative values skipped",
			items: []Item{{Prefix: p("10.0.0.7/24"), Value: 1}, {Value: 3}, {Prefix: p("10.0.1.0/24"), Value: -1}},
			want:  []Span{{a("10.0.0.0"), a("10.0.0.255"), 1}}},
		{name: "adjacent spans of one value merge",
			items: []Item{{Prefix: p("10.0.0.0/25"), Value: 1}, {Prefix: p("10.0.0.128/25"), Value: 1}},
			want:  []Span{{a("10.0.0.0"), a("10.0.0.255"), 1}}},
		{name: "the ends of the address spaces",
			items: []Item{{Prefix: p("0.0.0.0/0"), Value: 1}, {Prefix: p("255.255.255.255/32"), Value: 2},
				{Prefix: p("::/0"), Value: 3}, {Prefix: p("::ffff:0:0/96"), Value: 4}, {Prefix: p("ffff::/16"), Value: 5}},
			want: []Span{{a("0.0.0.0"), a("255.255.255.254"), 1}, {a("255.255.255.255"), a("255.255.255.255"), 2},
				{a("::"), a("::fffe:ffff:ffff"), 3}, {a("::ffff:0:0"), a("::ffff:ffff:ffff"), 4},
				{a("::1:0:0:0"), a("fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 3}, {a("ffff::"), a("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Resolve(tt.items, tt.yields)
			if len(got) != len(tt.want) {
				t.Fatalf("Resolve = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("span %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// randomItems makes prefixes inside 10.0.0.0/24 and 2001:db8::/120, so
// that every address of those can be checked.
func randomItems(r *rand.Rand, n, values int) []Item {
	var items []Item
	for range n {
		bits := 24 + r.IntN(9)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(256))}), bits)
		if r.IntN(4) == 0 {
			a := netip.MustParseAddr("2001:db8::").As16()
			a[15] = byte(r.IntN(256))
			p = netip.PrefixFrom(netip.AddrFrom16(a), 120+bits-24)
		}
		items = append(items, Item{Prefix: p.Masked(), Value: int32(r.IntN(values)), Rank: int32(r.IntN(3))})
	}
	return items
}

func checkAddrs() []netip.Addr {
	var out []netip.Addr
	for i := range 256 {
		out = append(out, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
		a := netip.MustParseAddr("2001:db8::").As16()
		a[15] = byte(i)
		out = append(out, netip.AddrFrom16(a))
	}
	return append(out, netip.MustParseAddr("9.255.255.255"), netip.MustParseAddr("10.0.1.0"),
		netip.MustParseAddr("2001:db8::100"), netip.MustParseAddr("::ffff:10.0.0.1"))
}

// bruteWinner applies Resolve's rules to one address directly.
func bruteWinner(items []Item, a netip.Addr, yields func(v, over int32) bool) int32 {
	a = a.Unmap()
	var cands []Item
	for _, it := range items {
		if it.Prefix.Contains(a) {
			cands = append(cands, it)
		}
	}
	var kept []Item
	for _, c := range cands {
		out := false
		for _, o := range cands {
			if yields != nil && o.Value != c.Value && yields(c.Value, o.Value) {
				out = true
			}
		}
		if !out {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		kept = cands
	}
	best := int32(-1)
	var bi Item
	for _, c := range kept {
		if best < 0 || c.Prefix.Bits() > bi.Prefix.Bits() ||
			c.Prefix.Bits() == bi.Prefix.Bits() && (c.Rank < bi.Rank || c.Rank == bi.Rank && c.Value < bi.Value) {
			best, bi = c.Value, c
		}
	}
	return best
}

func checkSorted(t *testing.T, ss []Span) {
	t.Helper()
	for i, s := range ss {
		if s.To.Less(s.From) || s.From.BitLen() != s.To.BitLen() {
			t.Fatalf("span %d is backwards: %v", i, s)
		}
		if i > 0 && !ss[i-1].To.Less(s.From) {
			t.Fatalf("spans %d and %d overlap or are out of order: %v %v", i-1, i, ss[i-1], s)
		}
		if i > 0 && ss[i-1].Value == s.Value && ss[i-1].To.Next() == s.From {
			t.Fatalf("spans %d and %d should have merged: %v %v", i-1, i, ss[i-1], s)
		}
	}
}

// TestResolveAgainstBruteForce compares Resolve and Index with the rules
// applied address by address.
func TestResolveAgainstBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		items := randomItems(r, 1+r.IntN(40), 1+r.IntN(5))
		var yields func(v, over int32) bool
		if round%2 == 1 {
			y := [5][5]bool{}
			for range 3 {
				y[r.IntN(5)][r.IntN(5)] = true
			}
			yields = func(v, over int32) bool { return y[v][over] }
		}
		got := Resolve(items, yields)
		checkSorted(t, got)
		// Order does not matter.
		shuffled := append([]Item(nil), items...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if again := Resolve(shuffled, yields); !slices.Equal(again, got) {
			t.Fatalf("round %d: order changed the result: %v vs %v", round, got, again)
		}
		ix := NewIndex(got)
		for _, a := range checkAddrs() {
			if g, w := ix.Lookup(a), bruteWinner(items, a, yields); g != w {
				t.Fatalf("round %d: Lookup(%s) = %d, want %d\nitems %v\nspans %v", round, a, g, w, items, got)
			}
		}
	}
}

func TestOverlayAgainstBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		topItems := randomItems(r, r.IntN(10), 3)
		bottomItems := randomItems(r, r.IntN(30), 3)
		for i := range topItems {
			topItems[i].Value += 10
		}
		top, bottom := Resolve(topItems, nil), Resolve(bottomItems, nil)
		got := Overlay(top, bottom)
		checkSorted(t, got)
		ix := NewIndex(got)
		for _, a := range checkAddrs() {
			want := bruteWinner(topItems, a, nil)
			if want < 0 {
				want = bruteWinner(bottomItems, a, nil)
			}
			if g := ix.Lookup(a); g != want {
				t.Fatalf("round %d: Lookup(%s) = %d, want %d\ntop %v\nbottom %v\ngot %v", round, a, g, want, top, bottom, got)
			}
		}
	}
}

func TestIndexEmptyAndInvalid(t *testing.T) {
	t.Parallel()
	var ix Index
	for _, a := range []netip.Addr{{}, netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("::1")} {
		if v := ix.Lookup(a); v != -1 {
			t.Errorf("empty index: Lookup(%v) = %d", a, v)
		}
	}
	ix = NewIndex(Resolve([]Item{{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Value: 7}}, nil))
	if v := ix.Lookup(netip.Addr{}); v != -1 {
		t.Errorf("Lookup(invalid) = %d", v)
	}
	if v := ix.Lookup(netip.MustParseAddr("::1")); v != -1 {
		t.Errorf("IPv6 in an IPv4 index: %d", v)
	}
	if v := ix.Lookup(netip.MustParseAddr("255.255.255.255")); v != 7 {
		t.Errorf("Lookup(255.255.255.255) = %d", v)
	}
}
