package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// stageBatch is how many staged observations share one transaction of the
// connection's temporary database.
const stageBatch = 1000

// chunk is how many domains Commit compares at a time: the spans of a chunk
// are read in one query, so memory is bounded by a chunk's history.
const chunk = 1000

// recording is a run being recorded. Observations are staged in a
// temporary table of its own connection (on disk past SQLite's page cache,
// never visible to other connections), so memory stays flat however many
// there are, and nothing takes the file's write lock until Commit.
type recording struct {
	s      *Store
	conn   *sql.Conn
	run    history.RunInfo
	stage  *sql.Stmt
	inTx   bool
	staged int
	done   bool
}

// Begin starts recording a run.
func (s *Store) Begin(ctx context.Context, run history.RunInfo) (history.Recording, error) {
	if run.Now == nil {
		run.Now = time.Now
	}
	if run.StartedAt.IsZero() {
		run.StartedAt = run.Now()
	}
	run.Confirm = max(run.Confirm, 1)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	r := &recording{s: s, conn: conn, run: run}
	if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS temp.staged;
		CREATE TEMP TABLE staged (
			seq INTEGER PRIMARY KEY, domain TEXT NOT NULL UNIQUE, unicode TEXT NOT NULL, at TEXT NOT NULL,
			status TEXT NOT NULL, error TEXT, error_kind TEXT, cname_chain TEXT NOT NULL, addresses TEXT NOT NULL,
			fingerprint TEXT NOT NULL)`); err != nil {
		conn.Close()
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	r.stage, err = conn.PrepareContext(ctx, `INSERT OR IGNORE INTO temp.staged
		(domain, unicode, at, status, error, error_kind, cname_chain, addresses, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		r.Abort()
		return nil, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	return r, nil
}

// storedAddress is an attributed address as staged: everything the history keeps.
type storedAddress struct {
	IP string `json:"ip"`
	attribution.Result
}

// Add stages one observation.
func (r *recording) Add(ctx context.Context, o probe.Observation) error {
	if o.Status == resolvers.StatusInvalid {
		return nil
	}
	if o.Target.Domain == "" {
		return errors.New("record an observation: no domain")
	}
	addrs, err := history.CanonicalAddresses(o.Addresses)
	if err != nil {
		return fmt.Errorf("history database %s: record %s: %w", r.s.path, o.Target.Domain, err)
	}
	at := cmp.Or(o.StartedAt, r.run.StartedAt)
	stored := make([]storedAddress, len(addrs))
	for i, a := range addrs {
		stored[i] = storedAddress{IP: a.IP.String(), Result: a.Result}
	}
	if !r.inTx {
		if _, err := r.conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
			return r.s.wrap(fmt.Errorf("stage %s: %w", o.Target.Domain, err))
		}
		r.inTx = true
	}
	_, err = r.stage.ExecContext(ctx, o.Target.Domain, cmp.Or(o.Target.Unicode, o.Target.Domain), formatTime(at),
		string(o.Status), nullString(o.Error), nullString(string(o.ErrorKind)), chainJSON(o.CNAMEChain), mustJSON(stored),
		history.Fingerprint(o, addrs))
	if err != nil {
		return r.s.wrap(fmt.Errorf("stage %s: %w", o.Target.Domain, err))
	}
	r.staged++
	if r.staged%stageBatch == 0 {
		return r.endStageTx(ctx)
	}
	return nil
}

func (r *recording) endStageTx(ctx context.Context) error {
	if !r.inTx {
		return nil
	}
	r.inTx = false
	if _, err := r.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return r.s.wrap(fmt.Errorf("stage observations: %w", err))
	}
	return nil
}

// Abort drops the run and gives the connection back.
func (r *recording) Abort() error {
	if r.done {
		return nil
	}
	r.done = true
	ctx := context.Background()
	if r.stage != nil {
		r.stage.Close()
	}
	r.conn.ExecContext(ctx, "ROLLBACK")
	r.conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp.staged")
	return r.conn.Close()
}

