// Package sqlite keeps the history in one SQLite file (modernc.org/sqlite, pure Go) that any
// SQLite tool can read; its tables are described in history/SCHEMA.md.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hostwatch/hostwatch/history"
)

// The errors callers tell apart, shared by every backend.
var (
	ErrNewerSchema = history.ErrNewerSchema
	ErrNotDatabase = history.ErrNotDatabase
	ErrDamaged     = history.ErrDamaged
	ErrLocked      = history.ErrLocked
)

// busyTimeout is how long a write waits for another process's write to
// finish before it fails with ErrLocked.
const busyTimeout = 60 * time.Second

// timeLayout is how times are stored: RFC 3339 in UTC with a fixed-width
// fraction, so that text order is time order and times read back exactly.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// sqliteHeader starts every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// Store is an open history database; it implements history.Store. Its methods may be called from several
// goroutines; several processes may use one file at once.
type Store struct {
	db   *sql.DB
	path string
	busy time.Duration
	// immutable marks a read-only store opened without locking: its
	// directory allows no -shm file (see OpenReadOnly).
	immutable bool
	// check is SQLite's quick_check of the file, when it runs alongside
	// what the caller does first (a check's audit); nil when it ran in
	// Open, or the file was new.
	check *pendingCheck
	// checkpoints are the checkpoints running after a commit
	// (checkpointSoon); Close waits for them.
	checkpoints sync.WaitGroup
}

// walAutoCheckpoint is SQLite's default: a commit that leaves the
// write-ahead log longer than this many pages copies it into the file.
const walAutoCheckpoint = 1000

// checkpointSoon copies the write-ahead log into the file in the
// background, without waiting for readers (PASSIVE): what a reader still
// needs stays in the log for the next checkpoint. A failure is left to the
// next one, or to Close, which checkpoints too.
func (s *Store) checkpointSoon() {
	s.checkpoints.Go(func() {
		s.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	})
}

// pendingCheck is a quick_check running in the background: done is closed
// when it has finished, with its verdict in err.
type pendingCheck struct {
	done chan struct{}
	err  error
	stop context.CancelFunc
}

// checked waits for the background quick_check, if any, and returns its
// verdict: ErrDamaged for a file that must not be written to.
func (s *Store) checked(ctx context.Context) error {
	if s.check == nil {
		return nil
	}
	select {
	case <-s.check.done:
		return s.check.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DefaultPath returns where the history is kept when no path is given:
// $XDG_DATA_HOME/hostwatch/history.db, else ~/.local/share/hostwatch/history.db.
func DefaultPath() (string, error) {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "hostwatch", "history.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history database location: %w", err)
	}
	return filepath.Join(home, ".local", "share", "hostwatch", "history.db"), nil
}

// Open opens the history database at path, creating it (and its directory)
// when missing, and brings its schema up to date. A file written by a newer
// hostwatch (ErrNewerSchema) or that is not a hostwatch history
// (ErrNotDatabase) is refused before anything is written to it.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, busyTimeout)
}

// open opens the store, retrying while another process is setting the same
// file up: SQLite does not wait on busy_timeout for every step of that
// (switching to WAL needs the file to itself), so open waits here instead.
func open(ctx context.Context, path string, busy time.Duration) (*Store, error) {
	deadline := time.Now().Add(busy)
	for {
		s, err := openOnce(ctx, path, busy)
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(20+rand.IntN(30)) * time.Millisecond):
		}
	}
}

