// Package history models observations over time and detects how a domain's hosting changes.
//
// # The store
//
// Store is the interface every backend implements (history/sqlite today;
// history/storetest is the suite each passes). A run is recorded with
// Begin, Add for each observation as it arrives, and Commit, which writes
// the run in one transaction and, inside it, reports what each observation
// brought against what is committed, so that concurrent runs each report
// exactly their own changes. Spans are kept per (domain, vantage), through
// one view (resolvers and client subnets), within one UTC day.
//
// This package keeps the pure parts: the span model, fingerprints, the
// timeline replay (Timeline, Latest) and where a timeline stands (Position,
// Tip), which a backend may keep to avoid replaying a period on every run.
//
// # Change detection
//
// Timeline replays a domain's spans; a span of n observations counts as n.
//
//   - The first resolved observation of a domain is new (Before empty). If
//     the domain was unresolved before that, the start of that stretch is
//     reported as unresolved, with Before empty.
//   - Unresolved observations (timeout, servfail, refused) are never moves:
//     the last known hosting stands, the period goes on, and they neither
//     count toward nor break a confirmation. The start of each unresolved
//     stretch is reported once, as unresolved.
//   - A period holds the union of the addresses, ASNs, prefixes,
//     organisations and places (probe.Place: provider, else AS
//     organisation, and country; a CDN edge is its CDN without a country)
//     seen through one view while the hosting did not move. A resolved
//     observation with the period's status is a move (probe.MoveRule) when
//     it has a place not in that union: country_changed and/or
//     provider_changed, plus asn_changed, cname_changed and
//     addresses_changed as they apply. A new ASN or prefix with no new
//     place is network_changed (renumbering), not a move. A pool answering
//     with subsets of the same places, or dropping one, does not move.
//   - An observation through another view (resolvers, client subnets) than
//     the period's is view_changed: not compared, it starts a period of its
//     own, never a move.
//   - An observation that is not a move but has addresses outside the
//     union, or other addresses than the period's last observation, is
//     addresses_changed (rotation); a different CNAME chain alone is
//     cname_changed. The period goes on and its union grows.
//   - A change of status between resolved statuses (ok, nxdomain, nodata,
//     error) is gone (from addresses to nxdomain) or status_changed, plus
//     cname_changed when the chain differs; it ends the period, as a move does.
//   - With Confirm N, a move or status change is reported only when N
//     consecutive resolved observations each are a move or status change
//     against the old period; an observation that fits the old period first
//     drops it as a blip. ConfirmedAt is the time of the N-th observation:
//     its span's first_seen if it is the span's first observation, else the
//     span's last_seen. The new period starts with the observation that
//     started the change, and the observations after it are compared with
//     the new period. Other kinds are reported without confirmation.
//   - A change has Before (the old period's union, with the CNAME chain of
//     its last observation), After (the observation that started the new
//     state), BeforeAt (when the old period was last seen), AfterAt (when the
//     new state was first seen) and ConfirmedAt. Kinds are in the order of
//     probe.ChangeKinds, most telling first.
//   - Results are sorted by time and then by domain.
//
// Compare applies the same classification to two single observations (a
// diff of two saved reports): there is no period, so the union is the
// before observation itself, and a before that is missing or unresolved
// makes a resolved after new.
package history
