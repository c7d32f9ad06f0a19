package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// progressEvery is how often the progress line is redrawn: often enough to
// look alive, rarely enough to cost nothing.
const progressEvery = 250 * time.Millisecond

// progressLine is a run's one-line progress display on a terminal's stderr:
// names done (of how many, when known), rate, failures, elapsed time and
// ETA. It implements probe.Progress by counting; a goroutine of its own
// redraws the line at most every progressEvery, and stop erases it. Other
// messages on stderr go through writer, which erases the line first.
type progressLine struct {
	out   io.Writer // the terminal itself: the line's own escapes must reach it
	now   func() time.Time
	start time.Time
	width int

	done, failed atomic.Int64
	total        atomic.Int64 // 0 while unknown
	exact        atomic.Bool  // total is the count of names read, not an estimate

	mu    sync.Mutex // serialises drawing and messages
	shown bool       // the line is on the screen
	quit  chan struct{}
	ended sync.WaitGroup
}

func newProgressLine(out io.Writer, now func() time.Time, width int) *progressLine {
	if width <= 0 {
		width = 80
	}
	return &progressLine{out: out, now: now, start: now(), width: width, quit: make(chan struct{})}
}

// Started is part of probe.Progress.
func (p *progressLine) Started(probe.Target) {}

// Finished is part of probe.Progress.
func (p *progressLine) Finished(o probe.Observation) {
	p.done.Add(1)
	if o.Failed() && o.Status != resolvers.StatusInvalid {
		p.failed.Add(1)
	}
}

// estimate sets the total from a count made ahead of the reading, unless
// the exact count is known already.
func (p *progressLine) estimate(n int) {
	if !p.exact.Load() {
		p.total.Store(int64(n))
	}
}

// readAll sets the total to the number of names read, once all are.
func (p *progressLine) readAll(n int) {
	p.exact.Store(true)
	p.total.Store(int64(n))
}

// run starts redrawing.
func (p *progressLine) run() {
	p.ended.Go(func() {
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				p.draw()
			case <-p.quit:
				return
			}
		}
	})
}

// stop stops redrawing and erases the line.
func (p *progressLine) stop() {
	close(p.quit)
	p.ended.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
}

func (p *progressLine) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.out, "\r"+p.line(p.now())+"\x1b[K")
	p.shown = true
}

// erase clears the line; p.mu is held.
func (p *progressLine) erase() {
	if p.shown {
		io.WriteString(p.out, "\r\x1b[K")
		p.shown = false
	}
}

// line is the text of the display at now, cut to the terminal's width.
func (p *progressLine) line(now time.Time) string {
	done, failed, total := p.done.Load(), p.failed.Load(), p.total.Load()
	elapsed := now.Sub(p.start)
	var b strings.Builder
	if total > 0 {
		fmt.Fprintf(&b, "%d/%d names", done, max(total, done))
	} else {
		fmt.Fprintf(&b, "%d names", done)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	fmt.Fprintf(&b, "  %s/s  %d failed  %s", rateString(rate), failed, clockDuration(elapsed))
	if total > done && rate > 0 {
		eta := time.Duration(float64(total-done) / rate * float64(time.Second))
		fmt.Fprintf(&b, "  ETA %s", clockDuration(eta))
	}
	return termtext.Clip(b.String(), p.width-1)
}

// clockDuration writes d as a clock: 0:07, 12:34, 1:02:03.
func clockDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// writer returns w, through which a message erases the line before it is
// written; the next redraw puts the line back.
func (p *progressLine) writer(w io.Writer) io.Writer { return progressWriter{p, w} }

type progressWriter struct {
	p *progressLine
	w io.Writer
}

func (pw progressWriter) Write(b []byte) (int, error) {
	pw.p.mu.Lock()
	defer pw.p.mu.Unlock()
	pw.p.erase()
	return pw.w.Write(b)
}
