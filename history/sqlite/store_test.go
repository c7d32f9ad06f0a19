package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/storetest"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// rawDB opens path with the driver directly, as another program would.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRecordCompactsAndReopens(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	path := filepath.Join(t.TempDir(), "new", "dir", "history.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		o := ob.ok("kpu.go.id", at(i), "36.86.63.182")
		o.Addresses[0].TTL = uint32(300 - i) // TTLs count down in caches: not a change
		if id := ob.record(s, at(i), o, observation("bad..name", at(i), resolvers.StatusInvalid)); id != int64(i+1) {
			t.Fatalf("run %d: ID %d", i+1, id)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spans, err := s.spansOf(t.Context(), "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1 (invalid names are not stored, identical observations share a span): %+v", len(spans), spans)
	}
	sp := spans[0]
	want := ob.ok("kpu.go.id", at(0), "36.86.63.182")
	want.Addresses[0].TTL = 0
	if sp.Domain != "kpu.go.id" || sp.Count != 10 || !sp.FirstSeen.Equal(at(0)) || !sp.LastSeen.Equal(at(9)) || sp.FirstRun != 1 || sp.LastRun != 10 {
		t.Errorf("span = %s %d×, %s–%s, runs %d–%d; want kpu.go.id 10×, %s–%s, runs 1–10",
			sp.Domain, sp.Count, sp.FirstSeen, sp.LastSeen, sp.FirstRun, sp.LastRun, at(0), at(9))
	}
	if !reflect.DeepEqual(sp.Observation.Addresses, want.Addresses) {
		t.Errorf("addresses read back:\n%+v\nwant the attribution recorded:\n%+v", sp.Observation.Addresses, want.Addresses)
	}
	if sp.Observation.Status != resolvers.StatusOK || sp.Observation.Target.Domain != "kpu.go.id" || !sp.Observation.StartedAt.Equal(at(0)) {
		t.Errorf("observation read back: %+v", sp.Observation)
	}

	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 10 {
		t.Fatalf("%d runs, want 10", len(runs))
	}
	wantRun := history.Run{ID: 10, RunInfo: ob.runInfo(at(9)), Targets: 1}
	if !reflect.DeepEqual(runs[9], wantRun) {
		t.Errorf("run read back:\n%+v\nwant\n%+v", runs[9], wantRun)
	}
	domains, err := s.Domains(t.Context())
	if err != nil || !reflect.DeepEqual(domains, []string{"kpu.go.id"}) {
		t.Errorf("Domains = %q, %v", domains, err)
	}
}

