package resolvers_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// resolveAll resolves names with inflight queries at a time and returns how
// many did not come back ok with the addresses numberedZone gives them.
func resolveAll(ctx context.Context, c *resolvers.Client, names []string, inflight int) int64 {
	var (
		next, failed atomic.Int64
		wg           sync.WaitGroup
	)
	for range inflight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) {
					return
				}
				res := c.Resolve(ctx, names[i])
				if res.Status != resolvers.StatusOK || len(res.Answers) != 2 ||
					res.Answers[0].Addr != want4[i] || res.Answers[1].Addr != want6[i] {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return failed.Load()
}

// The names of numberedZone and their addresses.
var (
	benchOnce    sync.Once
	allNames     []string
	want4, want6 []netip.Addr
)

func benchNames(n int) []string {
	benchOnce.Do(func() {
		const max = 100000
		allNames = make([]string, max)
		want4 = make([]netip.Addr, max)
		want6 = make([]netip.Addr, max)
		for i := range max {
			allNames[i] = fmt.Sprintf("n%d.bench.test", i)
			want4[i] = netip.MustParseAddr(v4(i))
			want6[i] = netip.MustParseAddr(v6(i))
		}
	})
	return allNames[:n]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkResolve resolves 20,000 names (A and AAAA) per op against a
// loopback zone server in this process, 100 at a time. The CPU figure
// includes the server's.
func BenchmarkResolve(b *testing.B) {
	const n = 20000
	srv := resolverstest.StartZone(b, numberedZone(n))
	c, err := resolvers.New(resolvers.Config{Servers: []string{srv.Addr}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	names := benchNames(n)
	resolveAll(b.Context(), c, names[:1000], 100) // warm up
	cpu0 := cpuTime()
	start := time.Now()
	ops := 0
	for b.Loop() {
		if failed := resolveAll(b.Context(), c, names, 100); failed > 0 {
			b.Fatalf("%d of %d names failed", failed, n)
		}
		ops++
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(ops*n)/elapsed.Seconds(), "names/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(ops*n), "cpu-µs/name")
}
