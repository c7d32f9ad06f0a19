package probe

import (
	"hash/maphash"
	"slices"
)

// Seen keeps the first of each canonical name (Target.Domain) in a list or a
// stream of targets, so that "Example.org." and "example.org" are observed once.
//
// It remembers a 64-bit hash of each distinct name (hash/maphash, seeded at
// random for each Seen), not the name: 8 bytes a name, 8 MB for a million,
// kept in a sorted array outside the garbage-collected heap where the system
// allows (see reserveHashes), so that the collector's headroom does not
// double it, plus the last seenRecent names in a small map. Two different
// names of a list of n share a hash with a chance of about n²/2⁶⁵ (1 in 37
// million for a million names), and the second is then taken for a
// duplicate; the random seed means no list can be made to collide on
// purpose. The zero value is ready to use; it is not safe for concurrent use.
type Seen struct {
	seed   maphash.Seed
	seeded bool
	sorted []uint64            // ascending; its array may be outside the heap
	mapped []uint64            // the reserved array, when there is one
	recent map[uint64]struct{} // added since the last merge into sorted
	// fence is the last hash of each whole block of seenBlock in sorted:
	// a search of it, which stays in the CPU's caches, picks the block to
	// search. A search of the whole of sorted missed the caches at most of
	// its steps, and was most of what de-duplicating a bulk run cost.
	fence []uint64
}

// seenBlock is how many hashes of sorted one fence entry stands for.
const seenBlock = 64

// seenRecent is how many hashes wait in the map before they are merged into
// the sorted array: each merge moves the whole array, so the cost is about
// n²/(2·seenRecent) moves for n names, a fraction of a second at a million.
const seenRecent = 1 << 14

// First reports whether t is the first target with its canonical name, and
// remembers the name. An invalid target (Err set) is always first, and not
// remembered: each one is reported where it was given.
func (s *Seen) First(t Target) bool {
	if t.Err != nil {
		return true
	}
	if !s.seeded {
		s.seed, s.seeded = maphash.MakeSeed(), true
		s.recent = make(map[uint64]struct{}, seenRecent)
		s.sorted = reserveHashes()
		s.mapped = s.sorted[:cap(s.sorted)]
	}
	h := maphash.String(s.seed, t.Domain)
	if _, dup := s.recent[h]; dup {
		return false
	}
	if s.has(h) {
		return false
	}
	s.recent[h] = struct{}{}
	if len(s.recent) >= seenRecent {
		s.merge()
	}
	return true
}

// Release gives back the memory of the names remembered: s is empty again,
// ready to use. A Seen that lives as long as the process need not call it.
func (s *Seen) Release() {
	if len(s.mapped) > 0 {
		releaseHashes(s.mapped)
	}
	*s = Seen{}
}

// has reports whether h is in sorted.
func (s *Seen) has(h uint64) bool {
	b, _ := slices.BinarySearch(s.fence, h) // the first block whose last hash is h or more
	block := s.sorted[b*seenBlock : min((b+1)*seenBlock, len(s.sorted))]
	_, found := slices.BinarySearch(block, h)
	return found
}

// merge moves the recent hashes into the sorted array, merging from the
// back so that no second array is needed.
func (s *Seen) merge() {
	add := make([]uint64, 0, len(s.recent))
	for h := range s.recent {
		add = append(add, h)
	}
	slices.Sort(add)
	clear(s.recent)
	n := len(s.sorted)
	if cap(s.sorted)-n < len(add) {
		// Past the reserved space (or without one): an ordinary slice.
		s.sorted = slices.Grow(s.sorted, len(add))
	}
	s.sorted = s.sorted[:n+len(add)]
	i, j := n-1, len(add)-1
	for k := len(s.sorted) - 1; j >= 0; k-- {
		if i >= 0 && s.sorted[i] > add[j] {
			s.sorted[k] = s.sorted[i]
			i--
		} else {
			s.sorted[k] = add[j]
			j--
		}
	}
	s.fence = s.fence[:0]
	for i := seenBlock - 1; i < len(s.sorted); i += seenBlock {
		s.fence = append(s.fence, s.sorted[i])
	}
}
