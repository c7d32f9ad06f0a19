package probe

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

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
