package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers"
)

// RecordTypes are the types --records takes beyond A and AAAA (always asked)
// and CNAME (always followed).
func RecordTypes() []string { return []string{"ns", "mx", "soa", "txt", "caa"} }

// ParseRecordTypes reads a --records list ("ns,mx,soa,txt,caa"; a, aaaa and
// cname are accepted and always asked).
func ParseRecordTypes(list []string) ([]uint16, error) {
	var out []uint16
	for _, l := range list {
		for name := range strings.SplitSeq(l, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			switch name {
			case "", "a", "aaaa", "cname":
				continue
			}
			if !slices.Contains(RecordTypes(), name) {
				return nil, fmt.Errorf("--records: unknown record type %q (want a, aaaa, cname, %s)", name, strings.Join(RecordTypes(), ", "))
			}
			t := dns.StringToType[strings.ToUpper(name)]
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// RecordSet is what one record type of a domain holds.
type RecordSet struct {
	Type string // "NS", "MX", ...
	// Owner is the name the records are at: the domain, or for NS and SOA of
	// a name inside a zone, the zone's apex.
	Owner  string
	Status resolvers.Status
	Error  string
	// ErrorKind is why the query failed (see ErrorKindOf), for a report to
	// word Error from in another language.
	ErrorKind ErrorKind
	Records   []Record
}

// Record is one record, in presentation form; NS and MX hosts are resolved
// and their addresses attributed, so a report shows where DNS and mail are
// hosted.
type Record struct {
	Value      string
	Host       string
	Preference uint16
	Addresses  []Address
}

// lookupRecords asks for each type and resolves the hosts NS and MX name.
func lookupRecords(ctx context.Context, domain string, types []uint16, q Querier, opts Options) []RecordSet {
	out := make([]RecordSet, 0, len(types))
	for _, t := range types {
		set := RecordSet{Type: dns.TypeToString[t], Owner: domain}
		m, _, err := q.Query(ctx, domain, t)
		if err == nil && (t == dns.TypeNS || t == dns.TypeSOA) && len(answersOf(m, t)) == 0 {
			// Not at a zone apex: the SOA in the authority section names the
			// zone, whose records say who runs the domain's DNS.
			if apex := soaOwner(m); apex != "" && apex != domain {
				set.Owner = apex
				m, _, err = q.Query(ctx, apex, t)
			}
		}
		switch {
		case err != nil:
			set.Status, set.Error = statusOf(err), err.Error()
			set.ErrorKind = ErrorKindOf(set.Status, err)
		case m.Rcode == dns.RcodeNameError:
			set.Status = resolvers.StatusNXDomain
		default:
			set.Status = resolvers.StatusOK
			for _, rr := range answersOf(m, t) {
				set.Records = append(set.Records, record(ctx, rr, opts))
			}
			if len(set.Records) == 0 {
				set.Status = resolvers.StatusNoData
			}
		}
		slices.SortFunc(set.Records, func(a, b Record) int { return strings.Compare(a.Value, b.Value) })
		out = append(out, set)
	}
	return out
}

func answersOf(m *dns.Msg, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range m.Answer {
		if rr.Header().Rrtype == t {
			out = append(out, rr)
		}
	}
	return out
}

func soaOwner(m *dns.Msg) string {
	for _, rr := range append(slices.Clone(m.Answer), m.Ns...) {
		if soa, ok := rr.(*dns.SOA); ok {
			return strings.ToLower(strings.TrimSuffix(soa.Hdr.Name, "."))
		}
	}
	return ""
}

// record turns one RR into a Record, resolving an NS or MX host.
func record(ctx context.Context, rr dns.RR, opts Options) Record {
	h := rr.Header()
	value := strings.TrimSpace(strings.TrimPrefix(rr.String(), h.String()))
	r := Record{Value: value}
	switch v := rr.(type) {
	case *dns.NS:
		r.Host = strings.ToLower(strings.TrimSuffix(v.Ns, "."))
	case *dns.MX:
		r.Host, r.Preference = strings.ToLower(strings.TrimSuffix(v.Mx, ".")), v.Preference
	case *dns.TXT:
		// miekg/dns keeps each character-string in zone-file form
		// (`a \"quoted\" txt`, `\255`); the value is the string itself.
		var b strings.Builder
		for _, t := range v.Txt {
			b.WriteString(resolvers.UnescapeTXT(t))
		}
		r.Value = b.String()
	}
	if r.Host != "" && r.Host != "." && opts.Resolver != nil {
		res := opts.Resolver.Resolve(ctx, r.Host)
		for _, ans := range res.Answers {
			a := Address{IP: ans.Addr, TTL: ans.TTL}
			if opts.Attributor != nil {
				a.Result = opts.Attributor.Lookup(ans.Addr)
			}
			r.Addresses = append(r.Addresses, a)
		}
	}
	return r
}

func statusOf(err error) resolvers.Status {
	switch {
	case errors.Is(err, resolvers.ErrTimeout):
		return resolvers.StatusTimeout
	case errors.Is(err, resolvers.ErrServFail):
		return resolvers.StatusServFail
	case errors.Is(err, resolvers.ErrRefused):
		return resolvers.StatusRefused
	}
	return resolvers.StatusError
}
