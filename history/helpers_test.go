package history

import (
	"net/netip"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// t0 is the time of the first observation in the tests.
var t0 = time.Date(2024, 2, 14, 8, 0, 0, 0, time.UTC)

// at is the time of the i-th check, five minutes apart.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

// openAttribution opens the real embedded data.
func openAttribution(t testing.TB) *attribution.DB {
	t.Helper()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// observer makes observations whose addresses are attributed by the real data.
type observer struct {
	t  testing.TB
	db *attribution.DB
}

func newObserver(t testing.TB) observer { return observer{t, openAttribution(t)} }

// ok observes domain answering with ips at time when.
func (ob observer) ok(domain string, when time.Time, ips ...string) probe.Observation {
	ob.t.Helper()
	o := observation(domain, when, resolvers.StatusOK)
	for _, s := range ips {
		ip := netip.MustParseAddr(s)
		o.Addresses = append(o.Addresses, probe.Address{IP: ip, TTL: 300, Result: ob.db.Lookup(ip)})
	}
	return o
}

// observation is an observation of domain with a status and no addresses.
func observation(domain string, when time.Time, status resolvers.Status) probe.Observation {
	o := probe.Observation{
		Target:    probe.Target{Input: domain, Domain: domain, Unicode: domain},
		Status:    status,
		StartedAt: when,
	}
	switch status {
	case resolvers.StatusNXDomain:
		o.Error = domain + " A: " + resolvers.ErrNXDomain.Error()
	case resolvers.StatusNoData:
		o.Error = resolvers.ErrNoData.Error()
	case resolvers.StatusTimeout:
		o.Error = "A and AAAA from 127.0.0.1:5300: timeout"
	case resolvers.StatusInvalid:
		o.Error = "invalid domain name"
	}
	return o
}

// withCNAME adds a CNAME chain to o.
func withCNAME(o probe.Observation, targets ...string) probe.Observation {
	name := o.Target.Domain
	for _, target := range targets {
		o.CNAMEChain = append(o.CNAMEChain, resolvers.Hop{Name: name, Target: target, TTL: 300})
		name = target
	}
	return o
}
