package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// storedSpan is a span with the rows it refers to.
type storedSpan struct {
	history.Span
	id, timeline, answer, viewID int64
}

// spanFilter is what readSpans reads: a query's, or (forWrite) what the
// observations of the given timelines are compared with.
type spanFilter struct {
	q         history.Query
	timelines []int64
	forWrite  bool
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Spans returns the spans q asks for, ordered by domain, vantage and time.
func (s *Store) Spans(ctx context.Context, q history.Query) ([]history.Span, error) {
	stored, err := s.readSpans(ctx, s.pool, spanFilter{q: q})
	if err != nil {
		return nil, err
	}
	out := make([]history.Span, len(stored))
	for i, sp := range stored {
		out[i] = sp.Span
	}
	return out, nil
}

func (s *Store) readSpans(ctx context.Context, db queryer, f spanFilter) ([]storedSpan, error) {
	query := `SELECT d.name, d.unicode, o.id, o.timeline_id, o.answer_id, o.vantage, o.view_id, v.resolvers, v.subnets,
		o.first_run_id, o.last_run_id, o.first_seen, o.last_seen, o.seen_count, o.status, o.error, o.error_kind,
		ans.cname_chain, ans.addresses, r.confirm, r.datasets
	FROM observations o
	JOIN timelines t ON t.id = o.timeline_id
	JOIN domains d ON d.id = t.domain_id
	JOIN answers ans ON ans.id = o.answer_id
	JOIN runs r ON r.id = o.last_run_id
	JOIN views v ON v.id = o.view_id`
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q := f.q
	if f.forWrite {
		// Only what a new observation is compared with: from the run its
		// timeline's latest span says (history.Position), and that span.
		where = append(where, "o.timeline_id = ANY("+arg(f.timelines)+")", "(o.first_run_id >= t.resume_run OR o.id = t.latest_span)")
	} else {
		if len(q.Domains) > 0 {
			names := make([]string, len(q.Domains))
			for i, d := range q.Domains {
				names[i] = strings.ToLower(strings.TrimSuffix(d, "."))
			}
			where = append(where, "d.name = ANY("+arg(names)+")")
		}
		if !q.AllVantages {
			where = append(where, "t.vantage = "+arg(q.Vantage))
		}
		if !q.Since.IsZero() {
			where = append(where, "o.last_seen >= "+arg(formatTime(q.Since)))
		}
		if !q.Until.IsZero() {
			where = append(where, "o.first_seen <= "+arg(formatTime(q.Until)))
		}
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if !f.forWrite {
		query += ` ORDER BY d.name COLLATE "C", o.vantage COLLATE "C", o.first_seen, o.id`
	}
	var datasets map[int64]string
	if !f.forWrite {
		var err error
		if datasets, err = s.datasetNames(ctx, db); err != nil {
			return nil, err
		}
	}
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read spans: %w", err))
	}
	defer rows.Close()
	var spans []storedSpan
	for rows.Next() {
		var (
			sp                  storedSpan
			resolv, subnets     []string
			first, last, status string
			errText, errKind    *string
			chain, addrs        []byte
			dsIDs               []int64
		)
		if err := rows.Scan(&sp.Domain, &sp.Unicode, &sp.id, &sp.timeline, &sp.answer, &sp.Vantage, &sp.viewID, &resolv, &subnets,
			&sp.FirstRun, &sp.LastRun, &first, &last, &sp.Count, &status, &errText, &errKind,
			&chain, &addrs, &sp.Confirm, &dsIDs); err != nil {
			return nil, s.wrap(fmt.Errorf("read spans: %w", err))
		}
		if sp.FirstSeen, err = parseTime(first); err != nil {
			return nil, s.badRow("observations", sp.id, "first_seen", err)
		}
		if sp.LastSeen, err = parseTime(last); err != nil {
			return nil, s.badRow("observations", sp.id, "last_seen", err)
		}
		if len(resolv) > 0 {
			sp.View.Resolvers = resolv
		}
		if len(subnets) > 0 {
			sp.View.Subnets = subnets
		}
		if datasets != nil {
			names := make([]string, 0, len(dsIDs))
			for _, d := range dsIDs {
				names = append(names, datasets[d])
			}
			sp.Datasets = strings.Join(names, "; ")
		}
		o := &sp.Observation
		o.Target = probe.Target{Input: sp.Domain, Domain: sp.Domain, Unicode: sp.Unicode}
		o.Status, o.StartedAt = resolvers.Status(status), sp.FirstSeen
		if errText != nil {
			o.Error = *errText
		}
		if errKind != nil {
			o.ErrorKind = probe.ErrorKind(*errKind)
		}
		if err := json.Unmarshal(chain, &o.CNAMEChain); err != nil {
			return nil, s.badRow("answers", sp.id, "cname_chain", err)
		}
		if len(o.CNAMEChain) == 0 {
			o.CNAMEChain = nil
		}
		var stored []address
		if err := json.Unmarshal(addrs, &stored); err != nil {
			return nil, s.badRow("answers", sp.id, "addresses", err)
		}
		for _, a := range stored {
			pa, err := a.probe()
			if err != nil {
				return nil, s.badRow("answers", sp.id, "addresses", err)
			}
			o.Addresses = append(o.Addresses, pa)
		}
		slices.SortFunc(o.Addresses, func(a, b probe.Address) int { return a.IP.Compare(b.IP) })
		spans = append(spans, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read spans: %w", err))
	}
	return spans, nil
}

// datasetNames names every dataset as "name version".
func (s *Store) datasetNames(ctx context.Context, db queryer) (map[int64]string, error) {
	rows, err := db.Query(ctx, "SELECT id, name, version FROM datasets")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name, version string
		if err := rows.Scan(&id, &name, &version); err != nil {
			return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
		}
		out[id] = name + " " + version
	}
	return out, s.wrap(rows.Err())
}

func (s *Store) badRow(table string, id int64, column string, err error) error {
	return fmt.Errorf("history database %s: %s.%s of observation %d: %w", s.name, table, column, id, err)
}

// Domains returns the names (ASCII form) of every domain with observations, sorted.
func (s *Store) Domains(ctx context.Context) ([]string, error) {
	return s.strings(ctx, `SELECT d.name FROM domains d WHERE EXISTS (SELECT 1 FROM timelines t WHERE t.domain_id = d.id AND t.latest_span IS NOT NULL)
		ORDER BY d.name COLLATE "C"`, "domains")
}

// DomainsAfter returns at most limit names of Domains, sorted, each after after.
func (s *Store) DomainsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return s.strings(ctx, `SELECT d.name FROM domains d WHERE d.name COLLATE "C" > $1
		AND EXISTS (SELECT 1 FROM timelines t WHERE t.domain_id = d.id AND t.latest_span IS NOT NULL)
		ORDER BY d.name COLLATE "C" LIMIT $2`, "domains", after, limit)
}

