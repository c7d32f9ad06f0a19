package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Spans returns the spans of domain ("" for every domain) that overlap the
// time from since to until (a zero time leaves that end open), whole, ordered
// by domain and then by time.
func (s *Store) Spans(ctx context.Context, domain string, since, until time.Time) ([]Span, error) {
	query := `SELECT d.name, d.unicode, o.id, o.first_run_id, o.last_run_id, o.first_seen, o.last_seen, o.seen_count,
		o.status, o.error, ans.cname_chain,
		a.ip, a.asn, a.as_org, a.prefix, a.country, a.special_use, a.sources,
		a.registered_country, a.provider, a.provider_kind, a.region, a.cdn, a.cdn_name
	FROM observations o
	JOIN domains d ON d.id = o.domain_id
	JOIN answers ans ON ans.id = o.answer_id
	LEFT JOIN addresses a ON a.answer_id = o.answer_id
	WHERE 1`
	var args []any
	if domain != "" {
		query += " AND o.domain_id = (SELECT id FROM domains WHERE name = ?)"
		args = append(args, strings.ToLower(strings.TrimSuffix(domain, ".")))
	}
	if !since.IsZero() {
		query += " AND o.last_seen >= ?"
		args = append(args, formatTime(since))
	}
	if !until.IsZero() {
		query += " AND o.first_seen <= ?"
		args = append(args, formatTime(until))
	}
	query += " ORDER BY d.name, o.first_seen, o.id"
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read spans: %w", err))
	}
	defer rows.Close()
	var spans []Span
	lastID := int64(-1)
	for rows.Next() {
		var (
			sp                                     Span
			id                                     int64
			first, last, status, chain             string
			errText                                sql.NullString
			ip, org, prefix, country, special, src sql.NullString
			reg, prov, kind, region, cdnName       sql.NullString
			cdn                                    sql.NullBool
			asn                                    sql.NullInt64
		)
		err := rows.Scan(&sp.Domain, &sp.Unicode, &id, &sp.FirstRun, &sp.LastRun, &first, &last, &sp.Count,
			&status, &errText, &chain, &ip, &asn, &org, &prefix, &country, &special, &src,
			&reg, &prov, &kind, &region, &cdn, &cdnName)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("read spans: %w", err))
		}
		if id != lastID {
			lastID = id
			if sp.FirstSeen, err = parseTime(first); err != nil {
				return nil, s.badRow("observations", id, "first_seen", err)
			}
			if sp.LastSeen, err = parseTime(last); err != nil {
				return nil, s.badRow("observations", id, "last_seen", err)
			}
			o := &sp.Observation
			o.Target = probe.Target{Input: sp.Domain, Domain: sp.Domain, Unicode: sp.Unicode}
			o.Status, o.Error, o.StartedAt = resolvers.Status(status), errText.String, sp.FirstSeen
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
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM domains ORDER BY name")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read domains: %w", err))
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, s.wrap(fmt.Errorf("read domains: %w", err))
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read domains: %w", err))
	}
	return names, nil
}

// Runs returns every recorded run, oldest first. It reads the whole table:
// meant for tests and small databases.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
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

	rows, err := s.db.QueryContext(ctx, `SELECT id, started_at, finished_at, tool_version, datasets, resolvers, vantage, targets
		FROM runs ORDER BY id`)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read runs: %w", err))
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var (
			r                      Run
			started, dsIDs, resolv string
			finished               sql.NullString
		)
		if err := rows.Scan(&r.ID, &started, &finished, &r.ToolVersion, &dsIDs, &resolv, &r.Vantage, &r.Targets); err != nil {
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
		if err := json.Unmarshal([]byte(resolv), &r.Resolvers); err != nil {
			return nil, bad("resolvers", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read runs: %w", err))
	}
	return runs, nil
}

// Vantages returns the distinct vantage names of the recorded runs, sorted
// ("" for runs taken without --vantage).
func (s *Store) Vantages(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT vantage FROM runs ORDER BY vantage")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read vantages: %w", err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}
