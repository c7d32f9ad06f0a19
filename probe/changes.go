package probe

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
)

// ChangeKind classifies how a domain's hosting changed between two observations.
type ChangeKind string

// The kinds of change, in the order reports list them (most telling first).
const (
	ChangeCountry    ChangeKind = "country_changed"   // a country not in the previous period
	ChangeProvider   ChangeKind = "provider_changed"  // an organisation not in the previous period
	ChangeASN        ChangeKind = "asn_changed"       // a network (ASN) not in the previous period
	ChangeGone       ChangeKind = "gone"              // NXDOMAIN where there were addresses
	ChangeNew        ChangeKind = "new"               // first observation of the domain
	ChangeStatus     ChangeKind = "status_changed"    // any other change of status
	ChangeCNAME      ChangeKind = "cname_changed"     // a different CNAME chain
	ChangeAddresses  ChangeKind = "addresses_changed" // other addresses in the same networks and countries: rotation
	ChangeUnresolved ChangeKind = "unresolved"        // timeout, SERVFAIL or REFUSED: never a move; the last hosting stands
)

// ChangeKinds returns every kind, most telling first.
func ChangeKinds() []ChangeKind {
	return []ChangeKind{ChangeCountry, ChangeProvider, ChangeASN, ChangeGone, ChangeNew, ChangeStatus, ChangeCNAME, ChangeAddresses, ChangeUnresolved}
}

// IsMove reports whether the kind means the servers moved (network, provider or country).
func (k ChangeKind) IsMove() bool {
	return k == ChangeCountry || k == ChangeProvider || k == ChangeASN
}

// Hosting is what changes are decided on: one domain's answer reduced to sets,
// sorted and without duplicates.
type Hosting struct {
	Status    resolvers.Status
	CNAME     []string     // the chain's targets, in order
	Addresses []netip.Addr // sorted
	ASNs      []uint32     // sorted
	Orgs      []string     // sorted; the provider until providers are attributed
	Countries []string     // sorted
}

// HostingOf reduces an observation to its Hosting.
func HostingOf(o Observation) Hosting {
	h := Hosting{Status: o.Status}
	for _, hop := range o.CNAMEChain {
		h.CNAME = append(h.CNAME, strings.ToLower(hop.Target))
	}
	for _, a := range o.Addresses {
		h.Addresses = append(h.Addresses, a.IP)
		if a.ASN != 0 {
			h.ASNs = append(h.ASNs, a.ASN)
		}
		if a.ASOrg != "" {
			h.Orgs = append(h.Orgs, a.ASOrg)
		}
		if a.Country != "" {
			h.Countries = append(h.Countries, a.Country)
		}
	}
	slices.SortFunc(h.Addresses, netip.Addr.Compare)
	h.Addresses = slices.Compact(h.Addresses)
	slices.Sort(h.ASNs)
	h.ASNs = slices.Compact(h.ASNs)
	slices.Sort(h.Orgs)
	h.Orgs = slices.Compact(h.Orgs)
	slices.Sort(h.Countries)
	h.Countries = slices.Compact(h.Countries)
	return h
}

// Unresolved reports whether the status says nothing about where the domain
// is hosted (the resolver failed), so that the last known hosting stands.
func (h Hosting) Unresolved() bool {
	return h.Status == resolvers.StatusTimeout || h.Status == resolvers.StatusServFail || h.Status == resolvers.StatusRefused
}

// Change is one confirmed change of a domain's hosting.
type Change struct {
	Domain string
	// Kinds are every kind that applies, most telling first; Kinds[0] names the change.
	Kinds []ChangeKind
	// Before is the hosting of the period that ended (all of it, for a
	// round-robin pool); After is the observation that started the new one.
	Before, After Hosting
	// BeforeAt is when Before was last seen; AfterAt when After was first seen.
	// The change happened between the two.
	BeforeAt, AfterAt time.Time
	// ConfirmedAt is when the change was confirmed: AfterAt, or later with --confirm N.
	ConfirmedAt time.Time
}

// Kind is the most telling kind of the change.
func (c Change) Kind() ChangeKind {
	if len(c.Kinds) == 0 {
		return ""
	}
	return c.Kinds[0]
}

// IsMove reports whether the servers moved network, provider or country.
func (c Change) IsMove() bool { return slices.ContainsFunc(c.Kinds, ChangeKind.IsMove) }

// Period is a stretch of time in which a domain's hosting did not move: the
// union of what was seen in it.
type Period struct {
	Domain       string
	From, To     time.Time // first and last observation in the period
	Hosting      Hosting   // union of addresses, networks, organisations and countries seen
	Observations int       // how many observations the period holds
}

// Violation is an address that breaks a hosting policy (--allow-country,
// --deny-country, --allow-asn), found on a run whether or not anything changed.
type Violation struct {
	Domain  string
	Address netip.Addr
	ASN     uint32
	Country string
	// Rule says which policy the address breaks, e.g. "country SG is not allowed (--allow-country ID)".
	Rule string
}
