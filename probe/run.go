package probe

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Resolver turns a domain into addresses with evidence.
type Resolver interface {
	Resolve(ctx context.Context, name string) resolvers.Result
}

// Attributor tells what is known of an address.
type Attributor interface {
	Lookup(ip netip.Addr) attribution.Result
}

// DefaultConcurrency is how many targets Run resolves at once unless told otherwise.
const DefaultConcurrency = 64

// Options configure Run.
type Options struct {
	Resolver   Resolver
	Attributor Attributor
	// Concurrency is how many targets are resolved at once (DefaultConcurrency if < 1).
	Concurrency int
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Run audits targets concurrently and calls emit with each observation in
// input order, as soon as it and every target before it are done. At most a
// bounded window of finished observations is held, so a run of any size
// streams in constant memory. When ctx is cancelled Run starts no new target,
// drops those it could not finish, emits the ones that finished and returns
// ctx's error. An error from emit stops the run and is returned.
func Run(ctx context.Context, targets []Target, opts Options, emit func(Observation) error) error {
	workers := opts.Concurrency
	if workers < 1 {
		workers = DefaultConcurrency
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	// The window bounds how far finished work may run ahead of the slowest
	// target still in flight (a timing-out name must not stall the rest).
	window := max(16*workers, 1024)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		target Target
		done   chan Observation // buffered 1; closed without a value when dropped
	}
	jobs := make(chan job)
	pending := make(chan chan Observation, window)

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				obs, ok := observe(ctx, j.target, opts.Resolver, opts.Attributor, now)
				if ok {
					j.done <- obs
				}
				close(j.done)
			}
		})
	}
	go func() {
		defer close(pending)
		defer close(jobs)
		for _, t := range targets {
			j := job{target: t, done: make(chan Observation, 1)}
			select {
			case pending <- j.done: // waits while the window is full
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				close(j.done)
				return
			}
		}
	}()

	var emitErr error
	for done := range pending {
		obs, ok := <-done
		if !ok || emitErr != nil {
			continue
		}
		if err := emit(obs); err != nil {
			emitErr = err
			cancel()
		}
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// observe resolves and attributes one target. It reports false when ctx ended
// before the target was finished, so that a partial answer is never reported.
func observe(ctx context.Context, t Target, r Resolver, a Attributor, now func() time.Time) (Observation, bool) {
	start := now().UTC()
	obs := Observation{Target: t, StartedAt: start}
	if t.Err != nil {
		obs.Status = resolvers.StatusInvalid
		obs.Error = t.Err.Error()
		return obs, true
	}
	if ctx.Err() != nil {
		return obs, false
	}
	res := r.Resolve(ctx, t.Domain)
	if ctx.Err() != nil {
		return obs, false
	}
	obs.Duration = now().Sub(start)
	obs.Status = res.Status
	if res.Err != nil {
		obs.Error = res.Err.Error()
	}
	obs.CNAMEChain = res.CNAMEChain
	obs.Queries = res.Exchanges
	obs.Addresses = make([]Address, 0, len(res.Answers))
	for _, ans := range res.Answers {
		addr := Address{IP: ans.Addr, TTL: ans.TTL}
		if a != nil {
			addr.Result = a.Lookup(ans.Addr)
		}
		obs.Addresses = append(obs.Addresses, addr)
	}
	return obs, true
}
