package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// queryer is what reads need from a *sql.DB or *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// storedSpan is a span with what Commit needs to extend it.
type storedSpan struct {
	history.Span
	id          int64
	fingerprint string
	viewID      int64
}

// Spans returns the spans q asks for, whole, ordered by domain, vantage and time.
func (s *Store) Spans(ctx context.Context, q history.Query) ([]history.Span, error) {
	stored, err := s.readSpans(ctx, s.db, q, false)
	if err != nil {
		return nil, err
	}
	out := make([]history.Span, len(stored))
	for i, sp := range stored {
		out[i] = sp.Span
	}
	return out, nil
}

// readSpans reads spans in one query. Read for a write, only the spans of
// each domain's current period (and the last one with addresses) are read;
// datasets are only described for spans read for people.
func (s *Store) readSpans(ctx context.Context, db queryer, q history.Query, forWrite bool) ([]storedSpan, error) {
	query := `SELECT d.name, d.unicode, o.id, o.vantage, o.view_id, v.resolvers, v.subnets, o.first_run_id, o.last_run_id,
		o.first_seen, o.last_seen, o.seen_count, o.status, o.error, o.error_kind, ans.fingerprint, ans.cname_chain,
		r.confirm, r.datasets,
		aa.ip, a.asn, a.as_org, a.prefix, a.country, a.special_use, a.sources,
		a.registered_country, a.provider, a.provider_kind, a.region, a.cdn, a.cdn_name
	FROM observations o
	JOIN domains d ON d.id = o.domain_id
	JOIN answers ans ON ans.id = o.answer_id
	JOIN runs r ON r.id = o.last_run_id
	LEFT JOIN views v ON v.id = o.view_id
	LEFT JOIN answer_addresses aa ON aa.answer_id = o.answer_id
	LEFT JOIN attributions a ON a.id = aa.attribution_id
	WHERE 1`
	var args []any
	if len(q.Domains) > 0 {
		names := make([]string, len(q.Domains))
		for i, d := range q.Domains {
			names[i] = strings.ToLower(strings.TrimSuffix(d, "."))
		}
		query += " AND d.name IN (SELECT value FROM json_each(?))"
		args = append(args, mustJSON(names))
	}
	if !q.AllVantages {
		query += " AND o.vantage = ?"
		args = append(args, q.Vantage)
	}
	if forWrite {
		// Only what a new observation is compared with: from the run its
		// domain's latest span says (history.Position), or all when unknown.
		query += ` AND o.first_run_id >= coalesce((SELECT x.resume_run FROM observations x WHERE x.id =
			(SELECT max(y.id) FROM observations y WHERE y.domain_id = o.domain_id AND y.vantage = o.vantage)), 0)`
	}
	if !q.Since.IsZero() {
		query += " AND o.last_seen >= ?"
		args = append(args, formatTime(q.Since))
	}
	if !q.Until.IsZero() {
		query += " AND o.first_seen <= ?"
		args = append(args, formatTime(q.Until))
	}
	query += " ORDER BY d.name, o.vantage, o.first_seen, o.id"
	var datasets map[int64]string
	if !forWrite {
		var err error
		if datasets, err = s.datasetNames(ctx, db); err != nil {
			return nil, err
		}
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read spans: %w", err))
	}
	defer rows.Close()
	var spans []storedSpan
	lastID := int64(-1)
	for rows.Next() {
		var (
			sp                                     storedSpan
			id                                     int64
			viewID                                 sql.NullInt64
			resolv, subnets                        sql.NullString
			first, last, status, fp, chain, dsIDs  string
			errText, errKind                       sql.NullString
			ip, org, prefix, country, special, src sql.NullString
			reg, prov, kind, region, cdnName       sql.NullString
			cdn                                    sql.NullBool
			asn                                    sql.NullInt64
		)
		err := rows.Scan(&sp.Domain, &sp.Unicode, &id, &sp.Vantage, &viewID, &resolv, &subnets, &sp.FirstRun, &sp.LastRun,
			&first, &last, &sp.Count, &status, &errText, &errKind, &fp, &chain, &sp.Confirm, &dsIDs,
			&ip, &asn, &org, &prefix, &country, &special, &src,
			&reg, &prov, &kind, &region, &cdn, &cdnName)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("read spans: %w", err))
		}
		if id != lastID {
			lastID = id
			sp.id, sp.fingerprint, sp.viewID = id, fp, viewID.Int64
			if sp.FirstSeen, err = parseTime(first); err != nil {
				return nil, s.badRow("observations", id, "first_seen", err)
			}
			if sp.LastSeen, err = parseTime(last); err != nil {
				return nil, s.badRow("observations", id, "last_seen", err)
			}
			if err := unmarshalList(resolv, &sp.View.Resolvers); err != nil {
				return nil, s.badRow("views", id, "resolvers", err)
			}
			if err := unmarshalList(subnets, &sp.View.Subnets); err != nil {
				return nil, s.badRow("views", id, "subnets", err)
			}
			if datasets != nil {
				var ids []int64
				if err := json.Unmarshal([]byte(dsIDs), &ids); err != nil {
					return nil, s.badRow("runs", id, "datasets", err)
				}
				names := make([]string, 0, len(ids))
				for _, d := range ids {
					names = append(names, datasets[d])
				}
				sp.Datasets = strings.Join(names, "; ")
			}
			o := &sp.Observation
			o.Target = probe.Target{Input: sp.Domain, Domain: sp.Domain, Unicode: sp.Unicode}
			o.Status, o.Error, o.ErrorKind, o.StartedAt = resolvers.Status(status), errText.String, probe.ErrorKind(errKind.String), sp.FirstSeen
			if err := json.Unmarshal([]byte(chain), &o.CNAMEChain); err != nil {
				return nil, s.badRow("answers", id, "cname_chain", err)
			}
			spans = append(spans, sp)
		}
		if !ip.Valid {
			continue
		}
		a, err := scanAddress(ip.String, asn, org.String, prefix.String, country.String, special.String, src.String)
		if err != nil {
			return nil, s.badRow("addresses", id, "", err)
		}
		a.RegisteredCountry, a.Provider, a.ProviderKind, a.Region = reg.String, prov.String, kind.String, region.String
		a.CDN, a.CDNName = cdn.Bool, cdnName.String
		o := &spans[len(spans)-1].Observation
		o.Addresses = append(o.Addresses, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read spans: %w", err))
	}
	for i := range spans {
		slices.SortFunc(spans[i].Observation.Addresses, func(a, b probe.Address) int { return a.IP.Compare(b.IP) })
	}
	return spans, nil
}

