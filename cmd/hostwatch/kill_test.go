package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/sqlite"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// TestKilledCheck kills check runs (SIGKILL) at moments spread over a whole
// run, resolving and writing alike, and checks after each that the database
// opens cleanly, that every run recorded before is intact, and that a killed
// run was recorded whole or not at all.
func TestKilledCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	t.Parallel()
	const n = 400
	var zone, names strings.Builder
	zone.WriteString("$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\n")
	for i := range n {
		fmt.Fprintf(&zone, "h%d 300 IN A 36.86.%d.%d\n", i, i/250, i%250+1)
		fmt.Fprintf(&names, "h%d.kpu.go.id\n", i)
	}
	srv := resolverstest.StartZone(t, zone.String())
	dir := t.TempDir()
	list := filepath.Join(dir, "names.txt")
	if err := os.WriteFile(list, []byte(names.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "h.db")
	args := []string{"check", "--db", db, "--resolver", srv.Addr, "-f", list}

	start := time.Now()
	if out, err := exec.Command("hostwatch", args...).CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	whole := time.Since(start)

	runs := 1
	for i := 1; i <= 8; i++ {
		cmd := exec.Command("hostwatch", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(whole * time.Duration(i) / 8)
		_ = cmd.Process.Kill()
		if cmd.Wait() == nil {
			runs++ // it finished before the kill
		}
		got := recordedRuns(t, db)
		if got != runs && got != runs+1 {
			t.Fatalf("after kill %d: %d runs recorded, want %d (or %d if it finished)", i, got, runs, runs+1)
		}
		runs = got
	}
	out, err := exec.Command("hostwatch", append(args, "-o", "json")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"changes": []`) {
		t.Fatalf("last run: %v, want no change:\n%.2000s", err, out)
	}
}

// recordedRuns opens the database as a new process would and counts its runs,
// checking that the first domain's record is whole.
func recordedRuns(t *testing.T, path string) int {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer s.Close()
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	spans, err := s.Spans(t.Context(), history.Query{Domains: []string{"h0.kpu.go.id"}, AllVantages: true})
	if err != nil || len(spans) != 1 || spans[0].Count != len(runs) {
		t.Fatalf("h0.kpu.go.id after kill: %d spans (%v), want 1 seen in each of %d runs: %+v", len(spans), err, len(runs), spans)
	}
	return len(runs)
}
