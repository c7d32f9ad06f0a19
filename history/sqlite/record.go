package sqlite

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// chunk is how many staged observations Commit handles at a time: the
// latest span of each of their domains is read in one query, and the
// unchanged ones are extended in one statement.
const chunk = 1000

// recording is a run being recorded. Observations are staged in a
// temporary file, in arrival order, so memory stays flat however many there
// are, and nothing takes the database's write lock until Commit.
type recording struct {
	s     *Store
	run   history.RunInfo
	file  *os.File
	buf   *bufio.Writer
	enc   *gob.Encoder
	seen  map[string]struct{} // one entry per distinct domain
	count int
	done  bool
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
	f, err := os.CreateTemp("", "hostwatch-run-*.gob")
	if err != nil {
		return nil, fmt.Errorf("history database %s: begin recording: %w", s.path, err)
	}
	// The file is only ever read through f: on Unix it is gone from the
	// directory at once, and with it if hostwatch is killed.
	os.Remove(f.Name())
	buf := bufio.NewWriterSize(f, 64<<10)
	return &recording{s: s, run: run, file: f, buf: buf, enc: gob.NewEncoder(buf), seen: map[string]struct{}{}}, nil
}

// staged is one observation as staged: everything the history keeps.
type staged struct {
	Domain, Unicode string
	At              time.Time
	Status          resolvers.Status
	Error           string
	ErrorKind       probe.ErrorKind
	Chain           []chainHop
	Addresses       []storedAddress
	Fingerprint     string
}

type chainHop struct {
	Name   string `json:"name"`
	Target string `json:"target"`
}

// storedAddress is an attributed address as staged.
type storedAddress struct {
	IP netip.Addr
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
	if _, dup := r.seen[o.Target.Domain]; dup {
		return nil
	}
	addrs, err := history.CanonicalAddresses(o.Addresses)
	if err != nil {
		return fmt.Errorf("history database %s: record %s: %w", r.s.path, o.Target.Domain, err)
	}
	st := staged{Domain: o.Target.Domain, Unicode: cmp.Or(o.Target.Unicode, o.Target.Domain), At: cmp.Or(o.StartedAt, r.run.StartedAt).UTC(),
		Status: o.Status, Error: o.Error, ErrorKind: o.ErrorKind, Fingerprint: history.Fingerprint(o, addrs),
		Chain: make([]chainHop, len(o.CNAMEChain)), Addresses: make([]storedAddress, len(addrs))}
	for i, h := range o.CNAMEChain {
		st.Chain[i] = chainHop{h.Name, h.Target}
	}
	for i, a := range addrs {
		st.Addresses[i] = storedAddress{IP: a.IP, Result: a.Result}
	}
	if err := r.enc.Encode(&st); err != nil {
		return fmt.Errorf("history database %s: stage %s: %w", r.s.path, o.Target.Domain, err)
	}
	r.seen[o.Target.Domain] = struct{}{}
	r.count++
	return nil
}

// Abort drops the run.
func (r *recording) Abort() error {
	if r.done {
		return nil
	}
	r.done = true
	return r.file.Close()
}

