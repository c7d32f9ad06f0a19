package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// chunk is how many observations are written at a time: the latest span of
// each of their domains is read in one query, and the unchanged ones are
// extended in one statement.
const chunk = 1000

// recording is a run being recorded, in one of two ways:
//
//   - written as it is observed: when the file's write lock is free at
//     Begin, the run takes it and holds it until Commit, and each chunk of
//     observations is compared and written into that transaction while the
//     run goes on (a check's writing then overlaps its observing);
//   - staged: when another run holds the lock at Begin, observations are
//     kept in a temporary file, in arrival order, and written in Commit,
//     which waits for the lock.
//
// Either way each observation is compared with what is committed when the
// run's write transaction begins, inside it, so two runs on one file
// serialise and each reports exactly its own changes; memory stays flat
// however many observations there are, and nothing of the run is visible
// before Commit, nor after a failure, an Abort or a kill.
type recording struct {
	s     *Store
	run   history.RunInfo
	emit  func(probe.Change) error
	began time.Time
	seen  probe.Seen // the domains added (8 bytes each, outside the heap)
	count int
	done  bool
	rtts  history.MeasurementStage // round trips (--rtt), staged apart

	live *liveWrite // written as observed

	file  *os.File // staged
	stage *stageWriter
}

// Begin starts recording a run.
func (s *Store) Begin(ctx context.Context, run history.RunInfo, emit func(probe.Change) error) (history.Recording, error) {
	if run.Now == nil {
		run.Now = time.Now
	}
	if run.StartedAt.IsZero() {
		run.StartedAt = run.Now()
	}
	run.Confirm = max(run.Confirm, 1)
	r := &recording{s: s, run: run, emit: emit, began: time.Now()}
	tx, err := s.beginWrite(ctx, 0)
	if err == nil {
		if r.live, err = r.startLive(ctx, tx); err != nil {
			tx.rollback()
			return nil, err
		}
		return r, nil
	}
	if !errors.Is(err, ErrLocked) {
		return nil, err
	}
	// Another run is writing: stage until it is done.
	f, err := os.CreateTemp("", "hostwatch-run-*")
	if err != nil {
		return nil, fmt.Errorf("history database %s: begin recording: %w", s.path, err)
	}
	// The file is only ever read through f: on Unix it is gone from the
	// directory at once, and with it if hostwatch is killed.
	os.Remove(f.Name())
	r.file, r.stage = f, newStageWriter(f)
	return r, nil
}

// staged is one observation as staged: everything the history keeps.
type staged struct {
	Domain, Unicode string
	At              time.Time
	Status          resolvers.Status
	Error           string
	ErrorKind       probe.ErrorKind
	Chain           []chainHop
	Addresses       []storedAddress
	Fingerprint     string
	// canonical are the addresses as probe's model has them, when the
	// observation is written as observed (not staged in a file): what
	// observation gives, without building it again.
	canonical []probe.Address
}

type chainHop struct {
	Name   string `json:"name"`
	Target string `json:"target"`
}

// storedAddress is an attributed address as staged.
type storedAddress struct {
	IP netip.Addr
	attribution.Result
	// attr numbers the attribution among the run's (from 0), or is -1 (see
	// numbering).
	attr int
}

// Add adds one observation.
func (r *recording) Add(ctx context.Context, o probe.Observation) error {
	h, keep, err := history.Stage(o, r.run.StartedAt)
	if err != nil {
		return fmt.Errorf("history database %s: %w", r.s.path, err)
	}
	if !keep || !r.seen.First(probe.Target{Domain: h.Domain}) {
		return nil
	}
	st := staged{Domain: h.Domain, Unicode: h.Unicode, At: h.At, Status: h.Status, Error: h.Error, ErrorKind: h.ErrorKind,
		Fingerprint: h.Fingerprint, Chain: make([]chainHop, len(h.Chain)), Addresses: make([]storedAddress, len(h.Addresses))}
	for i, c := range h.Chain {
		st.Chain[i] = chainHop{c.Name, c.Target}
	}
	for i, a := range h.Addresses {
		st.Addresses[i] = storedAddress{IP: a.IP, Result: a.Result}
	}
	if r.live != nil {
		st.canonical = h.Addresses
		err = r.live.add(ctx, st)
	} else if err = r.stage.write(&st); err != nil {
		err = fmt.Errorf("history database %s: stage %s: %w", r.s.path, h.Domain, err)
	}
	if err != nil {
		return err
	}
	if err := r.rtts.Add(o, r.run.Vantage, r.run.Location); err != nil {
		return fmt.Errorf("history database %s: %s: %w", r.s.path, h.Domain, err)
	}
	r.count++
	return nil
}

