// Package postgres keeps the history in a PostgreSQL database (jackc/pgx),
// so that runs from many machines and vantages record into one history that
// a team can query. Its tables are described in history/SCHEMA.md.
//
// Several processes may write at once: each run locks the rows of the
// timelines it records (one per domain and vantage) before it compares its
// observations with what is committed, so that each change is reported by
// exactly one run.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hostwatch/hostwatch/history"
)

// IsURL reports whether a --db value names a PostgreSQL database:
// postgres:// or postgresql://.
func IsURL(location string) bool {
	l := strings.ToLower(location)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Store is an open PostgreSQL history; it implements history.Store. Its
// methods may be called from several goroutines.
type Store struct {
	pool *pgxpool.Pool
	// name is the URL without its password, for messages.
	name     string
	password string
}

// Status is what `hostwatch db status` says of a history.
type Status struct {
	Backend string // "postgresql"
	// Location is the URL, password redacted.
	Location string
	// Version is the schema version stored, Current the one this hostwatch writes.
	Version, Current int
	// Server is the PostgreSQL server's version.
	Server string
}

// Open connects to the database at the URL and brings its schema up to
// date (creating it in an empty database). A database already up to date
// is only read, so a role without the right to create tables can record.
func Open(ctx context.Context, location string) (*Store, error) {
	s, err := connect(ctx, location)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenReader connects to the database for reading: it changes nothing, and
// refuses a database without a hostwatch history or with an older schema
// (hostwatch db migrate upgrades it).
func OpenReader(ctx context.Context, location string) (*Store, error) {
	s, err := connect(ctx, location)
	if err != nil {
		return nil, err
	}
	version, err := s.version(ctx, s.pool)
	latest := schema().Latest()
	if err == nil && version < latest {
		if version == 0 {
			err = fmt.Errorf("history database %s: no hostwatch history in it yet (hostwatch check records one, hostwatch db migrate creates its tables)", s.name)
		} else {
			err = fmt.Errorf("history database %s: schema version %d is older than %d: run hostwatch db migrate", s.name, version, latest)
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func connect(ctx context.Context, location string) (*Store, error) {
	name, password := Redact(location), passwordOf(location)
	s := &Store{name: name, password: password}
	cfg, err := pgxpool.ParseConfig(location)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("%w: %w", ErrBadURL, err))
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.RuntimeParams["application_name"] = "hostwatch"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("%w: %w", history.ErrUnreachable, err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, s.wrap(fmt.Errorf("%w: %w", history.ErrUnreachable, err))
	}
	s.pool = pool
	return s, nil
}

// ErrBadURL: the URL cannot be parsed as a PostgreSQL connection string.
var ErrBadURL = errors.New("not a PostgreSQL URL")

// Close closes the connections.
func (s *Store) Close() error {
	if s.pool != nil {
		s.pool.Close()
	}
	return nil
}

// Name is the database's URL with its password redacted.
func (s *Store) Name() string { return s.name }

// migrationLock is the advisory lock the migrations of one database take,
// so that shards starting at once migrate it once.
func migrationLock() int64 {
	h := fnv.New64a()
	h.Write([]byte("hostwatch schema"))
	return int64(h.Sum64() >> 1)
}

// Migrate creates or upgrades the schema in one transaction. A database
// already up to date is only read.
func (s *Store) Migrate(ctx context.Context) error {
	latest := schema().Latest()
	version, err := s.version(ctx, s.pool)
	if err != nil || version == latest {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock()); err != nil {
		return s.wrap(err)
	}
	// Another process may have migrated while this one waited.
	if version, err = s.version(ctx, tx); err != nil || version == latest {
		return err
	}
	if _, err := schema().Apply(ctx, migrateTx{tx}, version); err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit(ctx))
}

// migrateTx runs the schema steps in a transaction and records the
// version reached in meta.
type migrateTx struct{ tx pgx.Tx }

func (m migrateTx) Exec(ctx context.Context, sql string) error {
	_, err := m.tx.Exec(ctx, sql)
	return err
}

func (m migrateTx) Reached(ctx context.Context, from, to int) error {
	if from == 0 {
		if _, err := m.tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('created_at', $1)", formatTime(time.Now())); err != nil {
			return err
		}
	}
	_, err := m.tx.Exec(ctx, `INSERT INTO meta(key, value) VALUES ('schema_version', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(to))
	return err
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// version reads the schema version: 0 for an empty database. A database
// holding other tables and no hostwatch meta is another program's
// (ErrNotDatabase), one with a newer schema is refused (ErrNewerSchema).
func (s *Store) version(ctx context.Context, q querier) (int, error) {
	var hasMeta bool
	var others int
	err := q.QueryRow(ctx, `SELECT to_regclass('meta') IS NOT NULL,
		(SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema())`).Scan(&hasMeta, &others)
	if err != nil {
		return 0, s.wrap(fmt.Errorf("read the schema version: %w", err))
	}
	if !hasMeta {
		if others > 0 {
			return 0, fmt.Errorf("history database %s: %w: its schema holds another program's tables; it was left unchanged", s.name, history.ErrNotDatabase)
		}
		return 0, nil
	}
	var v string
	err = q.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("history database %s: %w: its meta table has no schema_version", s.name, history.ErrNotDatabase)
	}
	if err != nil {
		return 0, s.wrap(fmt.Errorf("read the schema version: %w", err))
	}
	version, err := strconv.Atoi(v)
	if err != nil || version < 1 {
		return 0, fmt.Errorf("history database %s: %w: schema_version %q", s.name, history.ErrNotDatabase, v)
	}
	if err := schema().Check(version); err != nil {
		return 0, fmt.Errorf("history database %s: %w; it was left unchanged", s.name, err)
	}
	return version, nil
}

// Status names the backend and its schema version.
func (s *Store) Status(ctx context.Context) (Status, error) {
	st := Status{Backend: "postgresql", Location: s.name, Current: schema().Latest()}
	v, err := s.version(ctx, s.pool)
	if err != nil {
		return st, err
	}
	st.Version = v
	if err := s.pool.QueryRow(ctx, "SHOW server_version").Scan(&st.Server); err != nil {
		return st, s.wrap(err)
	}
	return st, nil
}

// wrap names the database in an error, with its password redacted from
// whatever the error says, and maps what callers tell apart.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "55P03" || pe.Code == "57014") {
		err = fmt.Errorf("%w: %w", history.ErrLocked, err)
	}
	return redacted{fmt.Errorf("history database %s: %w", s.name, err), s.password}
}

// redacted is an error whose text never shows a password.
type redacted struct {
	err      error
	password string
}

func (e redacted) Error() string {
	if e.password == "" {
		return e.err.Error()
	}
	return strings.ReplaceAll(e.err.Error(), e.password, "xxxxx")
}

func (e redacted) Unwrap() error { return e.err }

// Redact returns a PostgreSQL URL (or key=value connection string) with its
// password, wherever it is given (user:password@, ?password=), replaced by
// xxxxx: what hostwatch prints, logs and puts in messages.
func Redact(location string) string {
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" {
		// Not a URL: a key=value string, or something unparsable; keep
		// nothing that could be a password.
		if p := passwordOf(location); p != "" {
			return strings.ReplaceAll(location, p, "xxxxx")
		}
		if err != nil {
			return "(an unparsable URL)"
		}
		return location
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// passwordOf is the password a location gives, if any.
func passwordOf(location string) string {
	if u, err := url.Parse(location); err == nil && u.Scheme != "" {
		if p, ok := u.User.Password(); ok {
			return p
		}
		return u.Query().Get("password")
	}
	for _, f := range strings.Fields(location) {
		if v, ok := strings.CutPrefix(f, "password="); ok {
			return strings.Trim(v, "'")
		}
	}
	return ""
}

// timeLayout is how times are stored, as in the SQLite file.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

var _ history.Store = (*Store)(nil)
