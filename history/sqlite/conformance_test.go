package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/storetest"
)

// TestConformance runs the suite every backend passes against a new file.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) history.Store {
		path := filepath.Join(t.TempDir(), "history.db")
		t.Cleanup(func() { checkReferences(t, path) })
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