// unmarshalList reads a JSON list that may be NULL (a span of a run that
// recorded no view).
func unmarshalList(s sql.NullString, v *[]string) error {
	if !s.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(s.String), v); err != nil {
		return err
	}
	if len(*v) == 0 {
		*v = nil
	}
	return nil
}

// datasetNames names every dataset as "name version".
func (s *Store) datasetNames(ctx context.Context, db queryer) (map[int64]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, name, version FROM datasets")
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

func scanAddress(ip string, asn sql.NullInt64, org, prefix, country, special, sources string) (probe.Address, error) {
	var a probe.Address
	var err error
	if a.IP, err = netip.ParseAddr(ip); err != nil {
		return a, err
	}
	if prefix != "" {
		if a.Prefix, err = netip.ParsePrefix(prefix); err != nil {
			return a, err
		}
	}
	a.ASN, a.ASOrg, a.Country, a.SpecialUse = uint32(asn.Int64), org, country, special
	if err := json.Unmarshal([]byte(sources), &a.Sources); err != nil {
		return a, fmt.Errorf("sources: %w", err)
	}
	return a, nil
}

// badRow reports a row that hostwatch cannot read back.
func (s *Store) badRow(table string, id int64, column string, err error) error {
	if column != "" {
		table += "." + column
	}
	return fmt.Errorf("history database %s: %s of observation %d: %w", s.path, table, id, err)
}

// Domains returns the names (ASCII form) of every domain with observations, sorted.
func (s *Store) Domains(ctx context.Context) ([]string, error) {
	return s.strings(ctx, "SELECT name FROM domains WHERE id IN (SELECT domain_id FROM observations) ORDER BY name", "domains")
}

// DomainsAfter returns at most limit names of Domains, sorted, each after after.
func (s *Store) DomainsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return s.strings(ctx, `SELECT d.name FROM domains d WHERE d.name > ?
		AND EXISTS (SELECT 1 FROM observations o WHERE o.domain_id = d.id) ORDER BY d.name LIMIT ?`, "domains", after, limit)
}

