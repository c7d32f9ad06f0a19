package postgres

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
	"github.com/hostwatch/hostwatch/history/storetest"
	"github.com/hostwatch/hostwatch/probe"
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
	if err != nil || st.Version != schema().Latest() || st.Backend != "postgresql" || st.Server == "" {
		t.Errorf("status %+v, %v", st, err)
	}
	if err := schema().Valid(); err != nil {
		t.Error(err)
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

// TestMigrateFromV1: a history of schema 1 (one made now, with the step
// after it undone, as schema-1 code left it) keeps every run and span when
// it is opened, and then records round trips.
func TestMigrateFromV1(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	ob := storetest.NewObserver(t)
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC)
	for i, ip := range []string{"36.86.63.182", "36.86.63.182", "170.33.13.55"} {
		at := when.Add(time.Duration(i) * 5 * time.Minute)
		run := history.RunInfo{StartedAt: at, FinishedAt: at.Add(time.Second), ToolVersion: "v1-schema",
			Datasets: ob.DB.Datasets(), View: probe.View{Resolvers: []string{"127.0.0.1:53"}}, Vantage: "jakarta", Confirm: 1}
		if _, _, err := history.Record(t.Context(), s, run, []probe.Observation{ob.OK("web.kpu.go.id", at, ip)}); err != nil {
			t.Fatal(err)
		}
	}
	runs, spans := readAll(t, s)
	s.Close()
	srv.Exec(t, dbOf(url), "DROP INDEX domains_name_bytes; DROP TABLE rtt_measurements; UPDATE meta SET value = '1' WHERE key = 'schema_version'")
	if s, err = Open(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, err := s.Status(t.Context()); err != nil || st.Version != schema().Latest() {
		t.Fatalf("status after migration %+v, %v", st, err)
	}
	runs2, spans2 := readAll(t, s)
	if !reflect.DeepEqual(runs, runs2) || !reflect.DeepEqual(spans, spans2) {
		t.Errorf("migration changed the record:\n%+v\n%+v\nwas\n%+v\n%+v", runs2, spans2, runs, spans)
	}
	if ms, err := s.Measurements(t.Context(), netip.MustParseAddr("170.33.13.55")); err != nil || len(ms) != 0 {
		t.Errorf("round trips after migration: %+v, %v", ms, err)
	}
}

func readAll(t *testing.T, s *Store) ([]history.Run, []history.Span) {
	t.Helper()
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	spans, err := s.Spans(t.Context(), history.Query{AllVantages: true})
	if err != nil {
		t.Fatal(err)
	}
	return runs, spans
}