// Commit writes the run in one write transaction: it takes the file's write
// lock first, so the spans it compares with are what is committed, and two
// runs on one file serialise.
func (r *recording) Commit(ctx context.Context, emit func(probe.Change) error) (runID int64, err error) {
	defer r.Abort()
	if err := r.buf.Flush(); err != nil {
		return 0, fmt.Errorf("history database %s: stage observations: %w", r.s.path, err)
	}
	if _, err := r.file.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("history database %s: stage observations: %w", r.s.path, err)
	}
	dec := gob.NewDecoder(bufio.NewReaderSize(r.file, 64<<10))
	conn, err := r.s.db.Conn(ctx)
	if err != nil {
		return 0, r.s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, r.s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	w, err := newWriter(ctx, r.s, conn)
	if err != nil {
		return 0, r.s.wrap(err)
	}
	defer w.close()
	if runID, err = w.run(ctx, r.run, r.count); err != nil {
		return 0, r.s.wrap(err)
	}
	for read := 0; read < r.count; {
		batch := make([]staged, 0, min(chunk, r.count-read))
		for len(batch) < cap(batch) {
			var st staged
			if err := dec.Decode(&st); err != nil {
				return 0, fmt.Errorf("history database %s: read staged observations: %w", r.s.path, err)
			}
			batch = append(batch, st)
		}
		read += len(batch)
		if err := w.chunk(ctx, runID, batch, history.Options{Confirm: r.run.Confirm}, emit); err != nil {
			return 0, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, r.s.wrap(fmt.Errorf("commit run: %w", err))
	}
	committed = true
	return runID, nil
}

// writer holds the statements of one Commit.
type writer struct {
	s       *Store
	conn    *sql.Conn
	viewID  int64
	view    probe.View
	confirm int
	vantage string

	addDomains, latest, answerIDs, extend *sql.Stmt
	extendAll, insertAnswers              *bulk
	insertAddrs, insertSpans, setTips     *bulk
}

func newWriter(ctx context.Context, s *Store, conn *sql.Conn) (*writer, error) {
	w := &writer{s: s, conn: conn}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.addDomains, `INSERT INTO domains (name, unicode) SELECT j.value->>0, j.value->>1 FROM json_each(?) j RETURNING id, name`},
		// The latest span of each domain from a vantage is its highest id:
		// spans are added in the order runs commit, and only the latest is
		// ever extended.
		{&w.latest, `SELECT d.name, d.id, o.id, ans.fingerprint, o.view_id, o.last_seen, t.confirm, t.tip, o.resume_run
			FROM json_each(?1) j
			JOIN domains d ON d.name = j.value
			LEFT JOIN observations o ON o.id = (SELECT max(x.id) FROM observations x WHERE x.domain_id = d.id AND x.vantage = ?2)
			LEFT JOIN answers ans ON ans.id = o.answer_id
			LEFT JOIN tips t ON t.domain_id = d.id AND t.vantage = ?2 AND t.span_id = o.id`},
		{&w.extend, `UPDATE observations SET last_run_id = ?, last_seen = max(last_seen, ?), seen_count = seen_count + 1, resume_run = ? WHERE id = ?`},
		{&w.answerIDs, `SELECT id, fingerprint FROM answers WHERE fingerprint IN (SELECT value FROM json_each(?))`},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.stmt = st
	}
	w.extendAll = newBulk(conn, `UPDATE observations SET last_run_id = v.column1, last_seen = max(last_seen, v.column3),
		seen_count = seen_count + 1 FROM (VALUES`, 3, `) AS v WHERE observations.id = v.column2`)
	w.insertAnswers = newBulk(conn, `INSERT OR IGNORE INTO answers (fingerprint, status, cname_chain) VALUES`, 3, ` RETURNING id, fingerprint`)
	w.insertAddrs = newBulk(conn, `INSERT OR IGNORE INTO addresses (answer_id, ip, version, asn, as_org, prefix, country, special_use, sources,
		registered_country, provider, provider_kind, region, cdn, cdn_name) VALUES`, 15, "")
	w.insertSpans = newBulk(conn, `INSERT INTO observations (domain_id, answer_id, first_run_id, last_run_id, first_seen, last_seen, seen_count,
		status, error, error_kind, vantage, view_id, resume_run) VALUES`, 13, " RETURNING id, domain_id")
	w.setTips = newBulk(conn, `INSERT INTO tips (domain_id, vantage, span_id, confirm, tip) VALUES`, 5,
		` ON CONFLICT (domain_id, vantage) DO UPDATE SET span_id = excluded.span_id, confirm = excluded.confirm, tip = excluded.tip`)
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.addDomains, w.latest, w.extend, w.answerIDs} {
		if st != nil {
			st.Close()
		}
	}
	for _, b := range []*bulk{w.extendAll, w.insertAnswers, w.insertAddrs, w.insertSpans, w.setTips} {
		if b != nil {
			b.close()
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

// last is what a chunk needs to know of a domain's latest span.
type last struct {
	domainID, spanID, viewID, resume int64
	fingerprint                      string
	lastSeen                         time.Time
	// settled says nothing is pending after the span, as read with this
	// run's --confirm; tip is then where the timeline stands
	// (history.Tip, as JSON), when worth keeping (Tip.Worth).
	settled bool
	tip     string
}

// tipFor decodes the tip, if the timeline has one read with confirm.
func (l last) tipFor(confirm int) (*history.Tip, error) {
	if l.tip == "" {
		return nil, nil
	}
	var t history.Tip
	if err := json.Unmarshal([]byte(l.tip), &t); err != nil {
		return nil, fmt.Errorf("tips of observation %d: %w", l.spanID, err)
	}
	if t.Confirm != confirm {
		return nil, nil
	}
	return &t, nil
}

// chunk writes a chunk of staged observations, in three ways:
//   - identical to its domain's latest span (same answer, view and day) with
//     a settled timeline: the span is extended, with all the others like it
//     in one statement, and nothing is read;
//   - fitting the current period (Tip.Next: a pool answering another subset,
//     another CNAME chain): classified against the tip kept with the latest
//     span, and a span started;
//   - anything else (a move, a status change, a view change, a pending
//     change, no tip): the domain's current period is read back (in one
//     query for the chunk, from history.Position on) and replayed.
func (w *writer) chunk(ctx context.Context, runID int64, batch []staged, opts history.Options, emit func(probe.Change) error) error {
	names := make([]string, len(batch))
	for i, st := range batch {
		names[i] = st.Domain
	}
	lasts, err := w.latestSpans(ctx, mustJSON(names))
	if err != nil {
		return w.s.wrap(err)
	}
	var missing [][2]string
	for _, st := range batch {
		if _, ok := lasts[st.Domain]; !ok {
			missing = append(missing, [2]string{st.Domain, st.Unicode})
		}
	}
	if len(missing) > 0 {
		if err := w.addMissing(ctx, mustJSON(missing), lasts); err != nil {
			return w.s.wrap(fmt.Errorf("record domains: %w", err))
		}
	}
	var (
		extend, tips [][]any
		slow         []string
		starts       []newSpan
		replay       = map[string]bool{}
	)
	for _, st := range batch {
		l := lasts[st.Domain]
		if l.spanID == 0 || !l.settled {
			slow, replay[st.Domain] = append(slow, st.Domain), true
			continue
		}
		if l.fingerprint == st.Fingerprint && l.viewID == w.viewID && history.SameDay(l.lastSeen, st.At) {
			extend = append(extend, []any{runID, l.spanID, formatTime(st.At)})
			continue
		}
		t, err := l.tipFor(w.confirm)
		if err != nil {
			return w.s.wrap(err)
		}
		if t == nil {
			slow, replay[st.Domain] = append(slow, st.Domain), true
			continue
		}
		o := st.observation()
		changes, tip, ok := t.Next(st.Domain, w.vantage, probe.HostingOf(o), w.view, st.At, l.lastSeen)
		if !ok {
			slow, replay[st.Domain] = append(slow, st.Domain), true
			continue
		}
		for _, c := range changes {
			if err := emit(c); err != nil {
				return err
			}
		}
		starts = append(starts, newSpan{domainID: l.domainID, st: st, resume: l.resume, settled: true, tip: worth(tip)})
	}
	if len(extend) > 0 {
		if err := w.extendAll.run(ctx, extend, nil); err != nil {
			return w.s.wrap(fmt.Errorf("extend spans: %w", err))
		}
	}
	if len(slow) > 0 {
		prior, err := w.s.readSpans(ctx, w.conn, history.Query{Domains: slow, Vantage: w.vantage}, true)
		if err != nil {
			return err
		}
		byDomain := map[string][]storedSpan{}
		for _, sp := range prior {
			byDomain[sp.Domain] = append(byDomain[sp.Domain], sp)
		}
		for _, st := range batch {
			if !replay[st.Domain] {
				continue
			}
			if err := w.observation(ctx, runID, st, lasts[st.Domain].domainID, byDomain[st.Domain], opts, emit, &starts, &tips); err != nil {
				return err
			}
		}
	}
	spanIDs, err := w.insertAll(ctx, runID, starts)
	if err != nil {
		return w.s.wrap(fmt.Errorf("record new spans: %w", err))
	}
	for _, n := range starts {
		// A new span's id is new: a row left for an older span is ignored.
		if n.settled {
			tips = append(tips, n.tipRow(w, spanIDs[n.domainID]))
		}
	}
	// A timeline's tip names the span it is the tip of: one row per
	// timeline, rewritten in place.
	if err := w.setTips.run(ctx, tips, nil); err != nil {
		return w.s.wrap(fmt.Errorf("record tips: %w", err))
	}
	return nil
}

// addMissing adds domains never seen before, noting their IDs in lasts.
func (w *writer) addMissing(ctx context.Context, pairs string, lasts map[string]last) error {
	rows, err := w.addDomains.QueryContext(ctx, pairs)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		lasts[name] = last{domainID: id}
	}
	return rows.Err()
}

// latestSpans reads the latest span from this vantage of each named domain.
func (w *writer) latestSpans(ctx context.Context, names string) (map[string]last, error) {
	rows, err := w.latest.QueryContext(ctx, names, w.vantage)
	if err != nil {
		return nil, fmt.Errorf("read latest spans: %w", err)
	}
	defer rows.Close()
	out := map[string]last{}
	for rows.Next() {
		var (
			name                   string
			l                      last
			spanID, viewID, resume sql.NullInt64
			confirm                sql.NullInt64
			fp, seen, tip          sql.NullString
		)
		if err := rows.Scan(&name, &l.domainID, &spanID, &fp, &viewID, &seen, &confirm, &tip, &resume); err != nil {
			return nil, fmt.Errorf("read latest spans: %w", err)
		}
		l.spanID, l.viewID, l.fingerprint, l.resume = spanID.Int64, viewID.Int64, fp.String, resume.Int64
		if seen.Valid {
			if l.lastSeen, err = parseTime(seen.String); err != nil {
				return nil, fmt.Errorf("read latest spans: observation %d: %w", l.spanID, err)
			}
		}
		// A span written before schema 3, or after which a change is
		// pending, has no tip: its timeline is replayed.
		l.settled = confirm.Valid && int(confirm.Int64) == w.confirm
		l.tip = tip.String
		out[name] = l
	}
	return out, rows.Err()
}

// observation is the staged observation as probe's model has it.
func (st staged) observation() probe.Observation {
	o := probe.Observation{Target: probe.Target{Input: st.Domain, Domain: st.Domain, Unicode: st.Unicode},
		Status: st.Status, Error: st.Error, ErrorKind: st.ErrorKind, StartedAt: st.At}
	for _, h := range st.Chain {
		o.CNAMEChain = append(o.CNAMEChain, resolvers.Hop{Name: h.Name, Target: h.Target})
	}
	for _, a := range st.Addresses {
		o.Addresses = append(o.Addresses, probe.Address{IP: a.IP, Result: a.Result})
	}
	return o
}

// observation writes one staged observation whose domain's timeline must be
// replayed: it extends the domain's latest span from this vantage when the
// answer and view are the same and the day has not changed, and starts a
// span otherwise; then it emits what the observation brought
// (history.Latest) and notes the timeline's tip (none if not settled).
func (w *writer) observation(ctx context.Context, runID int64, st staged, domainID int64, prior []storedSpan, opts history.Options,
	emit func(probe.Change) error, starts *[]newSpan, tips *[][]any) error {
	o := st.observation()
	spans := make([]history.Span, len(prior), len(prior)+1)
	latest := -1
	for i, sp := range prior {
		spans[i] = sp.Span
		if latest < 0 || sp.id > prior[latest].id {
			latest = i
		}
	}
	var spanID int64
	if l := latest; l >= 0 && prior[l].fingerprint == st.Fingerprint && prior[l].viewID == w.viewID && history.SameDay(prior[l].LastSeen, st.At) {
		sp := &spans[l]
		sp.LastSeen, sp.LastRun, sp.Count, spanID = maxTime(sp.LastSeen, st.At), runID, sp.Count+1, prior[l].id
	} else {
		spans = append(spans, history.Span{Domain: st.Domain, Unicode: st.Unicode, Vantage: w.vantage,
			View: w.view, Confirm: w.confirm, Observation: o, FirstSeen: st.At, LastSeen: st.At, Count: 1, FirstRun: runID, LastRun: runID})
	}
	changes := history.Latest(spans, opts)
	resume, t, settled := history.Position(spans, opts)
	n := newSpan{domainID: domainID, st: st, resume: resume, settled: settled, tip: worth(t)}
	if spanID == 0 {
		*starts = append(*starts, n)
	} else {
		if _, err := w.extend.ExecContext(ctx, runID, formatTime(st.At), resume, spanID); err != nil {
			return w.s.wrap(fmt.Errorf("record %s: %w", st.Domain, err))
		}
		*tips = append(*tips, n.tipRow(w, spanID))
	}
	for _, c := range changes {
		if err := emit(c); err != nil {
			return err
		}
	}
	return nil
}

// tipJSON is how a tip is stored: JSON, or NULL for none.
func tipJSON(t *history.Tip) any {
	if t == nil {
		return nil
	}
	return mustJSON(t)
}

// newSpan is a span to start: the first observation of a new answer, view
// or day of a domain.
type newSpan struct {
	domainID int64
	st       staged
	resume   int64        // history.Position after it
	settled  bool         // nothing pending after it
	tip      *history.Tip // the timeline's tip after it, when worth keeping
}

// tipRow is the tips row of a timeline whose latest span is spanID: it
// marks the span settled (with the run's --confirm) or, with span 0,
// marks nothing.
func (n newSpan) tipRow(w *writer, spanID int64) []any {
	if !n.settled {
		spanID = 0
	}
	return []any{n.domainID, w.vantage, spanID, w.confirm, tipJSON(n.tip)}
}

// worth is the tip, when worth keeping.
func worth(t history.Tip) *history.Tip {
	if !t.Worth() {
		return nil
	}
	return &t
}

// insertAll starts spans in a few statements, whatever their number: the
// answers not stored yet (with their addresses), then the spans.
func (w *writer) insertAll(ctx context.Context, runID int64, starts []newSpan) (map[int64]int64, error) {
	if len(starts) == 0 {
		return nil, nil
	}
	byFP := map[string]*staged{}
	var answers [][]any
	var fps []string
	for i := range starts {
		st := &starts[i].st
		if _, ok := byFP[st.Fingerprint]; ok {
			continue
		}
		byFP[st.Fingerprint] = st
		fps = append(fps, st.Fingerprint)
		answers = append(answers, []any{st.Fingerprint, string(st.Status), mustJSON(orNone(st.Chain))})
	}
	ids := map[string]int64{}
	if err := w.insertAnswers.run(ctx, answers, func(r *sql.Rows) error { return scanID(r, ids) }); err != nil {
		return nil, fmt.Errorf("add answers: %w", err)
	}
	var addrs [][]any
	for fp, id := range ids {
		for _, a := range byFP[fp].Addresses {
			version := 4
			if a.IP.Is6() {
				version = 6
			}
			var asn, prefix any
			if a.ASN != 0 {
				asn = a.ASN
			}
			if a.Prefix.IsValid() {
				prefix = a.Prefix.String()
			}
			addrs = append(addrs, []any{id, a.IP.String(), version, asn, orNull(a.ASOrg), prefix, orNull(a.Country), orNull(a.SpecialUse),
				mustJSON(a.Sources), orNull(a.RegisteredCountry), orNull(a.Provider), orNull(a.ProviderKind), orNull(a.Region), a.CDN, orNull(a.CDNName)})
		}
	}
	if len(addrs) > 0 {
		if err := w.insertAddrs.run(ctx, addrs, nil); err != nil {
			return nil, fmt.Errorf("add addresses: %w", err)
		}
	}
	if len(ids) < len(fps) {
		if err := scanIDs(ctx, w.answerIDs, mustJSON(fps), ids); err != nil {
			return nil, fmt.Errorf("find answers: %w", err)
		}
	}
	rows := make([][]any, len(starts))
	for i, n := range starts {
		at := formatTime(n.st.At)
		rows[i] = []any{n.domainID, ids[n.st.Fingerprint], runID, runID, at, at, 1, string(n.st.Status), orNull(n.st.Error),
			orNull(string(n.st.ErrorKind)), w.vantage, w.viewID, n.resume}
	}
	spans := make(map[int64]int64, len(starts))
	err := w.insertSpans.run(ctx, rows, func(r *sql.Rows) error {
		var id, domain int64
		if err := r.Scan(&id, &domain); err != nil {
			return err
		}
		spans[domain] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add spans: %w", err)
	}
	return spans, nil
}

// scanIDs runs a query of (id, fingerprint) rows into ids.
func scanIDs(ctx context.Context, st *sql.Stmt, arg string, ids map[string]int64) error {
	rows, err := st.QueryContext(ctx, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scanID(rows, ids); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanID reads one (id, fingerprint) row into ids.
func scanID(rows *sql.Rows, ids map[string]int64) error {
	var id int64
	var fp string
	if err := rows.Scan(&id, &fp); err != nil {
		return err
	}
	ids[fp] = id
	return nil
}

// orNull is an unknown fact as JSON null (SQL NULL once stored).
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orNone makes a nil chain an empty one, stored as [].
func orNone(c []chainHop) []chainHop {
	if c == nil {
		return []chainHop{}
	}
	return c
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// orEmpty makes a nil list an empty one, so that it is stored as [] rather than null.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// mustJSON marshals values that cannot fail to marshal.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
