package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/hostwatch/hostwatch/history"
)

func bindDB(fs *pflag.FlagSet, path *string) {
	fs.StringVar(path, "db", "", "history database `PATH` (default: $XDG_DATA_HOME/hostwatch/history.db)")
}

// openStore opens the history database at path, or at the default path,
// creating it when create is set (check) and refusing a missing one otherwise
// (history: a mistyped path must not read as an empty record).
// A database that cannot be used (newer schema, not SQLite) is an input error.
func openStore(ctx context.Context, path string, create bool) (*history.Store, string, error) {
	if path == "" {
		p, err := history.DefaultPath()
		if err != nil {
			return nil, "", fmt.Errorf("no --db given and no default location: %w", err)
		}
		path = p
	}
	if !create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, path, fmt.Errorf("no history database at %s (hostwatch check records one)", path)
		}
	}
	s, err := history.Open(ctx, path)
	switch {
	case errors.Is(err, history.ErrLocked):
		// Busy, not wrong: another run held it past the wait.
		return nil, path, runError{err}
	case err != nil:
		return nil, path, err
	}
	return s, path, nil
}
