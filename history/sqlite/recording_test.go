package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
)

// TestWrittenAsObserved: a run that finds the write lock free writes its
// observations as they come, unseen until it commits; a run that begins
// meanwhile stages its own and writes them once the first has committed,
// compared with what the first recorded.
func TestWrittenAsObserved(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, _ := newStore(t)
	ctx := t.Context()
	const n = 2500 // more than two chunks, so that some are written before Commit

	var first, second []probe.Change
	a, err := s.Begin(ctx, ob.runInfo(at(0)), func(c probe.Change) error { first = append(first, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	if a.(*recording).live == nil {
		t.Fatal("the first run did not take the free write lock")
	}
	for i := range n {
		if err := a.Add(ctx, ob.ok(fmt.Sprintf("d%d.kpu.go.id", i), at(0), "36.86.63.182")); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.Begin(ctx, ob.runInfo(at(1)), func(c probe.Change) error { second = append(second, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	if b.(*recording).live != nil {
		t.Fatal("the second run took the write lock the first holds")
	}
	for i := range n {
		if err := b.Add(ctx, ob.ok(fmt.Sprintf("d%d.kpu.go.id", i), at(1), "170.33.13.55")); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing of either is visible yet, although the first has written.
	if spans, err := s.spansOf(ctx, "", time.Time{}, time.Time{}); err != nil || len(spans) != 0 {
		t.Fatalf("before Commit: %d spans (%v), want none", len(spans), err)
	}
	committed := make(chan error, 1)
	go func() {
		_, err := b.Commit(ctx)
		committed <- err
	}()
	select {
	case err := <-committed:
		t.Fatalf("the second run committed (%v) while the first held the write lock", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if len(first) != n || len(second) != n {
		t.Fatalf("the runs reported %d and %d changes, want %d each", len(first), len(second), n)
	}
	for _, c := range second {
		if c.Kind() == "new" {
			t.Fatalf("the second run reported %s as new: it was not compared with the first", c.Domain)
		}
	}
	spans, err := s.spansOf(ctx, "", time.Time{}, time.Time{})
	if err != nil || len(spans) != 2*n {
		t.Fatalf("after both: %d spans (%v), want %d", len(spans), err, 2*n)
	}
	_, changes := history.Timeline(spans, history.Options{})
	if len(changes) != len(first)+len(second) {
		t.Errorf("history shows %d changes, the runs reported %d", len(changes), len(first)+len(second))
	}
}

// TestLiveRunAborted: a run written as observed and then aborted (or whose
// context ends) leaves nothing, and the lock is free again.
func TestLiveRunAborted(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	rec, err := s.Begin(ctx, ob.runInfo(at(0)), func(probe.Change) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * chunk {
		if err := rec.Add(ctx, ob.ok(fmt.Sprintf("d%d.kpu.go.id", i), at(0), "36.86.63.182")); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if _, err := rec.Commit(ctx); err == nil {
		t.Fatal("Commit after the run's context ended succeeded")
	}
	rec.Abort()
	if runs, err := s.Runs(t.Context()); err != nil || len(runs) != 0 {
		t.Fatalf("%d runs after an aborted run (%v)", len(runs), err)
	}
	again, err := s.Begin(t.Context(), ob.runInfo(at(1)), func(probe.Change) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer again.Abort()
	if again.(*recording).live == nil {
		t.Fatal("the write lock was not given back by the aborted run")
	}
}
