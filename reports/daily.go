package reports

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
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
	d := NewDailyWriter(w)
	defer d.Close()
	if err := d.Add(spans); err != nil {
		return err
	}
	return d.Finish()
}

// DailyWriter writes the daily CSV of WriteDailyCSV from spans given a few
// domains at a time, so that its memory grows with the history of the
// domains of one Add, not with the file: the rows of the domains added so
// far are kept until there are dailySpill of them, then sorted into a run
// of a temporary file, and Finish merges the runs. Each Add must hold every span of its domains (a
// row sums the spans of one domain), as Store.Spans gives them for a page
// of Store.DomainsAfter.
type DailyWriter struct {
	w    io.Writer
	rows map[string]*dailyRow
	// spillAt is how many rows are kept before they are spilled
	// (dailySpill; less in tests).
	spillAt int
	spill   *os.File
	runs    []dailyRun
	end     int64 // where the next run starts in spill
	err     error
}

// dailySpill is how many rows a DailyWriter keeps before it spills them:
// a few tens of megabytes.
const dailySpill = 20000

// dailyRun is one sorted run of rows in the spill file.
type dailyRun struct{ off, n int64 }

// NewDailyWriter returns a DailyWriter writing to w; Finish writes the CSV
// and Close removes its temporary file.
func NewDailyWriter(w io.Writer) *DailyWriter {
	return &DailyWriter{w: w, rows: map[string]*dailyRow{}, spillAt: dailySpill}
}

// Add adds the rows of spans: every span of the domains it holds.
func (d *DailyWriter) Add(spans []history.Span) error {
	if d.err != nil {
		return d.err
	}
	add := func(s history.Span, day daySeen, ip netip.Addr, facts []string) {
		date := day.first.Format(time.DateOnly)
		key := strings.Join(append([]string{date, s.Vantage, s.Domain, ip.String()}, facts...), "\x00")
		r, ok := d.rows[key]
		if !ok {
			d.rows[key] = &dailyRow{day: date, vantage: s.Vantage, domain: s.Domain, ip: ip, facts: facts, first: day.first, last: day.last, count: day.count}
			return
		}
		r.first, r.last, r.count = minTime(r.first, day.first), maxTime(r.last, day.last), r.count+day.count
	}
	for _, s := range spans {
		o := s.Observation
		status := string(o.Status)
		tail := []string{spanCNAME(o), viewCell(s.View), s.Datasets}
		for _, day := range daysOf(s) {
			if len(o.Addresses) == 0 {
				add(s, day, netip.Addr{}, slices.Concat(make([]string, 9), []string{status}, tail))
			}
			seen := map[netip.Addr]bool{}
			for _, a := range o.Addresses {
				if seen[a.IP] {
					continue
				}
				seen[a.IP] = true
				add(s, day, a.IP, slices.Concat(addressFacts(a), []string{status}, tail))
			}
		}
	}
	if len(d.rows) >= d.spillAt {
		d.err = d.spillRows()
	}
	return d.err
}

// sorted returns the rows kept, in the CSV's order, and forgets them.
func (d *DailyWriter) sorted() []*dailyRow {
	rows := make([]*dailyRow, 0, len(d.rows))
	for _, r := range d.rows {
		rows = append(rows, r)
	}
	clear(d.rows)
	slices.SortFunc(rows, compareDaily)
	return rows
}

// compareDaily orders the daily CSV's rows: by day, vantage, domain,
// address, first time and facts.
func compareDaily(a, b *dailyRow) int {
	return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.vantage, b.vantage), cmp.Compare(a.domain, b.domain),
		a.ip.Compare(b.ip), a.first.Compare(b.first), slices.Compare(a.facts, b.facts))
}

// spillRows writes the rows kept as one sorted run of the spill file.
func (d *DailyWriter) spillRows() error {
	if d.spill == nil {
		f, err := os.CreateTemp("", "hostwatch-daily-*")
		if err != nil {
			return fmt.Errorf("daily CSV: %w", err)
		}
		// Only ever read through f: on Unix it leaves the directory at
		// once, and with it when hostwatch is killed.
		os.Remove(f.Name())
		d.spill = f
	}
	bw := bufio.NewWriter(io.NewOffsetWriter(d.spill, d.end))
	run := dailyRun{off: d.end}
	var buf []byte
	for _, r := range d.sorted() {
		buf = appendDailyRow(buf[:0], r)
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("daily CSV: spill rows: %w", err)
		}
		run.n += int64(len(buf))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("daily CSV: spill rows: %w", err)
	}
	d.runs = append(d.runs, run)
	d.end += run.n
	return nil
}

