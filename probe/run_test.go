package probe

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// newRun starts a loopback DNS server with handler h and returns Options that
// resolve through it and attribute with the real embedded data.
func newRun(t testing.TB, h dns.Handler, concurrency int) Options {
	t.Helper()
	srv := resolverstest.Start(t, h)
	client, err := resolvers.New(resolvers.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return Options{Resolver: client, Attributor: db, Concurrency: concurrency}
}

// numberedZone serves hN.test. A 170.33.x.y for N in [0, n), each name its
// own address, so that a mixed-up answer is visible.
func numberedZone(t testing.TB, n int) dns.Handler {
	t.Helper()
	var b strings.Builder
	b.WriteString("$ORIGIN test.\n@ 60 IN SOA ns.test. h.test. 1 60 60 60 60\n")
	for i := range n {
		fmt.Fprintf(&b, "h%d 60 IN A %s\n", i, numberedAddr(i))
	}
	h, err := resolverstest.NewZoneHandler(b.String())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func numberedAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{170, 33, byte(i >> 8), byte(i)})
}

func TestRunKeepsInputOrder(t *testing.T) {
	t.Parallel()
	const n = 500
	opts := newRun(t, numberedZone(t, n), 32)
	var targets []Target
	for i := range n {
		targets = append(targets, ParseTarget(fmt.Sprintf("h%d.test", i), "args", 0))
	}
	targets = append(targets, ParseTarget("bad..name", "args", 0), ParseTarget("missing.test", "args", 0))
	var got []Observation
	err := Run(t.Context(), targets, opts, func(o Observation) error {
		got = append(got, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(targets) {
		t.Fatalf("got %d observations, want %d", len(got), len(targets))
	}
	for i := range n {
		o := got[i]
		if o.Target.Domain != targets[i].Domain || o.Status != resolvers.StatusOK || len(o.Addresses) != 1 || o.Addresses[0].IP != numberedAddr(i) {
			t.Fatalf("observation %d = %s %s %v, want h%d.test ok %s", i, o.Target.Domain, o.Status, o.Addresses, i, numberedAddr(i))
		}
		if o.Addresses[0].ASN == 0 || o.Addresses[0].Sources.ASN == "" {
			t.Fatalf("observation %d not attributed: %+v", i, o.Addresses[0])
		}
	}
	if s := got[n].Status; s != resolvers.StatusInvalid {
		t.Errorf("bad..name status = %s, want invalid", s)
	}
	if s := got[n+1].Status; s != resolvers.StatusNXDomain {
		t.Errorf("missing.test status = %s, want nxdomain", s)
	}
}

// A cancelled run emits every target it started, in order: the finished
// ones as they are, the one cut short as interrupted with what it learned,
// and says it was cancelled.
func TestRunCancelled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	zone := numberedZone(t, 10)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Name == "h5.test." {
			<-release // never answers while the test runs
			return
		}
		zone.ServeDNS(w, r)
	})
	opts := newRun(t, h, 1)
	// Registered after the server's cleanup, so it runs first and lets the
	// handler return before the server waits for it.
	t.Cleanup(func() { close(release) })
	var targets []Target
	for i := range 10 {
		targets = append(targets, ParseTarget(fmt.Sprintf("h%d.test", i), "args", 0))
	}
	ctx, cancel := context.WithCancel(t.Context())
	var got []string
	err := Run(ctx, targets, opts, func(o Observation) error {
		got = append(got, o.Target.Domain+" "+string(o.Status))
		if o.Target.Domain == "h4.test" {
			time.AfterFunc(50*time.Millisecond, cancel)
		}
		if o.Status == resolvers.StatusInterrupted && (o.Error == "" || len(o.Queries) == 0) {
			t.Errorf("%s interrupted without its error or the queries sent: %+v", o.Target.Domain, o)
		}
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	want := "h0.test ok, h1.test ok, h2.test ok, h3.test ok, h4.test ok, h5.test interrupted"
	if strings.Join(got, ", ") != want {
		t.Fatalf("emitted %v, want %s", got, want)
	}
}

// A run reads its targets as it goes, and ends at once when cancelled, even
// while the sequence is blocked waiting for input (a terminal, a pipe).
func TestRunSeqStreamsAndStopsWhileReading(t *testing.T) {
	t.Parallel()
	opts := newRun(t, numberedZone(t, 10), 4)
	next := make(chan string)
	unblock := make(chan struct{})
	t.Cleanup(func() { close(unblock) })
	seq := func(yield func(Target) bool) {
		for {
			select {
			case name := <-next:
				if !yield(ParseTarget(name, "-", 0)) {
					return
				}
			case <-unblock:
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	emitted := make(chan Observation, 10)
	done := make(chan error, 1)
	go func() {
		done <- RunSeq(ctx, seq, opts, func(o Observation) error {
			emitted <- o
			return nil
		})
	}()
	for i := range 3 {
		next <- fmt.Sprintf("h%d.test", i)
		// Each one is audited and emitted before the next is even read.
		if o := <-emitted; o.Target.Domain != fmt.Sprintf("h%d.test", i) || o.Status != resolvers.StatusOK {
			t.Fatalf("emitted %s %s, want h%d.test ok", o.Target.Domain, o.Status, i)
		}
	}
	cancel() // the sequence is blocked, waiting for a name that never comes
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Fatalf("RunSeq = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunSeq did not return when cancelled while reading")
	}
	if len(emitted) != 0 {
		t.Fatalf("emitted %d more", len(emitted))
	}
}

// countingProgress counts what a run tells its Progress.
type countingProgress struct{ started, finished, failed atomic.Int64 }

func (p *countingProgress) Started(Target) { p.started.Add(1) }
func (p *countingProgress) Finished(o Observation) {
	p.finished.Add(1)
	if o.Failed() {
		p.failed.Add(1)
	}
}

func TestRunTellsProgress(t *testing.T) {
	t.Parallel()
	opts := newRun(t, numberedZone(t, 50), 8)
	var p countingProgress
	opts.Progress = &p
	targets := []Target{ParseTarget("missing.test", "args", 0), ParseTarget("bad..name", "args", 0)}
	for i := range 50 {
		targets = append(targets, ParseTarget(fmt.Sprintf("h%d.test", i), "args", 0))
	}
	if err := Run(t.Context(), targets, opts, func(Observation) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s, f, bad := p.started.Load(), p.finished.Load(), p.failed.Load(); s != 52 || f != 52 || bad != 2 {
		t.Fatalf("progress heard %d started, %d finished, %d failed; want 52, 52, 2", s, f, bad)
	}
}

// BenchmarkAudit measures a whole audit, resolution and attribution, of
// 20,000 names against a loopback server, 100 in flight.
func BenchmarkAudit(b *testing.B) {
	const n = 20000
	opts := newRun(b, numberedZone(b, n), 100)
	targets := make([]Target, n)
	for i := range targets {
		targets[i] = ParseTarget(fmt.Sprintf("h%d.test", i), "args", 0)
	}
	b.ResetTimer()
	for b.Loop() {
		ok := 0
		err := Run(b.Context(), targets, opts, func(o Observation) error {
			if o.Status == resolvers.StatusOK {
				ok++
			}
			return nil
		})
		if err != nil || ok != n {
			b.Fatalf("Run: %v, %d of %d ok", err, ok, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "names/s")
}

// TestRunKeepsConcurrencyInFlight checks that RunSeq's workers take up the
// whole of Concurrency: the server holds every A query until that many
// names are asked at once (or, should they never be, until hold passes).
func TestRunKeepsConcurrencyInFlight(t *testing.T) {
	t.Parallel()
	const workers, n = 20, 200
	zone := numberedZone(t, n)
	var (
		mu       sync.Mutex
		inFlight int
		most     int
		all      = make(chan struct{})
	)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Qtype == dns.TypeA {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			if inFlight == workers {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-time.After(5 * time.Second):
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
		}
		zone.ServeDNS(w, r)
	})
	opts := newRun(t, h, workers)
	targets := make([]Target, n)
	for i := range targets {
		targets[i] = ParseTarget(fmt.Sprintf("h%d.test", i), "args", 0)
	}
	if err := Run(t.Context(), targets, opts, func(Observation) error { return nil }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != workers {
		t.Errorf("at most %d names were in flight at once, want %d (Concurrency)", most, workers)
	}
}
