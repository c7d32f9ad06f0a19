package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// writer holds the statements of one Commit.
type writer struct {
	s       *Store
	conn    *sql.Conn
	viewID  int64
	view    probe.View
	confirm int
	vantage string
	group   string
	// skipped counts the observations not recorded: their timeline's
	// latest observation is of the run's group already.
	skipped int

	latest, answerIDs, extend       *sql.Stmt
	findAttribution, addAttribution *sql.Stmt
	extendAll, addDomains           *bulk
	insertAnswers, insertAddrs      *bulk
	insertSpans, setTips            *bulk

	// next are the IDs the next new domain, answer and span take: SQLite
	// gives a new row the highest row ID in its table plus one, and the
	// writer holds the write lock, so it knows the IDs of the rows it adds
	// without asking for each back (insertRows checks it). Giving the IDs
	// in the statements instead would make SQLite keep a journal of each
	// bulk statement, to undo it alone if an ID were not an integer.
	next struct{ domain, answer, span int64 }
	// attrIDs are the database IDs of the run's attributions, by their
	// number in the staging (0 when not known yet).
	attrIDs []int64

	// A run into a file with no domains (or no answers) when its write
	// began finds none but its own: it reads back no latest spans, and
	// looks up only the answers whose fingerprint it may have added itself
	// (added remembers them, 8 bytes each). A first run of 100,000 names
	// spent a twentieth of its CPU time looking for rows that could not be
	// there.
	noDomains, noAnswers bool
	added                probe.Seen
}

// room is what a new span holds for its counters to grow into on its first
// extension: SQLite stores the integers 0 and 1 in no bytes, 2 to 127 in one,
// so the second observation of a span adds a byte to seen_count (and one to
// last_run_id after the very first run). Releasing these two bytes then keeps
// the row's size, and a run that extends every span rewrites its pages in
// place instead of splitting them.
const room = "X'0000'" // two zero bytes, as an SQL literal

func newWriter(ctx context.Context, s *Store, conn *sql.Conn) (*writer, error) {
	w := &writer{s: s, conn: conn}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		// The latest span of each domain from a vantage is its highest id:
		// spans are added in the order runs commit, and only the latest is
		// ever extended. The run group of its last run is only read by a
		// run in a group.
		{&w.latest, `SELECT d.name, d.id, o.id, ans.fingerprint, o.view_id, o.last_seen, o.settled, t.tip, o.resume_run,
				CASE WHEN ?3 <> '' THEN (SELECT r.run_group FROM runs r WHERE r.id = o.last_run_id) END
			FROM json_each(?1) j
			JOIN domains d ON d.name = j.value
			LEFT JOIN observations o ON o.id = (SELECT max(x.id) FROM observations x WHERE x.domain_id = d.id AND x.vantage = ?2)
			LEFT JOIN answers ans ON ans.id = o.answer_id
			LEFT JOIN tips t ON t.domain_id = d.id AND t.vantage = ?2 AND t.span_id = o.id`},
		{&w.extend, `UPDATE observations SET last_run_id = ?, last_seen = max(last_seen, ?), seen_count = seen_count + 1, resume_run = ?, settled = ?,
			room = NULL WHERE id = ?`},
		{&w.answerIDs, `SELECT id, fingerprint FROM answers WHERE fingerprint IN (SELECT value FROM json_each(?))`},
		// Matches attributions_facts, so that the lookup is one index search.
		{&w.findAttribution, `SELECT id FROM attributions WHERE ifnull(asn, 0) = ? AND ifnull(as_org, '') = ? AND ifnull(prefix, '') = ?
			AND ifnull(country, '') = ? AND ifnull(registered_country, '') = ? AND ifnull(provider, '') = ? AND ifnull(provider_kind, '') = ?
			AND ifnull(region, '') = ? AND cdn = ? AND ifnull(cdn_name, '') = ? AND ifnull(special_use, '') = ? AND sources = ?`},
		{&w.addAttribution, `INSERT INTO attributions (asn, as_org, prefix, country, registered_country, provider, provider_kind, region,
			cdn, cdn_name, special_use, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.stmt = st
	}
	// OR FAIL: a statement that fails leaves what it wrote to the
	// transaction's rollback, so SQLite keeps no journal to undo it alone.
	w.extendAll = newBulk(conn, `UPDATE OR FAIL observations SET last_run_id = v.column1, last_seen = max(last_seen, v.column3),
		seen_count = seen_count + 1, room = NULL FROM (VALUES`, 3, `) AS v WHERE observations.id = v.column2`)
	w.addDomains = newBulk(conn, `INSERT OR FAIL INTO domains (name, unicode) VALUES`, 2, "")
	w.insertAnswers = newBulk(conn, `INSERT OR FAIL INTO answers (fingerprint, status, cname_chain) VALUES`, 3, "")
	w.insertAddrs = newBulk(conn, `INSERT OR FAIL INTO answer_addresses (answer_id, ip, attribution_id) VALUES`, 3, "")
	// What is the same for every new span of the run is bound once per
	// statement (see run), not once per row: 8 values a row, not 15.
	w.insertSpans = newBulk(conn, `INSERT OR FAIL INTO observations (domain_id, answer_id, first_run_id, last_run_id, first_seen, last_seen, seen_count,
		status, error, error_kind, vantage, view_id, resume_run, settled, room)
		SELECT column1, column2, ?1, ?1, column3, column3, 1, column4, column5, column6, ?2, ?3, column7, column8, `+room+` FROM (VALUES`, 8, `)`)
	err := conn.QueryRowContext(ctx, `SELECT (SELECT ifnull(max(id), 0) FROM domains), (SELECT ifnull(max(id), 0) FROM answers),
		(SELECT ifnull(max(id), 0) FROM observations)`).Scan(&w.next.domain, &w.next.answer, &w.next.span)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("number new rows: %w", err)
	}
	w.next.domain++
	w.next.answer++
	w.next.span++
	err = conn.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM domains), NOT EXISTS (SELECT 1 FROM answers)`).Scan(&w.noDomains, &w.noAnswers)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("number new rows: %w", err)
	}
	w.setTips = newBulk(conn, `INSERT OR FAIL INTO tips (domain_id, vantage, span_id, confirm, tip) VALUES`, 5,
		` ON CONFLICT (domain_id, vantage) DO UPDATE SET span_id = excluded.span_id, confirm = excluded.confirm, tip = excluded.tip`)
	return w, nil
}

