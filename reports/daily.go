package reports

import (
	"cmp"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
)

// dailyHeader names the columns of the daily CSV.
var dailyHeader = []string{"date", "vantage", "domain", "address", "version", "asn", "as_org", "prefix", "country",
	"registered_country", "provider", "cdn", "cdn_name", "status", "cname", "resolver", "datasets",
	"first_seen", "last_seen", "observations"}

// dailyRow is one row of the daily CSV: what was seen of one address (or,
// for observations without addresses, of the domain's status) on one day.
type dailyRow struct {
	day, vantage, domain string
	ip                   netip.Addr
	// facts are the cells from version to datasets, as written.
	facts       []string
	first, last time.Time
	count       int
}

// daySeen is the part of a span that falls on one day: its first and last
// observation that day and how many there were.
type daySeen struct {
	first, last time.Time
	count       int
}

// daysOf splits a span by UTC day. Spans never cross midnight, except those
// written before schema 3: of such a span only its first and last
// observations have known times, so its first day gets one observation at
// FirstSeen and its last day one at LastSeen. The observations in between
// are left out, not guessed onto a day, and so are the days between.
func daysOf(s history.Span) []daySeen {
	first, last := s.FirstSeen.UTC(), s.LastSeen.UTC()
	n := max(s.Count, 1)
	switch {
	case history.SameDay(first, last):
		return []daySeen{{first, maxTime(first, last), n}}
	case n == 1 || last.Before(first):
		return []daySeen{{first, first, 1}}
	}
	return []daySeen{{first, first, 1}, {last, last, 1}}
}

// WriteDailyCSV writes one row per UTC day, vantage, domain and address that
// was observed that day: first_seen and last_seen are the first and last
// observation of the address that day and observations how many there were,
// summed over the day's spans (spans never cross midnight, so this is exact;
// an address absent from a run in the middle of a day still shows its first
// and last time that day, and its count says how many runs saw it). A day
// on which a domain had no addresses (a timeout, NXDOMAIN) gets one row per
// status with the address empty. When what was known of an address changed
// during a day (another resolver, attribution data, CNAME chain), the day
// has one row for each version of it. Spans recorded before schema 3 may
// cross midnight; see daysOf for how they are counted. Unknown values are
// empty cells; every cell goes through CSVCell.
func WriteDailyCSV(w io.Writer, spans []history.Span) error {
	rows := map[string]*dailyRow{}
	add := func(s history.Span, d daySeen, ip netip.Addr, facts []string) {
		day := d.first.Format(time.DateOnly)
		key := strings.Join(append([]string{day, s.Vantage, s.Domain, ip.String()}, facts...), "\x00")
		r, ok := rows[key]
		if !ok {
			rows[key] = &dailyRow{day: day, vantage: s.Vantage, domain: s.Domain, ip: ip, facts: facts, first: d.first, last: d.last, count: d.count}
			return
		}
		r.first, r.last, r.count = minTime(r.first, d.first), maxTime(r.last, d.last), r.count+d.count
	}
	for _, s := range spans {
		o := s.Observation
		status := string(o.Status)
		tail := []string{spanCNAME(o), viewCell(s.View), s.Datasets}
		for _, d := range daysOf(s) {
			if len(o.Addresses) == 0 {
				add(s, d, netip.Addr{}, slices.Concat(make([]string, 9), []string{status}, tail))
			}
			seen := map[netip.Addr]bool{}
			for _, a := range o.Addresses {
				if seen[a.IP] {
					continue
				}
				seen[a.IP] = true
				add(s, d, a.IP, slices.Concat(addressFacts(a), []string{status}, tail))
			}
		}
	}
	sorted := make([]*dailyRow, 0, len(rows))
	for _, r := range rows {
		sorted = append(sorted, r)
	}
	slices.SortFunc(sorted, func(a, b *dailyRow) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.vantage, b.vantage), cmp.Compare(a.domain, b.domain),
			a.ip.Compare(b.ip), a.first.Compare(b.first), slices.Compare(a.facts, b.facts))
	})
	cw := NewCSVWriter(w)
	if err := cw.Write(dailyHeader); err != nil {
		return err
	}
	for _, r := range sorted {
		ip := ""
		if r.ip.IsValid() {
			ip = r.ip.String()
		}
		row := slices.Concat([]string{r.day, r.vantage, r.domain, ip}, r.facts,
			[]string{clock(r.first), clock(r.last), strconv.Itoa(r.count)})
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// addressFacts are the daily CSV's cells from version to cdn_name for one
// attributed address; what is not known is empty.
func addressFacts(a probe.Address) []string {
	version := "6"
	if a.IP.Is4() {
		version = "4"
	}
	asn, prefix := "", ""
	if a.ASN != 0 {
		asn = strconv.FormatUint(uint64(a.ASN), 10)
	}
	if a.Prefix.IsValid() {
		prefix = a.Prefix.String()
	}
	return []string{version, asn, a.ASOrg, prefix, a.Country, a.RegisteredCountry, a.Provider,
		strconv.FormatBool(a.CDN), a.CDNName}
}

// spanCNAME is the CNAME chain's targets, in order, joined by " > ".
func spanCNAME(o probe.Observation) string {
	hops := make([]string, len(o.CNAMEChain))
	for i, h := range o.CNAMEChain {
		hops[i] = h.Target
	}
	return strings.Join(hops, " > ")
}

// viewCell names a view in a CSV cell: empty when nothing was recorded of it.
func viewCell(v probe.View) string {
	if len(v.Resolvers) == 0 && len(v.Subnets) == 0 {
		return ""
	}
	return v.String()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
