package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// TestConcurrentChecks runs two checks at once on one database over 2,000
// names that all moved since the run before: their writes serialise, each
// compares with what is committed when its write begins, so every move is
// reported exactly once, by one of the two runs, and history counts the
// same moves.
func TestConcurrentChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("checks 2,000 names three times")
	}
	t.Parallel()
	const n = 2000
	const head = "$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\n"
	var before, after, names strings.Builder
	before.WriteString(head)
	after.WriteString(head)
	for i := range n {
		// Telkom Indonesia (AS7713, ID), then Alibaba Cloud Singapore
		// (AS134963, SG): a move for every name.
		fmt.Fprintf(&before, "h%d 300 IN A 36.86.%d.%d\n", i, i/250, i%250+1)
		fmt.Fprintf(&after, "h%d 300 IN A 170.33.13.55\n", i)
		fmt.Fprintf(&names, "h%d.kpu.go.id\n", i)
	}
	zone := &movingZone{}
	setZone(t, zone, before.String())
	srv := resolverstest.Start(t, zone)

	dir := t.TempDir()
	list := filepath.Join(dir, "names.txt")
	if err := os.WriteFile(list, []byte(names.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "h.db")
	args := []string{"check", "--db", db, "--resolver", srv.Addr, "-f", list, "-o", "json"}

	first := runCheckJSON(t, args)
	if len(first.Changes) != n {
		t.Fatalf("first run: %d changes, want %d (every name new)", len(first.Changes), n)
	}

	setZone(t, zone, after.String())
	var wg sync.WaitGroup
	runs := make([]checkJSON, 2)
	for i := range runs {
		wg.Go(func() { runs[i] = runCheckJSON(t, args) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	reported := map[string]int{}
	moves := 0
	for i, r := range runs {
		m := 0
		for _, c := range r.Changes {
			reported[c.Domain]++
			if c.CountsAsMove || slices.Contains(c.Kinds, "country_changed") {
				m++
			}
		}
		t.Logf("run %d: %d changes, %d moves", i+1, len(r.Changes), m)
		moves += m
	}
	if moves != n {
		t.Errorf("the two runs reported %d moves in all, want %d", moves, n)
	}
	if len(reported) != n {
		t.Errorf("changes were reported for %d names, want %d", len(reported), n)
	}
	for d, k := range reported {
		if k != 1 {
			t.Errorf("%s: reported %d times, want once", d, k)
		}
	}

	out, err := exec.Command("hostwatch", "history", "--db", db, "-o", "json").Output()
	if err != nil {
		t.Fatalf("history: %v\n%s", err, stderrOf(err))
	}
	var h struct {
		Domains []struct {
			Domain string `json:"domain"`
			Moves  int    `json:"moves"`
		} `json:"domains"`
	}
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("history -o json: %v\n%.2000s", err, out)
	}
	inHistory := 0
	for _, d := range h.Domains {
		inHistory += d.Moves
		if d.Moves != 1 {
			t.Errorf("history: %s moved %d times, want 1", d.Domain, d.Moves)
		}
	}
	if len(h.Domains) != n || inHistory != moves {
		t.Errorf("history: %d domains, %d moves; the checks reported %d moves for %d domains", len(h.Domains), inHistory, moves, n)
	}
}

// checkJSON is the part of check -o json this test reads.
type checkJSON struct {
	Changes []struct {
		Domain       string   `json:"domain"`
		Kinds        []string `json:"kinds"`
		CountsAsMove bool     `json:"counts_as_move"`
	} `json:"changes"`
}

// runCheckJSON runs hostwatch with args (a check with -o json and no
// --fail-on, so it must exit 0) and decodes what it printed.
func runCheckJSON(t *testing.T, args []string) checkJSON {
	t.Helper()
	out, err := exec.Command("hostwatch", args...).Output()
	if err != nil {
		t.Errorf("hostwatch %s: %v\n%s", strings.Join(args, " "), err, stderrOf(err))
		return checkJSON{}
	}
	var c checkJSON
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&c); err != nil {
		t.Errorf("check -o json: %v\n%.2000s", err, out)
	}
	return c
}

// stderrOf is what a command that failed wrote to stderr.
func stderrOf(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}

// setZone makes z answer from zone text from now on.
func setZone(t *testing.T, z *movingZone, text string) {
	t.Helper()
	h, err := resolverstest.NewZoneHandler(text)
	if err != nil {
		t.Fatal(err)
	}
	z.mu.Lock()
	z.handler, z.silent = h, nil
	z.mu.Unlock()
}
