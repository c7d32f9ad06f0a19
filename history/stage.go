package history

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Staged is what every backend keeps of one observation, before it writes
// it in its own form: the domain, when it was observed, its outcome, its
// CNAME chain and its addresses in canonical order, and its fingerprint.
type Staged struct {
	Domain, Unicode string
	At              time.Time
	Status          resolvers.Status
	Error           string
	ErrorKind       probe.ErrorKind
	Chain           []resolvers.Hop
	Addresses       []probe.Address // CanonicalAddresses
	Fingerprint     string
}

// Stage returns what the history keeps of o, observed in a run started at
// runStarted (the time o is dated by when it carries none). keep is false
// for an observation the history does not record: an invalid name, never
// sent.
func Stage(o probe.Observation, runStarted time.Time) (s Staged, keep bool, err error) {
	if o.Status == resolvers.StatusInvalid {
		return Staged{}, false, nil
	}
	if o.Target.Domain == "" {
		return Staged{}, false, errors.New("record an observation: no domain")
	}
	addrs, err := CanonicalAddresses(o.Addresses)
	if err != nil {
		return Staged{}, false, fmt.Errorf("record %s: %w", o.Target.Domain, err)
	}
	return Staged{
		Domain: o.Target.Domain, Unicode: cmp.Or(o.Target.Unicode, o.Target.Domain), At: cmp.Or(o.StartedAt, runStarted).UTC(),
		Status: o.Status, Error: o.Error, ErrorKind: o.ErrorKind, Chain: o.CNAMEChain, Addresses: addrs,
		Fingerprint: Fingerprint(o, addrs),
	}, true, nil
}