// Abort drops the run.
func (r *recording) Abort() error {
	if r.done {
		return nil
	}
	r.done = true
	r.seen.Release()
	defer r.rtts.Close()
	if r.live != nil {
		r.live.abort()
		return nil
	}
	return r.file.Close()
}

// Commit writes the run.
func (r *recording) Commit(ctx context.Context) (runID int64, err error) {
	defer r.Abort()
	if r.done {
		return 0, fmt.Errorf("history database %s: commit of a run already ended", r.s.path)
	}
	if err := ctx.Err(); err != nil {
		return 0, r.s.wrap(err)
	}
	if r.live != nil {
		return r.live.commit(ctx, r)
	}
	return r.commitStaged(ctx)
}

// commitStaged writes a staged run: it takes the file's write lock first,
// waiting as long as the store waits or as long as this run took so far,
// whichever is longer (the run holding the lock is most likely another
// check that began at about the same time).
func (r *recording) commitStaged(ctx context.Context) (int64, error) {
	if err := r.stage.flush(); err != nil {
		return 0, fmt.Errorf("history database %s: stage observations: %w", r.s.path, err)
	}
	if _, err := r.file.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("history database %s: stage observations: %w", r.s.path, err)
	}
	staging := newStageReader(r.file)
	// Nothing is written to a file that failed its quick_check.
	if err := r.s.checked(ctx); err != nil {
		return 0, err
	}
	tx, err := r.s.beginWrite(ctx, max(r.s.busy, time.Since(r.began)))
	if err != nil {
		return 0, err
	}
	defer tx.rollback()
	p, err := r.s.startWriting(ctx, tx.conn, r.run, r.emit)
	if err != nil {
		return 0, err
	}
	defer p.w.close()
	for read := 0; read < r.count; {
		batch := make([]staged, min(chunk, r.count-read))
		for i := range batch {
			if err := staging.read(&batch[i]); err != nil {
				return 0, fmt.Errorf("history database %s: read staged observations: %w", r.s.path, err)
			}
		}
		read += len(batch)
		if err := p.write(ctx, batch); err != nil {
			return 0, err
		}
	}
	if err := p.wait(); err != nil {
		return 0, err
	}
	if err := r.finishRun(ctx, tx.conn, p); err != nil {
		return 0, err
	}
	return p.runID, tx.commit(ctx)
}

// finishRun writes what is kept of the run apart from its observations
// (its round trips), then when it finished and how many observations it
// recorded.
func (r *recording) finishRun(ctx context.Context, conn *sql.Conn, p *pipe) error {
	if err := insertMeasurements(ctx, conn, p.runID, &r.rtts); err != nil {
		return r.s.wrap(err)
	}
	if err := p.w.finishRun(ctx, p.runID, r.run, r.count); err != nil {
		return r.s.wrap(err)
	}
	return nil
}

