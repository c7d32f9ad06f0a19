// Package history stores observations over time and detects how a domain's hosting changes.
//
// # The store
//
// A Store is one SQLite file (modernc.org/sqlite, pure Go) that sqlite3 or
// Datasette can read: plain column types, times as RFC 3339 text in UTC with
// a fixed nine-digit fraction (so text order is time order), lists as JSON.
// Its tables are described in SCHEMA.md:
//
//   - meta: key/value facts about the file (schema_version, created_at, created_by).
//   - datasets: each distinct attribution dataset description, stored once.
//   - runs: one row per Record: started_at, finished_at, tool_version,
//     datasets (JSON list of datasets.id), resolvers (JSON), vantage, targets.
//   - domains: id, name (ASCII, unique), unicode.
//   - answers: each distinct answer (status, CNAME chain, attributed
//     addresses), found by its fingerprint and stored once.
//   - addresses: the attributed addresses of an answer.
//   - observations: spans. A span is a run of identical consecutive
//     observations of a domain: first and last run and time, seen_count,
//     status, the error text of its first observation, and its answer.
//   - views hosting (one row per span and address) and run_datasets.
//
// Record writes a run in one transaction. An observation whose answer has
// the same fingerprint as the domain's last span (same status, error kind,
// CNAME chain, addresses and their attribution and sources; TTLs are not
// compared) only moves that span's last_run_id and last_seen on and counts
// it, so unchanged observations add no rows. Observations with status
// invalid are not stored.
//
// Migrations run on Open in one transaction; the schema version is PRAGMA
// user_version, and PRAGMA application_id marks the file as hostwatch's.
// The file is in WAL mode, and writers wait up to 10 s for each other
// (ErrLocked after that). A file of a newer schema (ErrNewerSchema), or that
// is not a hostwatch history (ErrNotDatabase: not SQLite, corrupt, or
// another program's database), is refused before anything is written to it.
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
//   - A period holds the union of the addresses, ASNs, organisations and
//     countries seen while the hosting did not move. A resolved observation
//     with the period's status is a move when it has a country, organisation
//     or ASN not in that union: its kinds are country_changed,
//     provider_changed and asn_changed for each dimension with something
//     new, plus cname_changed when its CNAME chain differs from the
//     period's last observation, plus addresses_changed when its addresses
//     do. A pool answering with subsets of the same networks, or dropping
//     one, does not move.
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
