package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres"
	"github.com/hostwatch/hostwatch/history/sqlite"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/rtt"
	"github.com/hostwatch/hostwatch/reports"
)

// historyStatus names a history's backend and schema version.
func historyStatus(ctx context.Context, s history.Store, name string) (reports.HistoryStatus, error) {
	switch st := s.(type) {
	case *postgres.Store:
		ps, err := st.Status(ctx)
		return reports.HistoryStatus{Backend: ps.Backend, Location: ps.Location, SchemaVersion: ps.Version, Current: ps.Current, Server: ps.Server}, err
	case *sqlite.Store:
		v, err := st.SchemaVersion(ctx)
		return reports.HistoryStatus{Backend: "sqlite", Location: name, SchemaVersion: v, Current: sqlite.CurrentSchema()}, err
	}
	return reports.HistoryStatus{}, fmt.Errorf("%s: unknown history backend", name)
}

type dbMigrateOptions struct{ db string }

func newDBMigrateCmd(streams IOStreams) *cobra.Command {
	opts := &dbMigrateOptions{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the history database's schema",
		Long: `migrate creates the history's tables in an empty database, or upgrades an
older schema, in one transaction; a database already up to date is left as
it is. Both backends keep their versioned steps in hostwatch: an SQLite file
(--db PATH) and a PostgreSQL database (--db postgres://…). check does the same
on its first run, so migrate is only needed to prepare a database ahead of
time, e.g. as a role that may create tables, before shards that may not.

` + exitHelp(exitDone,
			exitDoc{exitUsage, "usage error, or a database that is another program's, damaged, or written by a newer hostwatch (left unchanged)"},
			exitDoc{exitFailed, "the database could not be reached or written"}),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, name, err := openStore(cmd.Context(), opts.db, true)
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := historyStatus(cmd.Context(), store, name)
			if err != nil {
				return runError{err}
			}
			say(streams.Out, "%s history %s: schema version %d (current)", st.Backend, st.Location, st.SchemaVersion)
			return nil
		},
	}
	bindDB(cmd.Flags(), &opts.db)
	return cmd
}

type dbCopyOptions struct{ from, to string }

