package attribution

import (
	"math/bits"
	"net/netip"
	"sync"
)

// maxNets bounds the blocks a DB keeps the facts of (a few hundred bytes
// each): a bulk run's addresses fall in far fewer (100,000 names of the
// Knot bench: 127), and lookups past the bound walk the trees each time.
const maxNets = 1 << 14

// netCache keeps what the sources say of the addresses of a block, by
// block (lookupSources), so that the addresses of a bulk run, most of
// which share their blocks, walk the trees and copy the records once per
// block rather than once each. The blocks it holds never overlap: an
// address in a block kept is asked of the same sources, in the same
// records, so its own block is that one. It is safe for concurrent use.
type netCache struct {
	mu  sync.RWMutex
	max int
	m   map[netKey]Result
	// lens4 and lens6 have bit n set when a block of length n is kept, so
	// that get masks an address only to the lengths there are.
	lens4 uint64
	lens6 [3]uint64
}

// netKey is a block as a map key: its address, masked, as two integers,
// and its length (plus v4Len for IPv4). A netip.Prefix as the key was
// hashed by its type's own hash function, over a pointer and 32 bytes,
// for every length tried: the map was half of a cached lookup's time.
type netKey struct {
	hi, lo uint64
	bits   int
}

// v4Len sets IPv4 blocks apart from IPv6 ones of the same bits.
const v4Len = 256

// keyOf is the key of the block of length bits holding ip.
func keyOf(ip netip.Addr, bits int) netKey {
	if ip.Is4() {
		a := ip.As4()
		v := uint64(a[0])<<24 | uint64(a[1])<<16 | uint64(a[2])<<8 | uint64(a[3])
		return netKey{lo: v &^ (1<<(32-bits) - 1), bits: bits + v4Len}
	}
	a := ip.As16()
	hi, lo := beUint64(a[:8]), beUint64(a[8:])
	switch {
	case bits <= 64:
		hi, lo = hi&^(1<<(64-bits)-1), 0
	default:
		lo &^= 1<<(128-bits) - 1
	}
	return netKey{hi: hi, lo: lo, bits: bits}
}

func beUint64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func newNetCache(max int) *netCache {
	return &netCache{max: max, m: make(map[netKey]Result)}
}

// get returns the facts kept for the block that holds ip, if one is kept.
func (c *netCache) get(ip netip.Addr) (Result, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.m) == 0 {
		return Result{}, false
	}
	if ip.Is4() {
		for set := c.lens4; set != 0; set &^= 1 << (63 - bits.LeadingZeros64(set)) {
			if r, ok := c.m[keyOf(ip, 63-bits.LeadingZeros64(set))]; ok {
				return r, true
			}
		}
		return Result{}, false
	}
	for w := len(c.lens6) - 1; w >= 0; w-- {
		for set := c.lens6[w]; set != 0; set &^= 1 << (63 - bits.LeadingZeros64(set)) {
			if r, ok := c.m[keyOf(ip, w*64+63-bits.LeadingZeros64(set))]; ok {
				return r, true
			}
		}
	}
	return Result{}, false
}

// put keeps r as the facts of every address in block, unless the cache is full.
func (c *netCache) put(block netip.Prefix, r Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		return
	}
	c.m[keyOf(block.Addr(), block.Bits())] = r
	if n := block.Bits(); block.Addr().Is4() {
		c.lens4 |= 1 << n
	} else {
		c.lens6[n/64] |= 1 << (n % 64)
	}
}