func (w *writer) close() {
	w.added.Release()
	for _, st := range []*sql.Stmt{w.latest, w.extend, w.answerIDs, w.findAttribution, w.addAttribution} {
		if st != nil {
			st.Close()
		}
	}
	for _, b := range []*bulk{w.extendAll, w.addDomains, w.insertAnswers, w.insertAddrs, w.insertSpans, w.setTips} {
		if b != nil {
			b.close()
		}
	}
}

// run records the run's row (finished by finishRun), its datasets and its
// view.
func (w *writer) run(ctx context.Context, run history.RunInfo) (int64, error) {
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
	w.vantage, w.view, w.confirm, w.group = run.Vantage, run.View, run.Confirm, run.Group
	var runID int64
	err := w.conn.QueryRowContext(ctx, `INSERT INTO runs (started_at, finished_at, tool_version, datasets, resolvers, vantage, targets, view_id, subnets, confirm, run_group)
		VALUES (?, NULL, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id`,
		formatTime(run.StartedAt), run.ToolVersion, mustJSON(datasetIDs), resolv, run.Vantage, w.viewID, subnets, run.Confirm, run.Group,
	).Scan(&runID)
	if err != nil {
		return 0, fmt.Errorf("record run: %w", err)
	}
	if _, err := w.conn.ExecContext(ctx, "INSERT OR IGNORE INTO meta(key, value) VALUES ('created_by', ?)", run.ToolVersion); err != nil {
		return 0, err
	}
	w.insertSpans.fixed = []any{runID, w.vantage, w.viewID}
	return runID, nil
}

