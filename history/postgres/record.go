package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// chunk is how many observations a Commit reads, compares and writes at a time.
const chunk = 2000

// lockChunk is how many timeline rows one statement locks.
const lockChunk = 10000

// recording is one run being staged.
type recording struct {
	s     *Store
	run   history.RunInfo
	emit  func(probe.Change) error // given the changes in Commit
	file  *os.File
	w     *bufio.Writer
	enc   *json.Encoder
	seen  probe.Seen // the domains added (8 bytes each, outside the heap)
	count int
	done  bool
	rtts  history.MeasurementStage // round trips (--rtt), staged apart
}

// staged is one observation as staged (one JSON line in the run's
// temporary file): everything the history keeps.
type staged struct {
	Domain      string           `json:"d"`
	Unicode     string           `json:"u"`
	At          time.Time        `json:"t"`
	Status      resolvers.Status `json:"s"`
	Error       string           `json:"e,omitempty"`
	ErrorKind   probe.ErrorKind  `json:"k,omitempty"`
	Chain       []hop            `json:"c"`
	Addresses   []address        `json:"a"`
	Fingerprint string           `json:"f"`
}

type hop struct {
	Name   string `json:"name"`
	Target string `json:"target"`
}

// address is an attributed address as answers.addresses keeps it (JSON):
// unknown facts are left out, so that they read as NULL.
type address struct {
	IP                string              `json:"ip"`
	ASN               uint32              `json:"asn,omitempty"`
	ASOrg             string              `json:"as_org,omitempty"`
	Prefix            string              `json:"prefix,omitempty"`
	Country           string              `json:"country,omitempty"`
	RegisteredCountry string              `json:"registered_country,omitempty"`
	Provider          string              `json:"provider,omitempty"`
	ProviderKind      string              `json:"provider_kind,omitempty"`
	Region            string              `json:"region,omitempty"`
	CDN               bool                `json:"cdn"`
	CDNName           string              `json:"cdn_name,omitempty"`
	SpecialUse        string              `json:"special_use,omitempty"`
	Sources           attribution.Sources `json:"sources"`
}

func storedAddress(a probe.Address) address {
	r := a.Result
	out := address{IP: a.IP.String(), ASN: r.ASN, ASOrg: r.ASOrg, Country: r.Country, RegisteredCountry: r.RegisteredCountry,
		Provider: r.Provider, ProviderKind: r.ProviderKind, Region: r.Region, CDN: r.CDN, CDNName: r.CDNName,
		SpecialUse: r.SpecialUse, Sources: r.Sources}
	if r.Prefix.IsValid() {
		out.Prefix = r.Prefix.String()
	}
	return out
}

func (a address) probe() (probe.Address, error) {
	var out probe.Address
	var err error
	if out.IP, err = netip.ParseAddr(a.IP); err != nil {
		return out, err
	}
	if a.Prefix != "" {
		if out.Prefix, err = netip.ParsePrefix(a.Prefix); err != nil {
			return out, err
		}
	}
	out.ASN, out.ASOrg, out.Country, out.RegisteredCountry = a.ASN, a.ASOrg, a.Country, a.RegisteredCountry
	out.Provider, out.ProviderKind, out.Region, out.CDN, out.CDNName = a.Provider, a.ProviderKind, a.Region, a.CDN, a.CDNName
	out.SpecialUse, out.Sources = a.SpecialUse, a.Sources
	return out, nil
}

// Begin starts recording a run: its observations are staged in a temporary
// file of its own (removed from its directory at once), nothing is sent to
// the database until Commit.
func (s *Store) Begin(ctx context.Context, run history.RunInfo, emit func(probe.Change) error) (history.Recording, error) {
	if run.Now == nil {
		run.Now = time.Now
	}
	if run.StartedAt.IsZero() {
		run.StartedAt = run.Now()
	}
	run.Confirm = max(run.Confirm, 1)
	f, err := os.CreateTemp("", "hostwatch-run-*")
	if err != nil {
		return nil, fmt.Errorf("history database %s: begin recording: %w", s.name, err)
	}
	os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 64<<10)
	return &recording{s: s, run: run, emit: emit, file: f, w: w, enc: json.NewEncoder(w)}, nil
}

