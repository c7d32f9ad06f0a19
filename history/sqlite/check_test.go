package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hostwatch/hostwatch/probe"
)

// TestCommitRefusesDamagedFile damages a current file in the middle, where
// opening it reads nothing: Open succeeds (its quick_check runs alongside),
// and Commit refuses with ErrDamaged before writing anything.
func TestCommitRefusesDamagedFile(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	var obs []probe.Observation
	for i := range 300 {
		obs = append(obs, ob.ok(fmt.Sprintf("h%d.kpu.go.id", i), at(0), fmt.Sprintf("170.33.13.%d", i%250+1)))
	}
	ob.record(s, at(0), obs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8*4096 {
		t.Fatalf("the history is only %d bytes", len(b))
	}
	mid := len(b) / 4096 / 2 * 4096
	copy(b[mid:], bytes.Repeat([]byte{0xff}, 1000))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open of a file damaged where opening does not read: %v", err)
	}
	_, err = s.recordRun(t.Context(), ob.runInfo(at(1)), obs)
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("recording into a damaged file: %v, want ErrDamaged", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, b) {
		t.Errorf("the damaged file was modified (%v)", err)
	}
}

// TestCloseStopsCheck closes a store at once after opening it: the
// quick_check running alongside is stopped and waited for.
func TestCloseStopsCheck(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	s, path := newStore(t)
	ob.record(s, at(0), ob.ok("kpu.go.id", at(0), "170.33.13.55"))
	for range 20 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if s.check == nil {
			t.Fatal("Open of a current file ran its quick_check before returning")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.check.done:
		default:
			t.Fatal("Close returned with the quick_check running")
		}
	}
}
