// Package cymru cross-checks the origin AS and prefix of an address with Team
// Cymru's IP-to-ASN mapping service, through its DNS interface (TXT records
// under origin.asn.cymru.com, origin6.asn.cymru.com and asn.cymru.com).
//
// Know what the answers mean before publishing them. Cymru's data is derived
// from BGP, as seen by its peers, and is updated about every 4 hours: it says
// who announced a prefix recently, not who holds it. Its country code is the
// registry's record of the holder; Team Cymru itself warns that these codes
// "are likely to vary significantly from actual IP locations". Every lookup
// keeps the DNS exchanges that gave its answer as evidence.
package cymru

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/miekg/dns"
)

// The DNS zones of Team Cymru's service.
const (
	OriginZone  = "origin.asn.cymru.com"  // IPv4 origin lookups
	Origin6Zone = "origin6.asn.cymru.com" // IPv6 origin lookups
	ASNZone     = "asn.cymru.com"         // AS descriptions
)

// The statuses of a Result.
const (
	StatusOK       = "ok"        // at least one origin record was parsed
	StatusNotFound = "not_found" // Cymru has no origin for the address (NXDOMAIN or no TXT record)
	StatusTimeout  = "timeout"   // no resolver answered the origin query in time
	StatusError    = "error"     // anything else, including replies of which no record could be parsed
)

// Origin is one origin TXT record: an announced prefix covering the address
// and the AS (or ASes) announcing it, with the registry's data for the prefix.
type Origin struct {
	ASNs      []uint32     // the origin ASes, as given (usually one)
	Prefix    netip.Prefix // the announced prefix
	Country   string       // the registry's country code for the holder, not a location
	Registry  string       // the regional registry, as given ("arin", "ripencc", …)
	Allocated string       // the allocation date, as given (e.g. "2014-07-01"); may be empty
}

// AS is the record of one AS from the asn.cymru.com zone.
type AS struct {
	ASN         uint32
	Country     string // the registry's country code for the holder
	Registry    string
	Allocated   string // as given
	Description string // the AS name and holder, e.g. "TEAMCYMRU - SAVVIS, US"
}

// Result is the outcome of looking up one address.
type Result struct {
	Status string // StatusOK, StatusNotFound, StatusTimeout or StatusError
	// Error says what went wrong; when Status is ok, it names the records
	// skipped and the AS records not found, if any.
	Error string
	// Origins holds every usable TXT record of the origin query, one per
	// covering prefix, most specific first.
	Origins []Origin
	// ASNames holds the record of every ASN seen in Origins that was
	// found, sorted by ASN; of at most maxASLookups ASNs, those of the most
	// specific origins.
	ASNames []AS
	// Queries is the evidence: every DNS query sent, the origin query
	// first, then the AS queries in ASN order.
	Queries []resolvers.Exchange
}

// Querier asks for one record type of one name and returns the final reply
// (NOERROR or NXDOMAIN) with the evidence of the queries sent; any other
// outcome is an error. *resolvers.Client satisfies it.
type Querier interface {
	Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, []resolvers.Exchange, error)
}

// Zones names the DNS zones a Client asks.
type Zones struct {
	Origin  string // IPv4 origin records
	Origin6 string // IPv6 origin records
	ASN     string // AS records, under "AS<n>."
}

// Client looks up addresses in Team Cymru's DNS service. It is safe for
// concurrent use once set up.
type Client struct {
	q Querier
	// Zones are the zones asked; New sets Team Cymru's. Tests point them
	// at zones of their own.
	Zones Zones
}

// New returns a Client that asks q, for Team Cymru's zones.
func New(q Querier) *Client {
	return &Client{q: q, Zones: Zones{Origin: OriginZone, Origin6: Origin6Zone, ASN: ASNZone}}
}

// OriginName returns the name of the origin TXT records of ip, fully
// qualified: the reversed octets under the Origin zone for IPv4, the 32
// reversed nibbles under the Origin6 zone for IPv6. It returns "" for the
// zero Addr.
func (c *Client) OriginName(ip netip.Addr) string {
	ip = ip.Unmap()
	var b []byte
	switch {
	case ip.Is4():
		a := ip.As4()
		for i := len(a) - 1; i >= 0; i-- {
			b = strconv.AppendUint(b, uint64(a[i]), 10)
			b = append(b, '.')
		}
		return string(b) + fqdn(c.Zones.Origin)
	case ip.Is6():
		const hex = "0123456789abcdef"
		a := ip.As16()
		for i := len(a) - 1; i >= 0; i-- {
			b = append(b, hex[a[i]&0xf], '.', hex[a[i]>>4], '.')
		}
		return string(b) + fqdn(c.Zones.Origin6)
	}
	return ""
}

// ASName returns the name of the TXT record of AS asn, fully qualified.
func (c *Client) ASName(asn uint32) string {
	return "AS" + strconv.FormatUint(uint64(asn), 10) + "." + fqdn(c.Zones.ASN)
}

func fqdn(zone string) string {
	return strings.TrimSuffix(zone, ".") + "."
}