// Add stages one observation.
func (r *recording) Add(ctx context.Context, o probe.Observation) error {
	h, keep, err := history.Stage(o, r.run.StartedAt)
	if err != nil {
		return fmt.Errorf("history database %s: %w", r.s.name, err)
	}
	if !keep || !r.seen.First(probe.Target{Domain: h.Domain}) {
		return nil
	}
	st := staged{Domain: h.Domain, Unicode: h.Unicode, At: h.At, Status: h.Status, Error: h.Error, ErrorKind: h.ErrorKind,
		Fingerprint: h.Fingerprint, Chain: make([]hop, len(h.Chain)), Addresses: make([]address, len(h.Addresses))}
	for i, c := range h.Chain {
		st.Chain[i] = hop{c.Name, c.Target}
	}
	for i, a := range h.Addresses {
		st.Addresses[i] = storedAddress(a)
	}
	if err := r.enc.Encode(&st); err != nil {
		return fmt.Errorf("history database %s: stage %s: %w", r.s.name, h.Domain, err)
	}
	if err := r.rtts.Add(o, r.run.Vantage, r.run.Location); err != nil {
		return fmt.Errorf("history database %s: %s: %w", r.s.name, h.Domain, err)
	}
	r.count++
	return nil
}

// Abort drops the run.
func (r *recording) Abort() error {
	if r.done {
		return nil
	}
	r.done = true
	r.seen.Release()
	r.rtts.Close()
	return r.file.Close()
}

func (st staged) observation() probe.Observation {
	o := probe.Observation{Target: probe.Target{Input: st.Domain, Domain: st.Domain, Unicode: st.Unicode},
		Status: st.Status, Error: st.Error, ErrorKind: st.ErrorKind, StartedAt: st.At}
	for _, h := range st.Chain {
		o.CNAMEChain = append(o.CNAMEChain, resolvers.Hop{Name: h.Name, Target: h.Target})
	}
	for _, a := range st.Addresses {
		pa, err := a.probe()
		if err == nil {
			o.Addresses = append(o.Addresses, pa)
		}
	}
	return o
}

// staging reads the staged observations back, a chunk at a time, from the start.
type staging struct {
	dec  *json.Decoder
	left int
}

func (r *recording) rewind() (*staging, error) {
	if _, err := r.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &staging{dec: json.NewDecoder(bufio.NewReaderSize(r.file, 64<<10)), left: r.count}, nil
}

func (sg *staging) next() ([]staged, error) {
	batch := make([]staged, min(chunk, sg.left))
	for i := range batch {
		if err := sg.dec.Decode(&batch[i]); err != nil {
			return nil, fmt.Errorf("read staged observations: %w", err)
		}
	}
	sg.left -= len(batch)
	return batch, nil
}

// ids are the rows one staged observation refers to.
type ids struct{ domain, answer, timeline int64 }