// Commit writes the run in one write transaction: it takes the file's write
// lock first, so the spans it compares with are what is committed, and two
// runs on one file serialise.
func (r *recording) Commit(ctx context.Context, emit func(probe.Change) error) (runID int64, err error) {
	defer r.Abort()
	if err := r.endStageTx(ctx); err != nil {
		return 0, err
	}
	if _, err := r.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, r.s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	r.inTx = true
	w, err := newWriter(ctx, r.s, r.conn)
	if err != nil {
		return 0, r.s.wrap(err)
	}
	defer w.close()
	if runID, err = w.run(ctx, r.run, r.staged); err != nil {
		return 0, r.s.wrap(err)
	}
	if _, err := r.conn.ExecContext(ctx, `INSERT OR IGNORE INTO domains (name, unicode) SELECT domain, unicode FROM temp.staged`); err != nil {
		return 0, r.s.wrap(fmt.Errorf("record domains: %w", err))
	}
	opts := history.Options{Confirm: r.run.Confirm}
	after := ""
	for {
		batch, err := w.stagedAfter(ctx, after)
		if err != nil {
			return 0, r.s.wrap(err)
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1].o.Target.Domain
		names := make([]string, len(batch))
		for i, st := range batch {
			names[i] = st.o.Target.Domain
		}
		prior, err := r.s.readSpans(ctx, r.conn, history.Query{Domains: names, Vantage: r.run.Vantage}, true)
		if err != nil {
			return 0, err
		}
		byDomain := map[string][]storedSpan{}
		for _, sp := range prior {
			byDomain[sp.Domain] = append(byDomain[sp.Domain], sp)
		}
		for _, st := range batch {
			spans, err := w.observation(ctx, runID, st, byDomain[st.o.Target.Domain])
			if err != nil {
				return 0, r.s.wrap(fmt.Errorf("record %s: %w", st.o.Target.Domain, err))
			}
			for _, c := range history.Latest(spans, opts) {
				if err := emit(c); err != nil {
					return 0, err
				}
			}
		}
	}
	if _, err := r.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, r.s.wrap(fmt.Errorf("commit run: %w", err))
	}
	r.inTx = false
	return runID, nil
}

// staged is one staged observation, read back.
type staged struct {
	o           probe.Observation
	at          time.Time
	fingerprint string
	domainID    int64
	chain, addr string // as stored
}

// writer holds the statements of one Commit.
type writer struct {
	s                                   *Store
	conn                                *sql.Conn
	viewID                              int64
	view                                probe.View
	confirm                             int
	vantage                             string
	extend, answerID, insertAnswer      *sql.Stmt
	insertAddr, insertObs, readStagedAt *sql.Stmt
}

