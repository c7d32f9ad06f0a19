//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/internal/knottest"
)

// BenchmarkCheckKnot times a first `check` of 100,000 names against Knot DNS
// on 127.0.0.1, each op right after an `audit` of the same names by the same
// binary, and reports the check's wall and CPU time as multiples of the
// audit's (the median over the ops: -benchtime 5x gives five rounds), its
// peak RSS, and what a second, unchanged check adds to the file per 1,000
// names. It is the side-by-side figure for part 10 of issue 8 (within 1.5×
// the audit, under 150 MB, under 2 KiB per 1,000 names); on a loaded
// machine single rounds swing, the ratio within a round much less.
//
// Each sub-benchmark is one pairing of output formats, audit's against
// check's: pipe-defaults is what the two commands write with no -o to a
// file or a pipe (audit: JSON lines, check: table); table is what both write
// on a terminal; json is -o json for both. Output goes to /dev/null.
//
// The processes are the test binary run as hostwatch (testscript's
// command), or HOSTWATCH_BENCH_BIN; HOSTWATCH_BENCH_NAMES sets another
// number of names. Skipped where knotd is not installed (apt-get install
// knot; make bench-check installs it). Never run with -race: the figures
// would be the race detector's.
func BenchmarkCheckKnot(b *testing.B) {
	n := 100000
	if s := os.Getenv("HOSTWATCH_BENCH_NAMES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("HOSTWATCH_BENCH_NAMES=%q: not a positive number", s)
		}
		n = v
	}
	bin := os.Getenv("HOSTWATCH_BENCH_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("hostwatch"); err != nil {
			b.Fatal(err)
		}
	}
	knot := knottest.Start(b, knottest.ProviderZone(n))
	dir := b.TempDir()
	names := filepath.Join(dir, "names.txt")
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "h%d.bench.test\n", i)
	}
	if err := os.WriteFile(names, []byte(list.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	common := []string{"--resolver", knot.Addr, "--concurrency", "100", "-f", names}
	// One audit first, so that every op finds the binary, the names and the
	// zone in memory alike.
	runTimed(b, bin, append([]string{"audit", "-o", "jsonl"}, common...))

	for _, p := range []struct {
		name         string
		audit, check []string // -o, when given
	}{
		{"pipe-defaults", nil, nil},
		{"table", []string{"-o", "table"}, nil},
		{"json", []string{"-o", "json"}, []string{"-o", "json"}},
	} {
		b.Run(p.name, func(b *testing.B) {
			var wall, cpu, auditS, checkS []float64
			var rss int64
			for b.Loop() {
				a := runTimed(b, bin, slices.Concat([]string{"audit"}, p.audit, common))
				db := filepath.Join(b.TempDir(), "history.db")
				c := runTimed(b, bin, slices.Concat([]string{"check", "--db", db}, p.check, common))
				wall = append(wall, c.wall.Seconds()/a.wall.Seconds())
				cpu = append(cpu, c.cpu.Seconds()/a.cpu.Seconds())
				auditS = append(auditS, a.wall.Seconds())
				checkS = append(checkS, c.wall.Seconds())
				rss = max(rss, c.rssKB)
			}
			b.ReportMetric(median(wall), "check/audit-wall")
			b.ReportMetric(median(cpu), "check/audit-cpu")
			b.ReportMetric(median(auditS), "audit-s")
			b.ReportMetric(median(checkS), "check-s")
			b.ReportMetric(float64(rss)/1024, "check-peak-MB")
		})
	}

	// A second check of the same names, unchanged, into the file of a first.
	b.Run("unchanged", func(b *testing.B) {
		var wall []float64
		var added int64
		for b.Loop() {
			db := filepath.Join(b.TempDir(), "history.db")
			runTimed(b, bin, slices.Concat([]string{"check", "--db", db}, common))
			before := fileSize(b, db)
			a := runTimed(b, bin, slices.Concat([]string{"audit", "-o", "table"}, common))
			c := runTimed(b, bin, slices.Concat([]string{"check", "--db", db}, common))
			wall = append(wall, c.wall.Seconds()/a.wall.Seconds())
			added = max(added, fileSize(b, db)-before)
		}
		b.ReportMetric(median(wall), "check/audit-wall")
		b.ReportMetric(float64(added)/float64(n)*1000, "added-bytes/1k-names")
	})
}

// timed is what one process took.
type timed struct {
	wall, cpu time.Duration
	rssKB     int64
}

// runTimed runs bin with args, its output to /dev/null, and fails b unless
// it exits 0.
func runTimed(b *testing.B, bin string, args []string) timed {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("hostwatch %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	st := cmd.ProcessState
	t := timed{wall: wall, cpu: st.UserTime() + st.SystemTime()}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		t.rssKB = ru.Maxrss // kilobytes on Linux
	}
	return t
}

// fileSize is the size of the history file with its write-ahead log, if any.
func fileSize(b *testing.B, path string) int64 {
	b.Helper()
	var size int64
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != path {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	return size
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
