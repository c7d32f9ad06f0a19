package history

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
)

// Errors that every backend returns (wrapped, naming the store) for what
// callers must tell apart with errors.Is.
var (
	// ErrNewerSchema: the store was written by a newer hostwatch. It is
	// refused and left unchanged.
	ErrNewerSchema = errors.New("written by a newer hostwatch")
	// ErrNotDatabase: the location does not hold a hostwatch history (not
	// SQLite, or another program's database). It is refused and never
	// overwritten.
	ErrNotDatabase = errors.New("not a hostwatch history database")
	// ErrDamaged: the store is a hostwatch history, but damaged (SQLite's
	// quick_check fails, or a read meets corruption). Nothing is written to
	// it; what can still be read is the user's to rescue.
	ErrDamaged = errors.New("damaged")
	// ErrLocked: another process kept the store locked for longer than the
	// store waits.
	ErrLocked = errors.New("locked by another process")
	// ErrUnreachable: the store is a server that cannot be reached (down,
	// refused, or the credentials or TLS settings were not accepted).
	ErrUnreachable = errors.New("cannot be reached")
)

// Store keeps observations over time. Backends (history/sqlite, …) live in
// their own packages and pass the conformance suite in history/storetest.
// Its methods may be called from several goroutines, and several processes
// may use one store at once.
type Store interface {
	// Begin starts recording a run. Each change the run brings is given to
	// emit, in the order the observations were added, from one goroutine at
	// a time, at any moment until Commit returns (a backend may compare
	// observations as they are added, or all of them in Commit). Nothing of
	// the run is visible to readers until its Commit succeeds, and when
	// Commit fails nothing of it is stored: a caller must not publish what
	// emit gave it until Commit has returned nil.
	Begin(ctx context.Context, run RunInfo, emit func(probe.Change) error) (Recording, error)
	// Spans returns the spans q asks for, whole, ordered by domain, vantage
	// and time.
	Spans(ctx context.Context, q Query) ([]Span, error)
	// Domains returns the names (ASCII form) of every domain with
	// observations, sorted.
	Domains(ctx context.Context) ([]string, error)
	// DomainsAfter returns a page of Domains: at most limit names, sorted,
	// each sorting after after ("" for the first page). It reads a large
	// database a batch of domains at a time without holding every name.
	DomainsAfter(ctx context.Context, after string, limit int) ([]string, error)
	// Vantages returns the distinct vantage names of the recorded runs,
	// sorted ("" for runs taken without --vantage).
	Vantages(ctx context.Context) ([]string, error)
	// Runs returns every recorded run, oldest first.
	Runs(ctx context.Context) ([]Run, error)
	// Measurements returns every round trip recorded to ip (check --rtt),
	// from every vantage, in SortMeasurements' order; with the zero
	// netip.Addr, every round trip recorded (db copy).
	Measurements(ctx context.Context, ip netip.Addr) ([]Measurement, error)
	Close() error
}

// Recording is one run being recorded. Add may be called as observations
// arrive: a backend keeps them out of memory (in a file of its own, or
// written into its open transaction) until Commit.
type Recording interface {
	// Add adds one observation. Observations with status invalid are
	// ignored; a domain given twice keeps its first observation.
	Add(ctx context.Context, o probe.Observation) error
	// Commit writes the run in one transaction in which each observation is
	// compared with what was committed before it began (see Latest).
	Commit(ctx context.Context) (runID int64, err error)
	// Abort drops the run; it is safe after Commit.
	Abort() error
}

// Query selects spans.
type Query struct {
	// Domains are names in ASCII form; none means every domain.
	Domains []string
	// Vantage is the vantage to read; "" with AllVantages false reads the
	// runs taken without --vantage.
	Vantage     string
	AllVantages bool
	// Since and Until keep the spans that overlap that time (a zero time
	// leaves that end open).
	Since, Until time.Time
}

// RunInfo describes one run of observations: when, with which hostwatch and
// data, through which resolvers and client subnets, from where.
type RunInfo struct {
	// StartedAt is when the run began; when zero, Begin uses the time it is
	// called. FinishedAt, when zero, is the time Commit is called, by Now
	// (time.Now when nil).
	StartedAt, FinishedAt time.Time
	Now                   func() time.Time
	ToolVersion           string
	Datasets              []attribution.Dataset
	// View is how the run asked: resolvers as given and client subnets.
	View probe.View
	// Vantage names where the run was made from (free text, e.g. a CI runner).
	Vantage string
	// Location is the vantage's position (--vantage-location), nil when
	// not given: recorded with the run's round trips (not read back by Runs).
	Location *geo.Point
	// Confirm is the --confirm the run used, kept so that history reads the
	// record the way check did (1 when zero).
	Confirm int
	// Group ties the runs of one scheduled run together (its shards, e.g.
	// a CI run's ID): a (domain, vantage) observed again in a group it
	// already has an observation in is not recorded again. Backends that
	// cannot keep groups refuse a run that names one.
	Group string
}

// Run is a recorded run, as Runs returns it.
type Run struct {
	ID int64
	RunInfo
	// Targets is how many observations the run recorded.
	Targets int
}

// Span is a run of identical consecutive observations of one domain, from
// one vantage through one view, within one UTC day, stored once.
type Span struct {
	// Domain is the name in ASCII form; Unicode its Unicode form.
	Domain, Unicode string
	Vantage         string
	View            probe.View
	// Observation is what was observed: Target, Status, Error (the text of
	// the span's first observation), ErrorKind, CNAMEChain and attributed
	// Addresses. TTLs are not kept, and StartedAt is FirstSeen.
	Observation probe.Observation
	// FirstSeen and LastSeen are the times of the first and last observation.
	FirstSeen, LastSeen time.Time
	// Count is how many observations the span holds.
	Count int
	// FirstRun and LastRun are the IDs of the runs that made them.
	FirstRun, LastRun int64
	// Confirm is the --confirm recorded with the span's last run.
	Confirm int
	// Datasets is the version of the attribution data of the span's last run,
	// e.g. "ip-location-db/asn 2026-06-17".
	Datasets string
}

// SameDay reports whether two times fall on one UTC day: spans never cross
// midnight, so that the daily export is exact.
func SameDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// Record records a run of observations held in memory (Begin, Add, Commit)
// and returns its ID and the changes it brought: for tests and small runs.
func Record(ctx context.Context, s Store, run RunInfo, obs []probe.Observation) (int64, []probe.Change, error) {
	var changes []probe.Change
	rec, err := s.Begin(ctx, run, func(c probe.Change) error {
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	defer rec.Abort()
	for _, o := range obs {
		if err := rec.Add(ctx, o); err != nil {
			return 0, nil, err
		}
	}
	id, err := rec.Commit(ctx)
	if err != nil {
		return 0, nil, err
	}
	return id, changes, nil
}
