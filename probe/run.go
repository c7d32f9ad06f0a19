package probe

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Resolver turns a domain into addresses with evidence.
type Resolver interface {
	Resolve(ctx context.Context, name string) resolvers.Result
}

// Attributor tells what is known of an address.
type Attributor interface {
	Lookup(ip netip.Addr) attribution.Result
}

// PTRLooker finds the reverse DNS names of an address.
type PTRLooker interface {
	PTR(ctx context.Context, ip netip.Addr) ([]string, []resolvers.Exchange, error)
}

// CymruLooker asks Team Cymru about an address.
type CymruLooker interface {
	Lookup(ctx context.Context, ip netip.Addr) cymru.Result
}

// RDAPLooker asks the registries about the network holding an address.
type RDAPLooker interface {
	Lookup(ctx context.Context, ip netip.Addr) rdap.Network
}

// LinkedGeofeedLooker tells what the geofeed a registry record links to
// (RFC 9632) says of an address, taking only prefixes inside space.
type LinkedGeofeedLooker interface {
	Claim(ctx context.Context, rawURL string, space []netip.Prefix, ip netip.Addr) (attribution.GeofeedClaim, bool, error)
}

// GeofeedLooker tells what the installed operators' geofeeds say of an
// address. An Attributor that implements it adds the claim to Extra.
type GeofeedLooker interface {
	Geofeed(ip netip.Addr) (attribution.GeofeedClaim, bool)
}

// CDNNamer tells from a CNAME chain whether a site is served through a CDN.
// An Attributor that implements it marks the addresses behind such a chain.
type CDNNamer interface {
	CDNByCNAME(chain []string) (string, bool)
}

// DefaultConcurrency is how many targets Run resolves at once unless told otherwise.
const DefaultConcurrency = 64

// MaxConcurrency is the most targets Run resolves at once: memory grows with
// the work in flight (each target's goroutine and answer, and the in-order
// window of twice the concurrency), and past a few thousand queries in
// flight a resolver only drops them.
const MaxConcurrency = 4096

// DefaultDeadline bounds the whole of one target's work unless told
// otherwise: with the resolvers' defaults (3s per reply, two retries) a
// silent resolver costs 9s, which leaves room for CNAME hops asked one by
// one and for the PTR, Cymru and RDAP lookups.
const DefaultDeadline = 30 * time.Second

// ExtraInFlight is how many PTR, Cymru and RDAP lookups of one target's
// addresses run at once: a domain's addresses are usually far fewer, so they
// take one round, and an answer of thousands of addresses is still bounded.
const ExtraInFlight = 64

// readAhead is how many targets RunSeq reads ahead of the workers.
const readAhead = 64

// ErrDeadline says a target's deadline passed: the cause of its context is
// then ErrDeadline (for errors.Is), and so are the errors of the lookups it
// cut short.
var ErrDeadline = errors.New("deadline passed")

// deadlineError says which deadline passed; it is ErrDeadline and, for code
// that tells timeouts apart, context.DeadlineExceeded.
type deadlineError struct{ limit time.Duration }

func (e deadlineError) Error() string {
	return fmt.Sprintf("the domain's deadline of %s passed", e.limit)
}

func (e deadlineError) Is(target error) bool {
	return target == ErrDeadline || target == context.DeadlineExceeded
}