func TestRecordSpans(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	timeout := func(i int, server string) probe.Observation {
		o := observation("kpu.go.id", at(i), resolvers.StatusTimeout)
		o.Error = "A and AAAA from " + server + ": timeout"
		return o
	}
	tests := []struct {
		name   string
		runs   [][]probe.Observation
		counts map[string][]int // seen_count of each span, per domain
	}{
		{
			name: "changing answers start a new span",
			runs: [][]probe.Observation{
				{ob.ok("kpu.go.id", at(0), "36.86.63.182")},
				{ob.ok("kpu.go.id", at(1), "36.86.63.182")},
				{ob.ok("kpu.go.id", at(2), "170.33.13.55")},
				{ob.ok("kpu.go.id", at(3), "36.86.63.182")},
				{ob.ok("kpu.go.id", at(4), "36.86.63.182")},
			},
			counts: map[string][]int{"kpu.go.id": {2, 1, 2}},
		},
		{
			name: "the same set in another order, the same chain in another case",
			runs: [][]probe.Observation{
				{withCNAME(ob.ok("web.kpu.go.id", at(0), "8.219.1.1", "47.96.1.10"), "lb.kpu.go.id")},
				{withCNAME(ob.ok("web.kpu.go.id", at(1), "47.96.1.10", "8.219.1.1"), "LB.kpu.go.id")},
			},
			counts: map[string][]int{"web.kpu.go.id": {2}},
		},
		{
			name: "a different chain, a subset of the addresses",
			runs: [][]probe.Observation{
				{withCNAME(ob.ok("web.kpu.go.id", at(0), "8.219.1.1", "47.96.1.10"), "lb.kpu.go.id")},
				{withCNAME(ob.ok("web.kpu.go.id", at(1), "8.219.1.1", "47.96.1.10"), "lb2.kpu.go.id")},
				{withCNAME(ob.ok("web.kpu.go.id", at(2), "8.219.1.1"), "lb2.kpu.go.id")},
			},
			counts: map[string][]int{"web.kpu.go.id": {1, 1, 1}},
		},
		{
			name: "failures compare by status, not by the resolver in the message",
			runs: [][]probe.Observation{
				{timeout(0, "127.0.0.1:5300")},
				{timeout(1, "127.0.0.1:5301")},
				{observation("kpu.go.id", at(2), resolvers.StatusServFail)},
			},
			counts: map[string][]int{"kpu.go.id": {2, 1}},
		},
		{
			name: "domains are kept apart",
			runs: [][]probe.Observation{
				{ob.ok("a.test", at(0), "51.210.1.10"), ob.ok("b.test", at(0), "51.210.1.10")},
				{ob.ok("a.test", at(1), "51.210.1.10"), observation("b.test", at(1), resolvers.StatusNXDomain)},
				{ob.ok("a.test", at(2), "51.210.1.10"), observation("b.test", at(2), resolvers.StatusNXDomain)},
			},
			counts: map[string][]int{"a.test": {3}, "b.test": {1, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			for i, run := range tt.runs {
				ob.record(s, at(i), run...)
			}
			spans, err := s.spansOf(t.Context(), "", time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]int{}
			for _, sp := range spans {
				got[sp.Domain] = append(got[sp.Domain], sp.Count)
			}
			if !reflect.DeepEqual(got, tt.counts) {
				t.Errorf("span counts = %v, want %v", got, tt.counts)
			}
		})
	}
}

func TestSpansWindow(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, _ := newStore(t)
	ips := []string{"36.86.63.182", "36.86.63.182", "170.33.13.55", "170.33.13.55", "51.210.1.10"}
	for i, ip := range ips {
		ob.record(s, at(i), ob.ok("kpu.go.id", at(i), ip), ob.ok("other.test", at(i), "47.96.1.10"))
	}
	tests := []struct {
		domain       string
		since, until time.Time
		want         []string // domain and first_seen index of each span
	}{
		{"", time.Time{}, time.Time{}, []string{"kpu.go.id 0", "kpu.go.id 2", "kpu.go.id 4", "other.test 0"}},
		{"kpu.go.id", time.Time{}, time.Time{}, []string{"kpu.go.id 0", "kpu.go.id 2", "kpu.go.id 4"}},
		{"KPU.go.id.", time.Time{}, time.Time{}, []string{"kpu.go.id 0", "kpu.go.id 2", "kpu.go.id 4"}},
		{"kpu.go.id", at(1), time.Time{}, []string{"kpu.go.id 0", "kpu.go.id 2", "kpu.go.id 4"}},
		{"kpu.go.id", at(2), at(3), []string{"kpu.go.id 2"}},
		{"kpu.go.id", time.Time{}, at(1), []string{"kpu.go.id 0"}},
		{"kpu.go.id", at(5), time.Time{}, nil},
		{"unknown.test", time.Time{}, time.Time{}, nil},
	}
	for _, tt := range tests {
		spans, err := s.spansOf(t.Context(), tt.domain, tt.since, tt.until)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sp := range spans {
			got = append(got, fmt.Sprintf("%s %d", sp.Domain, int(sp.FirstSeen.Sub(t0)/(5*time.Minute))))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Spans(%q, %v, %v) = %q, want %q", tt.domain, tt.since, tt.until, got, tt.want)
		}
	}
}

func TestRecordConcurrent(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	path := filepath.Join(t.TempDir(), "history.db")
	const writers, runs = 4, 15
	domains := []string{"a.test", "b.test", "c.test"}
	var wg sync.WaitGroup
	errs := make(chan error, writers*runs+writers)
	for w := range writers {
		wg.Go(func() {
			// Each writer has its own Store, as two processes would.
			s, err := Open(t.Context(), path)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := range runs {
				var obs []probe.Observation
				for _, d := range domains {
					obs = append(obs, ob.ok(d, at(w*runs+i), "36.86.63.182"))
				}
				if _, err := s.recordRun(t.Context(), ob.runInfo(at(w*runs+i)), obs); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.Runs(t.Context())
	if err != nil || len(all) != writers*runs {
		t.Fatalf("%d runs (%v), want %d", len(all), err, writers*runs)
	}
	spans, err := s.spansOf(t.Context(), "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != len(domains) {
		t.Fatalf("%d spans, want one per domain", len(spans))
	}
	for _, sp := range spans {
		if sp.Count != writers*runs {
			t.Errorf("%s seen %d times, want %d", sp.Domain, sp.Count, writers*runs)
		}
	}
}

func TestLocked(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	_, path := newStore(t)
	// Another process holds the write lock.
	other := rawDB(t, path)
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	s, err := open(t.Context(), path, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("opening an up-to-date database must not wait for a writer: %v", err)
	}
	defer s.Close()
	_, err = s.recordRun(t.Context(), ob.runInfo(at(0)), []probe.Observation{ob.ok("kpu.go.id", at(0), "36.86.63.182")})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Record while locked: %v; want ErrLocked naming %s", err, path)
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.recordRun(t.Context(), ob.runInfo(at(0)), []probe.Observation{ob.ok("kpu.go.id", at(0), "36.86.63.182")}); err != nil {
		t.Fatalf("Record after the lock was released: %v", err)
	}
}

func TestFailedRecordKeepsEarlierRuns(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, path := newStore(t)
	ob.record(s, at(0), ob.ok("kpu.go.id", at(0), "36.86.63.182"))
	before, err := s.spansOf(t.Context(), "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}

	bad := ob.ok("broken.test", at(1), "51.210.1.10")
	bad.Addresses = append(bad.Addresses, probe.Address{}) // an address with no IP fails the run
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, attempt := range []struct {
		name string
		ctx  context.Context
		obs  []probe.Observation
	}{
		{"fails half-way", t.Context(), []probe.Observation{ob.ok("kpu.go.id", at(1), "170.33.13.55"), ob.ok("new.test", at(1), "8.219.1.1"), bad}},
		{"cancelled", cancelled, []probe.Observation{ob.ok("kpu.go.id", at(1), "170.33.13.55")}},
	} {
		if _, err := s.recordRun(attempt.ctx, ob.runInfo(at(1)), attempt.obs); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: Record = %v, want an error naming the database", attempt.name, err)
		}
	}

	// A second Store, as the next process would see it.
	s2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	after, err := s2.spansOf(t.Context(), "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("spans after failed runs:\n%+v\nwant unchanged:\n%+v", after, before)
	}
	runs, err := s2.Runs(t.Context())
	if err != nil || len(runs) != 1 {
		t.Errorf("%d runs (%v), want only the first", len(runs), err)
	}
	if domains, _ := s2.Domains(t.Context()); !reflect.DeepEqual(domains, []string{"kpu.go.id"}) {
		t.Errorf("Domains = %q, want only the first run's", domains)
	}
	ob.record(s2, at(2), ob.ok("kpu.go.id", at(2), "36.86.63.182"))
}

// checkRefused opens path, expects want, and checks that the file (and any
// write-ahead log) is byte for byte what it was.
func checkRefused(t *testing.T, path string, want error) {
	t.Helper()
	files := map[string][]byte{}
	for _, suffix := range []string{"", "-wal"} {
		if b, err := os.ReadFile(path + suffix); err == nil {
			files[suffix] = b
		}
	}
	s, err := Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatalf("Open succeeded, want %v", want)
	}
	if !errors.Is(err, want) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open = %v; want %v naming %s", err, want, path)
	}
	for suffix, b := range files {
		got, err := os.ReadFile(path + suffix)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s%s was modified (%v)", path, suffix, err)
		}
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	for _, walPending := range []bool{false, true} {
		t.Run(fmt.Sprintf("write-ahead log pending %v", walPending), func(t *testing.T) {
			t.Parallel()
			s, path := newStore(t)
			ob.record(s, at(0), ob.ok("kpu.go.id", at(0), "36.86.63.182"))
			s.Close()
			// A newer hostwatch migrates the file.
			newer := rawDB(t, path)
			newer.SetMaxOpenConns(1)
			if _, err := newer.Exec("BEGIN; CREATE TABLE newer (x); PRAGMA user_version = 99; UPDATE meta SET value = '99' WHERE key = 'schema_version'; COMMIT"); err != nil {
				t.Fatal(err)
			}
			if walPending {
				// The newer hostwatch is still running: its change is only in the log.
				if _, err := os.Stat(path + "-wal"); err != nil {
					t.Fatal(err)
				}
			} else {
				newer.Close()
			}
			checkRefused(t, path, ErrNewerSchema)
		})
	}
}

func TestRefuseOtherFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
		want  error // ErrNotDatabase unless set
	}{
		{"text", func(t *testing.T, path string) { writeFile(t, path, []byte("kpu.go.id\nsirekap-web.kpu.go.id\n")) }, nil},
		{"one byte", func(t *testing.T, path string) { writeFile(t, path, []byte{0}) }, nil},
		{"corrupt SQLite", func(t *testing.T, path string) {
			writeFile(t, path, append([]byte(sqliteHeader), bytes.Repeat([]byte{0xA5}, 4096-16)...))
		}, nil},
		{"truncated hostwatch database", func(t *testing.T, path string) {
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, append(b[:100:100], bytes.Repeat([]byte{0xA5}, len(b)-100)...))
		}, ErrDamaged},
		{"another program's SQLite database", func(t *testing.T, path string) {
			db := rawDB(t, path)
			if _, err := db.Exec("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('https://kpu.go.id')"); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, nil},
		{"another program's database with an application ID", func(t *testing.T, path string) {
			db := rawDB(t, path)
			if _, err := db.Exec("PRAGMA application_id = 1; CREATE TABLE t (x)"); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "history.db")
			tt.write(t, path)
			want := tt.want
			if want == nil {
				want = ErrNotDatabase
			}
			checkRefused(t, path, want)
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenEmptyFile(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	path := filepath.Join(t.TempDir(), "history.db")
	writeFile(t, path, nil)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("an empty file is initialised: %v", err)
	}
	defer s.Close()
	ob.record(s, at(0), ob.ok("kpu.go.id", at(0), "36.86.63.182"))
}

func TestOpenDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(t.Context(), dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open(directory) = %v, want an error naming it", err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, path := newStore(t)
	ob.record(s, at(0), ob.ok("kpu.go.id", at(0), "36.86.63.182"))
	s.Close()
	latest := schema().Latest()
	describe := func() string {
		t.Helper()
		db := rawDB(t, path)
		defer db.Close()
		var version, app int
		var sv, mode string
		var n int
		if err := db.QueryRow("SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id), "+
			"(SELECT value FROM meta WHERE key = 'schema_version'), (SELECT journal_mode FROM pragma_journal_mode), "+
			"(SELECT count(*) FROM sqlite_schema)").Scan(&version, &app, &sv, &mode, &n); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("user_version %d, application_id %#x, meta.schema_version %s, journal_mode %s, %d schema objects", version, app, sv, mode, n)
	}
	first := describe()
	if want := fmt.Sprintf("user_version %d, application_id %#x, meta.schema_version %d, journal_mode wal", latest, applicationID, latest); !strings.HasPrefix(first, want) {
		t.Errorf("after the first open: %s; want %s", first, want)
	}
	for range 3 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if again := describe(); again != first {
		t.Errorf("after opening again: %s; want %s", again, first)
	}
	if err := schema().Valid(); err != nil {
		t.Error(err)
	}
}

func TestOpenConcurrentlyCreates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := Open(t.Context(), path)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestDefaultPath sets environment variables, so it does not run in parallel.
func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	got, err := DefaultPath()
	if want := filepath.Join(dir, "hostwatch", "history.db"); err != nil || got != want {
		t.Errorf("with XDG_DATA_HOME: %q, %v; want %q", got, err, want)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, xdg := range []string{"", "relative/dir"} { // a relative XDG_DATA_HOME is ignored
		t.Setenv("XDG_DATA_HOME", xdg)
		got, err := DefaultPath()
		if want := filepath.Join(home, ".local", "share", "hostwatch", "history.db"); err != nil || got != want {
			t.Errorf("with XDG_DATA_HOME=%q: %q, %v; want %q", xdg, got, err, want)
		}
	}
}

// TestMigrateFromLanded opens a file that the landed hostwatch (schema 2)
// wrote: five `check --vantage jakarta` runs of testdata/landed-v2.zone, the
// third and fourth with sirekap-web moved to 170.33.13.55. Every run and span
// is kept, and the timeline reads as it did.
func TestMigrateFromLanded(t *testing.T) {
	t.Parallel()
	s := openLanded(t)
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schema().Latest() {
		t.Fatalf("user_version = %d (%v), want %d", v, err, schema().Latest())
	}
	runs, err := s.Runs(t.Context())
	if err != nil || len(runs) != 5 {
		t.Fatalf("%d runs (%v), want 5", len(runs), err)
	}
	if runs[0].Vantage != "jakarta" || !slices.Equal(runs[0].View.Resolvers, []string{"127.0.0.1:53999"}) || runs[0].Confirm != 1 {
		t.Errorf("run 1 read back as %+v", runs[0])
	}
	spans, err := s.spansOf(t.Context(), "sirekap-web.kpu.go.id", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 3 {
		t.Fatalf("%d spans of sirekap-web, want 3", len(spans))
	}
	for _, sp := range spans {
		if sp.Vantage != "jakarta" || sp.View.String() != "127.0.0.1:53999" {
			t.Errorf("span kept vantage %q and view %q, want jakarta and the run's resolver", sp.Vantage, sp.View)
		}
	}
	_, changes := history.Timeline(spans, history.Options{})
	if moves := storetest.Moves(changes); moves != 2 {
		t.Errorf("%d moves after migration, want 2 (ID → SG → ID)", moves)
	}
	loop, err := s.spansOf(t.Context(), "loop-a.kpu.go.id", time.Time{}, time.Time{})
	if err != nil || len(loop) != 1 || loop[0].Observation.ErrorKind != probe.ErrorCNAMELoop {
		t.Errorf("loop-a after migration: %+v, %v; want its error kind cname_loop", loop, err)
	}
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(new(string)); err != nil {
		t.Error(err)
	}
}

// TestTimelineMoves checks a move's Before and After in full, from spans
// read back from a real database.
func TestTimelineMoves(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, _ := newStore(t)
	const d = "sirekap-api.kpu.go.id"
	steps := []string{"36.86.63.182", "36.86.63.182", "170.33.13.55", "51.210.1.10", "51.210.1.10"}
	for i, ip := range steps {
		ob.record(s, at(i), ob.ok(d, at(i), ip))
	}
	spans, err := s.spansOf(t.Context(), d, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	periods, changes := history.Timeline(spans, history.Options{})
	var moves []probe.Change
	for _, c := range changes {
		if c.IsMove() {
			moves = append(moves, c)
		}
	}
	if len(periods) != 3 || len(moves) != 2 {
		t.Fatalf("%d periods and %d moves, want 3 and 2", len(periods), len(moves))
	}
	want := probe.Change{
		Domain:      d,
		Vantage:     "test",
		Move:        true,
		Seen:        1,
		Confirm:     1,
		BeforeView:  probe.View{Resolvers: []string{"127.0.0.1:5300"}},
		AfterView:   probe.View{Resolvers: []string{"127.0.0.1:5300"}},
		Kinds:       []probe.ChangeKind{probe.ChangeCountry, probe.ChangeProvider, probe.ChangeASN, probe.ChangeAddresses},
		Before:      probe.HostingOf(ob.ok(d, at(1), "36.86.63.182")),
		After:       probe.HostingOf(ob.ok(d, at(2), "170.33.13.55")),
		BeforeAt:    at(1),
		AfterAt:     at(2),
		ConfirmedAt: at(2),
	}
	if !reflect.DeepEqual(moves[0], want) {
		t.Errorf("first move:\n%+v\nwant\n%+v", moves[0], want)
	}
	if got := periods[2]; got.From != at(3) || got.To != at(4) || got.Observations != 2 {
		t.Errorf("last period %+v, want checks 3–4, 2 observations", got)
	}
}

// TestLatest runs checks one after another through a real database, as
// `check` does, and expects every change of the final timeline to be
// reported exactly once, by the run that confirmed it.
func TestLatest(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	const d = "sirekap-web.kpu.go.id"
	ok := func(ip string) func(int) probe.Observation {
		return func(i int) probe.Observation { return ob.ok(d, at(i), ip) }
	}
	timeout := func(i int) probe.Observation { return observation(d, at(i), resolvers.StatusTimeout) }
	id, sg, fr := ok("36.86.63.182"), ok("170.33.13.55"), ok("51.210.1.10")
	tests := []struct {
		name    string
		confirm int
		steps   []func(int) probe.Observation
		want    []string // per run, the kinds reported ("" for none)
	}{
		{"moves", 1, []func(int) probe.Observation{id, id, sg, sg, fr}, []string{"new", "", "country_changed", "", "country_changed"}},
		{"--confirm 2", 2, []func(int) probe.Observation{id, sg, sg, sg, sg}, []string{"new", "pending(1/2)", "country_changed", "", ""}},
		{"--confirm 3", 3, []func(int) probe.Observation{id, sg, timeout, sg, sg, sg}, []string{"new", "pending(1/3)", "pending(1/3) unresolved", "pending(2/3)", "country_changed", ""}},
		{"blip", 2, []func(int) probe.Observation{id, sg, id, id}, []string{"new", "pending(1/2)", "", ""}},
		{"unresolved once", 1, []func(int) probe.Observation{id, timeout, timeout, id}, []string{"new", "unresolved", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			var got []string
			for i, step := range tt.steps {
				run := ob.runInfo(at(i))
				run.Confirm = tt.confirm
				_, changes, err := history.Record(t.Context(), s, run, []probe.Observation{step(i)})
				if err != nil {
					t.Fatal(err)
				}
				var kinds []string
				for _, c := range changes {
					if c.Pending() {
						kinds = append(kinds, fmt.Sprintf("pending(%d/%d)", c.Seen, c.Confirm))
						continue
					}
					kinds = append(kinds, string(c.Kind()))
				}
				got = append(got, strings.Join(kinds, " "))
			}
			spans, err := s.spansOf(t.Context(), d, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("reported per run: %q, want %q", got, tt.want)
			}
			_, all := history.Timeline(spans, history.Options{})
			all = slices.DeleteFunc(all, probe.Change.Pending)
			confirmed := 0
			for _, g := range got {
				for k := range strings.FieldsSeq(g) {
					if !strings.HasPrefix(k, "pending") {
						confirmed++
					}
				}
			}
			if n := confirmed; n != len(all) {
				t.Errorf("%d changes reported, the timeline has %d", n, len(all))
			}
		})
	}
}

// TestAcrossMidnight records runs that cross midnight (UTC), where every
// timeline starts a span, and checks each run's changes against a replay of
// the whole record: a pool's period and tip, a pending move and an
// unchanged domain carry over into the new day's spans.
func TestAcrossMidnight(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	p := []string{"8.219.1.10", "8.219.1.11", "8.219.1.12"}
	// Checks at 23:50, 23:55, 00:00, 00:05, 00:10, 00:15.
	pool := [][]string{{p[0], p[1]}, {p[1], p[2]}, {p[1], p[2]}, {p[1], p[2]}, {p[1]}, {"51.210.1.10"}}
	web := []string{"36.86.63.182", "170.33.13.55", "170.33.13.55", "170.33.13.55", "36.86.63.182", "36.86.63.182"}
	for _, confirm := range []int{1, 2} {
		t.Run(fmt.Sprint("confirm ", confirm), func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			start := time.Date(2024, 2, 14, 23, 50, 0, 0, time.UTC)
			for i := range pool {
				when := start.Add(time.Duration(i) * 5 * time.Minute)
				obs := []probe.Observation{
					ob.ok("pool.kpu.go.id", when, pool[i]...),
					ob.ok("sirekap-web.kpu.go.id", when, web[i]),
					ob.ok("mail.kpu.go.id", when, "36.86.63.183"),
				}
				run := ob.runInfo(when)
				run.Confirm = confirm
				_, got, err := history.Record(t.Context(), s, run, obs)
				if err != nil {
					t.Fatal(err)
				}
				spans, err := s.Spans(t.Context(), history.Query{Vantage: "test"})
				if err != nil {
					t.Fatal(err)
				}
				want := history.Latest(spans, history.Options{Confirm: confirm})
				byDomain := func(a, b probe.Change) int { return strings.Compare(a.Domain, b.Domain) }
				slices.SortStableFunc(got, byDomain)
				slices.SortStableFunc(want, byDomain)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("check %d brought\n%+v\nthe record's replay says\n%+v", i+1, got, want)
				}
			}
		})
	}
}

// TestSchemaWorkedQuery runs the query SCHEMA.md shows for "when did a
// domain change country" on the migrated fixture: ID → SG → ID.
func TestSchemaWorkedQuery(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "SCHEMA.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```sql\n")
	query, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("SCHEMA.md shows no SQL query")
	}
	s := openLanded(t)
	rows, err := s.db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var before, after, from, to string
		if err := rows.Scan(&before, &after, &from, &to); err != nil {
			t.Fatal(err)
		}
		got = append(got, from+"→"+to)
	}
	if want := []string{"ID→SG", "SG→ID"}; !slices.Equal(got, want) {
		t.Errorf("the worked query gives %q, want %q", got, want)
	}
}

