package probe

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is one of Count parts of a list of names (Index from 0), so that
// machines given the same list and each its own Index check every name
// exactly once between them. The zero Shard keeps every name.
//
// A name belongs to shard FNV-1a-64(name) mod Count, where name is the
// target's canonical form: ASCII (IDNA, punycode), lower case, no trailing
// dot, as Target.Domain holds it; a name that is not valid is hashed as
// given. The hash is part of hostwatch's interface and never changes: a
// name stays in its shard from one run, and one version, to the next.
type Shard struct {
	Index, Count int
}

// ErrShard marks a --shard or --shards value that is not a shard.
var ErrShard = errors.New("not a shard")

// ParseShard reads "I/N": shard I (from 0) of N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w: %q: give I/N, shard I (0 to N-1) of N", ErrShard, s)
	}
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w: %q: give I/N, shard I (0 to N-1) of N", ErrShard, s)
	}
	return NewShard(index, count)
}

// NewShard is shard index (from 0) of count.
func NewShard(index, count int) (Shard, error) {
	if count < 1 || count > 1<<20 {
		return Shard{}, fmt.Errorf("%w: %d shards (1 to %d)", ErrShard, count, 1<<20)
	}
	if index < 0 || index >= count {
		return Shard{}, fmt.Errorf("%w: shard %d of %d (0 to %d)", ErrShard, index, count, count-1)
	}
	return Shard{Index: index, Count: count}, nil
}

// String is "I/N", or "" for the zero Shard.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Of is the shard (of Count) that a canonical name belongs to.
func (s Shard) Of(name string) int {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int(h.Sum64() % uint64(s.Count))
}

// Keeps reports whether t belongs to this shard.
func (s Shard) Keeps(t Target) bool {
	if s.Count <= 1 {
		return true
	}
	name := t.Domain
	if name == "" {
		name = t.Input
	}
	return s.Of(name) == s.Index
}

// Filter keeps the targets that belong to this shard, in order.
func (s Shard) Filter(targets []Target) []Target {
	if s.Count <= 1 {
		return targets
	}
	out := targets[:0:0]
	for _, t := range targets {
		if s.Keeps(t) {
			out = append(out, t)
		}
	}
	return out
}