// Options configure Run.
type Options struct {
	Resolver   Resolver
	Attributor Attributor
	// Concurrency is how many targets are resolved at once (DefaultConcurrency if < 1).
	Concurrency int
	// Deadline bounds the whole of one target's work: resolution with its
	// CNAME hops and retries, then PTR, Cymru, RDAP, --records, --http and
	// --authoritative (DefaultDeadline if < 1).
	Deadline time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// PTR and Cymru, when set, are asked about every address (--ptr, --cymru).
	PTR   PTRLooker
	Cymru CymruLooker
	// RDAP, when set, is asked about every globally reachable address (--rdap).
	RDAP RDAPLooker
	// LinkedGeofeeds, when set with RDAP, follows a record's geofeed link
	// for an address no installed geofeed covers.
	LinkedGeofeeds LinkedGeofeedLooker
	// HTTP, when set, fetches each domain's front page (--http) with these
	// options; its Resolve is filled in with Resolver.
	HTTP *frontdoor.Options
	// Authoritative, when set, also asks the zone's own name servers
	// (--authoritative), through Query for the NS set.
	Authoritative *AuthoritativeOptions
	// Records lists the record types to ask for beyond A and AAAA
	// (--records), through Query.
	Records []uint16
	Query   Querier
	// Compare, when set, replaces Resolver: each is asked separately, side by
	// side, and the observation keeps every answer and says whether they agree.
	Compare []NamedResolver
	// RTT, when set, measures the round trip to every address (--rtt) and
	// bounds where it answers from.
	RTT *RTTOptions
	// Progress, when set, hears of each target as it starts and ends.
	Progress Progress
}

// NamedResolver is one resolver asked on its own, with the name reports give it.
type NamedResolver struct {
	Name string
	Resolver
}

// Run audits a list of targets: RunSeq over its values.
func Run(ctx context.Context, targets []Target, opts Options, emit func(Observation) error) error {
	return RunSeq(ctx, slices.Values(targets), opts, emit)
}

