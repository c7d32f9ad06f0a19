package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hostwatch/hostwatch/history"
)

// record is a Tx that keeps what it was asked to do, and fails the SQL
// "fail".
type record struct{ done []string }

func (r *record) Exec(_ context.Context, sql string) error {
	if sql == "fail" {
		return errors.New("syntax error")
	}
	r.done = append(r.done, sql)
	return nil
}

func (r *record) Reached(_ context.Context, from, to int) error {
	r.done = append(r.done, fmt.Sprintf("reached %d from %d", to, from))
	return nil
}

func TestApply(t *testing.T) {
	t.Parallel()
	three := Schema{{1, "first", "a"}, {2, "second", "b"}, {3, "third", "c"}}
	tests := []struct {
		name    string
		schema  Schema
		version int
		reached int
		done    []string
		err     error
	}{
		{"empty database", three, 0, 3, []string{"a", "b", "c", "reached 3 from 0"}, nil},
		{"previous version", three, 2, 3, []string{"c", "reached 3 from 2"}, nil},
		{"up to date", three, 3, 3, nil, nil},
		{"newer", three, 4, 4, nil, history.ErrNewerSchema},
		{"a step fails", Schema{{1, "first", "a"}, {2, "second", "fail"}}, 0, 0, []string{"a"}, errSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r record
			got, err := tt.schema.Apply(t.Context(), &r, tt.version)
			switch {
			case tt.err == errSyntax:
				if err == nil || err.Error() != "migrate to schema version 2 (second): syntax error" {
					t.Errorf("error %v", err)
				}
			case !errors.Is(err, tt.err):
				t.Errorf("error %v, want %v", err, tt.err)
			}
			if got != tt.reached || !slices.Equal(r.done, tt.done) {
				t.Errorf("reached %d doing %q, want %d doing %q", got, r.done, tt.reached, tt.done)
			}
		})
	}
}

var errSyntax = errors.New("a step's own error")

func TestNewerError(t *testing.T) {
	t.Parallel()
	err := Schema{{1, "first", "a"}}.Check(99)
	var newer *NewerError
	if !errors.As(err, &newer) || newer.Version != 99 || newer.Latest != 1 || !errors.Is(err, history.ErrNewerSchema) {
		t.Fatalf("Check(99) = %v", err)
	}
	if want := "written by a newer hostwatch (schema version 99; this hostwatch knows up to 1)"; err.Error() != want {
		t.Errorf("%q, want %q", err, want)
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		schema Schema
		ok     bool
	}{
		{Schema{{1, "", "a"}, {2, "", "b"}}, true},
		{Schema{{1, "", "a"}, {3, "", "b"}}, false},
		{Schema{{2, "", "a"}}, false},
		{Schema{{1, "", ""}}, false},
	} {
		if err := tt.schema.Valid(); (err == nil) != tt.ok {
			t.Errorf("%v: %v", tt.schema, err)
		}
	}
}
