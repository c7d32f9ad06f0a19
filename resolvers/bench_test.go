package resolvers_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/internal/cputime"
	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
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
	cpu0 := cputime.Used()
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
	b.ReportMetric(float64((cputime.Used()-cpu0).Microseconds())/float64(ops*n), "cpu-µs/name")
}

// replayServer answers on 127.0.0.1 from replies packed in advance, keyed by
// question, patching in the query's ID: a server that costs next to nothing
// and allocates nothing per query, so that what a benchmark measures is the
// client. It answers until tb ends.
func replayServer(tb testing.TB, replies map[string][]byte) string {
	tb.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = pc.SetReadBuffer(1 << 20)
	done := make(chan struct{})
	tb.Cleanup(func() {
		pc.Close()
		<-done
	})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		out := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// The question runs from offset 12 to the OPT record (11 octets).
			r, ok := replies[string(buf[12:n-11])]
			if !ok {
				continue
			}
			out = append(out[:0], r...)
			out[0], out[1] = buf[0], buf[1]
			pc.WriteToUDPAddrPort(out, from)
		}
	}()
	return pc.LocalAddr().String()
}

// benchReplies packs the A and AAAA replies of numberedZone's first n
// names, keyed by the wire form of their question.
func benchReplies(tb testing.TB, n int) map[string][]byte {
	tb.Helper()
	out := make(map[string][]byte, 2*n)
	for i, name := range benchNames(n) {
		for _, rr := range []string{name + ". 300 IN A " + v4(i), name + ". 300 IN AAAA " + v6(i)} {
			r, err := dns.NewRR(rr)
			if err != nil {
				tb.Fatal(err)
			}
			m := new(dns.Msg)
			m.SetQuestion(name+".", r.Header().Rrtype)
			m.Response, m.Authoritative = true, true
			m.Answer = []dns.RR{r}
			m.SetEdns0(1232, false)
			wire, err := m.Pack()
			if err != nil {
				tb.Fatal(err)
			}
			qm := new(dns.Msg)
			qm.SetQuestion(name+".", r.Header().Rrtype)
			qw, err := qm.Pack()
			if err != nil {
				tb.Fatal(err)
			}
			out[string(qw[12:])] = wire
		}
	}
	return out
}

// BenchmarkResolveHotPath resolves 20,000 names (A and AAAA) per op, 100 at
// a time, against replayServer: the client's hot path, with its CPU time
// and allocations per name (the server's are next to none). Like every
// benchmark here it reports figures, and asserts only that every answer is
// right.
func BenchmarkResolveHotPath(b *testing.B) {
	const n = 20000
	addr := replayServer(b, benchReplies(b, n))
	c, err := resolvers.New(resolvers.Config{Servers: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	names := benchNames(n)
	resolveAll(b.Context(), c, names[:1000], 100) // warm up
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cputime.Used()
	start := time.Now()
	ops := 0
	for b.Loop() {
		if failed := resolveAll(b.Context(), c, names, 100); failed > 0 {
			b.Fatalf("%d of %d names failed", failed, n)
		}
		ops++
	}
	elapsed := time.Since(start)
	cpu := cputime.Used() - cpu0
	runtime.ReadMemStats(&m1)
	total := float64(ops * n)
	b.ReportMetric(total/elapsed.Seconds(), "names/s")
	b.ReportMetric(float64(cpu.Microseconds())/total, "cpu-µs/name")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/total, "allocs/name")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/total, "B/name")
}