// RunSeq audits targets concurrently as they come from the sequence, and
// calls emit with each observation in input order, as soon as it and every
// target before it are done. At most Concurrency targets are in flight,
// taken by workers that live for the run, and at most twice that many are
// started and not yet emitted: when a target hangs, the ones after it finish
// and wait, and no more than readAhead targets beyond them are read until
// it is done (back-pressure). A run of any size thus holds a bounded number
// of observations, and reads its input only as fast as it is audited. Each
// target's work is bounded by Deadline.
//
// When ctx is cancelled RunSeq starts no new target; the targets in flight
// end at once with status interrupted and what they learned by then, and
// every target started is emitted, in order, before RunSeq returns ctx's
// error. It does not wait for the sequence: a reader blocked on a terminal
// or a pipe is left to end when its next line comes or its input closes,
// and it is then stopped (yield returns false). An error from emit stops
// the run and is returned.
func RunSeq(ctx context.Context, targets iter.Seq[Target], opts Options, emit func(Observation) error) error {
	workers := opts.Concurrency
	if workers < 1 {
		workers = DefaultConcurrency
	}
	workers = max(1, min(workers, MaxConcurrency))
	window := 2 * workers
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	opts = memoise(opts)
	progress := opts.Progress
	if progress == nil {
		progress = noProgress{}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The sequence is read in a goroutine of its own, so that a read that
	// blocks (a terminal, a pipe) never holds up the end of the run. It
	// reads a little ahead, so that the workers seldom wait for it and it
	// seldom waits for them: a goroutine handing each name to the next
	// stage, one wake-up at a time, cost a bulk run a tenth of its time.
	in := make(chan Target, readAhead)
	go func() {
		defer close(in)
		for t := range targets {
			select {
			case in <- t:
			case <-ctx.Done():
				return
			}
		}
	}()

	// pending holds, in input order, the result of each target started and
	// not yet emitted, but for the one the loop below is waiting for: hence
	// window-1. Workers live for the run and take one target after
	// another, each queueing its result's place in pending as it takes it
	// (under pull, so the places are in input order); a worker is added
	// only when every one is busy, so that only the work in flight costs
	// goroutines (a one-name run starts two) and a worker's grown stack
	// serves the targets after the first.
	pending := make(chan chan Observation, window-1)
	// free keeps the places emitted, for reuse: a new one per target was
	// most of the memory a bulk run allocated per name.
	free := make(chan chan Observation, window)
	var (
		pull    sync.Mutex
		idle    atomic.Int32 // workers waiting for their next target
		started atomic.Int32
		wg      sync.WaitGroup
	)
	var dl *deadlines
	if lean(opts) {
		dl = newDeadlines(ctx, deadline(opts))
		defer dl.stop()
	}
	var work func()
	work = func() {
		var ln *lane
		if dl != nil {
			ln = dl.lane()
		}
		for {
			idle.Add(1)
			pull.Lock()
			var (
				t  Target
				ok bool
			)
			// Without waiting first: a select that waits locks the run's
			// Done channel, which every worker shares, as well as in.
			select {
			case t, ok = <-in:
			default:
				select {
				case t, ok = <-in:
				case <-ctx.Done():
				}
			}
			idle.Add(-1)
			if !ok {
				pull.Unlock()
				return
			}
			var done chan Observation // closed without a value when never started
			select {
			case done = <-free:
			default:
				done = make(chan Observation, 1)
			}
			select {
			case pending <- done:
			default:
				select {
				case pending <- done: // waits while the window is full
				case <-ctx.Done():
				}
			}
			if idle.Load() == 0 && started.Load() < int32(workers) {
				started.Add(1)
				wg.Go(work)
			}
			pull.Unlock()
			if ctx.Err() != nil {
				// Both may have been ready: once the run is over, nothing
				// starts (and a done not queued is never read).
				close(done)
				return
			}
			progress.Started(t)
			obs := observe(ctx, t, opts, now, ln)
			progress.Finished(obs)
			done <- obs
		}
	}
	started.Add(1)
	wg.Go(work)
	go func() {
		wg.Wait()
		close(pending)
	}()

	var emitErr error
	for done := range pending {
		obs, ok := <-done
		if !ok {
			continue
		}
		select {
		case free <- done:
		default:
		}
		if emitErr != nil {
			continue
		}
		if err := emit(obs); err != nil {
			emitErr = err
			cancel()
		}
	}
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// ErrInterrupted is the error of a target whose work the run's end cut
// short (status interrupted).
var ErrInterrupted = errors.New("interrupted before the domain's work was done")

// interrupted marks obs as cut short by the end of the run, keeping what
// it learned.
func interrupted(obs Observation, now func() time.Time) Observation {
	obs.Status = resolvers.StatusInterrupted
	obs.Error = ErrInterrupted.Error()
	obs.ErrorKind = ErrorNone
	if obs.Duration == 0 && !obs.StartedAt.IsZero() {
		obs.Duration = now().Sub(obs.StartedAt)
	}
	return obs
}

// observe resolves and attributes one target within its deadline. When ctx
// ends before the target is finished, the observation says interrupted and
// keeps what was learned by then, so that a partial answer never reads as a
// whole one; when the deadline passes instead, it keeps what was learned
// and says timeout.
//
// With a lane (a run that only resolves), the target's context is the
// lane's, with the target's deadline; without, a context with a timeout of
// its own.
func observe(ctx context.Context, t Target, opts Options, now func() time.Time, ln *lane) Observation {
	r, a := opts.Resolver, opts.Attributor
	start := now().UTC()
	obs := Observation{Target: t, StartedAt: start}
	if t.Err != nil {
		obs.Status = resolvers.StatusInvalid
		obs.Error = t.Err.Error()
		return obs
	}
	if ctx.Err() != nil {
		return interrupted(obs, now)
	}
	limit := deadline(opts)
	var dctx context.Context
	if ln != nil {
		dctx = ln.begin()
		defer ln.end()
	} else {
		c, stop := context.WithTimeoutCause(ctx, limit, deadlineError{limit})
		defer stop()
		dctx = c
	}

	var res resolvers.Result
	if len(opts.Compare) > 0 {
		res, obs.Answers = resolveEach(dctx, t.Domain, opts.Compare)
	} else {
		res = r.Resolve(dctx, t.Domain)
	}
	obs.Duration = now().Sub(start)
	if ctx.Err() != nil {
		obs.CNAMEChain, obs.Queries = res.CNAMEChain, res.Exchanges
		return interrupted(obs, now)
	}
	obs.Status = res.Status
	if dctx.Err() != nil && !finished(res.Status) {
		// However the query in flight ended (a timeout, a closed
		// connection), it ended because the deadline passed: like a
		// timeout, that says nothing of where the domain is hosted.
		obs.Status = resolvers.StatusTimeout
		switch {
		case res.Err == nil:
			res.Err = context.Cause(dctx)
		case !errors.Is(res.Err, ErrDeadline):
			res.Err = fmt.Errorf("%w: %w", context.Cause(dctx), res.Err)
		}
	}
	if res.Err != nil {
		obs.Error = res.Err.Error()
	}
	obs.ErrorKind = ErrorKindOf(obs.Status, res.Err)
	obs.CNAMEChain = res.CNAMEChain
	obs.Queries = res.Exchanges
	obs.Addresses = make([]Address, 0, len(res.Answers))
	cdnByName := ""
	if namer, ok := a.(CDNNamer); ok && len(res.CNAMEChain) > 0 {
		targets := make([]string, len(res.CNAMEChain))
		for i, h := range res.CNAMEChain {
			targets[i] = h.Target
		}
		cdnByName, _ = namer.CDNByCNAME(targets)
	}
	gl, _ := a.(GeofeedLooker)
	for _, ans := range res.Answers {
		// In place: an Address is a few hundred bytes.
		obs.Addresses = append(obs.Addresses, Address{IP: ans.Addr, TTL: ans.TTL})
		addr := &obs.Addresses[len(obs.Addresses)-1]
		if a != nil {
			addr.Result = a.Lookup(ans.Addr)
		}
		if cdnByName != "" && !addr.CDN && addr.SpecialUse == "" {
			addr.CDN, addr.CDNName, addr.Sources.CDN = true, cdnByName, "hostwatch/cdn-cnames"
		}
		if gl != nil {
			if c, ok := gl.Geofeed(ans.Addr); ok {
				addr.Extra = &Extra{Geofeed: &c}
			}
		}
	}
	extras(dctx, obs.Addresses, opts)
	if ctx.Err() != nil {
		return interrupted(obs, now)
	}
	if len(obs.Answers) > 0 {
		obs.Consistency, obs.OddOnesOut = consistency(obs.Answers, obs.Addresses)
	}
	if opts.HTTP != nil && obs.Status == resolvers.StatusOK {
		obs.HTTP = frontDoor(dctx, t.Domain, opts)
	}
	if opts.Authoritative != nil && opts.Query != nil {
		rec := ResolverAnswer{Resolver: AnswerRecursive, Status: obs.Status, CNAMEChain: obs.CNAMEChain}
		for _, a := range obs.Addresses {
			rec.Addresses = append(rec.Addresses, a.IP)
		}
		obs.Authoritative, obs.AuthoritativeConsistency, obs.AuthoritativeOdd = authoritative(dctx, t.Domain, rec, opts)
	}
	if len(opts.Records) > 0 && opts.Query != nil {
		obs.Records = lookupRecords(dctx, t.Domain, opts.Records, opts.Query, opts)
	}
	if ctx.Err() != nil {
		return interrupted(obs, now)
	}
	return obs
}

// deadline is the bound of one target's work.
func deadline(opts Options) time.Duration {
	if opts.Deadline < 1 {
		return DefaultDeadline
	}
	return opts.Deadline
}

// finished reports whether a resolution that ended with status s had its
// answer: addresses, or the resolvers' word that there are none.
func finished(s resolvers.Status) bool {
	return s == resolvers.StatusOK || s == resolvers.StatusNXDomain || s == resolvers.StatusNoData || s == resolvers.StatusInvalid
}

// extras runs the opt-in lookups (--rtt, --ptr, --cymru, --rdap) of every
// address, ExtraInFlight at a time, so that a domain whose reverse zone is
// silent costs one timeout rather than one per address. The round trips are
// queued first (before the deadline runs short), then the PTR lookups, then
// Cymru's, then the registries' (which wait for their turn at each
// registry). Addresses that are not globally reachable are not sent to
// Team Cymru or the registries: they know nothing of them; round trips to
// them are refused by the RTT policy unless it allows private ones.
func extras(ctx context.Context, addrs []Address, opts Options) {
	if opts.PTR == nil && opts.Cymru == nil && opts.RDAP == nil && opts.RTT == nil {
		return
	}
	// The lookups' closures move opts to the heap: only when there are any.
	lookupExtras(ctx, addrs, opts)
}

// lookupExtras is the work of extras.
func lookupExtras(ctx context.Context, addrs []Address, opts Options) {
	var rtts, ptr, cym, reg []func()
	for i := range addrs {
		ip, special := addrs[i].IP, addrs[i].SpecialUse != ""
		x := addrs[i].Extra // a geofeed's claim may be there already
		if x == nil {
			x = &Extra{}
			addrs[i].Extra = x
		}
		if opts.PTR != nil {
			x.PTRAsked = true
			ptr = append(ptr, func() {
				names, ex, err := opts.PTR.PTR(ctx, ip)
				x.PTR = names
				if err != nil {
					x.PTRError, x.PTRStatus = err.Error(), PTRStatusOf(err)
					if len(ex) > 0 {
						x.PTRResolver = ex[len(ex)-1].Resolver
					}
				}
			})
		}
		if opts.Cymru != nil && !special {
			cym = append(cym, func() {
				res := opts.Cymru.Lookup(ctx, ip)
				x.Cymru = &res
			})
		}
		if opts.RDAP != nil && !special {
			reg = append(reg, func() {
				n := opts.RDAP.Lookup(ctx, ip)
				x.RDAP = &n
				if opts.LinkedGeofeeds != nil && n.Geofeed != "" && x.Geofeed == nil {
					// A feed that cannot be fetched claims nothing, and says why.
					c, ok, err := opts.LinkedGeofeeds.Claim(ctx, n.Geofeed, n.CIDRs, ip)
					switch {
					case err != nil:
						x.GeofeedFailure = geofeedFailure(n.Geofeed, err)
					case ok:
						x.Geofeed = &c
					}
				}
			})
		}
		if opts.RTT != nil {
			a := addrs[i]
			rtts = append(rtts, func() { x.RTT = opts.RTT.measure(ctx, a) })
		}
	}
	runLimited(ExtraInFlight, slices.Concat(rtts, ptr, cym, reg))
}

// geofeedFailure is the model's word for a linked geofeed's error.
func geofeedFailure(link string, err error) *GeofeedFailure {
	f := &GeofeedFailure{URL: link, Kind: string(attribution.GeofeedFetchFailed), Error: err.Error()}
	var ge *attribution.GeofeedError
	if errors.As(err, &ge) {
		f.Kind, f.Error = string(ge.Kind), ge.Detail()
	}
	return f
}

// runLimited runs tasks, at most limit at once, in order, and returns when
// every one is done.
func runLimited(limit int, tasks []func()) {
	if len(tasks) == 1 {
		tasks[0]()
		return
	}
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, task := range tasks {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			task()
		})
	}
	wg.Wait()
}

// frontDoor fetches the domain's front page, resolving every hop's host
// through the run's own resolver (so the evidence matches the audit), and
// attributes the address each hop connected to.
func frontDoor(ctx context.Context, domain string, opts Options) *FrontDoor {
	o := *opts.HTTP
	o.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		res := opts.Resolver.Resolve(ctx, host)
		if res.Status != resolvers.StatusOK {
			return nil, fmt.Errorf("resolve %s: %s", host, res.Status)
		}
		out := make([]netip.Addr, 0, len(res.Answers))
		for _, a := range res.Answers {
			out = append(out, a.Addr)
		}
		return out, nil
	}
	fd := &FrontDoor{Result: frontdoor.Fetch(ctx, domain, o)}
	for _, h := range fd.Hops {
		a := Address{IP: h.ConnectedTo.Addr()}
		if a.IP.IsValid() && opts.Attributor != nil {
			a.Result = opts.Attributor.Lookup(a.IP)
		}
		fd.Connected = append(fd.Connected, a)
	}
	return fd
}
