package postgres

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
)

// TestMigrate: an empty database gets the schema, once even when shards
// open it at the same moment; a migrated one is only read; a newer schema
// and another program's tables are refused and left alone.
func TestMigrate(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	if _, err := OpenReader(t.Context(), url); err == nil {
		t.Error("a reader opened an empty database")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := Open(t.Context(), url)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s, err := OpenReader(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(t.Context())
	s.Close()
	if err != nil || st.Version != schemaVersion || st.Backend != "postgresql" || st.Server == "" {
		t.Errorf("status %+v, %v", st, err)
	}
	srv.Exec(t, dbOf(url), "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
	if _, err := Open(t.Context(), url); !errors.Is(err, history.ErrNewerSchema) {
		t.Errorf("a newer schema: %v", err)
	}
	other := srv.NewDatabase(t)
	srv.Exec(t, dbOf(other), "CREATE TABLE customers (id int)")
	if _, err := Open(t.Context(), other); !errors.Is(err, history.ErrNotDatabase) {
		t.Errorf("another program's tables: %v", err)
	}
}

// dbOf is the name of the database a pgtest URL names.
func dbOf(url string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(url, "postgres://hostwatch@/"), "?")
	return name
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:s3cret@db.internal/h?sslmode=verify-full", "postgres://u:xxxxx@db.internal/h?sslmode=verify-full"},
		{"postgresql://u@db/h?password=s3cret&sslmode=require", "postgresql://u@db/h?password=xxxxx&sslmode=require"},
		{"postgres://u@/h?host=/run/postgresql", "postgres://u@/h?host=/run/postgresql"},
		{"host=db user=u password=s3cret dbname=h", "host=db user=u password=xxxxx dbname=h"},
		{"postgres://u:s3cret@db:bad/h", "(an unparsable URL)"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := Open(t.Context(), "postgres://u:s3cret@127.0.0.1:1/h?sslmode=disable&connect_timeout=1"); err == nil || strings.Contains(err.Error(), "s3cret") || !errors.Is(err, history.ErrUnreachable) {
		t.Errorf("unreachable: %v", err)
	}
}
