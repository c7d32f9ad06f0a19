package postgres

import (
	"testing"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
	"github.com/hostwatch/hostwatch/history/storetest"
)

// TestConformance runs the suite every backend passes, each store a new
// database of a real PostgreSQL server.
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t)
	storetest.Run(t, func(t *testing.T) history.Store {
		s, err := Open(t.Context(), srv.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