// writeCacheKiB is the page cache of a run's write transaction, and
// defaultCacheKiB SQLite's, which the connection goes back to. A first run
// of 100,000 names, each answering addresses of its own, spilled pages to
// the log with the default 2 MiB and read many of them back (0.3-0.5 s of
// CPU in its profile). BenchmarkFirstRunDistinct, 2 or 3 alternating runs:
// names in no order 6.1-6.2 cpu-s/op with 6 MiB against 7.0-7.1 (12 MiB no
// better); names as the bench zone has them (h0, h1 … h99999) 5.8-6.0
// with 8 MiB against 5.8-6.2. A first check's peak RSS went from 114-117
// to 127-130 MB with this pass. The pages are allocated as they are used:
// a small run's cache stays small.
const (
	writeCacheKiB   = 8 << 10
	defaultCacheKiB = 2000
)

// writeTx is a write transaction on a connection of its own.
type writeTx struct {
	s    *Store
	conn *sql.Conn
	open bool
}

// beginWrite takes the file's write lock, waiting for it as long as wait
// says (not at all when 0).
func (s *Store) beginWrite(ctx context.Context, wait time.Duration) (*writeTx, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	// The writer numbers the rows it refers to itself, inside its
	// transaction, so SQLite's checks of every reference (a lookup per
	// reference, and a statement journal for each bulk statement) are left
	// out of it; the tests check the references (PRAGMA foreign_key_check).
	t := &writeTx{s: s, conn: conn}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		t.rollback()
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	// The writer's page cache holds the pages of the indexes that new rows
	// go to in no order (answers by fingerprint, addresses by IP, domains
	// by name), so that a large run does not spill them to the log and read
	// them back again and again before it commits (see writeCacheKiB).
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", writeCacheKiB)); err != nil {
		t.rollback()
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	if wait != s.busy {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())); err != nil {
			t.rollback()
			return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
		}
	}
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	t.open = err == nil
	if wait != s.busy {
		// The connection goes back to the pool: it waits as the store does.
		if _, err := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", s.busy.Milliseconds())); err != nil {
			t.rollback()
			return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
		}
	}
	if err != nil {
		t.rollback()
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	return t, nil
}

// commit commits the transaction. The pages it wrote are copied from the
// write-ahead log into the file afterwards (a checkpoint), in the
// background while the caller goes on (a check writes its report), rather
// than inside COMMIT as SQLite would: for a first run of 100,000 names that
// copy took most of the commit's 0.7 s. The run is durable once COMMIT
// returns either way; Close waits for the checkpoint.
func (t *writeTx) commit(ctx context.Context) error {
	if _, err := t.conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return t.s.wrap(fmt.Errorf("commit run: %w", err))
	}
	if _, err := t.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return t.s.wrap(fmt.Errorf("commit run: %w", err))
	}
	t.open = false
	t.s.checkpointSoon()
	return nil
}

// rollback undoes the transaction unless it was committed, and gives the
// connection back; it is safe to call more than once.
func (t *writeTx) rollback() {
	if t.conn == nil {
		return
	}
	if t.open {
		t.conn.ExecContext(context.Background(), "ROLLBACK")
		t.open = false
	}
	t.conn.ExecContext(context.Background(), "PRAGMA foreign_keys = ON")
	t.conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = -%d", defaultCacheKiB))
	t.conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walAutoCheckpoint))
	t.conn.Close()
	t.conn = nil
}

// pipe writes chunks of a run's observations into its transaction: each
// chunk is read and classified while the previous one's new rows are
// inserted (finish, on another goroutine); on a first run the two take about
// as long as each other. Their statements share the connection, which runs
// one at a time; they touch the rows of different domains (a domain is
// written once), and only finish adds answers, attributions, spans and tips,
// in chunk order.
type pipe struct {
	w         *writer
	runID     int64
	opts      history.Options
	emit      func(probe.Change) error
	finishing chan error // the previous chunk's finish, if running
}

// startWriting records the run's row in the transaction on conn and
// returns the pipe its observations go through.
func (s *Store) startWriting(ctx context.Context, conn *sql.Conn, run history.RunInfo, emit func(probe.Change) error) (*pipe, error) {
	w, err := newWriter(ctx, s, conn)
	if err != nil {
		return nil, s.wrap(err)
	}
	runID, err := w.run(ctx, run)
	if err != nil {
		w.close()
		return nil, s.wrap(err)
	}
	return &pipe{w: w, runID: runID, opts: history.Options{Confirm: run.Confirm}, emit: emit}, nil
}

