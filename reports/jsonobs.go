package reports

import (
	"encoding/base64"
	"encoding/binary"
	"net/netip"
	"strconv"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// appendObservation appends o's JSON line as newTarget and appendTarget
// together write it (no newline), straight from the observation: the
// addresses, prefixes and times are appended in place rather than made
// into strings of a Target first, which was most of what writing a line
// cost a bulk run. It reports false, having appended part of a line, for an
// observation holding what it leaves to that path: the answers of
// --resolvers, --records, --http, --authoritative, and the Cymru, RDAP,
// RTT and geofeed parts of addresses. TestAppendObservation and
// FuzzAppendObservation check it byte for byte against newTarget and
// appendTarget. With a cache (nil for none), what it appended before is
// copied rather than encoded again where it can be.
func appendObservation(b []byte, o *probe.Observation, c *lineCache) ([]byte, bool) {
	if len(o.Answers) > 0 || len(o.Records) > 0 || o.HTTP != nil || o.Authoritative != nil {
		return b, false
	}
	b = append(b, `{"domain":`...)
	b = appendJSONString(b, o.Target.Domain)
	b = append(b, `,"unicode":`...)
	b = appendJSONString(b, o.Target.Unicode)
	b = append(b, `,"input":`...)
	b = appendJSONString(b, o.Target.Input)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(o.Status))
	b = append(b, `,"error":`...)
	b = appendJSONString(b, o.Error)
	b = append(b, `,"observed_at":`...)
	b = c.timestamp(b, o.StartedAt)
	b = append(b, `,"cname_chain":`...)
	if o.CNAMEChain == nil {
		b = append(b, "[]"...)
	} else {
		b = appendList(b, o.CNAMEChain, appendHop)
	}
	b = append(b, `,"addresses":[`...)
	var ok bool
	for i := range o.Addresses {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendProbeAddress(b, &o.Addresses[i], c); !ok {
			return b, false
		}
	}
	b = append(b, `],"queries":[`...)
	for i := range o.Queries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendExchange(b, &o.Queries[i], c)
	}
	b = append(b, ']')
	return appendAgreement(b, o.Consistency, o.OddOnesOut), true
}

// lineCache keeps what a writer of JSON lines appended last of the parts
// that repeat from line to line: each attribution (by its value, in a few
// places picked by its prefix and ASN), and the last time. The addresses
// of a bulk run mostly share the attributions of their blocks, and the A
// and AAAA queries of a name their time. It is not safe for concurrent use;
// a nil cache keeps nothing.
type lineCache struct {
	attrs [lineCacheSlots]struct {
		r    attribution.Result
		json []byte // from `,"asn":` to the end of "sources"
	}
	at    time.Time
	stamp []byte // at as appendTimestamp writes it
}

// lineCacheSlots is how many attributions a lineCache keeps.
const lineCacheSlots = 64

// attribution appends what appendAttribution does of r: the copy kept,
// when r is the attribution kept in its place.
func (c *lineCache) attribution(b []byte, r *attribution.Result) []byte {
	if c == nil {
		return appendAttribution(b, r)
	}
	a := r.Prefix.Addr().As16()
	h := binary.BigEndian.Uint64(a[:8]) ^ binary.BigEndian.Uint64(a[8:])*31 ^ uint64(r.Prefix.Bits())<<7 ^ uint64(r.ASN)*0x9e3779b97f4a7c15
	slot := &c.attrs[(h^h>>29^h>>47)%lineCacheSlots]
	if slot.json != nil && slot.r == *r {
		return append(b, slot.json...)
	}
	start := len(b)
	b = appendAttribution(b, r)
	slot.r, slot.json = *r, append(slot.json[:0], b[start:]...)
	return b
}

// timestamp appends appendTimestamp(t): the copy kept, when t is the last time.
func (c *lineCache) timestamp(b []byte, t time.Time) []byte {
	if c == nil {
		return appendTimestamp(b, t)
	}
	if c.stamp != nil && t == c.at {
		return append(b, c.stamp...)
	}
	start := len(b)
	b = appendTimestamp(b, t)
	c.at, c.stamp = t, append(c.stamp[:0], b[start:]...)
	return b
}

// appendTimestamp appends timestamp(t) as a JSON string. RFC 3339 in UTC
// is digits, '-', ':', '.', 'T' and 'Z', which JSON needs no escape for.
func appendTimestamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	if !t.IsZero() {
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	return append(b, '"')
}

// appendIP appends ip.String() as a JSON string. An address with a zone
// (which comes from outside) is quoted as any string is.
func appendIP(b []byte, ip netip.Addr) []byte {
	if !ip.IsValid() || ip.Zone() != "" {
		return appendJSONString(b, ip.String())
	}
	b = append(b, '"')
	b = ip.AppendTo(b)
	return append(b, '"')
}

