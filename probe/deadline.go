package probe

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// deadlines bounds each target of a run that only resolves with the run's
// Deadline, without a timer and a context of its own per target: each
// worker keeps one context for target after target (a lane), and one
// goroutine per run cancels a lane's context when its target's deadline
// passes, and then only. A context with a timeout per target, created and
// cancelled around each, was a twentieth of a bulk run's CPU time.
//
// Only a run that does nothing but resolve takes this way (see lean): the
// lookups beyond resolution (PTR, HTTP, the zone's own servers) may leave
// work behind that only the end of its target's context stops.
type deadlines struct {
	limit time.Duration
	run   context.Context

	mu    sync.Mutex
	lanes []*lane

	idle atomic.Bool   // the sweeper waits for wake: nothing is due
	wake chan struct{} // signalled when a deadline is set while idle
	quit chan struct{} // closed by stop
	done chan struct{} // closed when the sweeper has returned
}

// lane is one worker's context, reused from target to target until a
// deadline passes in it.
type lane struct {
	d *deadlines

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelCauseFunc
	due     time.Time // zero when no target is in the lane
	expired bool      // the sweeper cancelled ctx: a new one is needed
}

func newDeadlines(run context.Context, limit time.Duration) *deadlines {
	d := &deadlines{limit: limit, run: run, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go d.sweepLoop()
	return d
}

// stop ends the sweeper; the lanes' contexts end with the run's.
func (d *deadlines) stop() {
	close(d.quit)
	<-d.done
}

// lane adds a worker's lane.
func (d *deadlines) lane() *lane {
	l := &lane{d: d}
	l.ctx, l.cancel = context.WithCancelCause(d.run)
	d.mu.Lock()
	d.lanes = append(d.lanes, l)
	d.mu.Unlock()
	return l
}

// begin starts a target in the lane and returns its context: the lane's,
// with the target's deadline.
func (l *lane) begin() context.Context {
	due := time.Now().Add(l.d.limit)
	l.mu.Lock()
	l.due = due
	ctx := &targetCtx{Context: l.ctx, deadline: due}
	l.mu.Unlock()
	if l.d.idle.Load() && l.d.idle.CompareAndSwap(true, false) {
		select {
		case l.d.wake <- struct{}{}:
		default: // already signalled
		}
	}
	return ctx
}

// end ends the lane's target; when its deadline passed, the lane takes a
// new context for the next.
func (l *lane) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.due = time.Time{}
	if l.expired {
		l.ctx, l.cancel = context.WithCancelCause(l.d.run)
		l.expired = false
	}
}

// sweepLoop cancels the lanes whose deadline passed, sleeping until the
// next one is due, until stop.
func (d *deadlines) sweepLoop() {
	defer close(d.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := d.sweep(time.Now())
		if next.IsZero() {
			d.idle.Store(true)
			// A deadline set before idle was seen is found here; one set
			// after it signals wake.
			if next = d.sweep(time.Now()); next.IsZero() {
				select {
				case <-d.wake:
				case <-d.quit:
					return
				}
				continue
			}
			d.idle.Store(false)
		}
		t.Reset(time.Until(next))
		select {
		case <-t.C:
		case <-d.quit:
			return
		}
	}
}

// sweep cancels the lanes whose deadline is not after now, and returns the
// earliest deadline left (zero if none).
func (d *deadlines) sweep(now time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	var next time.Time
	for _, l := range d.lanes {
		l.mu.Lock()
		switch {
		case l.due.IsZero():
		case !now.Before(l.due):
			l.cancel(deadlineError{d.limit})
			l.due, l.expired = time.Time{}, true
		case next.IsZero() || l.due.Before(next):
			next = l.due
		}
		l.mu.Unlock()
	}
	return next
}

// targetCtx is a lane's context as one target sees it: with the target's
// deadline, and, once the sweeper has cancelled it for that deadline,
// context.DeadlineExceeded as its error, as a context with a timeout says.
type targetCtx struct {
	context.Context
	deadline time.Time
}

func (c *targetCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *targetCtx) Err() error {
	err := c.Context.Err()
	if err != nil && errors.Is(context.Cause(c.Context), ErrDeadline) {
		return context.DeadlineExceeded
	}
	return err
}

// lean reports whether a run with opts only resolves and attributes, so
// that its targets can share their workers' contexts (deadlines).
func lean(opts Options) bool {
	return opts.PTR == nil && opts.Cymru == nil && opts.RDAP == nil && opts.RTT == nil && opts.HTTP == nil &&
		opts.Authoritative == nil && len(opts.Records) == 0 && len(opts.Compare) == 0
}
