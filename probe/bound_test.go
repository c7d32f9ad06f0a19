package probe

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// slowChain answers s0.slow.test, a chain of resolvers.MaxCNAMEHops CNAME
// hops (s0 → s1 → … → s16, which has an A record), one hop per reply and
// each reply after delay, so that the client asks for every hop in turn.
func slowChain(delay time.Duration, stop <-chan struct{}) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		select {
		case <-time.After(delay):
		case <-stop:
			return
		}
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		var n int
		if _, err := fmt.Sscanf(q.Name, "s%d.slow.test.", &n); err != nil {
			m.Rcode = dns.RcodeNameError
			w.WriteMsg(m)
			return
		}
		var rr dns.RR
		switch {
		case n < resolvers.MaxCNAMEHops:
			rr, _ = dns.NewRR(fmt.Sprintf("s%d.slow.test. 60 IN CNAME s%d.slow.test.", n, n+1))
		case q.Qtype == dns.TypeA:
			rr, _ = dns.NewRR(fmt.Sprintf("s%d.slow.test. 60 IN A 170.33.13.55", n))
		}
		if rr != nil {
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})
}

// A chain answered slowly ends at the domain's deadline, with the hops
// followed by then, instead of taking as long as the server likes.
func TestDeadlineEndsSlowChain(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	// 16 hops of 100ms each take 1.6s at the least: far past the deadline,
	// however loaded the machine.
	opts := newRun(t, slowChain(100*time.Millisecond, stop), 1)
	t.Cleanup(func() { close(stop) })
	opts.Deadline = 500 * time.Millisecond
	var got []Observation
	err := Run(t.Context(), []Target{ParseTarget("s0.slow.test", "args", 0)}, opts, func(o Observation) error {
		got = append(got, o)
		return nil
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("Run = %v with %d observations, want one", err, len(got))
	}
	o := got[0]
	t.Logf("%s after %d hops: %s", o.Status, len(o.CNAMEChain), o.Error)
	if o.Status != resolvers.StatusError || o.ErrorKind != ErrorDeadline {
		t.Fatalf("status %s, kind %q (%s), want error, deadline", o.Status, o.ErrorKind, o.Error)
	}
	if !strings.Contains(o.Error, "deadline of 500ms") {
		t.Errorf("error %q does not name the deadline", o.Error)
	}
	if n := len(o.CNAMEChain); n >= resolvers.MaxCNAMEHops {
		t.Errorf("chain of %d hops: the deadline did not cut it short", n)
	}
	if len(o.Queries) == 0 {
		t.Error("the queries sent before the deadline were not kept")
	}
}

// The deadline bounds the lookups after resolution too: a silent reverse
// zone costs the deadline, not a timeout (with retries) per address, and
// the addresses already found are kept.
func TestDeadlineBoundsExtras(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	zone := numberedZone(t, 3)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Qtype == dns.TypePTR {
			<-stop // silent
			return
		}
		zone.ServeDNS(w, r)
	})
	srv := resolverstest.Start(t, h)
	t.Cleanup(func() { close(stop) })
	opts := newRun(t, zone, 1)
	opts.PTR = newClient(t, srv.Addr, 10*time.Second)
	opts.Deadline = 300 * time.Millisecond
	var got []Observation
	err := Run(t.Context(), []Target{ParseTarget("h1.test", "args", 0)}, opts, func(o Observation) error {
		got = append(got, o)
		return nil
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("Run = %v with %d observations, want one", err, len(got))
	}
	o := got[0]
	if o.Status != resolvers.StatusOK || len(o.Addresses) != 1 {
		t.Fatalf("status %s with %d addresses, want ok with 1", o.Status, len(o.Addresses))
	}
	x := o.Addresses[0].Extra
	if x != nil {
		t.Logf("PTR error: %s", x.PTRError)
	}
	if x == nil || !x.PTRAsked || !strings.Contains(x.PTRError, "deadline of 300ms") {
		t.Fatalf("extra = %+v, want a PTR error naming the deadline", x)
	}
}

// newClient returns a resolver client of srv with one attempt per query.
func newClient(t *testing.T, srv string, timeout time.Duration) *resolvers.Client {
	t.Helper()
	c, err := resolvers.New(resolvers.Config{Servers: []string{srv}, Timeout: timeout, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// With the first name stalled, the names after it finish and wait, and no
// new name starts once twice the concurrency are started and not emitted:
// the server never sees more than that many names before the first one is
// out, however many follow.
func TestRunWindowHoldsBackWhenFirstStalls(t *testing.T) {
	t.Parallel()
	const n, workers = 300, 4
	window := 2 * workers
	zone := numberedZone(t, n)
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		name := r.Question[0].Name
		if name == "h0.test." {
			return // silent: the client times out
		}
		mu.Lock()
		seen[name] = true
		mu.Unlock()
		zone.ServeDNS(w, r)
	})
	srv := resolverstest.Start(t, h)
	opts := newRun(t, h, workers)
	opts.Resolver = newClient(t, srv.Addr, 500*time.Millisecond)
	targets := make([]Target, n)
	for i := range targets {
		targets[i] = ParseTarget(fmt.Sprintf("h%d.test", i), "args", 0)
	}
	var before atomic.Int64
	emitted := 0
	err := Run(t.Context(), targets, opts, func(o Observation) error {
		if emitted == 0 {
			if o.Target.Domain != "h0.test" || o.Status != resolvers.StatusTimeout {
				t.Errorf("first observation %s %s, want h0.test timeout", o.Target.Domain, o.Status)
			}
			mu.Lock()
			before.Store(int64(len(seen)))
			mu.Unlock()
		}
		emitted++
		return nil
	})
	if err != nil || emitted != n {
		t.Fatalf("Run = %v with %d observations, want %d", err, emitted, n)
	}
	t.Logf("the server saw %d other names while h0.test stalled", before.Load())
	if got := before.Load(); got > int64(window-1) {
		t.Errorf("while h0.test stalled the server saw %d other names, want at most %d (the window of %d, less h0.test)", got, window-1, window)
	}
}