// appendProbeAddress appends what newAddress and withExtra make of a, as
// appendAddress writes it, or reports false for the parts it leaves to
// encoding/json.
func appendProbeAddress(b []byte, a *probe.Address, c *lineCache) ([]byte, bool) {
	x := a.Extra
	if x != nil && (x.Cymru != nil || x.RDAP != nil || x.RTT != nil || x.Geofeed != nil || x.GeofeedFailure != nil) {
		return b, false
	}
	b = append(b, `{"ip":`...)
	b = appendIP(b, a.IP)
	if a.IP.Is4() {
		b = append(b, `,"version":4,"ttl":`...)
	} else {
		b = append(b, `,"version":6,"ttl":`...)
	}
	b = strconv.AppendUint(b, uint64(a.TTL), 10)
	b = c.attribution(b, &a.Result)
	if x != nil && x.PTRAsked {
		b = append(b, `,"ptr":`...)
		if x.PTR == nil {
			b = append(b, "[]"...)
		} else {
			b = appendList(b, x.PTR, appendJSONString)
		}
		if x.PTRError != "" {
			b = append(b, `,"ptr_error":`...)
			b = appendJSONString(b, x.PTRError)
			if x.PTRStatus != "" {
				b = append(b, `,"ptr_status":`...)
				b = appendJSONString(b, string(x.PTRStatus))
			}
			if x.PTRResolver != "" {
				b = append(b, `,"ptr_resolver":`...)
				b = appendJSONString(b, x.PTRResolver)
			}
		}
	}
	return append(b, '}'), true
}

// appendExchange appends what appendQueries makes of q, as appendQuery
// writes it.
func appendExchange(b []byte, q *resolvers.Exchange, c *lineCache) []byte {
	b = append(b, `{"resolver":`...)
	b = appendJSONString(b, q.Resolver)
	b = append(b, `,"transport":`...)
	b = appendJSONString(b, q.Transport)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, q.Name)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, q.Type)
	b = append(b, `,"rcode":`...)
	b = appendJSONString(b, q.Rcode)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(q.Status))
	b = append(b, `,"error":`...)
	b = appendJSONString(b, q.Error)
	b = append(b, `,"asked_at":`...)
	b = c.timestamp(b, q.AskedAt)
	b = append(b, `,"rtt_ms":`...)
	// A whole number of microseconds over 1000 is always finite.
	b, _ = appendJSONFloat(b, float64(q.RTT.Microseconds())/1000)
	if q.Resends != 0 {
		b = append(b, `,"resends":`...)
		b = strconv.AppendInt(b, int64(q.Resends), 10)
	}
	if q.ECSSource != "" {
		b = append(b, `,"ecs_source":`...)
		b = appendJSONString(b, q.ECSSource)
		if q.ECSScope >= 0 {
			b = append(b, `,"ecs_scope":`...)
			b = strconv.AppendInt(b, int64(q.ECSScope), 10)
		} else if q.Rcode != "" {
			b = append(b, `,"ecs_ignored":true`...)
		}
	}
	if len(q.Raw) > 0 {
		b = append(b, `,"raw_response":"`...)
		b = base64.StdEncoding.AppendEncode(b, q.Raw)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendAttribution appends the fields of an address that are r, from
// `,"asn":` to the end of "sources".
func appendAttribution(b []byte, r *attribution.Result) []byte {
	b = append(b, `,"asn":`...)
	b = strconv.AppendUint(b, uint64(r.ASN), 10)
	b = append(b, `,"as_org":`...)
	b = appendJSONString(b, r.ASOrg)
	b = append(b, `,"prefix":"`...)
	if r.Prefix.IsValid() {
		b = r.Prefix.AppendTo(b)
	}
	b = append(b, `","country":`...)
	b = appendJSONString(b, r.Country)
	b = append(b, `,"registered_country":`...)
	b = appendJSONString(b, r.RegisteredCountry)
	b = append(b, `,"provider":`...)
	b = appendJSONString(b, r.Provider)
	b = append(b, `,"provider_kind":`...)
	b = appendJSONString(b, r.ProviderKind)
	b = append(b, `,"region":`...)
	b = appendJSONString(b, r.Region)
	b = append(b, `,"cdn":`...)
	b = strconv.AppendBool(b, r.CDN)
	b = append(b, `,"cdn_name":`...)
	b = appendJSONString(b, r.CDNName)
	if r.SpecialUse != "" {
		b = append(b, `,"special_use":`...)
		b = appendJSONString(b, r.SpecialUse)
	}
	if r.NAT64.IsValid() {
		b = append(b, `,"nat64_ipv4":`...)
		b = appendIP(b, r.NAT64)
	}
	b = append(b, `,"sources":`...)
	b = appendSources(b, &r.Sources)
	return b
}
