package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers"
)

// In a run that only resolves, the workers' contexts are shared from
// target to target: a target whose deadline passes ends with status
// timeout, and the targets after it on the same worker get a context of
// their own, not the ended one.
func TestLaneAfterDeadline(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	slow := slowChain(100*time.Millisecond, stop)
	zone := numberedZone(t, 3)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if strings.HasSuffix(r.Question[0].Name, ".slow.test.") {
			slow.ServeDNS(w, r)
			return
		}
		zone.ServeDNS(w, r)
	})
	opts := newRun(t, h, 1)
	opts.Deadline = 400 * time.Millisecond
	if !lean(opts) {
		t.Fatal("a run that only resolves does not take the lanes")
	}
	targets := []Target{ParseTarget("h0.test", "args", 0), ParseTarget("s0.slow.test", "args", 1),
		ParseTarget("h1.test", "args", 2), ParseTarget("h2.test", "args", 3)}
	var got []Observation
	err := Run(t.Context(), targets, opts, func(o Observation) error {
		got = append(got, o)
		return nil
	})
	if err != nil || len(got) != len(targets) {
		t.Fatalf("Run = %v with %d observations, want %d", err, len(got), len(targets))
	}
	for i, o := range got {
		want := resolvers.StatusOK
		if i == 1 {
			want = resolvers.StatusTimeout
		}
		if o.Status != want {
			t.Errorf("%s: status %s (%s), want %s", o.Target.Domain, o.Status, o.Error, want)
		}
	}
	if o := got[1]; o.ErrorKind != ErrorDeadline || !strings.Contains(o.Error, "deadline of 400ms") {
		t.Errorf("slow target: kind %q, error %q: want the deadline named", o.ErrorKind, o.Error)
	}
}

// A target's context in a lane says what a context with a timeout says:
// its deadline, and once it passed, context.DeadlineExceeded with the
// deadline as its cause; the run's end is the run's cancellation.
func TestLaneContext(t *testing.T) {
	t.Parallel()
	run, cancel := context.WithCancelCause(t.Context())
	d := newDeadlines(run, 50*time.Millisecond)
	defer d.stop()
	l := d.lane()

	before := time.Now()
	ctx := l.begin()
	if dl, ok := ctx.Deadline(); !ok || dl.Before(before.Add(50*time.Millisecond)) {
		t.Errorf("Deadline = %v, %v: want at least 50ms on", dl, ok)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the deadline did not end the target's context")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(ctx), ErrDeadline) {
		t.Errorf("Err = %v, Cause = %v: want the deadline", ctx.Err(), context.Cause(ctx))
	}
	l.end()

	// The next target has a live context, and the run's end ends it.
	next := l.begin()
	if next.Err() != nil {
		t.Fatalf("the next target's context ended already: %v", next.Err())
	}
	l.end()
	next = l.begin()
	over := errors.New("run over")
	cancel(over)
	<-next.Done()
	if errors.Is(next.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(next), over) {
		t.Errorf("Err = %v, Cause = %v: want the run's end", next.Err(), context.Cause(next))
	}
	l.end()
}