// finishRun writes when the run finished (run.FinishedAt, or now) and how
// many observations it recorded: of the added, those not skipped.
func (w *writer) finishRun(ctx context.Context, runID int64, run history.RunInfo, added int) error {
	finished := run.FinishedAt
	if finished.IsZero() {
		finished = run.Now()
	}
	if _, err := w.conn.ExecContext(ctx, "UPDATE runs SET finished_at = ?, targets = ? WHERE id = ?", formatTime(finished), added-w.skipped, runID); err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
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
	// group is the run group of the span's last run, read only when this
	// run is in one.
	group string
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

// chunk writes a chunk of staged observations, in these ways:
//   - the first of its timeline (the domain never seen from this vantage):
//     classified by history.Start, nothing read back;
//   - identical to its domain's latest span (same answer and view) with a
//     settled timeline: on the same day, the span is extended, with all the
//     others like it in one statement; on another day, a span is started
//     where the timeline stood. Nothing is read either way;
//   - fitting the current period (Tip.Next: a pool answering another subset,
//     another CNAME chain): classified against the tip kept with the latest
//     span, and a span started;
//   - anything else (a move, a status change, a view change, a pending
//     change, no tip): the domain's current period is read back (in one
//     query for the chunk, from history.Position on) and replayed.
//
// It returns the spans to start and the tips to write, for finish.
func (w *writer) chunk(ctx context.Context, runID int64, batch []staged, opts history.Options, emit func(probe.Change) error) ([]newSpan, [][]any, error) {
	names := make([]string, len(batch))
	for i, st := range batch {
		names[i] = st.Domain
	}
	lasts := make(map[string]last, len(batch))
	if !w.noDomains {
		var err error
		if lasts, err = w.latestSpans(ctx, mustJSON(names)); err != nil {
			return nil, nil, w.s.wrap(err)
		}
	}
	var missing [][]any
	for _, st := range batch {
		if _, ok := lasts[st.Domain]; !ok {
			lasts[st.Domain] = last{domainID: w.next.domain}
			missing = append(missing, []any{st.Domain, st.Unicode})
			w.next.domain++
		}
	}
	if err := insertRows(ctx, w.addDomains, missing, w.next.domain); err != nil {
		return nil, nil, w.s.wrap(fmt.Errorf("record domains: %w", err))
	}
	var (
		extend, tips [][]any
		slow         []string
		starts       []newSpan
		replay       = make(map[string]bool, len(batch))
	)
	for _, st := range batch {
		l := lasts[st.Domain]
		if w.group != "" && l.spanID != 0 && l.group == w.group {
			// One observation per domain and vantage per run group.
			w.skipped++
			continue
		}
		if l.spanID == 0 {
			// The timeline's first span: nothing to read back.
			replay[st.Domain] = true
			continue
		}
		if !l.settled {
			slow, replay[st.Domain] = append(slow, st.Domain), true
			continue
		}
		same := l.fingerprint == st.Fingerprint && l.viewID == w.viewID
		if same && history.SameDay(l.lastSeen, st.At) {
			extend = append(extend, []any{runID, l.spanID, formatTime(st.At)})
			continue
		}
		t, err := l.tipFor(w.confirm)
		if err != nil {
			return nil, nil, w.s.wrap(err)
		}
		if same {
			// The same answer on another day: a span of its own, and the
			// timeline stands where it stood (nothing changed; the period
			// and its tip go on).
			starts = append(starts, newSpan{domainID: l.domainID, st: st, resume: l.resume, settled: true, tip: t})
			continue
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
				return nil, nil, err
			}
		}
		starts = append(starts, newSpan{domainID: l.domainID, st: st, resume: l.resume, settled: true, tip: worth(tip)})
	}
	if len(extend) > 0 {
		if err := w.extendAll.run(ctx, extend, nil); err != nil {
			return nil, nil, w.s.wrap(fmt.Errorf("extend spans: %w", err))
		}
	}
	byDomain := map[string][]storedSpan{}
	if len(slow) > 0 {
		prior, err := w.s.readSpans(ctx, w.conn, history.Query{Domains: slow, Vantage: w.vantage}, true)
		if err != nil {
			return nil, nil, err
		}
		for _, sp := range prior {
			byDomain[sp.Domain] = append(byDomain[sp.Domain], sp)
		}
	}
	for _, st := range batch {
		if !replay[st.Domain] {
			continue
		}
		l := lasts[st.Domain]
		if l.spanID == 0 {
			n, err := w.start(runID, st, l.domainID, opts, emit)
			if err != nil {
				return nil, nil, err
			}
			starts = append(starts, n)
			continue
		}
		if err := w.observation(ctx, runID, st, l.domainID, byDomain[st.Domain], opts, emit, &starts, &tips); err != nil {
			return nil, nil, err
		}
	}
	return starts, tips, nil
}