func newWriter(ctx context.Context, s *Store, conn *sql.Conn) (*writer, error) {
	w := &writer{s: s, conn: conn}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.extend, `UPDATE observations SET last_run_id = ?, last_seen = max(last_seen, ?), seen_count = seen_count + 1 WHERE id = ?`},
		{&w.answerID, "SELECT id FROM answers WHERE fingerprint = ?"},
		{&w.insertAnswer, "INSERT INTO answers (fingerprint, status, cname_chain) VALUES (?, ?, ?) RETURNING id"},
		{&w.insertAddr, `INSERT OR IGNORE INTO addresses (answer_id, ip, version, asn, as_org, prefix, country, special_use, sources,
			registered_country, provider, provider_kind, region, cdn, cdn_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.insertObs, `INSERT INTO observations (domain_id, answer_id, first_run_id, last_run_id, first_seen, last_seen, seen_count,
			status, error, error_kind, vantage, view_id)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING id`},
		{&w.readStagedAt, `SELECT s.domain, s.unicode, s.at, s.status, s.error, s.error_kind, s.cname_chain, s.addresses, s.fingerprint, d.id
			FROM temp.staged s JOIN domains d ON d.name = s.domain WHERE s.domain > ? ORDER BY s.domain LIMIT ` + fmt.Sprint(chunk)},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.stmt = st
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.extend, w.answerID, w.insertAnswer, w.insertAddr, w.insertObs, w.readStagedAt} {
		if st != nil {
			st.Close()
		}
	}
}

// run records the run's row, its datasets and its view.
func (w *writer) run(ctx context.Context, run history.RunInfo, targets int) (int64, error) {
	datasetIDs := make([]int64, 0, len(run.Datasets))
	for _, ds := range run.Datasets {
		details := mustJSON(ds)
		if _, err := w.conn.ExecContext(ctx, "INSERT OR IGNORE INTO datasets (name, version, license, details) VALUES (?, ?, ?, ?)",
			ds.ID, ds.Version, ds.License, details); err != nil {
			return 0, fmt.Errorf("record dataset %s: %w", ds.ID, err)
		}
		var id int64
		if err := w.conn.QueryRowContext(ctx, "SELECT id FROM datasets WHERE details = ?", details).Scan(&id); err != nil {
			return 0, fmt.Errorf("record dataset %s: %w", ds.ID, err)
		}
		datasetIDs = append(datasetIDs, id)
	}
	resolv, subnets := mustJSON(orEmpty(run.View.Resolvers)), mustJSON(orEmpty(run.View.Subnets))
	if _, err := w.conn.ExecContext(ctx, "INSERT OR IGNORE INTO views (resolvers, subnets) VALUES (?, ?)", resolv, subnets); err != nil {
		return 0, fmt.Errorf("record view: %w", err)
	}
	if err := w.conn.QueryRowContext(ctx, "SELECT id FROM views WHERE resolvers = ? AND subnets = ?", resolv, subnets).Scan(&w.viewID); err != nil {
		return 0, fmt.Errorf("record view: %w", err)
	}
	w.vantage, w.view, w.confirm = run.Vantage, run.View, run.Confirm
	finished := run.FinishedAt
	if finished.IsZero() {
		finished = run.Now()
	}
	var runID int64
	err := w.conn.QueryRowContext(ctx, `INSERT INTO runs (started_at, finished_at, tool_version, datasets, resolvers, vantage, targets, view_id, subnets, confirm)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		formatTime(run.StartedAt), formatTime(finished), run.ToolVersion, mustJSON(datasetIDs), resolv, run.Vantage, targets, w.viewID, subnets, run.Confirm,
	).Scan(&runID)
	if err != nil {
		return 0, fmt.Errorf("record run: %w", err)
	}
	if _, err := w.conn.ExecContext(ctx, "INSERT OR IGNORE INTO meta(key, value) VALUES ('created_by', ?)", run.ToolVersion); err != nil {
		return 0, err
	}
	return runID, nil
}

// stagedAfter reads the next chunk of staged observations, in domain order.
func (w *writer) stagedAfter(ctx context.Context, after string) ([]staged, error) {
	rows, err := w.readStagedAt.QueryContext(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("read staged observations: %w", err)
	}
	defer rows.Close()
	var out []staged
	for rows.Next() {
		var (
			st                   staged
			at, status, fp       string
			errText, kind        sql.NullString
			name, unicode, addrs string
		)
		if err := rows.Scan(&name, &unicode, &at, &status, &errText, &kind, &st.chain, &addrs, &fp, &st.domainID); err != nil {
			return nil, fmt.Errorf("read staged observations: %w", err)
		}
		if st.at, err = parseTime(at); err != nil {
			return nil, err
		}
		o := &st.o
		o.Target = probe.Target{Input: name, Domain: name, Unicode: unicode}
		o.Status, o.Error, o.ErrorKind, o.StartedAt = resolvers.Status(status), errText.String, probe.ErrorKind(kind.String), st.at
		if err := json.Unmarshal([]byte(st.chain), &o.CNAMEChain); err != nil {
			return nil, err
		}
		var stored []storedAddress
		if err := json.Unmarshal([]byte(addrs), &stored); err != nil {
			return nil, err
		}
		for _, a := range stored {
			pa := probe.Address{Result: a.Result}
			if err := pa.IP.UnmarshalText([]byte(a.IP)); err != nil {
				return nil, err
			}
			o.Addresses = append(o.Addresses, pa)
		}
		st.fingerprint = fp
		out = append(out, st)
	}
	return out, rows.Err()
}

