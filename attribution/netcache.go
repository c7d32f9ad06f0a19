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
	m   map[netip.Prefix]Result
	// lens4 and lens6 have bit n set when a block of length n is kept, so
	// that get masks an address only to the lengths there are.
	lens4 uint64
	lens6 [3]uint64
}

func newNetCache(max int) *netCache {
	return &netCache{max: max, m: make(map[netip.Prefix]Result)}
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
			if r, ok := c.m[netip.PrefixFrom(ip, 63-bits.LeadingZeros64(set)).Masked()]; ok {
				return r, true
			}
		}
		return Result{}, false
	}
	for w := len(c.lens6) - 1; w >= 0; w-- {
		for set := c.lens6[w]; set != 0; set &^= 1 << (63 - bits.LeadingZeros64(set)) {
			if r, ok := c.m[netip.PrefixFrom(ip, w*64+63-bits.LeadingZeros64(set)).Masked()]; ok {
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
	c.m[block] = r
	if n := block.Bits(); block.Addr().Is4() {
		c.lens4 |= 1 << n
	} else {
		c.lens6[n/64] |= 1 << (n % 64)
	}
}
