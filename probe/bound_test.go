package probe

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/attribution/cymru"
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
	if o.Status != resolvers.StatusTimeout || o.ErrorKind != ErrorDeadline {
		t.Fatalf("status %s, kind %q (%s), want timeout, deadline", o.Status, o.ErrorKind, o.Error)
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

// manyAddrs serves many.test with n A records and keeps every query of
// type held unanswered until n of them are in flight at once, or until hold
// passes; it reports the most it saw in flight.
type manyAddrs struct {
	n    int
	held uint16
	hold time.Duration
	stop <-chan struct{}

	mu       sync.Mutex
	inFlight int
	most     int
	all      chan struct{}
}

func (h *manyAddrs) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	if q.Qtype == h.held {
		h.mu.Lock()
		h.inFlight++
		h.most = max(h.most, h.inFlight)
		if h.inFlight == h.n {
			close(h.all)
		}
		h.mu.Unlock()
		select {
		case <-h.all:
		case <-time.After(h.hold):
		case <-h.stop:
		}
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
		return // silent
	}
	m := new(dns.Msg)
	m.SetReply(r)
	if q.Name == "many.test." && q.Qtype == dns.TypeA {
		for i := range h.n {
			rr, _ := dns.NewRR(fmt.Sprintf("many.test. 60 IN A %s", numberedAddr(i)))
			m.Answer = append(m.Answer, rr)
		}
	}
	w.WriteMsg(m)
}

func (h *manyAddrs) mostInFlight() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.most
}

// The PTR and Cymru lookups of one domain's addresses are asked at once:
// the server sees all 50 in flight together, so 50 silent names cost one
// timeout, not 50.
func TestExtraLookupsRunConcurrently(t *testing.T) {
	t.Parallel()
	const n = 50
	// A query is held for at most the client's timeout, so that lookups
	// asked one after another are never in flight together.
	const timeout = 2 * time.Second
	tests := []struct {
		name   string
		qtype  uint16
		set    func(*Options, *resolvers.Client)
		failed func(*Extra) bool
	}{
		{"ptr", dns.TypePTR, func(o *Options, c *resolvers.Client) { o.PTR = c },
			func(x *Extra) bool { return x.PTRError != "" }},
		{"cymru", dns.TypeTXT, func(o *Options, c *resolvers.Client) {
			cy := cymru.New(c)
			cy.Zones = cymru.Zones{Origin: "origin.test", Origin6: "origin6.test", ASN: "asn.test"}
			o.Cymru = cy
		}, func(x *Extra) bool { return x.Cymru != nil && x.Cymru.Status == cymru.StatusTimeout }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stop := make(chan struct{})
			h := &manyAddrs{n: n, held: tt.qtype, hold: timeout, stop: stop, all: make(chan struct{})}
			opts := newRun(t, h, 1)
			srv := resolverstest.Start(t, h)
			t.Cleanup(func() { close(stop) })
			tt.set(&opts, newClient(t, srv.Addr, timeout))
			var got []Observation
			err := Run(t.Context(), []Target{ParseTarget("many.test", "args", 0)}, opts, func(o Observation) error {
				got = append(got, o)
				return nil
			})
			if err != nil || len(got) != 1 {
				t.Fatalf("Run = %v with %d observations, want one", err, len(got))
			}
			if len(got[0].Addresses) != n {
				t.Fatalf("%d addresses, want %d", len(got[0].Addresses), n)
			}
			for _, a := range got[0].Addresses {
				if a.Extra == nil || !tt.failed(a.Extra) {
					t.Fatalf("%s: extra %+v, want a timeout", a.IP, a.Extra)
				}
			}
			if most := h.mostInFlight(); most != n {
				t.Errorf("at most %d queries in flight at once, want all %d", most, n)
			}
		})
	}
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