// observation writes one staged observation: it extends the domain's last
// span from this vantage when the answer and view are the same and the day
// has not changed, and starts a span otherwise. It returns the domain's
// spans from this vantage as they stand after the write.
func (w *writer) observation(ctx context.Context, runID int64, st staged, prior []storedSpan) ([]history.Span, error) {
	spans := make([]history.Span, len(prior)+1)
	last := -1
	for i, sp := range prior {
		spans[i] = sp.Span
		if last < 0 || sp.LastRun > prior[last].LastRun || sp.LastRun == prior[last].LastRun && !sp.LastSeen.Before(prior[last].LastSeen) {
			last = i
		}
	}
	if last >= 0 {
		l := prior[last]
		if l.fingerprint == st.fingerprint && l.viewID == w.viewID && history.SameDay(l.LastSeen, st.at) {
			if _, err := w.extend.ExecContext(ctx, runID, formatTime(st.at), l.id); err != nil {
				return nil, err
			}
			sp := &spans[last]
			sp.LastSeen, sp.LastRun, sp.Count = maxTime(sp.LastSeen, st.at), runID, sp.Count+1
			return spans[:len(prior)], nil
		}
	}
	answerID, err := w.answer(ctx, st)
	if err != nil {
		return nil, err
	}
	o := st.o
	if _, err := w.insertObs.ExecContext(ctx, st.domainID, answerID, runID, runID, formatTime(st.at), formatTime(st.at),
		string(o.Status), nullString(o.Error), nullString(string(o.ErrorKind)), w.vantage, w.viewID); err != nil {
		return nil, err
	}
	spans[len(prior)] = history.Span{Domain: o.Target.Domain, Unicode: o.Target.Unicode, Vantage: w.vantage,
		View: w.view, Confirm: w.confirm, Observation: o, FirstSeen: st.at, LastSeen: st.at, Count: 1, FirstRun: runID, LastRun: runID}
	return spans, nil
}

// answer returns the row ID of the staged observation's answer, adding it
// (with its addresses) when new.
func (w *writer) answer(ctx context.Context, st staged) (int64, error) {
	var id int64
	err := w.answerID.QueryRowContext(ctx, st.fingerprint).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	if err := w.insertAnswer.QueryRowContext(ctx, st.fingerprint, string(st.o.Status), st.chain).Scan(&id); err != nil {
		return 0, err
	}
	for _, a := range st.o.Addresses {
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
		_, err := w.insertAddr.ExecContext(ctx, id, a.IP.String(), version, asn, nullString(a.ASOrg),
			nullString(prefix), nullString(a.Country), nullString(a.SpecialUse), mustJSON(a.Sources),
			nullString(a.RegisteredCountry), nullString(a.Provider), nullString(a.ProviderKind), nullString(a.Region), a.CDN, nullString(a.CDNName))
		if err != nil {
			return 0, err
		}
	}
	return id, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// chainJSON is how a CNAME chain is stored: its hops without TTLs.
func chainJSON(chain []resolvers.Hop) string {
	type hop struct {
		Name   string `json:"name"`
		Target string `json:"target"`
	}
	out := make([]hop, 0, len(chain))
	for _, h := range chain {
		out = append(out, hop{h.Name, h.Target})
	}
	return mustJSON(out)
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