// write compares and writes one chunk.
func (p *pipe) write(ctx context.Context, batch []staged) error {
	starts, tips, err := p.w.chunk(ctx, p.runID, batch, p.opts, p.emit)
	if err != nil {
		return err
	}
	if err := p.wait(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- p.w.finish(ctx, p.runID, starts, tips) }()
	p.finishing = done
	return nil
}

// wait waits for the last chunk's finish.
func (p *pipe) wait() error {
	if p.finishing == nil {
		return nil
	}
	err := <-p.finishing
	p.finishing = nil
	return err
}

// liveWrite is a run written into its transaction as it is observed: Add
// hands chunks to a goroutine that writes them, at most two chunks ahead of
// it, so that a slow disk slows the run rather than filling memory.
type liveWrite struct {
	s      *Store
	tx     *writeTx
	pipe   *pipe
	attrs  numbering
	batch  []staged
	in     chan []staged
	failed chan struct{} // closed when writing failed; err says why
	err    error
	ended  chan struct{} // closed when the writing goroutine has returned
	cancel context.CancelFunc
	closed bool // in is closed
}

func (r *recording) startLive(ctx context.Context, tx *writeTx) (*liveWrite, error) {
	p, err := r.s.startWriting(ctx, tx.conn, r.run, r.emit)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &liveWrite{s: r.s, tx: tx, pipe: p, attrs: numbering{}, batch: make([]staged, 0, chunk),
		in: make(chan []staged, 1), failed: make(chan struct{}), ended: make(chan struct{}), cancel: cancel}
	go l.loop(ctx)
	return l, nil
}

func (l *liveWrite) loop(ctx context.Context) {
	defer close(l.ended)
	var err error
	for batch := range l.in {
		if err == nil {
			err = l.pipe.write(ctx, batch)
		}
		if err != nil && l.err == nil {
			l.err = err
			close(l.failed)
		}
	}
	if werr := l.pipe.wait(); err == nil && werr != nil {
		l.err = werr
		close(l.failed)
	}
}

// add adds one observation, handing a full chunk to the writer.
func (l *liveWrite) add(ctx context.Context, st staged) error {
	for i := range st.Addresses {
		n, _ := l.attrs.number(st.Addresses[i].Result)
		st.Addresses[i].attr = n - 1
	}
	l.batch = append(l.batch, st)
	if len(l.batch) < chunk {
		return nil
	}
	return l.send(ctx)
}

func (l *liveWrite) send(ctx context.Context) error {
	select {
	case l.in <- l.batch:
		l.batch = make([]staged, 0, chunk)
		return nil
	case <-l.failed:
		return l.err
	case <-ctx.Done():
		return l.s.wrap(ctx.Err())
	}
}

// stop ends the writing goroutine once it has written what it was given.
func (l *liveWrite) stop() error {
	if !l.closed {
		l.closed = true
		close(l.in)
	}
	<-l.ended
	return l.err
}

func (l *liveWrite) commit(ctx context.Context, r *recording) (int64, error) {
	if len(l.batch) > 0 {
		if err := l.send(ctx); err != nil {
			return 0, err
		}
	}
	if err := l.stop(); err != nil {
		return 0, err
	}
	// What was written is only kept if the file passed its quick_check
	// (until COMMIT it is in the write-ahead log alone, not in the file).
	if err := l.s.checked(ctx); err != nil {
		return 0, err
	}
	if err := r.finishRun(ctx, l.tx.conn, l.pipe); err != nil {
		return 0, err
	}
	if err := l.tx.commit(ctx); err != nil {
		return 0, err
	}
	return l.pipe.runID, nil
}

func (l *liveWrite) abort() {
	l.cancel()
	l.stop()
	l.pipe.w.close()
	l.tx.rollback()
}
