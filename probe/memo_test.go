package probe

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// sharedHosting serves d0.test … d(n-1).test, every one on the same two
// addresses in two networks of one AS, with their PTR and Team Cymru
// records (under origin.test and asn.test), and counts the queries it gets
// by name and type.
type sharedHosting struct {
	zone dns.Handler
	mu   sync.Mutex
	asks map[string]int
}

func newSharedHosting(t *testing.T, n int) *sharedHosting {
	t.Helper()
	var b strings.Builder
	b.WriteString("$ORIGIN test.\n@ 60 IN SOA ns.test. h.test. 1 60 60 60 60\n")
	for i := range n {
		fmt.Fprintf(&b, "d%d 60 IN A 170.33.13.55\nd%d 60 IN A 170.33.14.1\n", i, i)
	}
	b.WriteString(`in-addr.arpa. 60 IN SOA ns.test. h.test. 1 60 60 60 60
origin.test. 60 IN SOA ns.test. h.test. 1 60 60 60 60
asn.test. 60 IN SOA ns.test. h.test. 1 60 60 60 60
55.13.33.170.in-addr.arpa. 60 IN PTR web1.host.test.
1.14.33.170.in-addr.arpa. 60 IN PTR web2.host.test.
55.13.33.170.origin.test. 60 IN TXT "45102 | 170.33.13.0/24 | ID | apnic | 2016-01-01"
1.14.33.170.origin.test. 60 IN TXT "45102 | 170.33.14.0/24 | ID | apnic | 2016-01-01"
AS45102.asn.test. 60 IN TXT "45102 | US | arin | 2009-01-01 | ALIBABA-CN-NET Alibaba US Technology Co., Ltd., CN"
`)
	h, err := resolverstest.NewZoneHandler(b.String())
	if err != nil {
		t.Fatal(err)
	}
	return &sharedHosting{zone: h, asks: map[string]int{}}
}

func (s *sharedHosting) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	s.mu.Lock()
	s.asks[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype]]++
	s.mu.Unlock()
	s.zone.ServeDNS(w, r)
}

// With --ptr and --cymru on many names that share addresses, each address
// and each AS is asked about once for the run, and every name still gets
// the whole answer.
func TestRunMemoisesExtraLookups(t *testing.T) {
	t.Parallel()
	const n = 40
	h := newSharedHosting(t, n)
	srv := resolverstest.Start(t, h)
	opts := newRun(t, h, 8)
	c := newClient(t, srv.Addr, 2*time.Second)
	opts.Resolver, opts.PTR = c, c
	cy := cymru.New(NewQueryMemo(c))
	cy.Zones = cymru.Zones{Origin: "origin.test", Origin6: "origin6.test", ASN: "asn.test"}
	opts.Cymru = cy
	var targets []Target
	for i := range n {
		targets = append(targets, ParseTarget(fmt.Sprintf("d%d.test", i), "args", 0))
	}
	err := Run(t.Context(), targets, opts, func(o Observation) error {
		if o.Status != resolvers.StatusOK || len(o.Addresses) != 2 {
			t.Fatalf("%s: %s with %d addresses, want ok with 2", o.Target.Domain, o.Status, len(o.Addresses))
		}
		for _, a := range o.Addresses {
			x := a.Extra
			if x == nil || len(x.PTR) != 1 || !strings.HasPrefix(x.PTR[0], "web") || x.Cymru == nil ||
				x.Cymru.Status != cymru.StatusOK || len(x.Cymru.ASNames) != 1 || x.Cymru.ASNames[0].ASN != 45102 {
				t.Fatalf("%s %s: extra %+v, want its PTR name and Cymru's record with the AS name", o.Target.Domain, a.IP, x)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, q := range []string{
		"55.13.33.170.in-addr.arpa. PTR", "1.14.33.170.in-addr.arpa. PTR",
		"55.13.33.170.origin.test. TXT", "1.14.33.170.origin.test. TXT", "as45102.asn.test. TXT",
	} {
		if got := h.asks[q]; got != 1 {
			t.Errorf("%s asked %d times, want once", q, got)
		}
	}
}

// An answer cut short by its caller's context is not kept: the next caller
// asks again. One that ended on its own (a timeout of its own) is kept.
func TestMemoKeepsOnlyWholeAnswers(t *testing.T) {
	t.Parallel()
	m := newMemo[string, int](4)
	calls := 0
	ask := func(ctx context.Context) int { calls++; return calls }
	cut, cancel := context.WithCancel(t.Context())
	cancel()
	if got := m.do(cut, "a", ask); got != 1 {
		t.Fatalf("first = %d", got)
	}
	if got := m.do(t.Context(), "a", ask); got != 2 {
		t.Fatalf("after a cut-short answer = %d, want a new lookup (2)", got)
	}
	if got := m.do(t.Context(), "a", ask); got != 2 {
		t.Fatalf("again = %d, want the kept answer (2)", got)
	}
}

// The memo holds at most two generations of its limit, keeping the keys
// asked recently.
func TestMemoStaysBounded(t *testing.T) {
	t.Parallel()
	m := newMemo[int, int](8)
	for i := range 1000 {
		m.do(t.Context(), i, func(context.Context) int { return i })
		m.do(t.Context(), 0, func(context.Context) int { return -1 }) // key 0 is hot
	}
	if n := len(m.cur) + len(m.old); n > 16 {
		t.Fatalf("memo holds %d keys, want at most 16", n)
	}
	if got := m.do(t.Context(), 0, func(context.Context) int { return -1 }); got != 0 {
		t.Fatalf("the hot key was forgotten: %d", got)
	}
}
