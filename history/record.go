package history

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// RunInfo describes one run of observations: when, with which hostwatch and
// data, through which resolvers, from where.
type RunInfo struct {
	// StartedAt is when the run began; when zero, Record uses the time it is called.
	StartedAt, FinishedAt time.Time
	ToolVersion           string
	Datasets              []attribution.Dataset
	Resolvers             []string
	// Vantage names where the run was made from (free text, e.g. a CI runner).
	Vantage string
}

// Run is a recorded run, as Runs returns it.
type Run struct {
	ID int64
	RunInfo
	// Targets is how many observations the run recorded.
	Targets int
}

// Span is a run of identical consecutive observations of one domain, stored once.
type Span struct {
	// Domain is the name in ASCII form; Unicode its Unicode form.
	Domain, Unicode string
	// Observation is what was observed: Target, Status, Error (the text of
	// the span's first observation), CNAMEChain and attributed Addresses.
	// TTLs are not kept, and StartedAt is FirstSeen.
	Observation probe.Observation
	// FirstSeen and LastSeen are the times of the first and last observation.
	FirstSeen, LastSeen time.Time
	// Count is how many observations the span holds.
	Count int
	// FirstRun and LastRun are the IDs of the runs that made them.
	FirstRun, LastRun int64
}

// Record stores a run and its observations in one transaction, and returns
// the run's ID. An observation equal to the last one stored for its domain
// (same status, error kind, CNAME chain and attributed addresses) extends
// that span instead of adding rows. Observations with status invalid are not
// stored. If Record fails, nothing of the run is stored.
func (s *Store) Record(ctx context.Context, run RunInfo, obs []probe.Observation) (runID int64, err error) {
	if run.StartedAt.IsZero() {
		run.StartedAt = time.Now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	defer tx.Rollback()
	r, err := newRecorder(ctx, tx)
	if err != nil {
		return 0, s.wrap(err)
	}
	defer r.close()

	datasetIDs := make([]int64, 0, len(run.Datasets))
	for _, ds := range run.Datasets {
		id, err := r.dataset(ctx, ds)
		if err != nil {
			return 0, s.wrap(err)
		}
		datasetIDs = append(datasetIDs, id)
	}
	targets := 0
	for _, o := range obs {
		if o.Status != resolvers.StatusInvalid {
			targets++
		}
	}
	finished := sql.NullString{}
	if !run.FinishedAt.IsZero() {
		finished = sql.NullString{String: formatTime(run.FinishedAt), Valid: true}
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO runs (started_at, finished_at, tool_version, datasets, resolvers, vantage, targets)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		formatTime(run.StartedAt), finished, run.ToolVersion, mustJSON(datasetIDs), mustJSON(orEmpty(run.Resolvers)), run.Vantage, targets,
	).Scan(&runID)
	if err != nil {
		return 0, s.wrap(fmt.Errorf("record run: %w", err))
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO meta(key, value) VALUES ('created_by', ?)", run.ToolVersion); err != nil {
		return 0, s.wrap(err)
	}
	for i, o := range obs {
		if o.Status == resolvers.StatusInvalid {
			continue
		}
		at := o.StartedAt
		if at.IsZero() {
			at = run.StartedAt
		}
		if err := r.observation(ctx, runID, at, o); err != nil {
			return 0, s.wrap(fmt.Errorf("record observation %d (%s): %w", i+1, o.Target.Domain, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, s.wrap(fmt.Errorf("commit run: %w", err))
	}
	return runID, nil
}

// recorder holds the statements of one Record transaction.
type recorder struct {
	tx                                             *sql.Tx
	domainID, insertDomain, last, extend, answerID *sql.Stmt
	insertAnswer, insertAddr, insertObs            *sql.Stmt
	domains                                        map[string]int64
}

func newRecorder(ctx context.Context, tx *sql.Tx) (*recorder, error) {
	r := &recorder{tx: tx, domains: map[string]int64{}}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&r.domainID, "SELECT id FROM domains WHERE name = ?"},
		{&r.insertDomain, "INSERT INTO domains (name, unicode) VALUES (?, ?) RETURNING id"},
		{&r.last, `SELECT o.id, a.fingerprint FROM observations o JOIN answers a ON a.id = o.answer_id
			WHERE o.domain_id = ? ORDER BY o.last_seen DESC, o.id DESC LIMIT 1`},
		{&r.extend, `UPDATE observations SET last_run_id = ?, last_seen = max(last_seen, ?), seen_count = seen_count + 1 WHERE id = ?`},
		{&r.answerID, "SELECT id FROM answers WHERE fingerprint = ?"},
		{&r.insertAnswer, "INSERT INTO answers (fingerprint, status, cname_chain) VALUES (?, ?, ?) RETURNING id"},
		{&r.insertAddr, `INSERT OR IGNORE INTO addresses (answer_id, ip, version, asn, as_org, prefix, country, special_use, sources,
			registered_country, provider, provider_kind, region, cdn, cdn_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&r.insertObs, `INSERT INTO observations (domain_id, answer_id, first_run_id, last_run_id, first_seen, last_seen, seen_count, status, error)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`},
	} {
		st, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			r.close()
			return nil, err
		}
		*p.stmt = st
	}
	return r, nil
}

func (r *recorder) close() {
	for _, st := range []*sql.Stmt{r.domainID, r.insertDomain, r.last, r.extend, r.answerID, r.insertAnswer, r.insertAddr, r.insertObs} {
		if st != nil {
			st.Close()
		}
	}
}

// dataset returns the row ID of a dataset description, adding it when new.
func (r *recorder) dataset(ctx context.Context, ds attribution.Dataset) (int64, error) {
	details := mustJSON(ds)
	_, err := r.tx.ExecContext(ctx, "INSERT OR IGNORE INTO datasets (name, version, license, details) VALUES (?, ?, ?, ?)",
		ds.ID, ds.Version, ds.License, details)
	if err != nil {
		return 0, fmt.Errorf("record dataset %s: %w", ds.ID, err)
	}
	var id int64
	if err := r.tx.QueryRowContext(ctx, "SELECT id FROM datasets WHERE details = ?", details).Scan(&id); err != nil {
		return 0, fmt.Errorf("record dataset %s: %w", ds.ID, err)
	}
	return id, nil
}

func (r *recorder) observation(ctx context.Context, runID int64, at time.Time, o probe.Observation) error {
	name := o.Target.Domain
	if name == "" {
		return errors.New("no domain")
	}
	addrs, err := canonicalAddresses(o.Addresses)
	if err != nil {
		return err
	}
	id, ok := r.domains[name]
	if !ok {
		err := r.domainID.QueryRowContext(ctx, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = r.insertDomain.QueryRowContext(ctx, name, cmp.Or(o.Target.Unicode, name)).Scan(&id)
		}
		if err != nil {
			return err
		}
		r.domains[name] = id
	}
	fp := fingerprint(o, addrs)
	var lastID int64
	var lastFP string
	err = r.last.QueryRowContext(ctx, id).Scan(&lastID, &lastFP)
	switch {
	case err == nil && lastFP == fp:
		_, err = r.extend.ExecContext(ctx, runID, formatTime(at), lastID)
		return err
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	answerID, err := r.answer(ctx, fp, o, addrs)
	if err != nil {
		return err
	}
	_, err = r.insertObs.ExecContext(ctx, id, answerID, runID, runID, formatTime(at), formatTime(at), string(o.Status), nullString(o.Error))
	return err
}

// answer returns the row ID of the answer with fingerprint fp, adding it
// (with its addresses) when new.
func (r *recorder) answer(ctx context.Context, fp string, o probe.Observation, addrs []probe.Address) (int64, error) {
	var id int64
	err := r.answerID.QueryRowContext(ctx, fp).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	type hop struct {
		Name   string `json:"name"`
		Target string `json:"target"`
	}
	chain := make([]hop, 0, len(o.CNAMEChain))
	for _, h := range o.CNAMEChain {
		chain = append(chain, hop{h.Name, h.Target})
	}
	if err := r.insertAnswer.QueryRowContext(ctx, fp, string(o.Status), mustJSON(chain)).Scan(&id); err != nil {
		return 0, err
	}
	for _, a := range addrs {
		version := 4
		if a.IP.Is6() {
			version = 6
		}
		prefix := ""
		if a.Prefix.IsValid() {
			prefix = a.Prefix.String()
		}
		var asn sql.NullInt64
		if a.ASN != 0 {
			asn = sql.NullInt64{Int64: int64(a.ASN), Valid: true}
		}
		_, err := r.insertAddr.ExecContext(ctx, id, a.IP.String(), version, asn, nullString(a.ASOrg),
			nullString(prefix), nullString(a.Country), nullString(a.SpecialUse), mustJSON(a.Sources),
			nullString(a.RegisteredCountry), nullString(a.Provider), nullString(a.ProviderKind), nullString(a.Region), a.CDN, nullString(a.CDNName))
		if err != nil {
			return 0, err
		}
	}
	return id, nil
}

// canonicalAddresses returns the addresses sorted by IP, one per IP, without
// TTLs (they change from query to query through caches).
func canonicalAddresses(in []probe.Address) ([]probe.Address, error) {
	out := make([]probe.Address, 0, len(in))
	for _, a := range in {
		if !a.IP.IsValid() {
			return nil, errors.New("an address is not valid")
		}
		a.IP = a.IP.Unmap()
		a.TTL = 0
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b probe.Address) int { return a.IP.Compare(b.IP) })
	return slices.CompactFunc(out, func(a, b probe.Address) bool { return a.IP == b.IP }), nil
}

// fingerprint is a digest of what makes two observations of a domain the
// same: status, error kind, CNAME chain (case-insensitive, without TTLs)
// and the attributed addresses with the sources of their facts.
func fingerprint(o probe.Observation, addrs []probe.Address) string {
	h := sha256.New()
	fmt.Fprintf(h, "status %q\nerror %q\n", o.Status, errorKind(o.Status, o.Error))
	for _, hop := range o.CNAMEChain {
		fmt.Fprintf(h, "cname %q %q\n", strings.ToLower(hop.Name), strings.ToLower(hop.Target))
	}
	for _, a := range addrs {
		fmt.Fprintf(h, "address %s %d %q %s %q %q %q %q %q %q\n", a.IP, a.ASN, a.ASOrg, a.Prefix, a.Country, a.SpecialUse,
			a.Sources.ASN, a.Sources.ASOrg, a.Sources.Prefix, a.Sources.Country)
		fmt.Fprintf(h, "  registered %q %q provider %q %q %q %q cdn %v %q %q\n", a.RegisteredCountry, a.Sources.RegisteredCountry,
			a.Provider, a.ProviderKind, a.Region, a.Sources.Provider, a.CDN, a.CDNName, a.Sources.CDN)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// errorKind reduces an error message to what is compared: the status alone
// says why a name did not resolve (the message names the resolver, which may
// change), except for status error, whose kind is the resolvers error it
// wraps.
func errorKind(status resolvers.Status, msg string) string {
	if status != resolvers.StatusError {
		return ""
	}
	for _, e := range []error{resolvers.ErrCNAMELoop, resolvers.ErrCNAMEChainTooLong, resolvers.ErrBadRcode, resolvers.ErrConnRefused, resolvers.ErrTimeout} {
		if strings.Contains(msg, e.Error()) {
			return e.Error()
		}
	}
	return "other"
}

// orEmpty makes a nil list an empty one, so that it is stored as [] rather than null.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// mustJSON marshals values that cannot fail to marshal.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
