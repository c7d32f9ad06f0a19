package reports

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"time"

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
// appendTarget.
func appendObservation(b []byte, o *probe.Observation) ([]byte, bool) {
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
	b = appendTimestamp(b, o.StartedAt)
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
		if b, ok = appendProbeAddress(b, &o.Addresses[i]); !ok {
			return b, false
		}
	}
	b = append(b, `],"queries":[`...)
	for i := range o.Queries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendExchange(b, &o.Queries[i])
	}
	b = append(b, ']')
	return appendAgreement(b, o.Consistency, o.OddOnesOut), true
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
func appendProbeAddress(b []byte, a *probe.Address) ([]byte, bool) {
	x := a.Extra
	if x != nil && (x.Cymru != nil || x.RDAP != nil || x.RTT != nil || x.Geofeed != nil || x.GeofeedFailure != nil) {
		return b, false
	}
	r := &a.Result
	b = append(b, `{"ip":`...)
	b = appendIP(b, a.IP)
	if a.IP.Is4() {
		b = append(b, `,"version":4,"ttl":`...)
	} else {
		b = append(b, `,"version":6,"ttl":`...)
	}
	b = strconv.AppendUint(b, uint64(a.TTL), 10)
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
func appendExchange(b []byte, q *resolvers.Exchange) []byte {
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
	b = appendTimestamp(b, q.AskedAt)
	b = append(b, `,"rtt_ms":`...)
	// A whole number of microseconds over 1000 is always finite.
	b, _ = appendJSONFloat(b, float64(q.RTT.Microseconds())/1000)
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
