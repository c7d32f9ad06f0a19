package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres"
	"github.com/hostwatch/hostwatch/history/sqlite"
)

func bindDB(fs *pflag.FlagSet, path *string) {
	fs.StringVar(path, "db", "", "history database: a `PATH` to an SQLite file or a postgres:// URL (default: $HOSTWATCH_DB, else $XDG_DATA_HOME/hostwatch/history.db)")
}

// backend opens one kind of history store from its location.
type backend struct {
	// scheme is the location's URL scheme ("" for a file path).
	scheme string
	open   func(ctx context.Context, location string, create bool) (history.Store, error)
}

// backends are the kinds of store a --db value can name, found by its URL
// scheme (restic's location registry); a path is an SQLite file.
func backends() []backend {
	return []backend{
		{scheme: "", open: openSQLite},
		{scheme: "postgres", open: openPostgres},
		{scheme: "postgresql", open: openPostgres},
	}
}

// openPostgres connects to a PostgreSQL history: check creates or upgrades
// its schema when needed, readers change nothing.
func openPostgres(ctx context.Context, location string, create bool) (history.Store, error) {
	if create {
		return postgres.Open(ctx, location)
	}
	return postgres.OpenReader(ctx, location)
}

func openSQLite(ctx context.Context, path string, create bool) (history.Store, error) {
	if create {
		return sqlite.Open(ctx, path)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no history database at %s (hostwatch check records one)", path)
	}
	// Readers never write: a history on a read-only mount can be read.
	return sqlite.OpenReadOnly(ctx, path)
}

// openStore opens the history store at location (--db, else $HOSTWATCH_DB,
// else the default path), creating it when create is set (check) and
// refusing a missing one otherwise (history: a mistyped path must not read
// as an empty record), and then opening it read-only. A store that cannot
// be used (newer schema, not a history, damaged) is an input error; one that
// stays locked is a failure.
func openStore(ctx context.Context, location string, create bool) (history.Store, string, error) {
	if location == "" {
		location = os.Getenv("HOSTWATCH_DB")
	}
	if location == "" {
		p, err := sqlite.DefaultPath()
		if err != nil {
			return nil, "", fmt.Errorf("no --db given and no default location: %w", err)
		}
		location = p
	}
	scheme := ""
	if i := strings.Index(location, "://"); i > 0 {
		scheme = strings.ToLower(location[:i])
	}
	for _, b := range backends() {
		if b.scheme != scheme {
			continue
		}
		// What is printed of the location never holds its password.
		name := location
		if scheme != "" {
			name = postgres.Redact(location)
		}
		s, err := b.open(ctx, location, create)
		switch {
		case errors.Is(err, history.ErrLocked), errors.Is(err, history.ErrUnreachable):
			// Busy or down, not wrong: another run held it past the wait,
			// or the server could not be reached.
			return nil, name, runError{err}
		case err != nil:
			return nil, name, err
		}
		return s, name, nil
	}
	return nil, postgres.Redact(location), fmt.Errorf("--db %s: no history backend for %s:// (a path names an SQLite file, postgres:// or postgresql:// a PostgreSQL database)",
		postgres.Redact(location), scheme)
}