// Vantages returns the distinct vantage names of the recorded runs, sorted.
func (s *Store) Vantages(ctx context.Context) ([]string, error) {
	return s.strings(ctx, "SELECT DISTINCT vantage COLLATE \"C\" FROM runs ORDER BY 1", "vantages")
}

func (s *Store) strings(ctx context.Context, query, what string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read %s: %w", what, err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read %s: %w", what, err))
	}
	return out, nil
}

// Runs returns every recorded run, oldest first. It reads the whole table:
// meant for tests, db copy and small databases.
func (s *Store) Runs(ctx context.Context) ([]history.Run, error) {
	datasets := map[int64]attribution.Dataset{}
	drows, err := s.pool.Query(ctx, "SELECT id, details FROM datasets")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
	}
	for drows.Next() {
		var id int64
		var details string
		if err := drows.Scan(&id, &details); err != nil {
			drows.Close()
			return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
		}
		var ds attribution.Dataset
		if err := json.Unmarshal([]byte(details), &ds); err != nil {
			drows.Close()
			return nil, fmt.Errorf("history database %s: datasets.details of dataset %d: %w", s.name, id, err)
		}
		datasets[id] = ds
	}
	drows.Close()
	if err := drows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.started_at, r.finished_at, r.tool_version, r.datasets, v.resolvers, v.subnets,
		r.vantage, r.run_group, r.targets, r.confirm FROM runs r JOIN views v ON v.id = r.view_id ORDER BY r.id`)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read runs: %w", err))
	}
	defer rows.Close()
	var runs []history.Run
	for rows.Next() {
		var (
			r               history.Run
			started         string
			finished        *string
			dsIDs           []int64
			resolv, subnets []string
		)
		if err := rows.Scan(&r.ID, &started, &finished, &r.ToolVersion, &dsIDs, &resolv, &subnets, &r.Vantage, &r.Group, &r.Targets, &r.Confirm); err != nil {
			return nil, s.wrap(fmt.Errorf("read runs: %w", err))
		}
		bad := func(column string, err error) error {
			return fmt.Errorf("history database %s: runs.%s of run %d: %w", s.name, column, r.ID, err)
		}
		if r.StartedAt, err = parseTime(started); err != nil {
			return nil, bad("started_at", err)
		}
		if finished != nil {
			if r.FinishedAt, err = parseTime(*finished); err != nil {
				return nil, bad("finished_at", err)
			}
		}
		for _, id := range dsIDs {
			ds, ok := datasets[id]
			if !ok {
				return nil, bad("datasets", fmt.Errorf("no dataset %d", id))
			}
			r.Datasets = append(r.Datasets, ds)
		}
		if len(resolv) > 0 {
			r.View.Resolvers = resolv
		}
		if len(subnets) > 0 {
			r.View.Subnets = subnets
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read runs: %w", err))
	}
	return runs, nil
}
