package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A line too long stops the reading, not the run: the names read before it
// are audited and written, and the run exits 2 naming the file and line.
func TestLineTooLongStopsReading(t *testing.T) {
	t.Parallel()
	addr := streamZone(t)
	list := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(list, []byte("ok.x.test\n"+strings.Repeat("a", 70000)+"\nb.x.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runInProcess(t, "audit", "-o", "jsonl", "--resolver", addr, "-f", list)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, stderr)
	}
	if !strings.Contains(stdout, `"domain":"ok.x.test"`) || strings.Contains(stdout, "b.x.test") {
		t.Fatalf("stdout %s, want ok.x.test alone", stdout)
	}
	if !strings.Contains(stderr, "big.txt:2: line longer than 65536 bytes") {
		t.Fatalf("stderr %q, want the file and line", stderr)
	}
}

// The count ahead of a progress line's total counts the lines with a name.
func TestCountNames(t *testing.T) {
	t.Parallel()
	list := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(list, []byte("a.test\n\n  # comment\nb.test # two\n  \nc.test"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := countNames(list); err != nil || n != 3 {
		t.Fatalf("countNames = %d, %v; want 3", n, err)
	}
}
