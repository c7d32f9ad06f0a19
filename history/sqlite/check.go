package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// quickCheck runs SQLite's quick_check on the existing file at abs through a
// read-only connection, and refuses (ErrDamaged) a file that fails it, so
// that nothing is ever appended to a damaged history.
func (s *Store) quickCheck(ctx context.Context, abs string) error {
	db, err := sql.Open("sqlite", s.dsn(abs, true))
	if err != nil {
		return s.wrap(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return s.damaged(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return s.damaged(err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return s.damaged(err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("history database %s: %w: SQLite's quick_check found: %s; nothing was written to it",
			s.path, ErrDamaged, strings.Join(problems, "; "))
	}
	return nil
}

// damaged wraps an error met while checking the file: corruption is
// ErrDamaged, anything else (a lock, say) is what wrap makes of it.
func (s *Store) damaged(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_CORRUPT || se.Code()&0xff == sqlite3.SQLITE_NOTADB) {
		return fmt.Errorf("history database %s: %w: %w; nothing was written to it", s.path, ErrDamaged, err)
	}
	return s.wrap(err)
}

// OpenReadOnly opens an existing history database for reading only.
// Nothing is written to the file or its directory, so a history on a
// read-only mount, or one the user may not write, can be read. A file of an
// older schema is first brought up to date as Open does, which needs write
// access; without it, the error says so.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, s, err := prepare(path, busyTimeout)
	if err != nil {
		return nil, err
	}
	if fresh, _, err := s.inspect(ctx, abs); err != nil {
		return nil, err
	} else if fresh {
		return nil, fmt.Errorf("history database %s: %w: the file is empty", path, ErrNotDatabase)
	}
	version, app, err := s.readVersions(ctx, abs)
	if err != nil && (isCantOpen(err) || isReadOnly(err)) {
		// A write-ahead-logged file whose -shm index cannot be created (a
		// read-only directory) opens only as immutable.
		s.immutable = true
		version, app, err = s.readVersions(ctx, abs)
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkVersions(version, app); err != nil {
		return nil, err
	}
	if version < int64(schema().Latest()) {
		st, err := open(ctx, path, busyTimeout)
		if err != nil && isReadOnly(err) {
			return nil, fmt.Errorf("history database %s: written by an older hostwatch (schema version %d), and it cannot be upgraded here because it is read-only: run hostwatch check or history on it once where it is writable", path, version)
		}
		return st, err
	}
	db, err := sql.Open("sqlite", s.dsn(abs, true))
	if err != nil {
		return nil, s.wrap(err)
	}
	s.db = db
	return s, nil
}

func isCantOpen(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CANTOPEN
}

func isReadOnly(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY
}
