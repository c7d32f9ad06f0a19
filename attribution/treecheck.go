package attribution

import (
	"errors"
	"fmt"

	"github.com/oschwald/maxminddb-golang/v2"
)

// checkTree checks the shape of an MMDB file's search tree before anything
// walks it whole. Verify enumerates every network the tree holds, which
// takes time in proportion to the number of paths from the root: a small
// hostile file whose nodes all point at the next one holds 2^128 of them
// and keeps Verify busy forever. A real tree has about as many paths as
// nodes (IPv6 files alias the IPv4 subtree a few times), so checkTree
// counts them, in time proportional to the nodes, and refuses a tree with
// far more, one that loops, one deeper than an address has bits, and one
// that does not fit in the file.
func checkTree(b []byte, md maxminddb.Metadata) error {
	rs := uint64(md.RecordSize)
	if rs != 24 && rs != 28 && rs != 32 {
		return fmt.Errorf("record size %d is not 24, 28 or 32", rs)
	}
	nodes := uint64(md.NodeCount)
	nodeBytes := rs / 4
	if nodes == 0 || nodes > uint64(len(b))/nodeBytes {
		return fmt.Errorf("a search tree of %d nodes does not fit in %d bytes", nodes, len(b))
	}
	maxDepth := 32
	if md.IPVersion == 6 {
		maxDepth = 128
	}
	record := func(n uint64, right bool) uint64 {
		p := b[n*nodeBytes:]
		switch rs {
		case 24:
			if right {
				p = p[3:]
			}
			return uint64(p[0])<<16 | uint64(p[1])<<8 | uint64(p[2])
		case 28:
			if right {
				return uint64(p[3]&0x0f)<<24 | uint64(p[4])<<16 | uint64(p[5])<<8 | uint64(p[6])
			}
			return uint64(p[3]&0xf0)<<20 | uint64(p[0])<<16 | uint64(p[1])<<8 | uint64(p[2])
		default:
			if right {
				p = p[4:]
			}
			return uint64(p[0])<<24 | uint64(p[1])<<16 | uint64(p[2])<<8 | uint64(p[3])
		}
	}
	limit := 4*nodes + 1024
	paths := make([]uint64, nodes) // 0: not counted yet
	onPath := make([]bool, nodes)
	errTooMany := errors.New("too many paths")
	var count func(n uint64, depth int) (uint64, error)
	count = func(n uint64, depth int) (uint64, error) {
		if n >= nodes {
			return 1, nil // empty, or a pointer to data
		}
		if depth >= maxDepth {
			return 0, fmt.Errorf("the search tree is deeper than the %d bits of an address", maxDepth)
		}
		if onPath[n] {
			return 0, fmt.Errorf("the search tree loops at node %d", n)
		}
		if paths[n] != 0 {
			return paths[n], nil
		}
		onPath[n] = true
		defer func() { onPath[n] = false }()
		var sum uint64
		for _, right := range []bool{false, true} {
			c, err := count(record(n, right), depth+1)
			if err != nil {
				return 0, err
			}
			if sum += c; sum > limit {
				return 0, errTooMany
			}
		}
		paths[n] = sum
		return sum, nil
	}
	if _, err := count(0, 0); err != nil {
		if errors.Is(err, errTooMany) {
			return fmt.Errorf("the search tree of %d nodes holds more than %d networks: it is not a tree", nodes, limit)
		}
		return err
	}
	return nil
}