// Commit writes the run in one transaction. First, outside it, the rows
// that are only ever added and shared by every run (domains, answers, the
// timelines' rows, the view, the datasets) are made where missing: they are
// facts, not the record, and a run that fails leaves them unused. Then the
// transaction locks the rows of the run's timelines (in the order of their
// IDs, so that two runs never wait for each other in a circle), takes the
// run's ID (so that runs sharing a timeline are numbered in the order they
// commit), and compares each observation with what is committed.
func (r *recording) Commit(ctx context.Context) (runID int64, err error) {
	defer r.Abort()
	if err := r.w.Flush(); err != nil {
		return 0, fmt.Errorf("history database %s: stage observations: %w", r.s.name, err)
	}
	s := r.s
	viewID, err := s.viewID(ctx, r.run.View)
	if err != nil {
		return 0, err
	}
	datasetIDs, err := s.datasetIDs(ctx, r.run.Datasets)
	if err != nil {
		return 0, err
	}
	refs, err := r.dimensions(ctx)
	if err != nil {
		return 0, err
	}
	// A deadlock or serialisation failure can only happen while the locks
	// are taken, before anything is emitted: then the transaction is tried
	// again.
	for attempt := 0; ; attempt++ {
		runID, emitted, err := r.write(ctx, viewID, datasetIDs, refs, r.emit)
		if err == nil || emitted || attempt >= 8 || !retryable(err) {
			return runID, err
		}
		select {
		case <-ctx.Done():
			return 0, s.wrap(ctx.Err())
		case <-time.After(time.Duration(rand.IntN(50*(attempt+1))) * time.Millisecond):
		}
	}
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// dimensions makes the domains, answers and timeline rows of the run where
// missing, each statement in one order (by name, fingerprint, domain ID),
// and returns their IDs, in staging order.
func (r *recording) dimensions(ctx context.Context) ([]ids, error) {
	s := r.s
	sg, err := r.rewind()
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", s.name, err)
	}
	out := make([]ids, 0, r.count)
	for sg.left > 0 {
		batch, err := sg.next()
		if err != nil {
			return nil, fmt.Errorf("history database %s: %w", s.name, err)
		}
		names, unicode := make([]string, len(batch)), make([]string, len(batch))
		for i, st := range batch {
			names[i], unicode[i] = st.Domain, st.Unicode
		}
		domainIDs, err := s.upsertIDs(ctx, `INSERT INTO domains(name, unicode) SELECT * FROM unnest($1::text[], $2::text[]) AS x(n, u)
			ORDER BY n ON CONFLICT (name) DO NOTHING`, `SELECT name, id FROM domains WHERE name = ANY($1)`, names, unicode)
		if err != nil {
			return nil, err
		}
		var fps, statuses, chains, addrs []string
		seen := map[string]bool{}
		for _, st := range batch {
			if seen[st.Fingerprint] {
				continue
			}
			seen[st.Fingerprint] = true
			fps, statuses = append(fps, st.Fingerprint), append(statuses, string(st.Status))
			chains, addrs = append(chains, mustJSON(orNone(st.Chain))), append(addrs, mustJSON(orNone(st.Addresses)))
		}
		answerIDs, err := s.upsertIDs(ctx, `INSERT INTO answers(fingerprint, status, cname_chain, addresses)
			SELECT f, s, c::jsonb, a::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(f, s, c, a)
			ORDER BY f ON CONFLICT (fingerprint) DO NOTHING`, `SELECT fingerprint, id FROM answers WHERE fingerprint = ANY($1)`,
			fps, statuses, chains, addrs)
		if err != nil {
			return nil, err
		}
		dids := make([]int64, len(batch))
		for i, st := range batch {
			dids[i] = domainIDs[st.Domain]
		}
		timelineIDs, err := s.timelineIDs(ctx, dids, r.run.Vantage)
		if err != nil {
			return nil, err
		}
		for i, st := range batch {
			out = append(out, ids{domain: dids[i], answer: answerIDs[st.Fingerprint], timeline: timelineIDs[dids[i]]})
		}
	}
	return out, nil
}

// upsertIDs returns the IDs by key (the first of args) of rows that query
// finds, after insert has added those it did not (insert is given only the
// missing rows' args): an unchanged run only reads.
func (s *Store) upsertIDs(ctx context.Context, insert, query string, args ...[]string) (map[string]int64, error) {
	out, err := s.lookup(ctx, query, args[0])
	if err != nil || len(out) == len(args[0]) {
		return out, err
	}
	missing := make([][]string, len(args))
	for i, k := range args[0] {
		if _, ok := out[k]; ok {
			continue
		}
		for j := range args {
			missing[j] = append(missing[j], args[j][i])
		}
	}
	margs := make([]any, len(missing))
	for i, m := range missing {
		margs[i] = m
	}
	if _, err := s.pool.Exec(ctx, insert, margs...); err != nil {
		return nil, s.wrap(fmt.Errorf("record: %w", err))
	}
	added, err := s.lookup(ctx, query, missing[0])
	if err != nil {
		return nil, err
	}
	maps.Copy(out, added)
	return out, nil
}

