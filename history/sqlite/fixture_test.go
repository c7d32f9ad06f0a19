package sqlite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// TestWriteFixture writes, when HOSTWATCH_WRITE_FIXTURE is set, a file of
// the current schema for the migration tests of the next one: run it before
// changing the schema, and commit what it writes.
//   - testdata/landed-vN.db: two vantages, three views, --confirm 2 with a
//     move, a blip and a pending change, a round-robin pool (with its tip),
//     CDN edges, a CNAME loop, timeouts, NXDOMAIN, IPv6, over three days;
//   - testdata/landed-vN.json: what this code reads back from it;
//   - testdata/landed-vN.next.txt: the changes that the runs of
//     fixtureNextRuns bring, recorded after it.
func TestWriteFixture(t *testing.T) {
	if os.Getenv("HOSTWATCH_WRITE_FIXTURE") == "" {
		t.Skip("writes a fixture")
	}
	ob := newObserver(t)
	name := filepath.Join("testdata", fmt.Sprintf("landed-v%d", schema().Latest()))
	path := name + ".db"
	os.Remove(path)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, i int) time.Time { return at(i).Add(time.Duration(d) * 24 * time.Hour) }
	loop := func(when time.Time) probe.Observation {
		o := withCNAME(observation("loop-a.kpu.go.id", when, resolvers.StatusError), "loop-b.kpu.go.id", "loop-a.kpu.go.id")
		o.Error, o.ErrorKind = "CNAME loop at loop-a.kpu.go.id", probe.ErrorCNAMELoop
		return o
	}
	// Each step: the run's day and check number, vantage, resolver,
	// subnets, confirm, and where sirekap-web is.
	type step struct {
		d, i     int
		vantage  string
		resolver string
		subnets  []string
		confirm  int
		web      []string
	}
	id, sg, fr := []string{"36.86.63.182"}, []string{"170.33.13.55"}, []string{"51.210.1.10", "2001:41d0:303::1"}
	steps := []step{
		{0, 0, "jakarta", "127.0.0.1:5300", nil, 2, id},
		{0, 1, "jakarta", "127.0.0.1:5300", nil, 2, id},
		{0, 2, "jakarta", "127.0.0.1:5300", nil, 2, sg}, // pending (1 of 2)
		{0, 3, "jakarta", "127.0.0.1:5300", nil, 2, sg}, // confirmed
		{0, 4, "singapore", "127.0.0.1:5301", nil, 1, sg},
		{0, 5, "jakarta", "127.0.0.1:5300", nil, 2, id},                        // pending back
		{1, 0, "jakarta", "127.0.0.1:5300", nil, 2, sg},                        // a blip: next day, a new span
		{1, 1, "jakarta", "127.0.0.1:5302", []string{"203.0.113.0/24"}, 2, fr}, // a view change
		{1, 2, "jakarta", "127.0.0.1:5300", nil, 2, fr},
		{1, 3, "jakarta", "127.0.0.1:5300", nil, 2, fr},
		{1, 4, "singapore", "127.0.0.1:5301", nil, 1, fr},
		{2, 0, "jakarta", "127.0.0.1:5300", nil, 2, fr},
	}
	pool := []string{"8.219.1.10", "8.219.1.11", "8.219.1.12"}
	for n, st := range steps {
		when := day(st.d, st.i)
		obs := []probe.Observation{
			ob.ok("sirekap-web.kpu.go.id", when, st.web...),
			withCNAME(ob.ok("pemilu2024.kpu.go.id", when, st.web...), "sirekap-web.kpu.go.id"),
			ob.ok("pool.kpu.go.id", when, pool[n%3], pool[(n+1)%3]),
			ob.ok("cdn.kpu.go.id", when, []string{"104.16.132.229", "172.67.1.1"}[n%2]),
			loop(when),
		}
		switch {
		case n%4 == 1:
			obs = append(obs, observation("mail.kpu.go.id", when, resolvers.StatusTimeout))
		case n < 6:
			obs = append(obs, ob.ok("mail.kpu.go.id", when, "36.86.63.183"))
		default:
			obs = append(obs, observation("mail.kpu.go.id", when, resolvers.StatusNXDomain))
		}
		if n%3 == 0 {
			obs = append(obs, ob.ok("private.kpu.go.id", when, "10.0.0.1"))
		}
		run := history.RunInfo{
			StartedAt: when, FinishedAt: when.Add(time.Second), ToolVersion: "v0.9.0-schema3",
			Datasets: ob.DB.Datasets(), View: probe.View{Resolvers: []string{st.resolver}, Subnets: st.subnets},
			Vantage: st.vantage, Confirm: st.confirm,
		}
		if _, err := s.recordRun(t.Context(), run, obs); err != nil {
			t.Fatal(err)
		}
	}
	spans, err := s.Spans(t.Context(), history.Query{AllVantages: true})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(recordOf(runs, spans), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name+".json", append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the next runs bring, recorded into a copy.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	next := filepath.Join(t.TempDir(), "history.db")
	writeFile(t, next, raw)
	if s, err = Open(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.WriteFile(name+".next.txt", []byte(nextChanges(t, s, ob)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nextChanges records the runs of fixtureNextRuns and sums up the changes
// each brought, a line each, in what does not depend on the shipped data's
// version: domain, kinds, move, confirmation, times.
func nextChanges(t *testing.T, s *Store, ob observer) string {
	t.Helper()
	var out strings.Builder
	for i, run := range fixtureNextRuns(ob) {
		_, changes, err := history.Record(t.Context(), s, run.info, run.obs)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			fmt.Fprintf(&out, "run %d: %s %v move=%v seen %d of %d, before %s, after %s, confirmed %s, %s\n", i+1, c.Domain, c.Kinds, c.Move,
				c.Seen, c.Confirm, c.BeforeAt.Format(time.RFC3339), c.AfterAt.Format(time.RFC3339), c.ConfirmedAt.Format(time.RFC3339), c.BeforeView)
		}
	}
	return out.String()
}

type fixtureRun struct {
	info history.RunInfo
	obs  []probe.Observation
}

// fixtureNextRuns are runs recorded after the fixture: sirekap-web
// moves back to Singapore (pending, then confirmed), the pool rotates, mail
// comes back.
func fixtureNextRuns(ob observer) []fixtureRun {
	var out []fixtureRun
	for i := 1; i <= 3; i++ {
		when := at(i).Add(48 * time.Hour)
		out = append(out, fixtureRun{
			info: history.RunInfo{
				StartedAt: when, FinishedAt: when.Add(time.Second), ToolVersion: "v1.0.0-next",
				Datasets: ob.DB.Datasets(), View: probe.View{Resolvers: []string{"127.0.0.1:5300"}}, Vantage: "jakarta", Confirm: 2,
			},
			obs: []probe.Observation{
				ob.ok("sirekap-web.kpu.go.id", when, "170.33.13.55"),
				withCNAME(ob.ok("pemilu2024.kpu.go.id", when, "51.210.1.10", "2001:41d0:303::1"), "sirekap-web.kpu.go.id"),
				ob.ok("pool.kpu.go.id", when, []string{"8.219.1.11", "8.219.1.12", "8.219.1.10"}[i%3], []string{"8.219.1.12", "8.219.1.10", "8.219.1.11"}[i%3]),
				ob.ok("mail.kpu.go.id", when, "36.86.63.183"),
				ob.ok("new.kpu.go.id", when, "36.86.63.184"),
			},
		})
	}
	return out
}

// storedRecord is what a store reads back: its runs (without the clock)
// and its spans.
type storedRecord struct {
	Runs  []storedRun
	Spans []history.Span
}

type storedRun struct {
	ID                    int64
	StartedAt, FinishedAt time.Time
	ToolVersion           string
	Datasets              []attribution.Dataset
	View                  probe.View
	Vantage               string
	Confirm, Targets      int
}

func recordOf(runs []history.Run, spans []history.Span) storedRecord {
	out := storedRecord{Spans: spans}
	for _, r := range runs {
		out.Runs = append(out.Runs, storedRun{r.ID, r.StartedAt, r.FinishedAt, r.ToolVersion, r.Datasets, r.View, r.Vantage, r.Confirm, r.Targets})
	}
	return out
}

// TestMigrateFromV3 opens testdata/landed-v3.db to landed-v6.db, each
// written by the code of its schema (TestWriteFixture at that schema):
// every run and span reads back as that code read them, and the next runs
// bring the changes they brought there.
func TestMigrateFromV3(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"landed-v3", "landed-v4", "landed-v5", "landed-v6"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			ob := newObserver(t)
			s := openFixture(t, v+".db")
			runs, err := s.Runs(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			spans, err := s.Spans(t.Context(), history.Query{AllVantages: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(recordOf(runs, spans), "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			sameText(t, "the record", append(got, '\n'), filepath.Join("testdata", v+".json"))
			sameText(t, "the next runs' changes", []byte(nextChanges(t, s, ob)), filepath.Join("testdata", v+".next.txt"))
			if err := s.db.QueryRow("PRAGMA integrity_check").Scan(new(string)); err != nil {
				t.Error(err)
			}
		})
	}
}

// sameText compares got with the file want, naming the first line that differs.
func sameText(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) == string(w) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(w), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("%s differs from %s at line %d:\n got %s\nwant %s", what, want, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%s: %d lines, %s has %d", what, len(gl), want, len(wl))
}

// TestGroupsAfterMigration: a file of schema 5 (written by its code) keeps
// its runs in no group when migrated, and then keeps run groups: two shards
// of one group observing a domain record it once.
func TestGroupsAfterMigration(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s := openFixture(t, "landed-v5.db")
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Group != "" {
			t.Fatalf("run %d of schema 5 read back in group %q", r.ID, r.Group)
		}
	}
	const d = "sirekap-web.kpu.go.id"
	before, err := s.spansOf(t.Context(), d, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	when := at(0).Add(72 * time.Hour)
	for shard := range 2 {
		run := ob.runInfo(when)
		run.Vantage, run.Group = "jakarta", "ci-9-1"
		if _, _, err := history.Record(t.Context(), s, run, []probe.Observation{ob.ok(d, when, "51.210.1.10", "2001:41d0:303::1")}); err != nil {
			t.Fatalf("shard %d: %v", shard, err)
		}
	}
	after, err := s.spansOf(t.Context(), d, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	count := func(spans []history.Span) (n int) {
		for _, sp := range spans {
			if sp.Vantage == "jakarta" {
				n += sp.Count
			}
		}
		return n
	}
	if got, want := count(after), count(before)+1; got != want {
		t.Errorf("%d observations from jakarta after two shards of one group, want %d", got, want)
	}
}
