package attribution

import (
	"strings"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"
)

// tree24 packs nodes of 24-bit records (left, right).
func tree24(nodes ...[2]uint32) []byte {
	var b []byte
	for _, n := range nodes {
		for _, r := range n {
			b = append(b, byte(r>>16), byte(r>>8), byte(r))
		}
	}
	return append(b, make([]byte, 64)...) // the data section
}

func TestCheckTree(t *testing.T) {
	md := func(nodes uint, ipv uint) maxminddb.Metadata {
		return maxminddb.Metadata{NodeCount: nodes, RecordSize: 24, IPVersion: ipv}
	}
	// 31 nodes, each pointing twice at the next: 2^31 paths in 31 nodes.
	var shared [][2]uint32
	for i := range uint32(31) {
		shared = append(shared, [2]uint32{i + 1, i + 1})
	}
	// 40 nodes in a line: deeper than IPv4's 32 bits.
	var line [][2]uint32
	for i := range uint32(40) {
		line = append(line, [2]uint32{i + 1, 40})
	}
	tests := []struct {
		name string
		b    []byte
		md   maxminddb.Metadata
		want string // "" for a tree that passes
	}{
		{"a tree", tree24([2]uint32{1, 2}, [2]uint32{3, 3}, [2]uint32{3, 4}), md(3, 4), ""},
		{"every node shared", tree24(shared...), md(31, 4), "not a tree"},
		{"a loop", tree24([2]uint32{1, 2}, [2]uint32{0, 2}), md(2, 4), "loops"},
		{"too deep", tree24(line...), md(40, 4), "deeper than the 32 bits"},
		{"does not fit", tree24([2]uint32{1, 1}), md(1000, 4), "does not fit"},
		{"odd record size", tree24([2]uint32{1, 1}), maxminddb.Metadata{NodeCount: 1, RecordSize: 7}, "record size"},
	}
	for _, tt := range tests {
		err := checkTree(tt.b, tt.md)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}
