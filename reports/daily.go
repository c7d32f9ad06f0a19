package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/hostwatch/hostwatch/history"
)

// dailyRow is one row of the daily CSV: one day, domain and address (or, for
// a day without addresses, the status the domain had).
type dailyRow struct {
	day      time.Time
	domain   string
	ip       netip.Addr
	addr     []string // version, asn, as_org, prefix, country as text
	status   string
	from, to time.Time
}

// WriteDailyCSV writes one row per day (UTC), domain and address: the hosting
// in effect that day. A day is covered by a span of identical consecutive
// observations when it falls between the span's first and last observation;
// observed_from and observed_to are the real times of those observations (the
// earliest and latest of the spans that cover the day), never made up.
func WriteDailyCSV(w io.Writer, spans []history.Span) error {
	rows := map[string]*dailyRow{}
	for _, s := range spans {
		first, last := s.FirstSeen.UTC(), s.LastSeen.UTC()
		if last.Before(first) {
			last = first
		}
		for day := first.Truncate(24 * time.Hour); !day.After(last); day = day.AddDate(0, 0, 1) {
			add := func(ip netip.Addr, fields []string) {
				key := fmt.Sprint(day.Unix(), s.Domain, ip, s.Observation.Status)
				r, ok := rows[key]
				if !ok {
					rows[key] = &dailyRow{day: day, domain: s.Domain, ip: ip, addr: fields, status: string(s.Observation.Status), from: first, to: last}
					return
				}
				r.from, r.to = minTime(r.from, first), maxTime(r.to, last)
			}
			if len(s.Observation.Addresses) == 0 {
				add(netip.Addr{}, []string{"", "", "", "", ""})
			}
			for _, a := range s.Observation.Addresses {
				ad := newAddress(a.IP, 0, a.Result)
				asn := ""
				if ad.ASN != 0 {
					asn = fmt.Sprint(ad.ASN)
				}
				add(a.IP, []string{fmt.Sprint(ad.Version), asn, ad.ASOrg, ad.Prefix, ad.Country})
			}
		}
	}
	sorted := make([]*dailyRow, 0, len(rows))
	for _, r := range rows {
		sorted = append(sorted, r)
	}
	slices.SortFunc(sorted, func(a, b *dailyRow) int {
		return cmp.Or(a.day.Compare(b.day), cmp.Compare(a.domain, b.domain), a.ip.Compare(b.ip), cmp.Compare(a.status, b.status))
	})
	cw := csv.NewWriter(w)
	out := [][]string{{"date", "domain", "address", "version", "asn", "as_org", "prefix", "country", "status", "observed_from", "observed_to"}}
	for _, r := range sorted {
		ip := ""
		if r.ip.IsValid() {
			ip = r.ip.String()
		}
		row := append([]string{r.day.Format(time.DateOnly), r.domain, ip}, r.addr...)
		out = append(out, append(row, r.status, clock(r.from), clock(r.to)))
	}
	if err := cw.WriteAll(out); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
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
