package reports

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/resolvers"
)

// appendTarget appends t as encoding/json writes it (without HTML escaping,
// no newline), or reports false for a target holding parts it leaves to
// encoding/json: the answers of --resolvers, --records, --http,
// --authoritative, and the Cymru and RDAP records of addresses. It spares a
// bulk run the reflection of encoding/json, which was an eighth of its CPU
// time; TestAppendTarget checks it byte for byte against encoding/json,
// with every field filled in.
func appendTarget(b []byte, t *Target) ([]byte, bool) {
	if len(t.Answers) > 0 || len(t.Records) > 0 || t.HTTP != nil || t.Authoritative != nil {
		return b, false
	}
	b = append(b, `{"domain":`...)
	b = appendJSONString(b, t.Domain)
	b = append(b, `,"unicode":`...)
	b = appendJSONString(b, t.Unicode)
	b = append(b, `,"input":`...)
	b = appendJSONString(b, t.Input)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, t.Status)
	b = append(b, `,"error":`...)
	b = appendJSONString(b, t.Error)
	b = append(b, `,"observed_at":`...)
	b = appendJSONString(b, t.ObservedAt)
	b = append(b, `,"cname_chain":`...)
	b = appendList(b, t.CNAMEChain, appendHop)
	b = append(b, `,"addresses":`...)
	var ok bool
	if t.Addresses == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Addresses {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendAddress(b, &t.Addresses[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"queries":`...)
	if t.Queries == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Queries {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendQuery(b, &t.Queries[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	return appendAgreement(b, t.Consistency, t.OddOnesOut), true
}

// appendAgreement appends a target's last fields, when set (whether the
// resolvers asked side by side agreed, and which did not), and closes it.
func appendAgreement(b []byte, consistency string, oddOnesOut []string) []byte {
	if consistency != "" {
		b = append(b, `,"consistency":`...)
		b = appendJSONString(b, consistency)
	}
	if len(oddOnesOut) > 0 {
		b = append(b, `,"odd_ones_out":`...)
		b = appendList(b, oddOnesOut, appendJSONString)
	}
	return append(b, '}')
}

func appendHop(b []byte, h resolvers.Hop) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, h.Name)
	b = append(b, `,"target":`...)
	b = appendJSONString(b, h.Target)
	b = append(b, `,"ttl":`...)
	b = strconv.AppendUint(b, uint64(h.TTL), 10)
	return append(b, '}')
}

func appendAddress(b []byte, a *Address) ([]byte, bool) {
	if a.Cymru != nil || a.RDAP != nil || a.RTT != nil || a.Geofeed != nil || a.GeofeedError != nil {
		return b, false // rare parts: encoding/json writes the line
	}
	b = append(b, `{"ip":`...)
	b = appendJSONString(b, a.IP)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(a.Version), 10)
	b = append(b, `,"ttl":`...)
	b = strconv.AppendUint(b, uint64(a.TTL), 10)
	b = append(b, `,"asn":`...)
	b = strconv.AppendUint(b, uint64(a.ASN), 10)
	b = append(b, `,"as_org":`...)
	b = appendJSONString(b, a.ASOrg)
	b = append(b, `,"prefix":`...)
	b = appendJSONString(b, a.Prefix)
	b = append(b, `,"country":`...)
	b = appendJSONString(b, a.Country)
	b = append(b, `,"registered_country":`...)
	b = appendJSONString(b, a.RegisteredCountry)
	b = append(b, `,"provider":`...)
	b = appendJSONString(b, a.Provider)
	b = append(b, `,"provider_kind":`...)
	b = appendJSONString(b, a.ProviderKind)
	b = append(b, `,"region":`...)
	b = appendJSONString(b, a.Region)
	b = append(b, `,"cdn":`...)
	b = strconv.AppendBool(b, a.CDN)
	b = append(b, `,"cdn_name":`...)
	b = appendJSONString(b, a.CDNName)
	if a.SpecialUse != "" {
		b = append(b, `,"special_use":`...)
		b = appendJSONString(b, a.SpecialUse)
	}
	if a.NAT64 != "" {
		b = append(b, `,"nat64_ipv4":`...)
		b = appendJSONString(b, a.NAT64)
	}
	b = append(b, `,"sources":`...)
	b = appendSources(b, &a.Sources)
	if a.PTR != nil {
		b = append(b, `,"ptr":`...)
		b = appendList(b, *a.PTR, appendJSONString)
	}
	if a.PTRError != "" {
		b = append(b, `,"ptr_error":`...)
		b = appendJSONString(b, a.PTRError)
	}
	if a.PTRStatus != "" {
		b = append(b, `,"ptr_status":`...)
		b = appendJSONString(b, a.PTRStatus)
	}
	if a.PTRResolver != "" {
		b = append(b, `,"ptr_resolver":`...)
		b = appendJSONString(b, a.PTRResolver)
	}
	return append(b, '}'), true
}

func appendSources(b []byte, s *attribution.Sources) []byte {
	b = append(b, '{')
	first := len(b)
	b = appendOptional(b, first, "asn", s.ASN)
	b = appendOptional(b, first, "as_org", s.ASOrg)
	b = appendOptional(b, first, "prefix", s.Prefix)
	b = appendOptional(b, first, "country", s.Country)
	b = appendOptional(b, first, "registered_country", s.RegisteredCountry)
	b = appendOptional(b, first, "provider", s.Provider)
	b = appendOptional(b, first, "cdn", s.CDN)
	return append(b, '}')
}

// appendOptional appends the member name: v of an object whose first member
// would start at first, unless v is empty (omitempty).
func appendOptional(b []byte, first int, name, v string) []byte {
	if v == "" {
		return b
	}
	if len(b) > first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendQuery(b []byte, q *Query) ([]byte, bool) {
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
	b = appendJSONString(b, q.Status)
	b = append(b, `,"error":`...)
	b = appendJSONString(b, q.Error)
	b = append(b, `,"asked_at":`...)
	b = appendJSONString(b, q.AskedAt)
	b = append(b, `,"rtt_ms":`...)
	var ok bool
	if b, ok = appendJSONFloat(b, q.RTTMillis); !ok {
		return b, false
	}
	if q.Resends != 0 {
		b = append(b, `,"resends":`...)
		b = strconv.AppendInt(b, int64(q.Resends), 10)
	}
	if q.ECSSource != "" {
		b = append(b, `,"ecs_source":`...)
		b = appendJSONString(b, q.ECSSource)
	}
	if q.ECSScope != nil {
		b = append(b, `,"ecs_scope":`...)
		b = strconv.AppendInt(b, int64(*q.ECSScope), 10)
	}
	if q.ECSIgnored {
		b = append(b, `,"ecs_ignored":true`...)
	}
	if len(q.RawResponse) > 0 {
		b = append(b, `,"raw_response":"`...)
		b = base64.StdEncoding.AppendEncode(b, q.RawResponse)
		b = append(b, '"')
	}
	return append(b, '}'), true
}

// appendList appends s as a JSON array (null when nil), each element with f.
func appendList[E any](b []byte, s []E, f func([]byte, E) []byte) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, e := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = f(b, e)
	}
	return append(b, ']')
}

// appendJSONFloat appends f as encoding/json writes a float64, or reports
// false for what it cannot write (NaN and infinities).
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes it without HTML
// escaping: invalid UTF-8 as U+FFFD, control characters, U+2028 and U+2029
// escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
