// Package probe defines hostwatch's model (targets, observations, addresses)
// and runs an audit: targets in, attributed observations out. It prints nothing.
package probe

import (
	"errors"
	"net/netip"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Schema names the version of the report format that reports write.
const Schema = "hostwatch.report/v1"

// Target is one domain to audit, as the user gave it and in its DNS form.
type Target struct {
	// Input is the name exactly as given (trimmed), for error messages.
	Input string
	// Domain is the name in ASCII (IDNA/punycode) form, lower case, no trailing dot.
	Domain string
	// Unicode is the name in Unicode form; equal to Domain for plain ASCII names.
	Unicode string
	// Source and Line say where the name came from ("args", a file name, "-"); Line is 0 for args.
	Source string
	Line   int
	// Err is set when the name is not a valid domain; such a target is reported
	// with status "invalid" and never sent to a resolver.
	Err error
}

// Observation is everything learned about one target in one run.
type Observation struct {
	Target Target
	Status resolvers.Status
	Error  string
	// ErrorKind is why the domain did not resolve, told apart with errors.Is
	// when the error was made.
	ErrorKind  ErrorKind
	CNAMEChain []resolvers.Hop
	Addresses  []Address
	Queries    []resolvers.Exchange
	// StartedAt and Duration time the whole resolution of the target.
	StartedAt time.Time
	Duration  time.Duration
	// Answers holds each resolver's own answer when several were asked side
	// by side (--resolvers); the fields above then hold their union.
	Answers []ResolverAnswer
	// Consistency is "consistent" or "inconsistent" (OONI's words) when
	// several resolvers were asked, else "". OddOnesOut names the resolvers
	// whose answer agrees with no other's.
	Consistency string
	OddOnesOut  []string
	// Records holds the other record types asked for (--records).
	Records []RecordSet
	// HTTP is what the web server itself said (--http).
	HTTP *FrontDoor
	// Authoritative holds what each of the zone's own name servers answered,
	// asked directly without recursion (--authoritative);
	// AuthoritativeConsistency compares them with each other and with the
	// recursive view (named "recursive" in AuthoritativeOdd).
	Authoritative            []ResolverAnswer
	AuthoritativeConsistency string
	AuthoritativeOdd         []string
}

// FrontDoor is the outcome of fetching a domain's front page, with the
// address each hop connected to attributed (Connected[i] for Hops[i]).
type FrontDoor struct {
	frontdoor.Result
	Connected []Address
}

// ResolverAnswer is what one resolver answered for a target.
type ResolverAnswer struct {
	Resolver string
	Status   resolvers.Status
	Error    string
	// ErrorKind is why the resolver's answer failed (see ErrorKindOf):
	// what a report words Error from in another language.
	ErrorKind  ErrorKind
	CNAMEChain []resolvers.Hop
	Addresses  []netip.Addr
	ASNs       []uint32 // of Addresses, from the attribution, sorted
	// Refused is set when the resolver was not asked at all, because its
	// address (learned, as a name server's is) is not globally reachable;
	// Status is then "refused".
	Refused *reach.Refusal
}

// Address is one resolved address with its attribution.
type Address struct {
	IP netip.Addr
	// TTL is the smallest TTL seen for this address in the answers.
	TTL uint32
	attribution.Result
	// Extra holds what the opt-in lookups (--ptr, --cymru, --rdap) found; nil
	// when none was asked for.
	Extra *Extra
}

// Extra is what the opt-in, online lookups found about one address.
type Extra struct {
	// PTR holds the reverse DNS names (--ptr); PTRError says why there are none
	// when the lookup failed.
	PTR      []string
	PTRError string
	PTRAsked bool
	// PTRStatus is the failed lookup's status (timeout, servfail, refused,
	// error), told apart with errors.Is, and PTRResolver the resolver its
	// last query went to: the parts of PTRError a report words in its own
	// language. The JSON carries them as ptr_status and ptr_resolver.
	PTRStatus   resolvers.Status
	PTRResolver string
	// Cymru is Team Cymru's view of the address (--cymru).
	Cymru *cymru.Result
	// RDAP is the registry's record of the network holding the address (--rdap).
	RDAP *rdap.Network
	// RTT is the round trip measured to the address (--rtt), with the bound
	// it puts on where the address answers from.
	RTT *RTT
	// Geofeed is what an operator's own geofeed (installed by db update
	// --geofeed) says of the address; nil when none covers it.
	Geofeed *attribution.GeofeedClaim
	// GeofeedFailure says why the geofeed the registry's record links to
	// (--rdap) gave no claim; nil when it gave one, or none was linked.
	GeofeedFailure *GeofeedFailure
}

// GeofeedFailure is a linked geofeed (RFC 9632) that could not be fetched
// or read: the link as the record gives it (https, no credentials), a
// stable code (attribution.GeofeedErrorKind's values) that reports word in
// the reader's language, and hostwatch's English words, in which the
// redirects' credentials and queries are redacted.
type GeofeedFailure struct {
	URL, Kind, Error string
}

// Failed reports whether the observation did not end with addresses.
func (o Observation) Failed() bool { return o.Status != resolvers.StatusOK }

// Report is one run: its context and its observations, in input order.
type Report struct {
	GeneratedAt  time.Time
	ToolVersion  string
	Datasets     []attribution.Dataset
	Resolvers    []string
	Observations []Observation
	// Interrupted is set when the run was stopped before every target was done.
	Interrupted bool
	// Warnings are about the run as a whole, such as stale data: codes
	// and arguments, which reports word in the reader's language.
	Warnings []Warning
	// Vantage says where the report was taken from.
	Vantage Vantage
}

// Warning is something about a run as a whole that a reader must know, as
// a stable code and its arguments (which of them are set depends on the
// code); reports word it in the reader's language. Outside text in Detail
// is inert.
type Warning struct {
	Code WarningCode
	// Dataset is the ID of the dataset the warning is about; Version its
	// version and Days its age, for stale data.
	Dataset string
	Version string
	Days    int
	// Count is how many lookups it happened to; Address the first (lowest)
	// of them, and Detail what went wrong there.
	Count   int
	Address netip.Addr
	Detail  string
}

// WarningCode names what a Warning says. The values are stable: reports
// carry them as the "code" of a warning.
type WarningCode string

// The codes of warnings.
const (
	// WarningStale: Dataset, from Version, is Days old (past attribution.StaleAfter).
	WarningStale = WarningCode(attribution.WarningStale)
	// WarningLookupsFailed: Count lookups failed in Dataset and were asked
	// of the sources after it (the first at Address, failing with Detail).
	WarningLookupsFailed = WarningCode(attribution.WarningLookupsFailed)
	// WarningCountryDropped: Dataset gave Count lookups a country code that
	// is not two ASCII letters (the first at Address, Detail the code quoted).
	WarningCountryDropped = WarningCode(attribution.WarningCountryDropped)
	// WarningText: Detail is a warning's words as an older report wrote
	// them, before warnings had codes.
	WarningText WarningCode = "text"
)

// DataWarnings turns the attribution data's warnings into the model's.
func DataWarnings(ws []attribution.Warning) []Warning {
	out := make([]Warning, 0, len(ws))
	for _, w := range ws {
		out = append(out, Warning{Code: WarningCode(w.Kind), Dataset: w.Dataset, Version: w.Version, Days: w.Days,
			Count: w.Count, Address: w.Address, Detail: w.Detail})
	}
	return out
}

// Vantage is where a run was taken from: answers from different vantages
// may differ by design (geo-DNS, CDNs), so they are never compared as one.
type Vantage struct {
	// Name is the user's name for the place (--vantage), "" when not given.
	Name string
	// TimeZone is the local time zone of the machine, e.g. "Asia/Jakarta (+07:00)".
	TimeZone string
	// Egress is, per resolver, the address the resolver itself uses to ask
	// authoritative servers, as a "whoami" name reports it.
	Egress []Egress
	// Location is where the vantage is (--vantage-location), nil when not
	// given: round trips from a vantage without one bound nothing.
	Location *geo.Point
}

// Egress is a resolver's outgoing address as a whoami name saw it.
type Egress struct {
	Resolver string
	Address  netip.Addr // invalid when unknown
	// Country is the attribution's country of Address, "" when unknown:
	// roughly where the resolver asks from, which reports mark as the vantage.
	Country string
	Method  string // the name asked, e.g. "whoami.akamai.net A"
	Error   string
	// Status is why the address is unknown, told apart where the error was
	// made: timeout, servfail, refused or error for a failed query (Rcode
	// then names the answer's response code when it had an unexpected
	// one), nodata for an answer without an address; "" when known.
	Status resolvers.Status
	Rcode  string
}

// PTRStatusOf is the status of a failed reverse lookup, told apart with
// errors.Is: timeout, servfail or refused, else error; "" for no error.
func PTRStatusOf(err error) resolvers.Status {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, resolvers.ErrTimeout):
		return resolvers.StatusTimeout
	case errors.Is(err, resolvers.ErrServFail):
		return resolvers.StatusServFail
	case errors.Is(err, resolvers.ErrRefused):
		return resolvers.StatusRefused
	}
	return resolvers.StatusError
}

