package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/internal/cputime"
	"github.com/hostwatch/hostwatch/probe"
)

// benchRuns makes runs × domains observations with real attributed
// addresses: each domain answers with two addresses of a three-address pool
// in one of six real networks, some through a CNAME. With rotate, pools
// answer a different pair every run (a new span each time); without, every
// observation after the first run repeats the last.
func benchRuns(b testing.TB, domains, runs int, rotate bool) [][]probe.Observation {
	ob := newObserver(b)
	nets := []string{"36.86.63.%d", "170.33.13.%d", "8.219.1.%d", "51.210.1.%d", "47.96.1.%d", "2001:41d0:303::%x"}
	out := make([][]probe.Observation, runs)
	for r := range runs {
		for d := range domains {
			net := nets[d%len(nets)]
			pool := []string{fmt.Sprintf(net, 10+d%50), fmt.Sprintf(net, 60+d%50), fmt.Sprintf(net, 110+d%50)}
			k := 0
			if rotate {
				k = (r + d) % 3
			}
			o := ob.ok(fmt.Sprintf("site-%05d.kpu.go.id", d), at(r), pool[k], pool[(k+1)%3])
			if d%4 == 0 {
				o = withCNAME(o, fmt.Sprintf("lb-%05d.cdn.kpu.go.id", d))
			}
			out[r] = append(out[r], o)
		}
	}
	return out
}

// BenchmarkRecord records 100 runs of 100 domains (10,000 observations) into
// a new database per iteration, and reports the file's size.
func BenchmarkRecord(b *testing.B) {
	for _, rotate := range []bool{false, true} {
		name := "unchanged"
		if rotate {
			name = "rotating"
		}
		b.Run(name, func(b *testing.B) {
			runs := benchRuns(b, 100, 100, rotate)
			ob := newObserver(b)
			var size int64
			for b.Loop() {
				path := filepath.Join(b.TempDir(), "history.db")
				s, err := Open(context.Background(), path)
				if err != nil {
					b.Fatal(err)
				}
				for i, obs := range runs {
					if _, err := s.recordRun(context.Background(), ob.runInfo(at(i)), obs); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				size = fileSize(b, path)
			}
			b.ReportMetric(float64(size), "db-bytes")
		})
	}
}

// TestSizeOfUnchanged measures how much the file grows per 10,000 unchanged
// observations (100 domains × 100 runs after a first run): the runs table
// only, as spans are updated in place.
func TestSizeOfUnchanged(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("records 10,100 observations")
	}
	runs := benchRuns(t, 100, 101, false)
	ob := newObserver(t)
	path := filepath.Join(t.TempDir(), "history.db")
	record := func(from, to int) int64 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			if _, err := s.recordRun(t.Context(), ob.runInfo(at(i)), runs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return fileSize(t, path)
	}
	first := record(0, 1)
	all := record(1, 101)
	t.Logf("after the first run: %d bytes; after 10,000 unchanged observations more: %d bytes (+%d bytes)", first, all, all-first)
	if growth := all - first; growth > 64<<10 {
		t.Errorf("the file grew by %d bytes for 10,000 unchanged observations, want at most 64 KiB", growth)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spans, err := s.spansOf(t.Context(), "", at(0), at(200))
	if err != nil || len(spans) != 100 {
		t.Fatalf("%d spans (%v), want 100", len(spans), err)
	}
	for _, sp := range spans {
		if sp.Count != 101 {
			t.Fatalf("%s: %d observations in its span, want 101", sp.Domain, sp.Count)
		}
	}
}

// TestSizeOfSecondRun checks issue 8's bound on a second, unchanged run:
// under 2 KiB per 1,000 domains. Each span keeps its size (see room), so
// the run adds only its runs row.
func TestSizeOfSecondRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("records 20,000 observations")
	}
	const domains = 5000
	runs := benchRuns(t, domains, 3, false)
	ob := newObserver(t)
	path := filepath.Join(t.TempDir(), "history.db")
	var sizes []int64
	for i, obs := range runs {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.recordRun(t.Context(), ob.runInfo(at(i)), obs); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fileSize(t, path))
	}
	// The next day, each domain starts a span (answers are not written again).
	next := runs[2]
	for i := range next {
		next[i].StartedAt = next[i].StartedAt.Add(24 * time.Hour)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.recordRun(t.Context(), ob.runInfo(at(2).Add(24*time.Hour)), next); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	day := fileSize(t, path) - sizes[2]
	t.Logf("%d domains: the first run writes %d bytes, the second adds %d, the third %d; the first run of the next day %d (%d a domain)",
		domains, sizes[0], sizes[1]-sizes[0], sizes[2]-sizes[1], day, day/domains)
	for i := 1; i < len(sizes); i++ {
		if growth := sizes[i] - sizes[i-1]; growth >= 2<<10*domains/1000 {
			t.Errorf("unchanged run %d added %d bytes for %d domains, want under 2 KiB per 1,000", i+1, growth, domains)
		}
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatalf("%s-wal is left after Close", path)
	}
	return st.Size()
}

// BenchmarkBulkRun records two runs of 20,000 domains, as two checks of a
// long list do: the first (every domain new), then one where nothing changed.
// It reports the CPU time of the recording too, steadier than the wall
// clock on a loaded machine.
func BenchmarkBulkRun(b *testing.B) {
	runs := benchRuns(b, 20000, 2, false)
	ob := newObserver(b)
	for i, phase := range []string{"first", "unchanged"} {
		b.Run(phase, func(b *testing.B) {
			var prior []probe.Observation
			if i > 0 {
				prior = runs[0]
			}
			benchRecording(b, ob, prior, runs[i], at(i), false)
		})
	}
}

// BenchmarkFirstRunDistinct records a first run of 100,000 domains each
// answering addresses of its own (two, one of each family), as the bench
// zone of `make bench-knot` does: 100,000 answers, 200,000 answer
// addresses, 100,000 spans, with their indexes inserted in the order the
// domains come. It reports the CPU time of the recording too.
func BenchmarkFirstRunDistinct(b *testing.B) {
	const domains = 100000
	ob := newObserver(b)
	obs := make([]probe.Observation, domains)
	for d := range obs {
		v4 := fmt.Sprintf("36.%d.%d.%d", 80+d/62500, d/250%250, d%250)
		v6 := fmt.Sprintf("2001:41d0:303::%x:%x", d/65536+1, d%65536)
		obs[d] = ob.ok(fmt.Sprintf("h%d.bench.test", d), at(0), v4, v6)
	}
	benchRecording(b, ob, nil, obs, at(0), true)
}

// benchRecording records, in each op, prior (when given, at at(0)) into a
// new file untimed, then run at runAt timed, and reports the recording's
// CPU time per op too (steadier than the wall clock on a loaded machine);
// withClose counts the store's Close (the checkpoint of the run's pages
// into the file) in both.
func benchRecording(b *testing.B, ob observer, prior, run []probe.Observation, runAt time.Time, withClose bool) {
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "history.db"))
		if err != nil {
			b.Fatal(err)
		}
		if prior != nil {
			if _, err := s.recordRun(context.Background(), ob.runInfo(at(0)), prior); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := cputime.Used()
		if _, err := s.recordRun(context.Background(), ob.runInfo(runAt), run); err != nil {
			b.Fatal(err)
		}
		if withClose {
			err = s.Close()
		}
		cpu += cputime.Used() - start
		if !withClose {
			b.StopTimer()
			err = s.Close()
			b.StartTimer()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