func (s *Store) lookup(ctx context.Context, query string, keys []string) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, query, keys)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("record: %w", err))
	}
	out := make(map[string]int64, len(keys))
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, s.wrap(fmt.Errorf("record: %w", err))
		}
		out[k] = id
	}
	return out, s.wrap(rows.Err())
}

func (s *Store) timelineIDs(ctx context.Context, domainIDs []int64, vantage string) (map[int64]int64, error) {
	find := func(ids []int64, out map[int64]int64) error {
		rows, err := s.pool.Query(ctx, `SELECT domain_id, id FROM timelines WHERE vantage = $2 AND domain_id = ANY($1)`, ids, vantage)
		if err != nil {
			return s.wrap(fmt.Errorf("record: %w", err))
		}
		for rows.Next() {
			var d, id int64
			if err := rows.Scan(&d, &id); err != nil {
				return s.wrap(fmt.Errorf("record: %w", err))
			}
			out[d] = id
		}
		return s.wrap(rows.Err())
	}
	out := make(map[int64]int64, len(domainIDs))
	if err := find(domainIDs, out); err != nil || len(out) == len(domainIDs) {
		return out, err
	}
	var missing []int64
	for _, d := range domainIDs {
		if _, ok := out[d]; !ok {
			missing = append(missing, d)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO timelines(domain_id, vantage) SELECT d, $2 FROM unnest($1::bigint[]) AS x(d)
		ORDER BY d ON CONFLICT (domain_id, vantage) DO NOTHING`, missing, vantage); err != nil {
		return nil, s.wrap(fmt.Errorf("record: %w", err))
	}
	return out, find(missing, out)
}

func (s *Store) viewID(ctx context.Context, v probe.View) (int64, error) {
	resolv, subnets := mustJSON(orEmpty(v.Resolvers)), mustJSON(orEmpty(v.Subnets))
	key := mustJSON([]string{resolv, subnets})
	return s.insertOrFind(ctx, `WITH ins AS (INSERT INTO views(resolvers, subnets, key) VALUES ($1::jsonb, $2::jsonb, $3)
		ON CONFLICT (key) DO NOTHING RETURNING id)
		SELECT id FROM ins UNION ALL SELECT id FROM views WHERE key = $3`, resolv, subnets, key)
}

// insertOrFind runs an insert-or-select statement for one row's ID. When
// another run inserts the same row at once, the statement waits for it and
// then neither inserts nor (in its snapshot) sees the row: the next try does.
func (s *Store) insertOrFind(ctx context.Context, query string, args ...any) (int64, error) {
	for try := 0; ; try++ {
		var id int64
		err := s.pool.QueryRow(ctx, query, args...).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) && try < 3 {
			continue
		}
		return id, s.wrap(err)
	}
}

func (s *Store) datasetIDs(ctx context.Context, datasets []attribution.Dataset) ([]int64, error) {
	out := make([]int64, 0, len(datasets))
	for _, d := range datasets {
		details := mustJSON(d)
		id, err := s.insertOrFind(ctx, `WITH ins AS (INSERT INTO datasets(name, version, license, details) VALUES ($1, $2, $3, $4)
			ON CONFLICT (details) DO NOTHING RETURNING id)
			SELECT id FROM ins UNION ALL SELECT id FROM datasets WHERE details = $4`, d.ID, d.Version, d.License, details)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("record datasets: %w", err))
		}
		out = append(out, id)
	}
	return out, nil
}

// write is the run's transaction. emitted says whether emit was called.
func (r *recording) write(ctx context.Context, viewID int64, datasetIDs []int64, refs []ids, emit func(probe.Change) error) (runID int64, emitted bool, err error) {
	s := r.s
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, false, s.wrap(fmt.Errorf("begin recording: %w", err))
	}
	defer tx.Rollback(context.Background())
	locks := make([]int64, len(refs))
	for i, ref := range refs {
		locks[i] = ref.timeline
	}
	slices.Sort(locks)
	for i := 0; i < len(locks); i += lockChunk {
		if _, err := tx.Exec(ctx, "SELECT id FROM timelines WHERE id = ANY($1) ORDER BY id FOR UPDATE", locks[i:min(i+lockChunk, len(locks))]); err != nil {
			return 0, false, s.wrap(fmt.Errorf("lock the run's timelines: %w", err))
		}
	}
	run := r.run
	finished := run.FinishedAt
	if finished.IsZero() {
		finished = run.Now()
	}
	if err := tx.QueryRow(ctx, "SELECT nextval('run_ids')").Scan(&runID); err != nil {
		return 0, false, s.wrap(fmt.Errorf("record the run: %w", err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO runs(id, started_at, finished_at, tool_version, datasets, view_id, vantage, run_group, targets, confirm)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, runID, formatTime(run.StartedAt), formatTime(finished), run.ToolVersion,
		datasetIDs, viewID, run.Vantage, run.Group, r.count, run.Confirm); err != nil {
		return 0, false, s.wrap(fmt.Errorf("record the run: %w", err))
	}
	sg, err := r.rewind()
	if err != nil {
		return 0, false, fmt.Errorf("history database %s: %w", s.name, err)
	}
	w := writer{s: s, tx: tx, runID: runID, viewID: viewID, run: run}
	recorded := 0
	for done := 0; sg.left > 0; {
		batch, err := sg.next()
		if err != nil {
			return 0, emitted, fmt.Errorf("history database %s: %w", s.name, err)
		}
		n, err := w.chunk(ctx, batch, refs[done:done+len(batch)], func(c probe.Change) error {
			emitted = true
			return emit(c)
		})
		if err != nil {
			return 0, emitted, err
		}
		recorded += n
		done += len(batch)
	}
	if recorded != r.count {
		if _, err := tx.Exec(ctx, "UPDATE runs SET targets = $1 WHERE id = $2", recorded, runID); err != nil {
			return 0, emitted, s.wrap(fmt.Errorf("record the run: %w", err))
		}
	}
	if err := insertMeasurements(ctx, tx, runID, &r.rtts); err != nil {
		return 0, emitted, s.wrap(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, emitted, s.wrap(fmt.Errorf("commit run: %w", err))
	}
	return runID, emitted, nil
}

// writer writes one run's chunks inside its transaction.
type writer struct {
	s      *Store
	tx     pgx.Tx
	runID  int64
	viewID int64
	run    history.RunInfo
}

// timelineRow is where a timeline stands (see the timelines table).
type timelineRow struct {
	latest, latestAnswer, latestView int64
	latestSeen                       time.Time
	settled                          bool
	settledConfirm                   int
	resume                           int64
	lastGroup                        string
	spans                            []storedSpan
}

// chunk compares a chunk of staged observations with their timelines and
// writes them; it returns how many it recorded (an observation of a group
// its timeline already has one in is not). An observation identical to its
// settled timeline's latest span (same answer and view) brings nothing and
// is written without reading the timeline back; the others are replayed
// from the run their timeline's resume_run says.
func (w *writer) chunk(ctx context.Context, batch []staged, refs []ids, emit func(probe.Change) error) (int, error) {
	s := w.s
	tlIDs := make([]int64, len(refs))
	for i, ref := range refs {
		tlIDs[i] = ref.timeline
	}
	timelines := map[int64]*timelineRow{}
	rows, err := w.tx.Query(ctx, `SELECT id, coalesce(latest_span, 0), coalesce(latest_answer, 0), coalesce(latest_view, 0), coalesce(latest_seen, ''),
		settled, settled_confirm, resume_run, last_group FROM timelines WHERE id = ANY($1)`, tlIDs)
	if err != nil {
		return 0, s.wrap(fmt.Errorf("record: %w", err))
	}
	for rows.Next() {
		var id int64
		var seen string
		t := &timelineRow{}
		if err := rows.Scan(&id, &t.latest, &t.latestAnswer, &t.latestView, &seen, &t.settled, &t.settledConfirm, &t.resume, &t.lastGroup); err != nil {
			return 0, s.wrap(fmt.Errorf("record: %w", err))
		}
		if seen != "" {
			if t.latestSeen, err = parseTime(seen); err != nil {
				return 0, fmt.Errorf("history database %s: timelines.latest_seen of timeline %d: %w", s.name, id, err)
			}
		}
		timelines[id] = t
	}
	if err := rows.Err(); err != nil {
		return 0, s.wrap(fmt.Errorf("record: %w", err))
	}
	// fits: the observation is its settled timeline's latest answer again.
	fits := func(t *timelineRow, ref ids) bool {
		return t.latest != 0 && t.settled && t.settledConfirm == w.run.Confirm && t.latestAnswer == ref.answer && t.latestView == w.viewID
	}
	var replay []int64
	for i, ref := range refs {
		t := timelines[ref.timeline]
		if t == nil {
			return 0, fmt.Errorf("history database %s: the timeline of %s is missing", s.name, batch[i].Domain)
		}
		if t.latest != 0 && !fits(t, ref) {
			replay = append(replay, ref.timeline)
		}
	}
	if len(replay) > 0 {
		prior, err := s.readSpans(ctx, w.tx, spanFilter{timelines: replay, forWrite: true})
		if err != nil {
			return 0, err
		}
		for _, sp := range prior {
			if t := timelines[sp.timeline]; t != nil {
				t.spans = append(t.spans, sp)
			}
		}
	}
	opts := history.Options{Confirm: w.run.Confirm}
	var (
		extIDs                      []int64
		extAt                       []string
		newTL, newDomain, newAnswer []int64
		newAt, newStatus            []string
		newErr, newKind             []*string
		tlID, tlResume, tlSpan      []int64
		tlSeen                      []string
		tlSettled                   []bool
		changes                     []probe.Change
		recorded                    int
	)
	for i, st := range batch {
		ref := refs[i]
		t := timelines[ref.timeline]
		if w.run.Group != "" && t.lastGroup == w.run.Group {
			continue // one observation per domain and vantage per group
		}
		recorded++
		extend := t.latest != 0 && t.latestAnswer == ref.answer && t.latestView == w.viewID && history.SameDay(t.latestSeen, st.At)
		resume, settled := t.resume, true
		sp := history.Span{Domain: st.Domain, Unicode: st.Unicode, Vantage: w.run.Vantage, View: w.run.View,
			Observation: st.observation(), FirstSeen: st.At, LastSeen: st.At, Count: 1, FirstRun: w.runID, LastRun: w.runID,
			Confirm: w.run.Confirm}
		switch {
		case t.latest == 0:
			var c []probe.Change
			c, resume, _, settled = history.Start(sp, opts)
			changes = append(changes, c...)
		case fits(t, ref):
			// Nothing to compare: the period goes on.
		default:
			spans := make([]history.Span, len(t.spans), len(t.spans)+1)
			for j, p := range t.spans {
				spans[j] = p.Span
				if extend && p.id == t.latest {
					l := &spans[j]
					l.LastSeen, l.LastRun, l.Count, l.Confirm = maxTime(l.LastSeen, st.At), w.runID, l.Count+1, w.run.Confirm
				}
			}
			if !extend {
				spans = append(spans, sp)
			}
			changes = append(changes, history.Latest(spans, opts)...)
			resume, _, settled = history.Position(spans, opts)
		}
		at, seen, spanID := formatTime(st.At), st.At, int64(0)
		if extend {
			spanID, seen = t.latest, maxTime(t.latestSeen, st.At)
			extIDs, extAt = append(extIDs, spanID), append(extAt, at)
		} else {
			newTL, newDomain, newAnswer = append(newTL, ref.timeline), append(newDomain, ref.domain), append(newAnswer, ref.answer)
			newAt, newStatus = append(newAt, at), append(newStatus, string(st.Status))
			newErr, newKind = append(newErr, orNull(st.Error)), append(newKind, orNull(string(st.ErrorKind)))
		}
		tlID, tlResume, tlSpan = append(tlID, ref.timeline), append(tlResume, resume), append(tlSpan, spanID)
		tlSeen, tlSettled = append(tlSeen, formatTime(seen)), append(tlSettled, settled)
		// The timeline's row is read again only by a later run.
		t.latestAnswer = ref.answer
	}
	if len(extIDs) > 0 {
		if _, err := w.tx.Exec(ctx, `UPDATE observations o SET last_run_id = $1, last_seen = greatest(o.last_seen, x.at), seen_count = o.seen_count + 1
			FROM unnest($2::bigint[], $3::text[]) AS x(id, at) WHERE o.id = x.id`, w.runID, extIDs, extAt); err != nil {
			return 0, s.wrap(fmt.Errorf("record: extend spans: %w", err))
		}
	}
	newSpans := map[int64]int64{} // timeline → its new span
	if len(newTL) > 0 {
		rows, err := w.tx.Query(ctx, `INSERT INTO observations(timeline_id, domain_id, vantage, view_id, answer_id, first_run_id, last_run_id,
			first_seen, last_seen, seen_count, status, error, error_kind)
			SELECT tl, d, $1, $2, a, $3, $3, at, at, 1, st, e, k
			FROM unnest($4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[]) AS x(tl, d, a, at, st, e, k)
			RETURNING timeline_id, id`, w.run.Vantage, w.viewID, w.runID, newTL, newDomain, newAnswer, newAt, newStatus, newErr, newKind)
		if err != nil {
			return 0, s.wrap(fmt.Errorf("record: add spans: %w", err))
		}
		for rows.Next() {
			var tl, id int64
			if err := rows.Scan(&tl, &id); err != nil {
				return 0, s.wrap(fmt.Errorf("record: add spans: %w", err))
			}
			newSpans[tl] = id
		}
		if err := rows.Err(); err != nil {
			return 0, s.wrap(fmt.Errorf("record: add spans: %w", err))
		}
	}
	for i, id := range tlSpan {
		if id == 0 {
			tlSpan[i] = newSpans[tlID[i]]
		}
	}
	answers := make([]int64, len(tlID))
	for i, id := range tlID {
		answers[i] = timelines[id].latestAnswer
	}
	if len(tlID) > 0 {
		if _, err := w.tx.Exec(ctx, `UPDATE timelines t SET latest_span = x.span, latest_answer = x.answer, latest_view = $2,
			latest_seen = x.seen, settled = x.settled, settled_confirm = $3, resume_run = x.resume, last_group = $1
			FROM unnest($4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::boolean[]) AS x(id, span, resume, answer, seen, settled)
			WHERE t.id = x.id`, w.run.Group, w.viewID, w.run.Confirm, tlID, tlSpan, tlResume, answers, tlSeen, tlSettled); err != nil {
			return 0, s.wrap(fmt.Errorf("record: timelines: %w", err))
		}
	}
	for _, c := range changes {
		if err := emit(c); err != nil {
			return 0, err
		}
	}
	return recorded, nil
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orNone[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only values of this package's types, which marshal
	}
	return string(b)
}