// ErrorKind names why a domain did not resolve, as history compares and
// stores it: the status alone for most failures, the cause for status error.
// The wording of an error names the resolver, which may change; its kind does not.
type ErrorKind string

// The kinds of error, set where the error is made (see ErrorKindOf).
const (
	ErrorNone         ErrorKind = ""
	ErrorCNAMELoop    ErrorKind = "cname_loop"
	ErrorCNAMETooLong ErrorKind = "cname_chain_too_long"
	ErrorBadRcode     ErrorKind = "unexpected_rcode"
	ErrorConnRefused  ErrorKind = "connection_refused"
	ErrorTimeout      ErrorKind = "timeout"
	// ErrorDeadline: the domain's deadline (Options.Deadline) passed before
	// its resolution finished, however the queries in flight ended; its
	// status is timeout.
	ErrorDeadline ErrorKind = "deadline"
	ErrorOther    ErrorKind = "other"
)

// ErrorKindOf tells the kind of a resolution error with errors.Is. Only
// status error has a kind of its own, and status timeout when it was the
// domain's deadline (ErrDeadline): for the other statuses the status says why.
func ErrorKindOf(status resolvers.Status, err error) ErrorKind {
	switch {
	case err == nil:
		return ErrorNone
	case status == resolvers.StatusTimeout && errors.Is(err, ErrDeadline):
		return ErrorDeadline
	case status != resolvers.StatusError:
		return ErrorNone
	}
	for _, k := range []struct {
		err  error
		kind ErrorKind
	}{
		{ErrDeadline, ErrorDeadline},
		{resolvers.ErrCNAMELoop, ErrorCNAMELoop},
		{resolvers.ErrCNAMEChainTooLong, ErrorCNAMETooLong},
		{resolvers.ErrBadRcode, ErrorBadRcode},
		{resolvers.ErrConnRefused, ErrorConnRefused},
		{resolvers.ErrTimeout, ErrorTimeout},
	} {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return ErrorOther
}