// finish inserts a chunk's new spans (with their answers) and writes its
// timelines' tips.
func (w *writer) finish(ctx context.Context, runID int64, starts []newSpan, tips [][]any) error {
	firstSpan, err := w.insertAll(ctx, runID, starts)
	if err != nil {
		return w.s.wrap(fmt.Errorf("record new spans: %w", err))
	}
	for i, n := range starts {
		// A new span's ID is new: a row left for an older span is ignored,
		// so a row is only written for a tip worth keeping.
		if n.settled && n.tip != nil {
			tips = append(tips, n.tipRow(w, firstSpan+int64(i)))
		}
	}
	// A timeline's tip names the span it is the tip of: one row per
	// timeline, rewritten in place.
	if err := w.setTips.run(ctx, tips, nil); err != nil {
		return w.s.wrap(fmt.Errorf("record tips: %w", err))
	}
	return nil
}

// start is the first span of a timeline (a domain never seen from this
// vantage), with the changes it brings emitted: history.Start, which is what
// the replay of a timeline of one span gives.
func (w *writer) start(runID int64, st staged, domainID int64, opts history.Options, emit func(probe.Change) error) (newSpan, error) {
	changes, resume, t, settled := history.Start(w.span(st, runID), opts)
	for _, c := range changes {
		if err := emit(c); err != nil {
			return newSpan{}, err
		}
	}
	return newSpan{domainID: domainID, st: st, resume: resume, settled: settled, tip: worth(t)}, nil
}

// span is a new span holding st alone, of run runID.
func (w *writer) span(st staged, runID int64) history.Span {
	return history.Span{Domain: st.Domain, Unicode: st.Unicode, Vantage: w.vantage, View: w.view, Confirm: w.confirm,
		Observation: st.observation(), FirstSeen: st.At, LastSeen: st.At, Count: 1, FirstRun: runID, LastRun: runID}
}

