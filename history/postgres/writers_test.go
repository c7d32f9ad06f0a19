package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
	"github.com/hostwatch/hostwatch/history/storetest"
	"github.com/hostwatch/hostwatch/probe"
)

// shardedRuns makes the observations of rounds runs of a list of domains
// split into shards, from each vantage: runs[round][vantage][shard]. The
// vantages see different addresses of real networks, and between rounds
// some domains move (to another country), some rotate inside their pool
// and the rest stay, so that there are changes to report.
func shardedRuns(ob storetest.Observer, domains, shards, rounds int, vantages []string) [][][][]probe.Observation {
	nets := []string{"36.86.63.%d", "170.33.13.%d", "51.210.1.%d", "8.219.1.%d"}
	out := make([][][][]probe.Observation, rounds)
	for r := range rounds {
		when := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC).Add(time.Duration(r) * 5 * time.Minute)
		out[r] = make([][][]probe.Observation, len(vantages))
		for v := range vantages {
			out[r][v] = make([][]probe.Observation, shards)
			for d := range domains {
				name := fmt.Sprintf("site-%06d.kpu.go.id", d)
				n := (d + v) % len(nets)
				if d%7 == 0 {
					n = (n + r) % len(nets) // moves every round
				}
				k := 10 + d%100
				if d%5 == 0 {
					k += r % 2 // rotates inside its pool
				}
				o := ob.OK(name, when, fmt.Sprintf(nets[n], k))
				sh := probe.Shard{Count: shards}.Of(name)
				out[r][v][sh] = append(out[r][v][sh], o)
			}
		}
	}
	return out
}

type changeKey struct {
	domain, vantage, kinds string
	after                  int64
}

func keyOf(c probe.Change) changeKey {
	return changeKey{c.Domain, c.Vantage, fmt.Sprint(c.Kinds), c.AfterAt.UnixNano()}
}

// TestShardsAndVantagesAtOnce: 4 shards × 2 vantages record 25,000 domains
// each at once, round after round. The history then equals that of the
// same observations recorded by one process, and every change is reported
// by exactly one run. It records 800,000 observations (half of them by
// one process, for the comparison): minutes on a busy machine, so the
// Makefile's unit target gives the tests a longer timeout; -short records
// 1,000 domains a writer.
func TestShardsAndVantagesAtOnce(t *testing.T) {
	t.Parallel()
	domains, rounds := 100000, 2
	switch {
	case testing.Short():
		domains = 4000
	case raceDetector:
		domains = 8000 // make test runs the full size again without -race
		t.Logf("built with -race: %d domains in all, not 100,000", domains)
	}
	const shards = 4
	vantages := []string{"jakarta", "singapore"}
	ob := storetest.NewObserver(t)
	runs := shardedRuns(ob, domains, shards, rounds, vantages)
	srv := pgtest.Start(t)
	ctx := t.Context()
	shared, err := Open(ctx, srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	runInfo := func(r int, vantage string, shard int) history.RunInfo {
		when := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC).Add(time.Duration(r) * 5 * time.Minute)
		return history.RunInfo{StartedAt: when, FinishedAt: when.Add(time.Minute), ToolVersion: "test", Datasets: ob.DB.Datasets(),
			View: probe.View{Resolvers: []string{"127.0.0.1:53"}}, Vantage: vantage, Confirm: 1,
			Group: fmt.Sprintf("round-%d", r)}
	}
	reported := map[changeKey]int{}
	var mu sync.Mutex
	start := time.Now()
	for r := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, len(vantages)*shards)
		for v, vantage := range vantages {
			for sh := range shards {
				wg.Go(func() {
					// Each writer its own connections, as a process of its own.
					st, err := Open(ctx, srv.URL(shared.dbName(t)))
					if err != nil {
						errs <- err
						return
					}
					defer st.Close()
					_, changes, err := history.Record(ctx, st, runInfo(r, vantage, sh), runs[r][v][sh])
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, c := range changes {
						reported[keyOf(c)]++
					}
					mu.Unlock()
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	t.Logf("%d writers recorded %d observations in %s (%.0f a second)", len(vantages)*shards, rounds*domains*len(vantages),
		elapsed.Round(time.Millisecond), float64(rounds*domains*len(vantages))/elapsed.Seconds())

	// The same observations, recorded by one process, one run after another.
	single, err := Open(ctx, srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	for r := range rounds {
		for v, vantage := range vantages {
			for sh := range shards {
				if _, _, err := history.Record(ctx, single, runInfo(r, vantage, sh), runs[r][v][sh]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	got, want := spansOf(t, shared), spansOf(t, single)
	if len(got) != len(want) {
		t.Fatalf("%d spans written at once, %d by one process", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("span %d written at once:\n%+v\nby one process:\n%+v", i, got[i], want[i])
		}
	}
	all, err := shared.Spans(ctx, history.Query{AllVantages: true})
	if err != nil {
		t.Fatal(err)
	}
	_, changes := history.Timeline(all, history.Options{})
	timeline := map[changeKey]int{}
	for _, c := range changes {
		timeline[keyOf(c)]++
	}
	moves := 0
	for k, n := range timeline {
		if reported[k] != n {
			t.Errorf("the timeline has %d × %+v, the runs reported it %d times", n, k, reported[k])
		}
		if k.kinds != "[new]" {
			moves++
		}
	}
	for k, n := range reported {
		if timeline[k] == 0 {
			t.Errorf("reported %d × %+v, not in the timeline", n, k)
		}
	}
	if moves == 0 || len(timeline) < domains*len(vantages) {
		t.Errorf("%d changes, %d other than new: the test made too few", len(timeline), moves)
	}
}

// span is what two histories of the same observations must agree on.
type span struct {
	domain, vantage, answer string
	first, last             int64
	count, confirm          int
}

func spansOf(t *testing.T, s *Store) []span {
	t.Helper()
	all, err := s.Spans(t.Context(), history.Query{AllVantages: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]span, len(all))
	for i, sp := range all {
		addrs, _ := history.CanonicalAddresses(sp.Observation.Addresses)
		out[i] = span{sp.Domain, sp.Vantage, history.Fingerprint(sp.Observation, addrs), sp.FirstSeen.UnixNano(), sp.LastSeen.UnixNano(), sp.Count, sp.Confirm}
	}
	slices.SortFunc(out, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.domain, b.domain), cmp.Compare(a.vantage, b.vantage), cmp.Compare(a.first, b.first))
	})
	return out
}

// dbName is the name of the store's database.
func (s *Store) dbName(t *testing.T) string {
	t.Helper()
	var name string
	if err := s.pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}
