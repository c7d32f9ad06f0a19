package probe

import (
	"errors"
	"fmt"
	"testing"
)

func TestShardsCoverTheListOnce(t *testing.T) {
	t.Parallel()
	var targets []Target
	for i := range 10000 {
		targets = append(targets, ParseTarget(fmt.Sprintf("Site-%d.KPU.go.id.", i), "args", 0))
	}
	targets = append(targets, ParseTarget("bücher.example", "args", 0), ParseTarget("not a name", "args", 0))
	for _, n := range []int{1, 2, 3, 16} {
		seen := map[string]int{}
		for i := range n {
			sh, err := NewShard(i, n)
			if err != nil {
				t.Fatal(err)
			}
			kept := sh.Filter(targets)
			if n > 1 && (len(kept) < len(targets)/n/2 || len(kept) > 2*len(targets)/n) {
				t.Errorf("shard %s keeps %d of %d names", sh, len(kept), len(targets))
			}
			for _, k := range kept {
				seen[k.Input]++
			}
		}
		for _, tg := range targets {
			if seen[tg.Input] != 1 {
				t.Errorf("%d shards: %q kept %d times", n, tg.Input, seen[tg.Input])
			}
		}
	}
}

// The hash is documented and never changes: these names stay in these shards.
func TestShardIsStable(t *testing.T) {
	t.Parallel()
	sh := Shard{Count: 16}
	for name, want := range map[string]int{"kpu.go.id": 10, "sirekap-web.kpu.go.id": 12, "xn--bcher-kva.example": 4} {
		if got := sh.Of(name); got != want {
			t.Errorf("%s in shard %d, want %d", name, got, want)
		}
	}
	// FNV-1a-64 of "kpu.go.id", computed by hand from its definition.
	h := uint64(14695981039346656037)
	for _, c := range []byte("kpu.go.id") {
		h ^= uint64(c)
		h *= 1099511628211
	}
	if got := sh.Of("kpu.go.id"); got != int(h%16) {
		t.Errorf("kpu.go.id in shard %d, want FNV-1a-64 mod 16 = %d", got, h%16)
	}
	// A name spelled another way is the same name.
	a, b := ParseTarget("KPU.go.id.", "args", 0), ParseTarget("kpu.go.id", "args", 0)
	if sh.Of(a.Domain) != sh.Of(b.Domain) {
		t.Error("the same name in two spellings is in two shards")
	}
}

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{"0/1", Shard{0, 1}, false},
		{"3/16", Shard{3, 16}, false},
		{" 15/16 ", Shard{15, 16}, false},
		{"16/16", Shard{}, true},
		{"-1/4", Shard{}, true},
		{"1/0", Shard{}, true},
		{"1", Shard{}, true},
		{"a/b", Shard{}, true},
		{"1/2/3", Shard{}, true},
	} {
		got, err := ParseShard(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q): %v is not ErrShard", tc.in, err)
		}
	}
}
