package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// targetInput is a run's names, read as the run asks for them: the -f
// files in the order given, then the arguments, each but the first of its
// canonical name dropped (probe.Seen: a compact set of hashes, the one
// thing that grows with the list). Invalid names are reported on errOut as
// they are read. Nothing is read ahead of the run, so an endless stdin is
// audited as it comes.
type targetInput struct {
	sources []targetSource
	args    []string
	errOut  io.Writer
	// shard, when set (check --shard), keeps only its own names: the
	// others are neither audited nor kept in the de-duplication set.
	shard probe.Shard
	// ended, when set, is called with the number of names read once the
	// whole input is read.
	ended func(read int)

	mu                     sync.Mutex // guards what follows: the reading may outlast an interrupted run
	seen                   probe.Seen
	given                  int // names read, other shards' and duplicates too
	read, invalid, dropped int
	err                    error // why reading stopped early
	closed                 bool
}

// targetSource is one -f list, opened before the run so that a missing
// file is a usage error before any work.
type targetSource struct {
	name string
	r    io.Reader
	file *os.File // nil for stdin
}

// openTargets opens the -f files; the arguments are parsed as they come.
func openTargets(stdin io.Reader, files, args []string, errOut io.Writer) (*targetInput, error) {
	in := &targetInput{args: args, errOut: errOut}
	for _, name := range files {
		if name == "-" {
			in.sources = append(in.sources, targetSource{name: name, r: stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("read target list: %w", err)
		}
		in.sources = append(in.sources, targetSource{name: name, r: f, file: f})
	}
	return in, nil
}

// All yields the names of every source in order, then of the arguments,
// each valid name once. A reading error ends it, and is kept for result.
func (in *targetInput) All() iter.Seq[probe.Target] {
	return func(yield func(probe.Target) bool) {
		for _, src := range in.sources {
			for t, err := range probe.ScanTargets(src.r, src.name) {
				if err != nil {
					in.mu.Lock()
					in.err = err
					in.mu.Unlock()
					return
				}
				if keep, stop := in.take(t); stop || keep && !yield(t) {
					return
				}
			}
		}
		for _, a := range in.args {
			t := probe.ParseTarget(a, "args", 0)
			if keep, stop := in.take(t); stop || keep && !yield(t) {
				return
			}
		}
		if in.ended != nil {
			in.mu.Lock()
			n := in.read
			in.mu.Unlock()
			in.ended(n)
		}
	}
}

// take counts t and reports whether it is to be audited, or whether the
// run is over and reading is to stop.
func (in *targetInput) take(t probe.Target) (keep, stop bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false, true
	}
	in.given++
	if !in.shard.Keeps(t) {
		return false, false
	}
	if !in.seen.First(t) {
		in.dropped++
		return false, false
	}
	in.read++
	if t.Err != nil {
		in.invalid++
		fmt.Fprintf(in.errOut, "hostwatch: %v\n", t.Err)
	}
	return true, false
}

// inputResult is what the reading of a run's names came to.
type inputResult struct {
	given                  int // names read, before the shard and the de-duplication
	read, invalid, dropped int
	err                    error
}

// result says how many names were read (once each), how many of them were
// invalid, how many duplicates were dropped, and why reading stopped early.
// After it, a reader still blocked (an interrupted run's stdin) takes no more.
func (in *targetInput) result() inputResult {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	return inputResult{in.given, in.read, in.invalid, in.dropped, in.err}
}

// countAhead counts, in the background, the names of the lists that are
// regular files (plus the arguments), for a progress display's total, and
// calls set with the count; it does nothing when a list is stdin, whose
// length is known only at its end. The count is of lines with a name, so
// duplicates make it a little high. With a shard, the total is known only
// at the end too.
func (in *targetInput) countAhead(set func(int)) {
	if in.shard.Count > 1 {
		return
	}
	var paths []string
	for _, src := range in.sources {
		if src.file == nil {
			return
		}
		if fi, err := src.file.Stat(); err != nil || !fi.Mode().IsRegular() {
			return
		}
		paths = append(paths, src.file.Name())
	}
	go func() {
		n := len(in.args)
		for _, p := range paths {
			c, err := countNames(p)
			if err != nil {
				return
			}
			n += c
		}
		set(n)
	}()
}

// countNames counts the lines of a list that hold a name: neither blank
// nor only a comment.
func countNames(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n, sc.Err()
}

// Close closes the files opened.
func (in *targetInput) Close() {
	for _, src := range in.sources {
		if src.file != nil {
			src.file.Close()
		}
	}
}

// errNoDomains is the usage error of a run given no names at all.
var errNoDomains = errors.New("no domains given: name some, or use -f FILE")

// runTargets runs the audit of run's names, calling emit with each
// observation in input order. On a terminal's stderr (unless --quiet) it
// shows a progress line meanwhile, erased at the end; with --stats it then
// prints the counts by status. It says how many duplicates were dropped,
// and returns what the reading came to with the run's error.
func runTargets(ctx context.Context, streams IOStreams, opts *auditOptions, run *auditRun, emit func(probe.Observation) error) (inputResult, error) {
	stats := newRunStats(streams.Now())
	var progress *progressLine
	if streams.ErrIsTerminal && !opts.quiet && streams.errTerminal != nil {
		progress = newProgressLine(streams.errTerminal, streams.Now, streams.Width)
		run.input.errOut = progress.writer(run.input.errOut)
		run.input.ended = progress.readAll
		run.input.countAhead(progress.estimate)
		run.options.Progress = progress
		progress.run()
	}
	err := probe.RunSeq(ctx, run.input.All(), run.options, func(o probe.Observation) error {
		stats.add(o)
		return emit(o)
	})
	if progress != nil {
		progress.stop()
	}
	res := run.input.result()
	if res.dropped > 0 {
		noun := "names"
		if res.dropped == 1 {
			noun = "name"
		}
		fmt.Fprintf(streams.ErrOut, "hostwatch: dropped %d duplicate %s (same name after IDNA, lower case and trailing dot)\n", res.dropped, noun)
	}
	if opts.stats {
		stats.write(streams.ErrOut, streams.Now())
	}
	return res, err
}

// runStats counts a run's names by status, for --stats.
type runStats struct {
	start  time.Time
	n      int
	counts map[resolvers.Status]int
}

func newRunStats(start time.Time) *runStats {
	return &runStats{start: start, counts: map[resolvers.Status]int{}}
}

func (s *runStats) add(o probe.Observation) {
	s.n++
	s.counts[o.Status]++
}

// write prints one line: the names, the time taken and the rate, and the
// count of each status met, in the order reports list them.
func (s *runStats) write(w io.Writer, now time.Time) {
	elapsed := now.Sub(s.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(s.n) / elapsed.Seconds()
	}
	parts := []string{}
	for _, st := range resolvers.Statuses() {
		if c := s.counts[st]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, st))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	fmt.Fprintf(w, "hostwatch: stats: %d names in %s (%s/s): %s\n", s.n, elapsed.Round(time.Millisecond), rateString(rate), strings.Join(parts, ", "))
}

// rateString writes a rate with the digits that matter: 0.5, 12, 34181.
func rateString(r float64) string {
	if r < 10 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}
