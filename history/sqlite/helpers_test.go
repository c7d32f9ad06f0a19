package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/storetest"
	"github.com/hostwatch/hostwatch/probe"
)

// t0 is the time of the first observation in the tests.
var t0 = time.Date(2024, 2, 14, 8, 0, 0, 0, time.UTC)

// at is the time of the i-th check, five minutes apart.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

// observer makes observations whose addresses are attributed by the real data.
type observer struct {
	storetest.Observer
	t testing.TB
}

func newObserver(t testing.TB) observer { return observer{storetest.NewObserver(t), t} }

func (ob observer) ok(domain string, when time.Time, ips ...string) probe.Observation {
	return ob.OK(domain, when, ips...)
}

var (
	observation = storetest.Observation
	withCNAME   = storetest.WithCNAME
)

// recordRun records one run of obs, as check does.
func (s *Store) recordRun(ctx context.Context, run history.RunInfo, obs []probe.Observation) (int64, error) {
	id, _, err := history.Record(ctx, s, run, obs)
	return id, err
}

// spansOf reads the spans of domain ("" for all) from every vantage.
func (s *Store) spansOf(ctx context.Context, domain string, since, until time.Time) ([]history.Span, error) {
	q := history.Query{AllVantages: true, Since: since, Until: until}
	if domain != "" {
		q.Domains = []string{domain}
	}
	return s.Spans(ctx, q)
}

// newStore opens a new database in a temporary directory.
func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		checkReferences(t, path)
	})
	return s, path
}

// checkReferences fails the test if a row of the file at path refers to a
// row that is not there: Commit writes without SQLite checking references.
func checkReferences(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", (&Store{busy: time.Second}).dsn(path, true))
	if err != nil {
		t.Error(err)
		return
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Error(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid, fk sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Error(err)
			return
		}
		t.Errorf("%s row %d refers to a missing %s row", table, rowid.Int64, parent)
	}
	if err := rows.Err(); err != nil {
		t.Error(err)
	}
}

// runInfo describes a run started at when, with the real datasets.
func (ob observer) runInfo(when time.Time) history.RunInfo {
	return history.RunInfo{
		StartedAt: when, FinishedAt: when.Add(time.Second), ToolVersion: "v1.2.3-test",
		Datasets: ob.DB.Datasets(), View: probe.View{Resolvers: []string{"127.0.0.1:5300"}}, Vantage: "test", Confirm: 1,
	}
}

// record records one run of obs.
func (ob observer) record(s *Store, when time.Time, obs ...probe.Observation) int64 {
	ob.t.Helper()
	id, err := s.recordRun(context.Background(), ob.runInfo(when), obs)
	if err != nil {
		ob.t.Fatal(err)
	}
	return id
}
