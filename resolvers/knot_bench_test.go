package resolvers_test

import (
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/internal/cputime"
	"github.com/hostwatch/hostwatch/internal/knottest"
	"github.com/hostwatch/hostwatch/resolvers"
)

// BenchmarkResolveKnot resolves 100,000 names (A and AAAA) per op, 100 at a
// time, against Knot DNS (knotd) started on 127.0.0.1 for the benchmark. It is
// skipped when knotd is not installed (Debian: apt-get install knot). It
// reports names/s and the CPU time of the client (this process) and of knotd.
func BenchmarkResolveKnot(b *testing.B) {
	const n = 100000
	knot := knottest.Start(b, numberedZone(n))
	c, err := resolvers.New(resolvers.Config{Servers: []string{knot.Addr}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	names := benchNames(n)
	resolveAll(b.Context(), c, names[:2000], 100) // warm up

	cpu0, knot0 := cputime.Used(), knot.CPU(b)
	start := time.Now()
	ops := 0
	for b.Loop() {
		if failed := resolveAll(b.Context(), c, names, 100); failed > 0 {
			b.Fatalf("%d of %d names failed", failed, n)
		}
		ops++
	}
	elapsed := time.Since(start)
	total := float64(ops * n)
	b.ReportMetric(total/elapsed.Seconds(), "names/s")
	b.ReportMetric(float64((cputime.Used()-cpu0).Microseconds())/total, "client-cpu-µs/name")
	b.ReportMetric(float64((knot.CPU(b)-knot0).Microseconds())/total, "knot-cpu-µs/name")
	b.ReportMetric(elapsed.Seconds()/float64(ops), "s/100k-names")
}