// Finish writes the CSV: its header, then every row added, in order.
func (d *DailyWriter) Finish() error {
	if d.err != nil {
		return d.err
	}
	cw := NewCSVWriter(d.w)
	if err := cw.Write(dailyHeader); err != nil {
		return err
	}
	if len(d.runs) == 0 {
		for _, r := range d.sorted() {
			if err := writeDailyRow(cw, r); err != nil {
				return err
			}
		}
		return cw.Flush()
	}
	if len(d.rows) > 0 {
		if err := d.spillRows(); err != nil {
			return err
		}
	}
	if err := d.merge(cw); err != nil {
		return err
	}
	return cw.Flush()
}

// merge writes the spilled runs' rows in order: the next row of each run
// waits in a heap.
func (d *DailyWriter) merge(cw *CSVWriter) error {
	h := &dailyHeap{}
	for _, run := range d.runs {
		rd := &dailyReader{r: bufio.NewReaderSize(io.NewSectionReader(d.spill, run.off, run.n), 16<<10)}
		if err := rd.next(); err != nil {
			return err
		}
		if rd.row != nil {
			h.rs = append(h.rs, rd)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		rd := h.rs[0]
		if err := writeDailyRow(cw, rd.row); err != nil {
			return err
		}
		if err := rd.next(); err != nil {
			return err
		}
		if rd.row == nil {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	return nil
}

// Close removes the temporary file, if any.
func (d *DailyWriter) Close() error {
	if d.spill == nil {
		return nil
	}
	err := d.spill.Close()
	d.spill = nil
	return err
}

func writeDailyRow(cw *CSVWriter, r *dailyRow) error {
	ip := ""
	if r.ip.IsValid() {
		ip = r.ip.String()
	}
	return cw.Write(slices.Concat([]string{r.day, r.vantage, r.domain, ip}, r.facts,
		[]string{clock(r.first), clock(r.last), strconv.Itoa(r.count)}))
}

// appendDailyRow appends r as a spilled row: its strings, address and
// times, each after its length.
func appendDailyRow(b []byte, r *dailyRow) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(r.day)
	str(r.vantage)
	str(r.domain)
	ip, _ := r.ip.MarshalBinary() // never fails
	str(string(ip))
	b = binary.AppendUvarint(b, uint64(len(r.facts)))
	for _, f := range r.facts {
		str(f)
	}
	first, _ := r.first.MarshalBinary() // UTC: never fails
	str(string(first))
	last, _ := r.last.MarshalBinary()
	str(string(last))
	return binary.AppendUvarint(b, uint64(r.count))
}

// dailyReader reads one spilled run, a row at a time.
type dailyReader struct {
	r   *bufio.Reader
	row *dailyRow // the row read last; nil at the end of the run
}

// next reads the next row into rd.row, nil at the end of the run.
func (rd *dailyReader) next() error {
	day, err := rd.str()
	if err == io.EOF {
		rd.row = nil
		return nil
	}
	r := &dailyRow{day: day}
	var ip, first, last string
	for _, p := range []*string{&r.vantage, &r.domain, &ip} {
		if *p, err = rd.str(); err != nil {
			return rd.bad(err)
		}
	}
	n, err := binary.ReadUvarint(rd.r)
	if err != nil || n > 64 {
		return rd.bad(err)
	}
	r.facts = make([]string, n)
	for i := range r.facts {
		if r.facts[i], err = rd.str(); err != nil {
			return rd.bad(err)
		}
	}
	for _, p := range []*string{&first, &last} {
		if *p, err = rd.str(); err != nil {
			return rd.bad(err)
		}
	}
	count, err := binary.ReadUvarint(rd.r)
	if err != nil {
		return rd.bad(err)
	}
	r.count = int(count)
	if err := errors.Join(r.ip.UnmarshalBinary([]byte(ip)), r.first.UnmarshalBinary([]byte(first)), r.last.UnmarshalBinary([]byte(last))); err != nil {
		return rd.bad(err)
	}
	rd.row = r
	return nil
}

func (rd *dailyReader) str() (string, error) {
	n, err := binary.ReadUvarint(rd.r)
	if err != nil {
		return "", err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rd.r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

func (rd *dailyReader) bad(err error) error {
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("daily CSV: read spilled rows: %w", err)
}

// dailyHeap holds the runs by their next row, smallest first.
type dailyHeap struct{ rs []*dailyReader }

func (h *dailyHeap) Len() int           { return len(h.rs) }
func (h *dailyHeap) Less(i, j int) bool { return compareDaily(h.rs[i].row, h.rs[j].row) < 0 }
func (h *dailyHeap) Swap(i, j int)      { h.rs[i], h.rs[j] = h.rs[j], h.rs[i] }
func (h *dailyHeap) Push(x any)         { h.rs = append(h.rs, x.(*dailyReader)) }
func (h *dailyHeap) Pop() any {
	x := h.rs[len(h.rs)-1]
	h.rs = h.rs[:len(h.rs)-1]
	return x
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
