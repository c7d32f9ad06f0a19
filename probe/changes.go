package probe

import (
	"cmp"
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
	ChangeCountry    ChangeKind = "country_changed"   // a hosting country not in the previous period (or a provider in a country it was not in)
	ChangeProvider   ChangeKind = "provider_changed"  // a provider not in the previous period
	ChangeNetwork    ChangeKind = "network_changed"   // a new ASN or prefix, same providers and countries: renumbering, never a move
	ChangeASN        ChangeKind = "asn_changed"       // a network (ASN) not in the previous period
	ChangeGone       ChangeKind = "gone"              // NXDOMAIN where there were addresses
	ChangeNew        ChangeKind = "new"               // first observation of the domain
	ChangeStatus     ChangeKind = "status_changed"    // any other change of status
	ChangeView       ChangeKind = "view_changed"      // asked through other resolvers or client subnets: not compared, never a move
	ChangeCNAME      ChangeKind = "cname_changed"     // a different CNAME chain
	ChangeAddresses  ChangeKind = "addresses_changed" // other addresses in the same networks and countries: rotation
	ChangeUnresolved ChangeKind = "unresolved"        // timeout, SERVFAIL or REFUSED: never a move; the last hosting stands
)

// ChangeKinds returns every kind, most telling first.
func ChangeKinds() []ChangeKind {
	return []ChangeKind{ChangeCountry, ChangeProvider, ChangeNetwork, ChangeASN, ChangeGone, ChangeNew, ChangeStatus,
		ChangeView, ChangeCNAME, ChangeAddresses, ChangeUnresolved}
}

// MoveRule is the one definition of a move that every count of moves uses,
// worded for people; reports print it next to the count.
const MoveRule = "a move is a new (provider, country) pair among a domain's non-CDN addresses, or a new CDN; " +
	"the provider is the attribution's provider, else the AS organisation; " +
	"renumbering inside one provider and country, rotation, and a change of resolver, vantage or client subnet are not moves"

// Place is where one address is hosted, as moves are counted: who runs it
// and in which country. A CDN edge's place is its CDN with no country: an
// edge's country says where the visitor is served, not where the site is.
type Place struct {
	Provider string
	Country  string
}

// ComparePlaces orders places by provider, then country.
func ComparePlaces(a, b Place) int {
	return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Country, b.Country))
}

// String names the place for people: "Alibaba Cloud/SG", "CDN Cloudflare".
func (p Place) String() string {
	if p.Country == "" {
		return p.Provider
	}
	return p.Provider + "/" + p.Country
}

// PlaceOf is the place of an attributed address; ok is false when nothing
// is known of it (no provider, organisation or country, or a special-purpose
// address): such an address cannot be counted as a move.
func PlaceOf(a Address) (p Place, ok bool) {
	switch {
	case a.SpecialUse != "":
		return Place{}, false
	case a.CDN:
		return Place{Provider: "CDN " + cmp.Or(a.CDNName, a.Provider, a.ASOrg)}, true
	}
	p = Place{Provider: cmp.Or(a.Provider, a.ASOrg), Country: a.Country}
	return p, p != Place{}
}

// Hosting is what changes are decided on: one domain's answer reduced to sets,
// sorted and without duplicates.
type Hosting struct {
	Status    resolvers.Status
	CNAME     []string     // the chain's targets, in order
	Addresses []netip.Addr // sorted
	ASNs      []uint32     // sorted
	Prefixes  []netip.Prefix
	Orgs      []string // AS organisations, sorted
	// Places are the (provider, country) pairs of the addresses, sorted;
	// Providers and Countries are their parts (the countries of non-CDN
	// addresses only).
	Places    []Place
	Providers []string
	Countries []string
}

// HostingOf reduces an observation to its Hosting. Each set is allocated
// once, for as many items as there are addresses, when it gets its first
// (a set that gets none stays nil).
func HostingOf(o Observation) Hosting {
	h := Hosting{Status: o.Status}
	if len(o.CNAMEChain) > 0 {
		h.CNAME = make([]string, 0, len(o.CNAMEChain))
	}
	for _, hop := range o.CNAMEChain {
		h.CNAME = append(h.CNAME, strings.ToLower(hop.Target))
	}
	n := len(o.Addresses)
	for _, a := range o.Addresses {
		h.Addresses = appendSized(h.Addresses, a.IP, n)
		if a.ASN != 0 {
			h.ASNs = appendSized(h.ASNs, a.ASN, n)
		}
		if a.Prefix.IsValid() {
			h.Prefixes = appendSized(h.Prefixes, a.Prefix, n)
		}
		if a.ASOrg != "" {
			h.Orgs = appendSized(h.Orgs, a.ASOrg, n)
		}
		if p, ok := PlaceOf(a); ok {
			h.Places = appendSized(h.Places, p, n)
			if p.Provider != "" {
				h.Providers = appendSized(h.Providers, p.Provider, n)
			}
			if p.Country != "" {
				h.Countries = appendSized(h.Countries, p.Country, n)
			}
		}
	}
	h.Normalize()
	return h
}