// Vantages returns the distinct vantage names of the recorded runs, sorted
// ("" for runs taken without --vantage).
func (s *Store) Vantages(ctx context.Context) ([]string, error) {
	return s.strings(ctx, "SELECT DISTINCT vantage FROM runs ORDER BY vantage", "vantages")
}

func (s *Store) strings(ctx context.Context, query, what string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read %s: %w", what, err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, s.wrap(fmt.Errorf("read %s: %w", what, err))
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}

// Runs returns every recorded run, oldest first. It reads the whole table:
// meant for tests and small databases.
func (s *Store) Runs(ctx context.Context) ([]history.Run, error) {
	datasets := map[int64]attribution.Dataset{}
	drows, err := s.db.QueryContext(ctx, "SELECT id, details FROM datasets")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
	}
	defer drows.Close()
	for drows.Next() {
		var id int64
		var details string
		if err := drows.Scan(&id, &details); err != nil {
			return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
		}
		var ds attribution.Dataset
		if err := json.Unmarshal([]byte(details), &ds); err != nil {
			return nil, fmt.Errorf("history database %s: datasets.details of dataset %d: %w", s.path, id, err)
		}
		datasets[id] = ds
	}
	if err := drows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read datasets: %w", err))
	}

	rows, err := s.db.QueryContext(ctx, `SELECT id, started_at, finished_at, tool_version, datasets, resolvers, subnets, vantage, targets, confirm,
		run_group FROM runs ORDER BY id`)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read runs: %w", err))
	}
	defer rows.Close()
	var runs []history.Run
	for rows.Next() {
		var (
			r                               history.Run
			started, dsIDs, resolv, subnets string
			finished                        sql.NullString
		)
		if err := rows.Scan(&r.ID, &started, &finished, &r.ToolVersion, &dsIDs, &resolv, &subnets, &r.Vantage, &r.Targets, &r.Confirm, &r.Group); err != nil {
			return nil, s.wrap(fmt.Errorf("read runs: %w", err))
		}
		bad := func(column string, err error) error {
			return fmt.Errorf("history database %s: runs.%s of run %d: %w", s.path, column, r.ID, err)
		}
		if r.StartedAt, err = parseTime(started); err != nil {
			return nil, bad("started_at", err)
		}
		if finished.Valid {
			if r.FinishedAt, err = parseTime(finished.String); err != nil {
				return nil, bad("finished_at", err)
			}
		}
		var ids []int64
		if err := json.Unmarshal([]byte(dsIDs), &ids); err != nil {
			return nil, bad("datasets", err)
		}
		for _, id := range ids {
			ds, ok := datasets[id]
			if !ok {
				return nil, bad("datasets", fmt.Errorf("no dataset %d", id))
			}
			r.Datasets = append(r.Datasets, ds)
		}
		if err := unmarshalList(sql.NullString{String: resolv, Valid: true}, &r.View.Resolvers); err != nil {
			return nil, bad("resolvers", err)
		}
		if err := unmarshalList(sql.NullString{String: subnets, Valid: true}, &r.View.Subnets); err != nil {
			return nil, bad("subnets", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read runs: %w", err))
	}
	return runs, nil
}
