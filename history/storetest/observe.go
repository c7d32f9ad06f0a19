package storetest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Observer makes observations for tests whose addresses are attributed by
// the real shipped data.
type Observer struct {
	DB *attribution.DB
}

// NewObserver opens the shipped data for the test.
func NewObserver(t testing.TB) Observer {
	t.Helper()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return Observer{DB: db}
}

// OK observes domain answering with ips at time when.
func (ob Observer) OK(domain string, when time.Time, ips ...string) probe.Observation {
	o := Observation(domain, when, resolvers.StatusOK)
	for _, s := range ips {
		ip := netip.MustParseAddr(s)
		o.Addresses = append(o.Addresses, probe.Address{IP: ip, TTL: 300, Result: ob.DB.Lookup(ip)})
	}
	return o
}

// Observation is an observation of domain with a status and no addresses,
// worded as the resolvers word it.
func Observation(domain string, when time.Time, status resolvers.Status) probe.Observation {
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

// WithCNAME adds a CNAME chain to o.
func WithCNAME(o probe.Observation, targets ...string) probe.Observation {
	name := o.Target.Domain
	for _, target := range targets {
		o.CNAMEChain = append(o.CNAMEChain, resolvers.Hop{Name: name, Target: target, TTL: 300})
		name = target
	}
	return o
}

// Moves counts the confirmed moves among changes.
func Moves(changes []probe.Change) int {
	n := 0
	for _, c := range changes {
		if c.IsMove() {
			n++
		}
	}
	return n
}
