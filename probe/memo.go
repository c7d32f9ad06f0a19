package probe

import (
	"context"
	"net/netip"
	"slices"
	"sync"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/resolvers"
)

// MemoEntries bounds each of a run's memos (PTR and Cymru per address,
// RDAP per address, Cymru's AS records per ASN): it keeps the answers of up
// to twice that many keys, the most recently used, so that a bulk run of a
// million names asks once for the addresses they share (shared hosting, CDN
// edges) and its memory stays flat.
const MemoEntries = 8192

// memo shares the answer for a key among the lookups of a run: a lookup
// for a key already asked waits for that answer, or takes it when it came.
// An answer is kept only when the lookup was not cut short by its caller's
// context (the domain's deadline, or the end of the run): a reverse zone
// that timed out on its own is not asked again, a lookup a deadline cut is.
// It holds two generations of at most limit keys each: when the current one
// is full it becomes the old one, and a key found in the old one moves back.
type memo[K comparable, V any] struct {
	mu       sync.Mutex
	cur, old map[K]*memoCall[V]
	limit    int
}

type memoCall[V any] struct {
	done chan struct{}
	val  V
	ok   bool // the lookup ran to its end: val may be shared
}

func newMemo[K comparable, V any](limit int) *memo[K, V] {
	return &memo[K, V]{cur: map[K]*memoCall[V]{}, limit: max(1, limit)}
}

// do returns the memoised answer for key, or f's.
func (m *memo[K, V]) do(ctx context.Context, key K, f func(context.Context) V) V {
	for {
		m.mu.Lock()
		c := m.cur[key]
		if c == nil {
			if c = m.old[key]; c != nil {
				m.put(key, c)
			}
		}
		if c == nil {
			c = &memoCall[V]{done: make(chan struct{})}
			m.put(key, c)
			m.mu.Unlock()
			c.val = f(ctx)
			c.ok = ctx.Err() == nil
			if !c.ok {
				m.drop(key, c)
			}
			close(c.done)
			return c.val
		}
		m.mu.Unlock()
		select {
		case <-c.done:
			if c.ok {
				return c.val
			}
			// Its caller was cut short: ask again.
		case <-ctx.Done():
			return f(ctx) // ends at once, with the caller's own error
		}
	}
}

// put adds key, turning the current generation into the old one when full.
// m.mu is held.
func (m *memo[K, V]) put(key K, c *memoCall[V]) {
	if len(m.cur) >= m.limit {
		m.old, m.cur = m.cur, make(map[K]*memoCall[V], m.limit)
	}
	m.cur[key] = c
}

// drop forgets c, unless key has been asked again since.
func (m *memo[K, V]) drop(key K, c *memoCall[V]) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur[key] == c {
		delete(m.cur, key)
	}
	if m.old[key] == c {
		delete(m.old, key)
	}
}

// memoise gives a run's opt-in lookups (--ptr, --cymru, --rdap) a memo per
// address each, for the run.
func memoise(opts Options) Options {
	if opts.PTR != nil {
		opts.PTR = &memoPTR{PTRLooker: opts.PTR, m: newMemo[netip.Addr, ptrAnswer](MemoEntries)}
	}
	if opts.Cymru != nil {
		opts.Cymru = &memoCymru{CymruLooker: opts.Cymru, m: newMemo[netip.Addr, cymru.Result](MemoEntries)}
	}
	if opts.RDAP != nil {
		opts.RDAP = &memoRDAP{RDAPLooker: opts.RDAP, m: newMemo[netip.Addr, rdap.Network](MemoEntries)}
	}
	return opts
}

type ptrAnswer struct {
	names []string
	ex    []resolvers.Exchange
	err   error
}

type memoPTR struct {
	PTRLooker
	m *memo[netip.Addr, ptrAnswer]
}

func (p *memoPTR) PTR(ctx context.Context, ip netip.Addr) ([]string, []resolvers.Exchange, error) {
	a := p.m.do(ctx, ip, func(ctx context.Context) ptrAnswer {
		names, ex, err := p.PTRLooker.PTR(ctx, ip)
		return ptrAnswer{names, ex, err}
	})
	return slices.Clone(a.names), a.ex, a.err
}

type memoCymru struct {
	CymruLooker
	m *memo[netip.Addr, cymru.Result]
}

func (c *memoCymru) Lookup(ctx context.Context, ip netip.Addr) cymru.Result {
	return c.m.do(ctx, ip, func(ctx context.Context) cymru.Result { return c.CymruLooker.Lookup(ctx, ip) })
}

type memoRDAP struct {
	RDAPLooker
	m *memo[netip.Addr, rdap.Network]
}

func (r *memoRDAP) Lookup(ctx context.Context, ip netip.Addr) rdap.Network {
	return r.m.do(ctx, ip, func(ctx context.Context) rdap.Network { return r.RDAPLooker.Lookup(ctx, ip) })
}

// QueryMemo memoises the answers of a Querier by name and type for as long
// as it is used, MemoEntries at a time, as a run's memos do. Given to
// cymru.New for a run, it asks for each AS record once per ASN, however
// many addresses name it.
type QueryMemo struct {
	q Querier
	m *memo[queryKey, queryAnswer]
}

type queryKey struct {
	name  string
	qtype uint16
}

type queryAnswer struct {
	msg *dns.Msg
	ex  []resolvers.Exchange
	err error
}

// NewQueryMemo returns a QueryMemo that asks q.
func NewQueryMemo(q Querier) *QueryMemo {
	return &QueryMemo{q: q, m: newMemo[queryKey, queryAnswer](MemoEntries)}
}

// Query returns the answer for name and qtype, asked once. The reply is
// shared between callers: they must not change it.
func (m *QueryMemo) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, []resolvers.Exchange, error) {
	a := m.m.do(ctx, queryKey{dns.CanonicalName(name), qtype}, func(ctx context.Context) queryAnswer {
		msg, ex, err := m.q.Query(ctx, name, qtype)
		return queryAnswer{msg, ex, err}
	})
	return a.msg, a.ex, a.err
}
