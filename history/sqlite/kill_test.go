package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestKilledWriter kills a process that records run after run (SIGKILL, no
// chance to clean up) and checks that every run it committed is whole and
// the file opens and takes new runs.
func TestKilledWriter(t *testing.T) {
	if path := os.Getenv("HISTORY_TEST_WRITER"); path != "" {
		killedWriter(t, path)
		return
	}
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "history.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKilledWriter$")
	cmd.Env = append(os.Environ(), "HISTORY_TEST_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	committed := 0
	for committed < 20 && lines.Scan() {
		if _, err := fmt.Sscanf(lines.Text(), "committed %d", &committed); err != nil {
			continue
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if committed < 20 {
		t.Fatalf("the writer stopped after %d runs", committed)
	}

	ob := newObserver(t)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open after the writer was killed: %v", err)
	}
	defer s.Close()
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) < committed {
		t.Fatalf("%d runs in the file, but %d were committed", len(runs), committed)
	}
	spans, err := s.spansOf(t.Context(), "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, sp := range spans {
		seen += sp.Count
	}
	if want := len(runs) * writerDomains; seen != want {
		t.Errorf("%d observations in spans, want %d runs × %d", seen, len(runs), writerDomains)
	}
	ob.record(s, at(100000), ob.ok("after.test", at(100000), "36.86.63.182"))
}

const writerDomains = 50

// killedWriter records runs into path until it is killed, saying after each
// commit how many it has made.
func killedWriter(t *testing.T, path string) {
	ob := newObserver(t)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	runs := benchRuns(t, writerDomains, 3, true)
	for i := 0; ; i++ {
		obs := runs[i%3]
		for j := range obs {
			obs[j].StartedAt = at(i)
		}
		if _, err := s.recordRun(context.Background(), ob.runInfo(at(i)), obs); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %d\n", i+1)
	}
}