func newDBCopyCmd(streams IOStreams) *cobra.Command {
	opts := &dbCopyOptions{}
	cmd := &cobra.Command{
		Use:   "copy --from DB --to DB",
		Short: "Copy a whole history between backends (SQLite ↔ PostgreSQL), verified",
		Long: `copy copies every run, span and dataset of one history into another that
holds no runs yet, each an SQLite file or a postgres:// URL, and then checks
that both read back the same: the history (as history -o json gives it) of
every domain and vantage must be identical, or copy fails.

Runs are copied in order, each with its time, tool version, datasets, view,
vantage, --confirm and run group. A span keeps only its first and last
observation's times and its count, so the observations between are
recorded by the runs of its vantage and view between its first and last;
what history reads is unchanged by it. The whole source is read into
memory.

` + exitHelp(exitDone,
			exitDoc{exitUsage, "usage error; a missing, damaged or newer source; a destination that already holds runs"},
			exitDoc{exitFailed, "a database could not be reached or written, or the copy does not read back the same"}),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBCopy(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.from, "from", "", "the history to copy: a `DB` (SQLite path or postgres:// URL)")
	cmd.Flags().StringVar(&opts.to, "to", "", "the history to copy into, empty or new: a `DB` (SQLite path or postgres:// URL)")
	return cmd
}

func runDBCopy(ctx context.Context, streams IOStreams, opts *dbCopyOptions) error {
	if opts.from == "" || opts.to == "" {
		return errors.New("db copy needs --from and --to")
	}
	src, srcName, err := openStore(ctx, opts.from, false)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, dstName, err := openStore(ctx, opts.to, true)
	if err != nil {
		return err
	}
	defer dst.Close()
	if have, err := dst.Runs(ctx); err != nil {
		return runError{err}
	} else if len(have) > 0 {
		return fmt.Errorf("db copy: %s already holds %d runs; copy into an empty or new history", dstName, len(have))
	}
	runs, err := src.Runs(ctx)
	if err != nil {
		return runError{err}
	}
	spans, err := src.Spans(ctx, history.Query{AllVantages: true})
	if err != nil {
		return runError{err}
	}
	byRun, err := copyPlan(runs, spans)
	if err != nil {
		return runError{fmt.Errorf("db copy from %s: %w", srcName, err)}
	}
	rtts, err := src.Measurements(ctx, netip.Addr{})
	if err != nil {
		return runError{err}
	}
	byRunRTT := map[int64][]history.Measurement{}
	for _, m := range rtts {
		byRunRTT[m.RunID] = append(byRunRTT[m.RunID], m)
	}
	for _, r := range runs {
		info, obs := r.RunInfo, withMeasurements(byRun[r.ID], byRunRTT[r.ID])
		if ms := byRunRTT[r.ID]; len(ms) > 0 {
			info.Location = ms[0].Location
		}
		if _, _, err := history.Record(ctx, dst, info, obs); err != nil {
			return runError{fmt.Errorf("db copy: run %d into %s: %w", r.ID, dstName, err)}
		}
	}
	// Verified as a user would: the history of both, as history -o json.
	a, err := historyJSON(ctx, src)
	if err != nil {
		return runError{err}
	}
	b, err := historyJSON(ctx, dst)
	if err != nil {
		return runError{err}
	}
	if !bytes.Equal(a, b) {
		return runError{fmt.Errorf("db copy: %s does not read back as %s does (history -o json differs); the copy is not to be trusted", dstName, srcName)}
	}
	copied, err := dst.Measurements(ctx, netip.Addr{})
	if err != nil {
		return runError{err}
	}
	if !sameMeasurements(rtts, copied) {
		return runError{fmt.Errorf("db copy: %s does not hold the round trips %s does; the copy is not to be trusted", dstName, srcName)}
	}
	say(streams.Out, "copied %d runs and %d spans from %s to %s; history -o json of both is identical", len(runs), len(spans), srcName, dstName)
	return nil
}

// withMeasurements gives the observations of a run the round trips it
// recorded back, on copies of their addresses (copyPlan's observations share
// them between runs).
func withMeasurements(obs []probe.Observation, ms []history.Measurement) []probe.Observation {
	if len(ms) == 0 {
		return obs
	}
	obs = slices.Clone(obs)
	for _, m := range ms {
		for i := range obs {
			if obs[i].Target.Domain != m.Domain {
				continue
			}
			obs[i].Addresses = slices.Clone(obs[i].Addresses)
			for j, a := range obs[i].Addresses {
				if a.IP == m.IP {
					x := probe.Extra{}
					if a.Extra != nil {
						x = *a.Extra
					}
					x.RTT = &probe.RTT{Result: rtt.Result{Method: m.Method, Samples: m.Samples, Min: m.Min}}
					obs[i].Addresses[j].Extra = &x
				}
			}
		}
	}
	return obs
}

// sameMeasurements compares two histories' round trips but for their run IDs.
func sameMeasurements(a, b []history.Measurement) bool {
	strip := func(ms []history.Measurement) []history.Measurement {
		out := slices.Clone(ms)
		for i := range out {
			out[i].RunID = 0
		}
		history.SortMeasurements(out)
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// copyPlan says which observations each run of the source recorded: a
// span's first observation in its first run and its last in its last run;
// those between (only their count is kept) in the runs of its vantage and
// view that came between, never two in a row in one run group (the
// destination would record the second of those once, as the source did).
func copyPlan(runs []history.Run, spans []history.Span) (map[int64][]probe.Observation, error) {
	type lane struct {
		vantage string
		view    string
	}
	lanes := map[lane][]int64{}
	groups := map[int64]string{}
	for _, r := range runs {
		k := lane{r.Vantage, fmt.Sprintf("%q", [][]string{r.View.Resolvers, r.View.Subnets})}
		lanes[k] = append(lanes[k], r.ID)
		groups[r.ID] = r.Group
	}
	// again: a run of group g right after one of group prev records nothing.
	again := func(prev, g string) bool { return g != "" && g == prev }
	out := map[int64][]probe.Observation{}
	for _, sp := range spans {
		o := sp.Observation
		o.StartedAt = sp.FirstSeen
		out[sp.FirstRun] = append(out[sp.FirstRun], o)
		if sp.Count < 2 {
			continue
		}
		o.StartedAt = sp.LastSeen
		ids := lanes[lane{sp.Vantage, fmt.Sprintf("%q", [][]string{sp.View.Resolvers, sp.View.Subnets})}]
		i, _ := slices.BinarySearch(ids, sp.FirstRun+1)
		j, _ := slices.BinarySearch(ids, sp.LastRun)
		prev, between := groups[sp.FirstRun], make([]int64, 0, sp.Count-2)
		for _, id := range ids[i:j] {
			if len(between) == sp.Count-2 {
				break
			}
			if !again(prev, groups[id]) {
				between, prev = append(between, id), groups[id]
			}
		}
		if len(between) < sp.Count-2 || again(prev, groups[sp.LastRun]) {
			return nil, fmt.Errorf("the span of %s from %s holds %d observations, but only %d runs of its vantage and view, in turn of their run groups, can have made them",
				sp.Domain, sp.FirstSeen.Format(time.RFC3339), sp.Count, len(between)+2)
		}
		for _, id := range between {
			out[id] = append(out[id], o)
		}
		out[sp.LastRun] = append(out[sp.LastRun], o)
	}
	return out, nil
}

// historyJSON is the whole history of a store as history -o json writes
// it, without what names the store or the time it was read.
func historyJSON(ctx context.Context, s history.Store) ([]byte, error) {
	spans, err := s.Spans(ctx, history.Query{AllVantages: true})
	if err != nil {
		return nil, err
	}
	vantages, err := s.Vantages(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(spans, func(a, b history.Span) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Vantage, b.Vantage), a.FirstSeen.Compare(b.FirstSeen))
	})
	h := reports.History{Vantages: vantages, Domains: timelines(spans, history.Options{})}
	var b bytes.Buffer
	if err := reports.WriteHistory(&b, "json", h); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