// openLanded opens a copy of testdata/landed-v2.db, the file the landed
// hostwatch (schema 2) wrote, migrating it.
func openLanded(t *testing.T) *Store {
	t.Helper()
	return openFixture(t, "landed-v2.db")
}

// openFixture opens a copy of the file testdata/name, migrating it.
func openFixture(t *testing.T, name string) *Store {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "history.db")
	writeFile(t, path, raw)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		s.Close()
		checkReferences(t, path)
	})
	return s
}

// An answer already stored is not stored again, whether the statement adding
// a chunk's answers skips some of them (a domain answered as another already
// was, next to a new answer) or all; the spans refer to the stored answer,
// and the new answers get their addresses.
func TestAnswersShared(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, path := newStore(t)
	ob.record(s, at(0), ob.ok("a.kpu.go.id", at(0), "36.86.63.182"))
	ob.record(s, at(1), ob.ok("b.kpu.go.id", at(1), "36.86.63.182"), ob.ok("c.kpu.go.id", at(1), "170.33.13.55"),
		ob.ok("d.kpu.go.id", at(1), "36.86.63.182"))
	ob.record(s, at(2), ob.ok("e.kpu.go.id", at(2), "170.33.13.55"))
	for domain, ip := range map[string]string{"a": "36.86.63.182", "b": "36.86.63.182", "c": "170.33.13.55", "d": "36.86.63.182", "e": "170.33.13.55"} {
		spans, err := s.spansOf(t.Context(), domain+".kpu.go.id", time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(spans) != 1 || len(spans[0].Observation.Addresses) != 1 || spans[0].Observation.Addresses[0].IP.String() != ip {
			t.Errorf("%s: spans %+v, want one with %s", domain, spans, ip)
		}
	}
	s.Close()
	db, err := sql.Open("sqlite", (&Store{busy: time.Second}).dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var answers, addrs, used int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM answers), (SELECT count(*) FROM answer_addresses),
		(SELECT count(DISTINCT answer_id) FROM observations)`).Scan(&answers, &addrs, &used); err != nil {
		t.Fatal(err)
	}
	if answers != 2 || addrs != 2 || used != 2 {
		t.Errorf("%d answers with %d addresses, %d used by spans; want 2, 2, 2", answers, addrs, used)
	}
}

// TestFirstRunSharesAnswersAcrossChunks: a run into a new file looks up only
// the answers it may have added itself, and still stores each answer once
// when domains of different chunks share it, in that run and the next.
func TestFirstRunSharesAnswersAcrossChunks(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, path := newStore(t)
	pool := []string{"36.86.63.182", "170.33.13.55", "8.8.8.8"}
	var first []probe.Observation
	for i := range 2*chunk + 10 {
		first = append(first, ob.ok(fmt.Sprintf("h%d.kpu.go.id", i), at(0), pool[i%len(pool)]))
	}
	ob.record(s, at(0), first...)
	ob.record(s, at(1), ob.ok("late.kpu.go.id", at(1), pool[1]), ob.ok("new.kpu.go.id", at(1), "51.210.0.1"))
	for _, c := range []struct{ domain, ip string }{{"h0.kpu.go.id", pool[0]}, {"h1001.kpu.go.id", pool[1001%3]},
		{"h2009.kpu.go.id", pool[2009%3]}, {"late.kpu.go.id", pool[1]}, {"new.kpu.go.id", "51.210.0.1"}} {
		spans, err := s.spansOf(t.Context(), c.domain, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(spans) != 1 || len(spans[0].Observation.Addresses) != 1 || spans[0].Observation.Addresses[0].IP.String() != c.ip {
			t.Errorf("%s: spans %+v, want one with %s", c.domain, spans, c.ip)
		}
	}
	s.Close()
	db, err := sql.Open("sqlite", (&Store{busy: time.Second}).dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var answers, fps, spans int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM answers), (SELECT count(DISTINCT fingerprint) FROM answers),
		(SELECT count(*) FROM observations)`).Scan(&answers, &fps, &spans); err != nil {
		t.Fatal(err)
	}
	if answers != 4 || fps != 4 || spans != 2*chunk+12 {
		t.Errorf("%d answers (%d fingerprints), %d spans; want 4, 4, %d", answers, fps, spans, 2*chunk+12)
	}
}

// TestHostingQueryPlans checks that a watchdog's plain SQL on the hosting
// view finds its rows through the indexes SCHEMA.md names, by domain, by
// time and by address, rather than reading every span: in a file migrated
// from the last schema, as in a new one.
func TestHostingQueryPlans(t *testing.T) {
	t.Parallel()
	s := openFixture(t, "landed-v6.db")
	for _, tc := range []struct {
		where string
		index string
	}{
		{"domain = 'sirekap-web.kpu.go.id'", "observations_domain_vantage"},
		{"first_seen >= '2024-02-15'", "observations_first_seen"},
		{"ip = '170.33.13.55'", "observations_answer"},
	} {
		rows, err := s.db.Query("EXPLAIN QUERY PLAN SELECT domain, vantage, first_seen, last_seen FROM hosting WHERE " + tc.where)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, tc.index) || strings.Contains(text, "SCAN o") {
			t.Errorf("WHERE %s: plan %q, want it through %s without reading every span", tc.where, text, tc.index)
		}
	}
}