// Lookup asks for the origin records of ip and then for the record of every
// origin AS (of the first maxASLookups, most specific origins first, the
// rest named in Error). It never returns an error: failures are in the Result's Status
// and Error. Records that cannot be parsed, or whose prefix does not hold ip,
// are skipped and named in Error; the Status is StatusError only when no
// record could be used. A failed AS query leaves that AS out of ASNames and
// is named in Error, without changing the Status.
func (c *Client) Lookup(ctx context.Context, ip netip.Addr) Result {
	var res Result
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		res.Status, res.Error = StatusError, "invalid IP address"
		return res
	}
	name := c.OriginName(ip)
	m, ex, err := c.q.Query(ctx, name, dns.TypeTXT)
	res.Queries = append(res.Queries, ex...)
	switch {
	case err != nil:
		res.Status, res.Error = failure(err), err.Error()
		return res
	case m == nil:
		res.Status, res.Error = StatusError, "no reply"
		return res
	case m.Rcode == dns.RcodeNameError:
		res.Status = StatusNotFound
		return res
	case m.Rcode != dns.RcodeSuccess:
		res.Status, res.Error = StatusError, fmt.Sprintf("%s TXT: rcode %s", name, rcodeString(m.Rcode))
		return res
	}
	texts := txtRecords(m.Answer)
	if len(texts) == 0 {
		res.Status = StatusNotFound
		return res
	}
	var problems []string
	for _, t := range texts {
		o, err := ParseOrigin(t)
		if err != nil {
			problems = append(problems, fmt.Sprintf("origin record %q: %v", t, err))
			continue
		}
		if !o.Prefix.Contains(ip) {
			problems = append(problems, fmt.Sprintf("origin record %q: prefix does not hold %s", t, ip))
			continue
		}
		res.Origins = append(res.Origins, o)
	}
	if len(res.Origins) == 0 {
		res.Status, res.Error = StatusError, strings.Join(problems, "; ")
		return res
	}
	res.Status = StatusOK
	slices.SortFunc(res.Origins, compareOrigins)
	res.Origins = slices.CompactFunc(res.Origins, func(a, b Origin) bool { return compareOrigins(a, b) == 0 })

	var asns []uint32 // those of the most specific origins first
	for _, o := range res.Origins {
		for _, n := range o.ASNs {
			if !slices.Contains(asns, n) {
				asns = append(asns, n)
			}
		}
	}
	if len(asns) > maxASLookups {
		problems = append(problems, fmt.Sprintf("%d ASNs; the names of the first %d looked up", len(asns), maxASLookups))
		asns = asns[:maxASLookups]
	}
	slices.Sort(asns)
	lookups := make([]asLookup, len(asns))
	var wg sync.WaitGroup
	for i, n := range asns {
		wg.Go(func() { lookups[i] = c.lookupAS(ctx, n) })
	}
	wg.Wait()
	for _, l := range lookups {
		res.Queries = append(res.Queries, l.queries...)
		problems = append(problems, l.problems...)
		if l.found {
			res.ASNames = append(res.ASNames, l.as)
		}
	}
	res.Error = strings.Join(problems, "; ")
	return res
}

// maxASLookups bounds the AS queries of one Lookup, so that a reply listing
// thousands of origin ASNs cannot make it send thousands of queries. Real
// prefixes have one origin AS, a few at most.
const maxASLookups = 16

// asLookup is the outcome of asking for one AS record.
type asLookup struct {
	as       AS
	found    bool
	problems []string
	queries  []resolvers.Exchange
}

// lookupAS asks for the record of AS asn and takes the first TXT record that
// parses and is about that AS.
func (c *Client) lookupAS(ctx context.Context, asn uint32) (l asLookup) {
	name := c.ASName(asn)
	m, ex, err := c.q.Query(ctx, name, dns.TypeTXT)
	l.queries = ex
	switch {
	case err != nil:
		l.problems = append(l.problems, err.Error()) // it names the query
		return l
	case m == nil:
		l.problems = append(l.problems, fmt.Sprintf("AS%d name: no reply", asn))
		return l
	case m.Rcode == dns.RcodeNameError:
		l.problems = append(l.problems, fmt.Sprintf("AS%d name: not found", asn))
		return l
	case m.Rcode != dns.RcodeSuccess:
		l.problems = append(l.problems, fmt.Sprintf("AS%d name: rcode %s", asn, rcodeString(m.Rcode)))
		return l
	}
	for _, t := range txtRecords(m.Answer) {
		a, err := ParseAS(t)
		switch {
		case err != nil:
			l.problems = append(l.problems, fmt.Sprintf("AS record %q: %v", t, err))
		case a.ASN != asn:
			l.problems = append(l.problems, fmt.Sprintf("AS record %q: not about AS%d", t, asn))
		case !l.found:
			l.as, l.found = a, true
		}
	}
	if !l.found && len(l.problems) == 0 {
		l.problems = append(l.problems, fmt.Sprintf("AS%d name: not found", asn))
	}
	return l
}

// txtRecords returns the text of every TXT record in rrs, the
// character-strings of each joined with no separator, as bytes rather than
// in presentation form, with invalid UTF-8 replaced by U+FFFD.
func txtRecords(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		t, ok := rr.(*dns.TXT)
		if !ok || t.Hdr.Class != dns.ClassINET {
			continue
		}
		var b strings.Builder
		for _, s := range t.Txt {
			b.WriteString(resolvers.UnescapeTXT(s))
		}
		s := b.String()
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		out = append(out, s)
	}
	return out
}

// compareOrigins orders origins most specific prefix first, then by every
// field, so that the order never depends on the order of the records.
func compareOrigins(a, b Origin) int {
	return cmp.Or(
		cmp.Compare(b.Prefix.Bits(), a.Prefix.Bits()),
		a.Prefix.Addr().Compare(b.Prefix.Addr()),
		slices.Compare(a.ASNs, b.ASNs),
		strings.Compare(a.Country, b.Country),
		strings.Compare(a.Registry, b.Registry),
		strings.Compare(a.Allocated, b.Allocated),
	)
}

// failure maps a query error to a status.
func failure(err error) string {
	if errors.Is(err, resolvers.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return StatusTimeout
	}
	return StatusError
}

func rcodeString(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}
