// Package migrate is where the history backends' schema versions are
// numbered, ordered and checked, once for both: each backend lists its
// steps (the SQL of its dialect, one step per version) and runs them
// through Apply inside the transaction and locks it takes itself.
//
// The backends number their versions apart: the PostgreSQL schema began
// later, as one step holding what SQLite's first four had reached.
package migrate

import (
	"context"
	"fmt"

	"github.com/hostwatch/hostwatch/history"
)

// Step takes a database from version Version-1 to Version. A step is never
// changed once released; a new schema is a new step.
type Step struct {
	Version int
	// Why says in a line what the version brings.
	Why string
	SQL string
}

// Schema is one backend's steps, version 1 first.
type Schema []Step

// Latest is the newest version the schema knows: the one this build writes.
func (s Schema) Latest() int {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].Version
}

// NewerError: the database holds a version this build does not know, written
// by a newer hostwatch. It is history.ErrNewerSchema to errors.Is.
type NewerError struct {
	Version, Latest int
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("%v (schema version %d; this hostwatch knows up to %d)", history.ErrNewerSchema, e.Version, e.Latest)
}

func (e *NewerError) Unwrap() error { return history.ErrNewerSchema }

// Check refuses a version newer than the schema's latest (a *NewerError).
func (s Schema) Check(version int) error {
	if version > s.Latest() {
		return &NewerError{Version: version, Latest: s.Latest()}
	}
	return nil
}

// Pending returns the steps that take a database at version up to the
// latest, in order: none when it is up to date. The schema must number its
// steps 1, 2, 3… (Valid).
func (s Schema) Pending(version int) ([]Step, error) {
	if err := s.Check(version); err != nil {
		return nil, err
	}
	if version < 0 {
		return nil, fmt.Errorf("schema version %d", version)
	}
	return s[version:], nil
}

// Valid checks that the steps are numbered 1, 2, 3… with SQL in each.
func (s Schema) Valid() error {
	for i, st := range s {
		if st.Version != i+1 {
			return fmt.Errorf("step %d of the schema is numbered %d", i+1, st.Version)
		}
		if st.SQL == "" {
			return fmt.Errorf("step %d of the schema has no SQL", st.Version)
		}
	}
	return nil
}

// Tx is what Apply needs of a backend's open write transaction.
type Tx interface {
	// Exec runs one step's SQL.
	Exec(ctx context.Context, sql string) error
	// Reached records the version the database is now at; from is the one
	// it was at (0: it was empty).
	Reached(ctx context.Context, from, to int) error
}

// Apply runs the steps that take a database at version up to the latest,
// in order, in tx, and records the version reached; the caller commits. It
// returns the version reached, which is version itself when the database is
// up to date (nothing is then run). A newer version is refused (*NewerError)
// with nothing run.
func (s Schema) Apply(ctx context.Context, tx Tx, version int) (int, error) {
	steps, err := s.Pending(version)
	if err != nil || len(steps) == 0 {
		return version, err
	}
	for _, st := range steps {
		if err := tx.Exec(ctx, st.SQL); err != nil {
			return version, fmt.Errorf("migrate to schema version %d (%s): %w", st.Version, st.Why, err)
		}
	}
	if err := tx.Reached(ctx, version, s.Latest()); err != nil {
		return version, fmt.Errorf("migrate to schema version %d: %w", s.Latest(), err)
	}
	return s.Latest(), nil
}