// appendSized appends v to s, made with room for n items if it is nil.
func appendSized[T any](s []T, v T, n int) []T {
	if s == nil {
		s = make([]T, 0, n)
	}
	return append(s, v)
}

// Normalize sorts every set and drops duplicates.
func (h *Hosting) Normalize() {
	slices.SortFunc(h.Addresses, netip.Addr.Compare)
	h.Addresses = slices.Compact(h.Addresses)
	slices.Sort(h.ASNs)
	h.ASNs = slices.Compact(h.ASNs)
	slices.SortFunc(h.Prefixes, netip.Prefix.Compare)
	h.Prefixes = slices.Compact(h.Prefixes)
	slices.Sort(h.Orgs)
	h.Orgs = slices.Compact(h.Orgs)
	slices.SortFunc(h.Places, ComparePlaces)
	h.Places = slices.Compact(h.Places)
	slices.Sort(h.Providers)
	h.Providers = slices.Compact(h.Providers)
	slices.Sort(h.Countries)
	h.Countries = slices.Compact(h.Countries)
}

// Unresolved reports whether the status says nothing about where the domain
// is hosted (the resolver failed), so that the last known hosting stands.
func (h Hosting) Unresolved() bool {
	return h.Status == resolvers.StatusTimeout || h.Status == resolvers.StatusServFail || h.Status == resolvers.StatusRefused
}

// View is how a domain was asked: through which resolvers (as given) and
// client subnets. Answers seen through different views are never compared
// for moves: geo-DNS answers each view its own way.
type View struct {
	Resolvers []string
	Subnets   []string
}

// Equal reports whether two views are the same (order of the lists counts
// for resolvers, which are tried in order).
func (v View) Equal(w View) bool {
	return slices.Equal(v.Resolvers, w.Resolvers) && slices.Equal(v.Subnets, w.Subnets)
}

// String names the view for people: "127.0.0.1:53, 127.0.0.1:5353 (ecs 36.64.0.0/24)".
func (v View) String() string {
	s := strings.Join(v.Resolvers, ", ")
	if s == "" {
		s = "unknown resolvers"
	}
	if len(v.Subnets) > 0 {
		s += " (" + strings.Join(v.Subnets, "; ") + ")"
	}
	return s
}

// Change is one change of a domain's hosting, as seen from one vantage.
type Change struct {
	Domain  string
	Vantage string
	// Kinds are every kind that applies, most telling first; Kinds[0] names the change.
	Kinds []ChangeKind
	// Move says the change counts as a move under MoveRule (once confirmed).
	Move bool
	// Before is the hosting of the period that ended (all of it, for a
	// round-robin pool); After is the observation that started the new one.
	Before, After Hosting
	// BeforeView and AfterView are how each side was asked; they differ only
	// for view_changed.
	BeforeView, AfterView View
	// BeforeAt is when Before was last seen; AfterAt when After was first seen.
	// The change happened between the two.
	BeforeAt, AfterAt time.Time
	// ConfirmedAt is when the change was confirmed: AfterAt, or later with
	// --confirm N; zero while it is pending.
	ConfirmedAt time.Time
	// Seen and Confirm say how many consecutive observations the change has
	// held and how many it needs (--confirm); Seen < Confirm while pending.
	Seen, Confirm int
}

// Kind is the most telling kind of the change.
func (c Change) Kind() ChangeKind {
	if len(c.Kinds) == 0 {
		return ""
	}
	return c.Kinds[0]
}

// Pending reports whether the change is still waiting for confirmation.
func (c Change) Pending() bool { return c.Seen < c.Confirm }

// IsMove reports whether the change is a confirmed move under MoveRule.
func (c Change) IsMove() bool { return c.Move && !c.Pending() }

// Period is a stretch of time in which a domain's hosting, seen from one
// vantage through one view, did not move: the union of what was seen in it.
type Period struct {
	Domain   string
	Vantage  string
	View     View
	From, To time.Time // first and last observation in the period
	// Hosting is the union of addresses, networks, organisations and places
	// seen; its CNAME is the last chain seen, and CNAMEChains every distinct
	// chain, in the order first seen.
	Hosting      Hosting
	CNAMEChains  [][]string
	Observations int // how many observations the period holds
}

// Violation is an address that breaks a hosting policy (--allow-country,
// --deny-country, --allow-asn), found on a run whether or not anything changed.
type Violation struct {
	Domain  string
	Address netip.Addr
	ASN     uint32
	Country string
	// Policy is the policy the address breaks, and Values that policy's
	// list as given (countries, or ASNs as "AS7713"): reports word it,
	// e.g. "country SG is not allowed (--allow-country ID)".
	Policy PolicyCode
	Values []string
}

// PolicyCode names a hosting policy; the values are stable and reports
// carry them as a violation's "policy".
type PolicyCode string

// The hosting policies.
const (
	PolicyAllowCountry PolicyCode = "allow_country" // --allow-country: the address's country is not listed
	PolicyDenyCountry  PolicyCode = "deny_country"  // --deny-country: the address's country is listed
	PolicyAllowASN     PolicyCode = "allow_asn"     // --allow-asn: the address's network is not listed
)
