package resolverstest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/miekg/dns"
)

// zoneHandler answers like a recursive resolver that holds only some zones.
type zoneHandler struct {
	apexes  []string            // lower-case zone apexes, longest first
	soa     map[string]dns.RR   // apex → its SOA record
	records map[string][]dns.RR // lower-case owner → its records
	exists  map[string]bool     // owners and the empty non-terminals above them
}

// NewZoneHandler parses zone-file text (with $ORIGIN or absolute names) and
// returns ZoneHandler for its records.
func NewZoneHandler(zoneText string) (dns.Handler, error) {
	rrs, err := ParseZone(zoneText)
	if err != nil {
		return nil, err
	}
	return ZoneHandler(rrs), nil
}

// ParseZone parses zone-file text (with $ORIGIN or absolute names) into records.
func ParseZone(zoneText string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(strings.NewReader(zoneText), "", "")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("resolverstest: parse zone: %w", err)
	}
	return rrs, nil
}

// ZoneHandler returns a handler that answers from rrs the way a recursive
// resolver would: the records asked for, preceded by the CNAME chain that
// leads to them within the data; NXDOMAIN for names that do not exist;
// NOERROR with no answer for names without records of that type; REFUSED for
// names outside every zone held. The zones held are the owners of the SOA
// records in rrs; without any SOA, every name is held. Over UDP a reply
// larger than the client's UDP size (512 without EDNS0) is truncated, with TC set.
func ZoneHandler(rrs []dns.RR) dns.Handler {
	h := &zoneHandler{
		soa:     make(map[string]dns.RR),
		records: make(map[string][]dns.RR),
		exists:  make(map[string]bool),
	}
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeSOA {
			apex := strings.ToLower(rr.Header().Name)
			h.soa[apex] = rr
			h.apexes = append(h.apexes, apex)
		}
	}
	if len(h.apexes) == 0 {
		h.apexes = []string{"."}
	}
	sort.Slice(h.apexes, func(i, j int) bool { return dns.CountLabel(h.apexes[i]) > dns.CountLabel(h.apexes[j]) })
	for _, rr := range rrs {
		owner := strings.ToLower(rr.Header().Name)
		h.records[owner] = append(h.records[owner], rr)
		apex := h.zoneOf(owner)
		for n := owner; ; {
			h.exists[n] = true
			if n == apex || n == "." {
				break
			}
			i, _ := dns.NextLabel(n, 0)
			n = n[i:]
			if n == "" {
				n = "."
			}
		}
	}
	return h
}

// zoneOf returns the apex of the zone holding name, or "".
func (h *zoneHandler) zoneOf(name string) string {
	for _, apex := range h.apexes {
		if dns.IsSubDomain(apex, name) {
			return apex
		}
	}
	return ""
}

// ServeDNS implements dns.Handler.
func (h *zoneHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	switch {
	case len(r.Question) != 1:
		m.Rcode = dns.RcodeFormatError
	case r.Question[0].Qclass != dns.ClassINET || h.zoneOf(strings.ToLower(r.Question[0].Name)) == "":
		m.Rcode = dns.RcodeRefused
	default:
		h.answer(m, r.Question[0])
	}
	size := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		m.SetEdns0(opt.UDPSize(), false)
	}
	if w.RemoteAddr().Network() == "udp" {
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// answer fills in m, the reply to a question for a name in a zone held.
func (h *zoneHandler) answer(m *dns.Msg, q dns.Question) {
	cur := strings.ToLower(q.Name)
	seen := map[string]bool{cur: true}
	for {
		apex := h.zoneOf(cur)
		if apex == "" {
			break // the chain left the zones held: give what we have
		}
		if !h.exists[cur] {
			m.Rcode = dns.RcodeNameError
			h.addSOA(m, apex)
			break
		}
		var cname *dns.CNAME
		found := false
		for _, rr := range h.records[cur] {
			switch t := rr.Header().Rrtype; {
			case t == q.Qtype || q.Qtype == dns.TypeANY:
				m.Answer = append(m.Answer, rr)
				found = true
			case t == dns.TypeCNAME:
				cname = rr.(*dns.CNAME)
			}
		}
		if found {
			break
		}
		if cname == nil {
			h.addSOA(m, apex) // NODATA
			break
		}
		m.Answer = append(m.Answer, cname)
		cur = strings.ToLower(cname.Target)
		if seen[cur] {
			break // a loop: the client will see it
		}
		seen[cur] = true
	}
}

func (h *zoneHandler) addSOA(m *dns.Msg, apex string) {
	if soa, ok := h.soa[apex]; ok {
		m.Ns = append(m.Ns, soa)
	}
}