// latestSpans reads the latest span from this vantage of each named domain.
func (w *writer) latestSpans(ctx context.Context, names string) (map[string]last, error) {
	rows, err := w.latest.QueryContext(ctx, names, w.vantage, w.group)
	if err != nil {
		return nil, fmt.Errorf("read latest spans: %w", err)
	}
	defer rows.Close()
	out := make(map[string]last, chunk)
	for rows.Next() {
		var (
			name                   string
			l                      last
			spanID, viewID, resume sql.NullInt64
			settled                sql.NullInt64
			fp, seen, tip, group   sql.NullString
		)
		if err := rows.Scan(&name, &l.domainID, &spanID, &fp, &viewID, &seen, &settled, &tip, &resume, &group); err != nil {
			return nil, fmt.Errorf("read latest spans: %w", err)
		}
		l.spanID, l.viewID, l.fingerprint, l.resume = spanID.Int64, viewID.Int64, fp.String, resume.Int64
		if seen.Valid {
			if l.lastSeen, err = parseTime(seen.String); err != nil {
				return nil, fmt.Errorf("read latest spans: observation %d: %w", l.spanID, err)
			}
		}
		// A span written before schema 3, after which a change is pending,
		// or read with another --confirm is not settled: its timeline is
		// replayed.
		l.settled = settled.Valid && int(settled.Int64) == w.confirm
		l.tip, l.group = tip.String, group.String
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
	if len(st.canonical) > 0 {
		o.Addresses = st.canonical
		return o
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
		spans = append(spans, w.span(st, runID))
	}
	changes := history.Latest(spans, opts)
	resume, t, settled := history.Position(spans, opts)
	n := newSpan{domainID: domainID, st: st, resume: resume, settled: settled, tip: worth(t)}
	if spanID == 0 {
		*starts = append(*starts, n)
	} else {
		if _, err := w.extend.ExecContext(ctx, runID, formatTime(st.At), resume, n.settledWith(w), spanID); err != nil {
			return w.s.wrap(fmt.Errorf("record %s: %w", st.Domain, err))
		}
		// The span's tip row, if it has one, is rewritten (or emptied).
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

// settledWith is the span's settled column: the run's --confirm when
// nothing is pending after it, else NULL.
func (n newSpan) settledWith(w *writer) any {
	if !n.settled {
		return nil
	}
	return w.confirm
}

// tipRow is the tips row of a timeline whose latest span is spanID: its
// tip, or (with span 0) nothing, when the timeline is not settled.
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
// answers not stored yet (with their addresses), then the spans. The spans
// take IDs in the order of starts: it returns the first one's.
func (w *writer) insertAll(ctx context.Context, runID int64, starts []newSpan) (firstSpan int64, err error) {
	if len(starts) == 0 {
		return 0, nil
	}
	byFP := make(map[string]*staged, len(starts))
	var fps, lookup []string
	for i := range starts {
		st := &starts[i].st
		if _, ok := byFP[st.Fingerprint]; !ok {
			byFP[st.Fingerprint] = st
			fps = append(fps, st.Fingerprint)
			// In a file that had no answers, only a fingerprint this
			// run may have added itself can be there.
			if !w.noAnswers || !w.added.First(probe.Target{Domain: st.Fingerprint}) {
				lookup = append(lookup, st.Fingerprint)
			}
		}
	}
	ids := make(map[string]int64, len(fps))
	if len(lookup) > 0 {
		if err := scanIDs(ctx, w.answerIDs, mustJSON(lookup), ids); err != nil {
			return 0, fmt.Errorf("find answers: %w", err)
		}
	}
	var answers, addrs [][]any
	for _, fp := range fps {
		if _, ok := ids[fp]; ok {
			continue
		}
		id, st := w.next.answer, byFP[fp]
		w.next.answer++
		ids[fp] = id
		chain := "[]" // most answers have no CNAME: no encoding/json for them
		if len(st.Chain) > 0 {
			chain = mustJSON(st.Chain)
		}
		answers = append(answers, []any{fp, string(st.Status), chain})
		for _, a := range st.Addresses {
			attr, err := w.attributionID(ctx, a)
			if err != nil {
				return 0, fmt.Errorf("add attributions: %w", err)
			}
			addrs = append(addrs, []any{id, a.IP.String(), attr})
		}
	}
	if err := insertRows(ctx, w.insertAnswers, answers, w.next.answer); err != nil {
		return 0, fmt.Errorf("add answers: %w", err)
	}
	if err := w.insertAddrs.run(ctx, addrs, nil); err != nil {
		return 0, fmt.Errorf("add addresses: %w", err)
	}
	rows := make([][]any, len(starts))
	firstSpan = w.next.span
	w.next.span += int64(len(starts))
	for i, n := range starts {
		at := formatTime(n.st.At)
		rows[i] = []any{n.domainID, ids[n.st.Fingerprint], at, string(n.st.Status), orNull(n.st.Error), orNull(string(n.st.ErrorKind)),
			n.resume, n.settledWith(w)}
	}
	if err := insertRows(ctx, w.insertSpans, rows, w.next.span); err != nil {
		return 0, fmt.Errorf("add spans: %w", err)
	}
	return firstSpan, nil
}

// insertRows inserts rows, which must take the row IDs up to next (not
// included).
func insertRows(ctx context.Context, b *bulk, rows [][]any, next int64) error {
	last, err := b.insert(ctx, rows, nil)
	if err != nil || len(rows) == 0 {
		return err
	}
	if last != next-1 {
		return fmt.Errorf("the rows added took IDs up to %d, not %d", last, next-1)
	}
	return nil
}

// attributionID is the ID of the attributions row holding a's attribution,
// added if missing.
func (w *writer) attributionID(ctx context.Context, a storedAddress) (int64, error) {
	if a.attr >= 0 && a.attr < len(w.attrIDs) && w.attrIDs[a.attr] != 0 {
		return w.attrIDs[a.attr], nil
	}
	r := a.Result
	prefix := ""
	if r.Prefix.IsValid() {
		prefix = r.Prefix.String()
	}
	sources := mustJSON(r.Sources)
	var id int64
	err := w.findAttribution.QueryRowContext(ctx, r.ASN, r.ASOrg, prefix, r.Country, r.RegisteredCountry, r.Provider, r.ProviderKind,
		r.Region, r.CDN, r.CDNName, r.SpecialUse, sources).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var asn any
		if r.ASN != 0 {
			asn = r.ASN
		}
		err = w.addAttribution.QueryRowContext(ctx, asn, orNull(r.ASOrg), orNull(prefix), orNull(r.Country), orNull(r.RegisteredCountry),
			orNull(r.Provider), orNull(r.ProviderKind), orNull(r.Region), r.CDN, orNull(r.CDNName), orNull(r.SpecialUse), sources).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	if a.attr >= 0 {
		if a.attr >= len(w.attrIDs) {
			w.attrIDs = append(w.attrIDs, make([]int64, a.attr+1-len(w.attrIDs))...)
		}
		w.attrIDs[a.attr] = id
	}
	return id, nil
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
