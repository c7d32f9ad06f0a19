// Package storetest is the conformance suite that every history backend
// passes: record and read back, unchanged runs, vantages, views, the
// recorded --confirm, aborted runs, concurrent writers, round trips and run
// groups.
package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Opener returns a new, empty store; the suite closes it. Stores opened by
// one call to Run for the same name share nothing.
type Opener func(t *testing.T) history.Store

// Real addresses, attributed by the shipped dataset.
const (
	telkomID  = "36.86.63.182" // Telkom Indonesia, AS7713, ID
	alibabaSG = "170.33.13.55" // Alibaba Cloud, AS134963, SG
	ovhFR     = "51.210.1.10"  // OVH, AS16276, FR
)

// t0 is the time of the first run: noon UTC, so that runs five minutes
// apart stay on one day.
var t0 = time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC)

func at(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	s := suite{Observer: NewObserver(t), open: open}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"RecordAndRead", s.recordAndRead},
		{"UnchangedRunsShareASpan", s.unchanged},
		{"Vantages", s.vantages},
		{"ViewChangeIsNoMove", s.views},
		{"RecordedConfirm", s.confirm},
		{"AbortedRunStaysInvisible", s.aborted},
		{"ConcurrentWriters", s.concurrent},
		{"RandomRunsAgreeWithTheTimeline", s.random},
		{"RoundTrips", s.roundTrips},
		{"RunGroups", s.groups},
		{"DomainsInPages", s.domainPages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

type suite struct {
	Observer
	open Opener
}

func (s suite) store(t *testing.T) history.Store {
	t.Helper()
	st := s.open(t)
	t.Cleanup(func() { st.Close() })
	return st
}

// ok is an observation of domain at when, answering ips.
func (s suite) ok(domain string, when time.Time, ips ...string) probe.Observation {
	return s.OK(domain, when, ips...)
}

func (s suite) run(when time.Time, vantage string, resolver string, confirm int) history.RunInfo {
	return history.RunInfo{StartedAt: when, FinishedAt: when.Add(time.Second), ToolVersion: "storetest",
		Datasets: s.DB.Datasets(), View: probe.View{Resolvers: []string{resolver}}, Vantage: vantage, Confirm: confirm}
}

func record(t *testing.T, st history.Store, run history.RunInfo, obs ...probe.Observation) []probe.Change {
	t.Helper()
	_, changes, err := history.Record(t.Context(), st, run, obs)
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

func spans(t *testing.T, st history.Store, q history.Query) []history.Span {
	t.Helper()
	sp, err := st.Spans(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func kinds(changes []probe.Change) []string {
	var out []string
	for _, c := range changes {
		k := string(c.Kind())
		if c.Pending() {
			k = fmt.Sprintf("pending(%d/%d)", c.Seen, c.Confirm)
		}
		out = append(out, k)
	}
	return out
}

func (s suite) recordAndRead(t *testing.T) {
	st := s.store(t)
	const d = "sirekap-web.kpu.go.id"
	steps := []string{telkomID, telkomID, alibabaSG, ovhFR}
	var reported []string
	for i, ip := range steps {
		reported = append(reported, kinds(record(t, st, s.run(at(i), "", "127.0.0.1:53", 1), s.ok(d, at(i), ip)))...)
	}
	if want := []string{"new", "country_changed", "country_changed"}; !slices.Equal(reported, want) {
		t.Errorf("reported %q, want %q", reported, want)
	}
	got := spans(t, st, history.Query{Domains: []string{d}})
	if len(got) != 3 || got[0].Count != 2 || !got[0].FirstSeen.Equal(at(0)) || !got[0].LastSeen.Equal(at(1)) {
		t.Fatalf("spans %+v, want 3, the first of 2 observations", got)
	}
	a := got[1].Observation.Addresses
	if len(a) != 1 || a[0].IP.String() != alibabaSG || a[0].ASN != 134963 || a[0].Country != "SG" || a[0].Provider == "" {
		t.Errorf("address read back: %+v", a)
	}
	_, changes := history.Timeline(got, history.Options{})
	if moves := Moves(changes); moves != 2 {
		t.Errorf("%d moves in the timeline, want 2", moves)
	}
	runs, err := st.Runs(t.Context())
	if err != nil || len(runs) != 4 || runs[3].Targets != 1 || runs[3].ToolVersion != "storetest" || !runs[3].StartedAt.Equal(at(3)) {
		t.Errorf("runs %+v, %v", runs, err)
	}
	domains, err := st.Domains(t.Context())
	if err != nil || !slices.Equal(domains, []string{d}) {
		t.Errorf("domains %q, %v", domains, err)
	}
}

func (s suite) unchanged(t *testing.T) {
	st := s.store(t)
	for i := range 5 {
		record(t, st, s.run(at(i), "", "127.0.0.1:53", 1), s.ok("a.kpu.go.id", at(i), telkomID), s.ok("b.kpu.go.id", at(i), alibabaSG))
	}
	got := spans(t, st, history.Query{})
	if len(got) != 2 || got[0].Count != 5 || got[1].Count != 5 {
		t.Fatalf("%d spans (%+v), want 2 of 5 observations", len(got), got)
	}
	// The next day starts a span of its own, so that each day's export is exact.
	record(t, st, s.run(at(0).Add(24*time.Hour), "", "127.0.0.1:53", 1), s.ok("a.kpu.go.id", at(0).Add(24*time.Hour), telkomID))
	if got := spans(t, st, history.Query{Domains: []string{"a.kpu.go.id"}}); len(got) != 2 {
		t.Errorf("%d spans after a new day, want 2", len(got))
	}
}

func (s suite) vantages(t *testing.T) {
	st := s.store(t)
	const d = "sirekap-web.kpu.go.id"
	var jkt, sgp []string
	for i := range 3 {
		jkt = append(jkt, kinds(record(t, st, s.run(at(i), "jakarta", "127.0.0.1:53", 1), s.ok(d, at(i), telkomID)))...)
		sgp = append(sgp, kinds(record(t, st, s.run(at(i), "singapore", "127.0.0.1:53", 1), s.ok(d, at(i), alibabaSG)))...)
	}
	// Each vantage has its own timeline: the other's answers are no move.
	if !slices.Equal(jkt, []string{"new"}) || !slices.Equal(sgp, []string{"new"}) {
		t.Errorf("jakarta reported %q and singapore %q, want new each", jkt, sgp)
	}
	vs, err := st.Vantages(t.Context())
	if err != nil || !slices.Equal(vs, []string{"jakarta", "singapore"}) {
		t.Errorf("vantages %q, %v", vs, err)
	}
	one := spans(t, st, history.Query{Vantage: "singapore"})
	if len(one) != 1 || one[0].Vantage != "singapore" || one[0].Count != 3 {
		t.Errorf("singapore spans %+v", one)
	}
	if all := spans(t, st, history.Query{AllVantages: true}); len(all) != 2 {
		t.Errorf("%d spans over all vantages, want 2", len(all))
	}
	if none := spans(t, st, history.Query{}); len(none) != 0 {
		t.Errorf("%d spans for the unnamed vantage, want 0", len(none))
	}
}

func (s suite) views(t *testing.T) {
	st := s.store(t)
	const d = "sirekap-web.kpu.go.id"
	got := kinds(record(t, st, s.run(at(0), "", "127.0.0.1:5301", 1), s.ok(d, at(0), telkomID)))
	// Through another resolver the answer differs: a change of view, no move.
	changes := record(t, st, s.run(at(1), "", "127.0.0.1:5302", 1), s.ok(d, at(1), alibabaSG))
	got = append(got, kinds(changes)...)
	if len(changes) != 1 || changes[0].IsMove() || changes[0].BeforeView.String() != "127.0.0.1:5301" || changes[0].AfterView.String() != "127.0.0.1:5302" {
		t.Errorf("change of view: %+v", changes)
	}
	// The next observation through the same resolver is compared again.
	got = append(got, kinds(record(t, st, s.run(at(2), "", "127.0.0.1:5302", 1), s.ok(d, at(2), ovhFR)))...)
	if want := []string{"new", "view_changed", "country_changed"}; !slices.Equal(got, want) {
		t.Errorf("reported %q, want %q", got, want)
	}
}

func (s suite) confirm(t *testing.T) {
	st := s.store(t)
	const d = "sirekap-web.kpu.go.id"
	var got []string
	for i, ip := range []string{telkomID, alibabaSG, telkomID, alibabaSG, alibabaSG, ovhFR} {
		got = append(got, kinds(record(t, st, s.run(at(i), "", "127.0.0.1:53", 2), s.ok(d, at(i), ip)))...)
	}
	want := []string{"new", "pending(1/2)", "pending(1/2)", "country_changed", "pending(1/2)"}
	if !slices.Equal(got, want) {
		t.Errorf("reported %q, want %q", got, want)
	}
	// Read without a --confirm, the history uses the recorded one.
	_, changes := history.Timeline(spans(t, st, history.Query{}), history.Options{})
	if k := kinds(changes); !slices.Equal(k, []string{"new", "country_changed", "pending(1/2)"}) {
		t.Errorf("timeline %q, want new, one move, one pending", k)
	}
}

func (s suite) aborted(t *testing.T) {
	st := s.store(t)
	record(t, st, s.run(at(0), "", "127.0.0.1:53", 1), s.ok("a.kpu.go.id", at(0), telkomID))
	rec, err := st.Begin(t.Context(), s.run(at(1), "", "127.0.0.1:53", 1), func(probe.Change) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := rec.Add(t.Context(), s.ok(fmt.Sprintf("d%d.kpu.go.id", i), at(1), alibabaSG)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Abort(); err != nil {
		t.Fatal(err)
	}
	// A run whose commit is cancelled is not recorded either.
	rec, err = st.Begin(t.Context(), s.run(at(2), "", "127.0.0.1:53", 1), func(probe.Change) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(t.Context(), s.ok("a.kpu.go.id", at(2), ovhFR)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := rec.Commit(ctx); err == nil {
		t.Error("Commit with a cancelled context succeeded")
	}
	rec.Abort()
	if got := spans(t, st, history.Query{}); len(got) != 1 || got[0].Count != 1 {
		t.Errorf("after aborted runs: %+v", got)
	}
	if runs, err := st.Runs(t.Context()); err != nil || len(runs) != 1 {
		t.Errorf("%d runs after aborted runs (%v), want 1", len(runs), err)
	}
}

// concurrent runs writers that each record runs of the same domains at
// once; every change is reported by exactly one of them, and the reported
// changes add up to the timeline's.
func (s suite) concurrent(t *testing.T) {
	st := s.store(t)
	const writers, runs, domains = 4, 5, 50
	places := []string{telkomID, alibabaSG, ovhFR}
	var mu sync.Mutex
	reported := 0
	var wg sync.WaitGroup
	errs := make(chan error, writers*runs)
	for w := range writers {
		wg.Go(func() {
			for i := range runs {
				n := w*runs + i
				obs := make([]probe.Observation, domains)
				for d := range obs {
					obs[d] = s.ok(fmt.Sprintf("d%02d.kpu.go.id", d), at(n), places[(n+d)%len(places)])
				}
				_, changes, err := history.Record(context.Background(), st, s.run(at(n), "", "127.0.0.1:53", 1), obs)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				reported += len(changes)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, changes := history.Timeline(spans(t, st, history.Query{}), history.Options{})
	if reported != len(changes) {
		t.Errorf("writers reported %d changes, the timeline has %d", reported, len(changes))
	}
	if all, err := st.Runs(t.Context()); err != nil || len(all) != writers*runs {
		t.Errorf("%d runs recorded (%v), want %d", len(all), err, writers*runs)
	}
}

// random records random runs (moves, renumbering, rotation, blips, gone and
// back, timeouts, changes of resolver, midnights) through the store and
// checks that what the runs reported, one by one, is exactly what the
// timeline of the whole record says: however a backend shortcuts its
// writes, it must report what a full replay would.
func (s suite) random(t *testing.T) {
	answers := [][]string{
		{telkomID}, {"36.86.63.183"}, {telkomID, "36.86.63.183"}, {"36.86.63.183", "36.86.63.184"},
		{alibabaSG}, {"8.219.0.1"}, {alibabaSG, "8.219.0.1"}, {ovhFR}, nil, nil,
	}
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			st := s.store(t)
			confirm := 1 + int(seed%3)
			start := time.Date(2024, 2, 14, 23, 0, 0, 0, time.UTC)
			type key struct {
				domain, kinds string
				after         int64
				move          bool
			}
			reported := map[key]int{}
			var pendingAtEnd int
			const runs, domains = 40, 6
			for run := range runs {
				when := start.Add(time.Duration(run) * 7 * time.Minute)
				resolver := "127.0.0.1:5301"
				if rng.IntN(12) == 0 {
					resolver = "127.0.0.1:5302"
				}
				var obs []probe.Observation
				for d := range domains {
					domain := fmt.Sprintf("r%d.kpu.go.id", d)
					var o probe.Observation
					switch a := answers[rng.IntN(len(answers))]; {
					case a != nil:
						o = s.ok(domain, when, a...)
					case rng.IntN(2) == 0:
						o = Observation(domain, when, resolvers.StatusNXDomain)
					default:
						o = Observation(domain, when, resolvers.StatusTimeout)
					}
					// Runs of the same answer, as real domains have.
					if d%2 == 0 && run > 0 && rng.IntN(4) != 0 {
						o = s.ok(domain, when, answers[d%len(answers)]...)
					}
					obs = append(obs, o)
				}
				for _, c := range record(t, st, s.run(when, "", resolver, confirm), obs...) {
					if c.Pending() {
						if run == runs-1 {
							pendingAtEnd++
						}
						continue
					}
					reported[key{c.Domain, fmt.Sprint(c.Kinds), c.AfterAt.UnixNano(), c.IsMove()}]++
				}
			}
			_, changes := history.Timeline(spans(t, st, history.Query{}), history.Options{})
			timeline := map[key]int{}
			pending := 0
			for _, c := range changes {
				if c.Pending() {
					pending++
					continue
				}
				timeline[key{c.Domain, fmt.Sprint(c.Kinds), c.AfterAt.UnixNano(), c.IsMove()}]++
			}
			for k, n := range timeline {
				if reported[k] != n {
					t.Errorf("the timeline has %d × %+v, the runs reported %d", n, k, reported[k])
				}
			}
			for k, n := range reported {
				if timeline[k] == 0 {
					t.Errorf("the runs reported %d × %+v, not in the timeline", n, k)
				}
			}
			if pending != pendingAtEnd {
				t.Errorf("the timeline ends with %d pending changes, the last run reported %d", pending, pendingAtEnd)
			}
		})
	}
}

// domainPages reads Domains a page at a time with DomainsAfter: every name
// once, sorted, pages no longer than asked, a domain without observations
// (only in an aborted run) in none.
func (s suite) domainPages(t *testing.T) {
	st := s.store(t)
	names := []string{"b.example", "a.example", "c.example", "aa.example", "d.example"}
	var obs []probe.Observation
	for _, d := range names {
		obs = append(obs, s.ok(d, at(0), telkomID))
	}
	record(t, st, s.run(at(0), "", "127.0.0.1:53", 1), obs...)
	rec, err := st.Begin(t.Context(), s.run(at(1), "", "127.0.0.1:53", 1), func(probe.Change) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(t.Context(), s.ok("0-aborted.example", at(1), telkomID)); err != nil {
		t.Fatal(err)
	}
	if err := rec.Abort(); err != nil {
		t.Fatal(err)
	}
	want, err := st.Domains(t.Context())
	if err != nil || len(want) != len(names) {
		t.Fatalf("domains %q, %v", want, err)
	}
	for _, limit := range []int{1, 2, 5, 10} {
		var got []string
		after := ""
		for {
			page, err := st.DomainsAfter(t.Context(), after, limit)
			if err != nil {
				t.Fatalf("DomainsAfter(%q, %d): %v", after, limit, err)
			}
			if len(page) > limit {
				t.Fatalf("DomainsAfter(%q, %d) = %q: more than asked", after, limit, page)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1]
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d: %q, want %q", limit, got, want)
		}
	}
}
