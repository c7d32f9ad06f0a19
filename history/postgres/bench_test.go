package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
	"github.com/hostwatch/hostwatch/history/sqlite"
	"github.com/hostwatch/hostwatch/history/storetest"
	"github.com/hostwatch/hostwatch/probe"
)

// BenchmarkWriters records, side by side into PostgreSQL and into one
// SQLite file: 8 writers at once (4 shards × 2 vantages, 25,000 domains a
// shard), first runs and then second runs where a third of the domains
// changed; and one run of 100,000 domains alone. It reports observations
// recorded a second, all writers together.
//
//	go test ./history/postgres -run '^$' -bench BenchmarkWriters -benchtime 1x
func BenchmarkWriters(b *testing.B) {
	const domains, shards, rounds = 100000, 4, 2
	vantages := []string{"jakarta", "singapore"}
	ob := storetest.NewObserver(b)
	runs := shardedRuns(ob, domains, shards, rounds, vantages)
	srv := pgtest.Start(b)
	backends := []struct {
		name string
		open func(b *testing.B) func() (history.Store, error)
	}{
		{"postgres", func(b *testing.B) func() (history.Store, error) {
			url := srv.NewDatabase(b)
			return func() (history.Store, error) { return Open(context.Background(), url) }
		}},
		{"sqlite", func(b *testing.B) func() (history.Store, error) {
			path := filepath.Join(b.TempDir(), "history.db")
			return func() (history.Store, error) { return sqlite.Open(context.Background(), path) }
		}},
	}
	info := func(r int, vantage string) history.RunInfo {
		when := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC).Add(time.Duration(r) * 5 * time.Minute)
		return history.RunInfo{StartedAt: when, FinishedAt: when.Add(time.Minute), ToolVersion: "bench", Datasets: ob.DB.Datasets(),
			View: probe.View{Resolvers: []string{"127.0.0.1:53"}}, Vantage: vantage, Confirm: 1}
	}
	for _, be := range backends {
		b.Run("8writers/"+be.name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				open := be.open(b)
				start := time.Now()
				for r := range rounds {
					var wg sync.WaitGroup
					for v, vantage := range vantages {
						for sh := range shards {
							wg.Go(func() {
								st, err := open()
								if err != nil {
									b.Error(err)
									return
								}
								defer st.Close()
								if _, _, err := history.Record(context.Background(), st, info(r, vantage), runs[r][v][sh]); err != nil {
									b.Error(err)
								}
							})
						}
					}
					wg.Wait()
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(b.N*rounds*domains*len(vantages))/total.Seconds(), "obs/s")
		})
	}
	one := make([]probe.Observation, 0, domains)
	for sh := range shards {
		one = append(one, runs[0][0][sh]...)
	}
	for _, be := range backends {
		b.Run(fmt.Sprintf("one-run-%d/%s", domains, be.name), func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				st, err := be.open(b)()
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, _, err := history.Record(context.Background(), st, info(0, "jakarta"), one); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				st.Close()
			}
			b.ReportMetric(float64(b.N*domains)/total.Seconds(), "obs/s")
		})
	}
}