// prepare checks path and returns its absolute form and a Store for it.
func prepare(path string, busy time.Duration) (string, *Store, error) {
	if path == "" {
		return "", nil, errors.New("history database: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, fmt.Errorf("history database %s: %w", path, err)
	}
	return abs, &Store{path: path, busy: busy}, nil
}

func openOnce(ctx context.Context, path string, busy time.Duration) (*Store, error) {
	abs, s, err := prepare(path, busy)
	if err != nil {
		return nil, err
	}
	fresh, current, err := s.inspect(ctx, abs)
	if err != nil {
		return nil, err
	}
	// Never append to a damaged history. A file that opening will write to
	// (an older schema to migrate, a journal mode to switch) is checked
	// first; one already up to date is only read until a run commits, so
	// its check (1.5 s on a file of 100,000 names) runs alongside, and
	// Commit waits for its verdict.
	if !fresh && !current {
		if err := s.quickCheck(ctx, abs); err != nil {
			return nil, err
		}
	}
	if fresh {
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return nil, fmt.Errorf("history database %s: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite", s.dsn(abs, false))
	if err != nil {
		return nil, s.wrap(err)
	}
	s.db = db
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.useWAL(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if !fresh && current {
		checkCtx, stop := context.WithCancel(ctx)
		s.check = &pendingCheck{done: make(chan struct{}), stop: stop}
		go func() {
			defer close(s.check.done)
			s.check.err = s.quickCheck(checkCtx, abs)
		}()
	}
	return s, nil
}

// dsn is the driver's name for the file at abs: an SQLite URI (so that any
// character may appear in the path) with the connection settings.
func (s *Store) dsn(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", s.busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// Writers take the write lock when they begin, so two runs queue on
	// busy_timeout instead of failing when a read lock cannot be upgraded.
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("mode", "ro")
	}
	if s.immutable {
		q.Set("immutable", "1")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// inspect checks an existing file before SQLite writes anything to it, and
// reports whether there is no database yet (no file, or an empty one) and
// whether it is current: of this schema and in write-ahead logging, so that
// opening it writes nothing.
func (s *Store) inspect(ctx context.Context, abs string) (fresh, current bool, err error) {
	f, err := os.Open(abs)
	if errors.Is(err, os.ErrNotExist) {
		return true, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("history database %s: %w", s.path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, false, fmt.Errorf("history database %s: %w", s.path, err)
	}
	if st.IsDir() {
		return false, false, fmt.Errorf("history database %s: is a directory", s.path)
	}
	if st.Size() == 0 {
		return true, false, nil
	}
	header := make([]byte, 100)
	if _, err := io.ReadFull(f, header); err != nil || !bytes.HasPrefix(header, []byte(sqliteHeader)) {
		return false, false, fmt.Errorf("history database %s: %w: it is not an SQLite file; it was left unchanged", s.path, ErrNotDatabase)
	}
	version := int64(binary.BigEndian.Uint32(header[60:]))
	app := int64(binary.BigEndian.Uint32(header[68:]))
	// The header can be behind the write-ahead log; when there is one, ask
	// SQLite, read-only.
	if wal, err := os.Stat(abs + "-wal"); err == nil && wal.Size() > 0 {
		if version, app, err = s.readVersions(ctx, abs); err != nil {
			return false, false, err
		}
	}
	// Bytes 18 and 19 of the header are 2 in write-ahead logging.
	wal := header[18] == 2 && header[19] == 2
	return false, version == int64(schema().Latest()) && wal, s.checkVersions(version, app)
}

// readVersions reads user_version and application_id through a read-only
// connection.
func (s *Store) readVersions(ctx context.Context, abs string) (version, app int64, err error) {
	db, err := sql.Open("sqlite", s.dsn(abs, true))
	if err != nil {
		return 0, 0, s.wrap(err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, 0, s.wrap(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return 0, 0, s.wrap(err)
	}
	return version, app, nil
}

// checkVersions refuses a database of another program or of a newer hostwatch.
func (s *Store) checkVersions(version, app int64) error {
	switch {
	case app != 0 && app != applicationID, app == 0 && version != 0:
		return fmt.Errorf("history database %s: %w: it is another program's SQLite database; it was left unchanged", s.path, ErrNotDatabase)
	}
	if err := schema().Check(int(version)); err != nil {
		return fmt.Errorf("history database %s: %w: use a newer hostwatch; the file was left unchanged", s.path, err)
	}
	return nil
}

// migrate brings the schema up to date in one transaction. A database that is
// already up to date is only read.
func (s *Store) migrate(ctx context.Context) error {
	version, app, err := s.versions(ctx, s.db)
	if err != nil {
		return err
	}
	if err := s.checkVersions(version, app); err != nil {
		return err
	}
	latest := int64(schema().Latest())
	if version == latest {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	// Another process may have migrated since the first look.
	if version, app, err = s.versions(ctx, tx); err != nil {
		return err
	}
	if err := s.checkVersions(version, app); err != nil {
		return err
	}
	if version == latest {
		return nil
	}
	if version == 0 {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return s.wrap(err)
		}
		if n > 0 {
			return fmt.Errorf("history database %s: %w: it is another program's SQLite database; it was left unchanged", s.path, ErrNotDatabase)
		}
	}
	if _, err := schema().Apply(ctx, migrateTx{tx}, int(version)); err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit())
}

// migrateTx runs the schema steps in a transaction and records the
// version reached in the file's header and its meta table.
type migrateTx struct{ tx *sql.Tx }

func (m migrateTx) Exec(ctx context.Context, sql string) error {
	_, err := m.tx.ExecContext(ctx, sql)
	return err
}

func (m migrateTx) Reached(ctx context.Context, from, to int) error {
	if from == 0 {
		if _, err := m.tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES ('created_at', ?)", formatTime(time.Now())); err != nil {
			return err
		}
		if _, err := m.tx.ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(applicationID)); err != nil {
			return err
		}
	}
	if _, err := m.tx.ExecContext(ctx, "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", strconv.Itoa(to)); err != nil {
		return err
	}
	_, err := m.tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(to))
	return err
}

// querier is what versions needs from a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) versions(ctx context.Context, q querier) (version, app int64, err error) {
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, 0, s.wrap(err)
	}
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return 0, 0, s.wrap(err)
	}
	return version, app, nil
}

// useWAL switches the file to write-ahead logging (it stays so): readers do
// not block the writer, and a killed writer leaves only an unfinished log
// that the next open discards.
func (s *Store) useWAL(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.wrap(err)
	}
	if mode == "wal" {
		return nil
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return s.wrap(err)
	}
	if mode != "wal" {
		return fmt.Errorf("history database %s: cannot use write-ahead logging (journal mode stays %q)", s.path, mode)
	}
	return nil
}

// Close closes the database, stopping a quick_check still running.
func (s *Store) Close() error {
	if s.check != nil {
		s.check.stop()
		<-s.check.done
	}
	s.checkpoints.Wait()
	return s.wrap(s.db.Close())
}

// wrap names the path in an SQLite error and maps the codes callers must
// tell apart to ErrLocked and ErrNotDatabase.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("history database %s: %w", s.path, err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("history database %s: %w (still busy after %s): another hostwatch is probably writing to it; try again when it has finished: %w",
			s.path, ErrLocked, s.busy, err)
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("history database %s: %w: %w", s.path, ErrDamaged, err)
	}
	return fmt.Errorf("history database %s: %w", s.path, err)
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

var _ history.Store = (*Store)(nil)
