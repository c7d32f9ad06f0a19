package storetest

import (
	"maps"
	"slices"
	"testing"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
)

// groups: the shards of one scheduled run (one run group) record a domain
// once per vantage, however many of them observe it; what a later shard of
// the group saw is neither recorded nor reported. Another group, a run in
// no group and another vantage each count.
func (s suite) groups(t *testing.T) {
	st := s.store(t)
	const a, b, c = "a.kpu.go.id", "b.kpu.go.id", "c.kpu.go.id"
	in := func(i int, vantage, group string) history.RunInfo {
		r := s.run(at(i), vantage, "127.0.0.1:53", 1)
		r.Group = group
		return r
	}
	type step struct {
		run  history.RunInfo
		obs  []probe.Observation
		want []string // the changes reported
		n    int      // the observations recorded
	}
	steps := []step{
		{in(0, "jakarta", "ci-7-1"), []probe.Observation{s.ok(a, at(0), telkomID), s.ok(b, at(0), telkomID)}, []string{"new", "new"}, 2},
		// A second shard of the group: b again (moved, in what it saw) is
		// not recorded; c is.
		{in(1, "jakarta", "ci-7-1"), []probe.Observation{s.ok(b, at(1), alibabaSG), s.ok(c, at(1), telkomID)}, []string{"new"}, 1},
		// Another vantage in the same group has timelines of its own.
		{in(1, "singapore", "ci-7-1"), []probe.Observation{s.ok(b, at(1), alibabaSG)}, []string{"new"}, 1},
		// The next scheduled run, its own group: b moves.
		{in(2, "jakarta", "ci-8-1"), []probe.Observation{s.ok(a, at(2), telkomID), s.ok(b, at(2), alibabaSG), s.ok(c, at(2), telkomID)},
			[]string{"country_changed"}, 3},
		{in(3, "jakarta", "ci-8-1"), []probe.Observation{s.ok(b, at(3), telkomID)}, nil, 0},
		// A run in no group always counts.
		{in(4, "jakarta", ""), []probe.Observation{s.ok(b, at(4), alibabaSG)}, nil, 1},
	}
	for i, sp := range steps {
		if got := kinds(record(t, st, sp.run, sp.obs...)); !slices.Equal(got, sp.want) {
			t.Errorf("run %d reported %q, want %q", i+1, got, sp.want)
		}
	}
	count := map[string]int{}
	for _, sp := range spans(t, st, history.Query{AllVantages: true}) {
		count[sp.Vantage+" "+sp.Domain] += sp.Count
	}
	want := map[string]int{"jakarta " + a: 2, "jakarta " + b: 3, "jakarta " + c: 2, "singapore " + b: 1}
	if !maps.Equal(count, want) {
		t.Errorf("observations per timeline %v, want %v", count, want)
	}
	got := spans(t, st, history.Query{Domains: []string{b}, Vantage: "jakarta"})
	if len(got) != 2 || got[0].Observation.Addresses[0].IP.String() != telkomID || got[0].Count != 1 || got[1].Count != 2 {
		t.Errorf("spans of b from jakarta %+v, want Telkom once, then Alibaba twice", got)
	}
	runs, err := st.Runs(t.Context())
	if err != nil || len(runs) != len(steps) {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	for i, r := range runs {
		if r.Group != steps[i].run.Group || r.Targets != steps[i].n {
			t.Errorf("run %d read back in group %q with %d observations, want %q and %d", i+1, r.Group, r.Targets, steps[i].run.Group, steps[i].n)
		}
	}
}
