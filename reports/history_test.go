package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/resolvers"
)

// The views the fixtures ask through.
var (
	viewA  = probe.View{Resolvers: []string{"192.0.2.53:53"}}
	viewB  = probe.View{Resolvers: []string{"192.0.2.54:53"}}
	viewSG = probe.View{Resolvers: []string{"198.51.100.53:53"}}
)

// seen is one observation of a run: when, from where, how, and what.
type seen struct {
	at      time.Time
	vantage string
	view    probe.View
	confirm int
	status  resolvers.Status
	ips     []string
	cname   []string
}

// recorder turns observations into spans the way a store keeps them:
// consecutive identical observations of one domain from one vantage
// through one view, within one UTC day, make one span.
type recorder struct {
	t      *testing.T
	db     *attribution.DB
	domain string
	spans  []history.Span
	last   map[string]int // vantage → index of its latest span
	prints map[int]string
}

func newRecorder(t *testing.T, domain string) *recorder {
	t.Helper()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &recorder{t: t, db: db, domain: domain, last: map[string]int{}, prints: map[int]string{}}
}

func (r *recorder) observation(s seen) probe.Observation {
	o := probe.Observation{Target: probe.ParseTarget(r.domain, "args", 0), Status: s.status, StartedAt: s.at}
	for i, c := range s.cname {
		name := r.domain
		if i > 0 {
			name = s.cname[i-1]
		}
		o.CNAMEChain = append(o.CNAMEChain, resolvers.Hop{Name: name, Target: c, TTL: 60})
	}
	for _, ip := range s.ips {
		a := netip.MustParseAddr(ip)
		o.Addresses = append(o.Addresses, probe.Address{IP: a, Result: r.db.Lookup(a)})
	}
	return o
}

// add records observations, one run each.
func (r *recorder) add(obs ...seen) *recorder {
	for _, s := range obs {
		o := r.observation(s)
		addrs, err := history.CanonicalAddresses(o.Addresses)
		if err != nil {
			r.t.Fatal(err)
		}
		fp := history.Fingerprint(o, addrs) + s.view.String()
		run := int64(len(r.spans) + 1)
		if i, ok := r.last[s.vantage]; ok && r.prints[i] == fp && history.SameDay(r.spans[i].LastSeen, s.at) {
			sp := &r.spans[i]
			sp.LastSeen, sp.Count, sp.LastRun, sp.Confirm = s.at, sp.Count+1, run, max(s.confirm, 1)
			continue
		}
		r.spans = append(r.spans, history.Span{Domain: o.Target.Domain, Unicode: o.Target.Unicode, Vantage: s.vantage,
			View: s.view, Observation: o, FirstSeen: s.at, LastSeen: s.at, Count: 1, FirstRun: run, LastRun: run,
			Confirm: max(s.confirm, 1), Datasets: "ip-location-db/asn 2024-02-01"})
		r.last[s.vantage] = len(r.spans) - 1
		r.prints[len(r.spans)-1] = fp
	}
	return r
}

// hourly is n observations an hour apart from start.
func hourly(start time.Time, n int, s seen) []seen {
	out := make([]seen, n)
	for i := range out {
		out[i] = s
		out[i].at = start.Add(time.Duration(i) * time.Hour)
	}
	return out
}

// sirekapStart is when the sample record begins.
var sirekapStart = time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)

// sampleSpans is the record of one domain seen hourly from two vantages,
// attributed from the real embedded data. From jakarta, with --confirm 2:
// ID, a timeout, a one-run blip to SG, a move to Alibaba Cloud in SG, its
// renumbering from AS134963 to AS45102 (no move), a change of resolver
// (no move), a move to OVHcloud in FR, and a last run back in SG that is
// pending. From singapore, with --confirm 1: SG all along, then FR.
func sampleSpans(t *testing.T) []history.Span {
	t.Helper()
	h := time.Hour
	at := func(run int) time.Time { return sirekapStart.Add(time.Duration(run) * h) }
	jkt := func(view probe.View, ips ...string) seen {
		return seen{vantage: "jakarta", view: view, confirm: 2, status: resolvers.StatusOK, ips: ips}
	}
	r := newRecorder(t, "sirekap-web.kpu.go.id")
	r.add(hourly(at(0), 22, jkt(viewA, "36.86.63.182"))...)
	r.add(seen{at: at(22), vantage: "jakarta", view: viewA, confirm: 2, status: resolvers.StatusTimeout})
	r.add(hourly(at(23), 5, jkt(viewA, "36.86.63.182"))...)
	r.add(hourly(at(28), 1, jkt(viewA, "8.219.1.1"))...)
	r.add(hourly(at(29), 12, jkt(viewA, "36.86.63.182"))...)
	r.add(hourly(at(41), 6, jkt(viewA, "170.33.13.55"))...)
	r.add(hourly(at(47), 6, jkt(viewA, "8.219.1.1"))...)
	r.add(hourly(at(53), 8, jkt(viewB, "8.219.1.1"))...)
	r.add(hourly(at(61), 10, jkt(viewB, "51.210.1.10"))...)
	r.add(hourly(at(71), 1, jkt(viewB, "8.219.1.1"))...)
	sg := func(ips ...string) seen {
		return seen{vantage: "singapore", view: viewSG, confirm: 1, status: resolvers.StatusOK, ips: ips}
	}
	r.add(hourly(at(0).Add(30*time.Minute), 61, sg("8.219.1.1"))...)
	r.add(hourly(at(61).Add(30*time.Minute), 10, sg("51.210.1.10"))...)
	return r.spans
}

// sampleHistory reads the sample record as `history` does, with the
// --confirm recorded with it.
func sampleHistory(t *testing.T) History {
	t.Helper()
	periods, changes := history.Timeline(sampleSpans(t), history.Options{})
	return History{
		GeneratedAt: time.Date(2024, 2, 18, 0, 0, 0, 0, time.UTC), ToolVersion: "v0.1.0-test", Database: "history.db",
		Vantages: []string{"jakarta", "singapore"}, Domains: Timelines(periods, changes),
	}
}

func TestWriteHistory(t *testing.T) {
	t.Parallel()
	h := sampleHistory(t)
	if len(h.Domains) != 2 || h.Domains[0].Vantage != "jakarta" || h.Domains[1].Vantage != "singapore" {
		t.Fatalf("timelines: %+v", h.Domains)
	}
	for i, want := range []string{"moved 2 times since 2024-02-14: ID → SG → FR", "moved 1 time since 2024-02-14: SG → FR"} {
		if got := Summary(h.Domains[i]); got != want {
			t.Errorf("Summary(%s) = %q, want %q", h.Domains[i].Vantage, got, want)
		}
	}
	for format, name := range map[string]string{"table": "history.table.golden", "csv": "history.csv.golden", "json": "history.json.golden", "markdown": "history.md.golden"} {
		var buf bytes.Buffer
		if err := WriteHistory(&buf, format, h); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
		if format == "json" {
			validateAs(t, buf.Bytes(), "history.v1.schema.json", "")
		}
	}
}

// TestHistoryText checks the sentences people read, one by one.
func TestHistoryText(t *testing.T) {
	t.Parallel()
	h := sampleHistory(t)
	h.Width = 1000 // every sentence on one line
	var buf bytes.Buffer
	if err := WriteHistory(&buf, "table", h); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"sirekap-web.kpu.go.id from jakarta: moved 2 times since 2024-02-14: ID → SG → FR\n",
		"  rule: a move is a new provider or country, confirmed over 2 runs (",
		"sirekap-web.kpu.go.id from singapore: moved 1 time since 2024-02-14: SG → FR\n",
		"  rule: a move is a new provider or country, counted at once (--confirm 1) (",
		"  moved between 2024-02-15T22:00:00Z and 2024-02-15T23:00:00Z: ID → SG (country_changed, provider_changed, asn_changed, addresses_changed)\n",
		"  network changed at 2024-02-16T05:00:00Z: AS134963 → AS45102 in Alibaba Cloud/SG (renumbering, not a move)\n",
		"  view changed at 2024-02-16T11:00:00Z: resolvers 192.0.2.53:53 → 192.0.2.54:53 (not compared: a change of view is never a move)\n",
		"  pending (1 of 2): FR → SG since 2024-02-17T05:00:00Z (not counted until confirmed)\n",
		"  jakarta and singapore disagree from 2024-02-14T06:30:00Z to 2024-02-15T22:00:00Z: ID vs SG\n",
		"FROM                  TO                    CC  ASN",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the history does not say %q:\n%s", want, text)
		}
	}
	// The blip is not a move and not listed; the view change is not one either.
	if n := strings.Count(text, "  moved between"); n != 3 {
		t.Errorf("%d moves listed, want 3 (2 from jakarta, 1 from singapore):\n%s", n, text)
	}
}

// TestHistoryWidth lays the history out at 80 columns and at the default:
// every line fits, and no address is cut short or left out.
func TestHistoryWidth(t *testing.T) {
	t.Parallel()
	for width, name := range map[int]string{0: "", 80: "history.table.80.golden"} {
		h := sampleHistory(t)
		h.Width = width
		var buf bytes.Buffer
		if err := WriteHistory(&buf, "table", h); err != nil {
			t.Fatal(err)
		}
		fitsWidth(t, buf.String(), fitWidth(width))
		for _, ip := range []string{"36.86.63.182", "8.219.1.1 170.33.13.55", "51.210.1.10"} {
			if !strings.Contains(buf.String(), ip) {
				t.Errorf("width %d: %s is not shown whole:\n%s", width, ip, buf.String())
			}
		}
		if name != "" {
			golden(t, name, buf.Bytes())
		}
	}
}

func TestHistoryJSON(t *testing.T) {
	t.Parallel()
	h := sampleHistory(t)
	var buf bytes.Buffer
	if err := WriteHistory(&buf, "json", h); err != nil {
		t.Fatal(err)
	}
	var doc HistoryDocument
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	jkt := doc.Domains[0]
	if jkt.Vantage != "jakarta" || jkt.Moves != 2 || jkt.Confirm != 2 || !strings.HasPrefix(jkt.MoveRule, probe.MoveRule) ||
		!strings.HasSuffix(jkt.MoveRule, "confirmed over 2 runs") {
		t.Errorf("jakarta: vantage %q, moves %d, confirm %d, rule %q", jkt.Vantage, jkt.Moves, jkt.Confirm, jkt.MoveRule)
	}
	moves, pending := 0, 0
	for _, c := range jkt.Changes {
		if c.CountsAsMove != c.Move {
			t.Errorf("change %s: counts_as_move %v, move %v", c.Kind, c.CountsAsMove, c.Move)
		}
		if c.CountsAsMove {
			moves++
		}
		if c.Pending {
			pending++
			if c.Seen != 1 || c.Confirm != 2 || c.CountsAsMove {
				t.Errorf("pending change: seen %d of %d, counts_as_move %v", c.Seen, c.Confirm, c.CountsAsMove)
			}
		}
		if c.Kind == string(probe.ChangeView) && (c.BeforeView.Resolvers[0] != "192.0.2.53:53" || c.AfterView.Resolvers[0] != "192.0.2.54:53") {
			t.Errorf("view change: %+v → %+v", c.BeforeView, c.AfterView)
		}
	}
	if moves != jkt.Moves || pending != 1 {
		t.Errorf("%d changes count as moves (moves says %d), %d pending", moves, jkt.Moves, pending)
	}
	p := jkt.Periods[1]
	if p.Vantage != "jakarta" || !slices.Equal(p.Providers, []string{"Alibaba Cloud"}) || len(p.Places) != 1 ||
		p.Places[0] != (PlaceJSON{Provider: "Alibaba Cloud", Country: "SG"}) || !slices.Equal(p.Resolvers, viewA.Resolvers) {
		t.Errorf("second period: %+v", p)
	}
	if len(doc.Disagreements) != 1 || !slices.Equal(doc.Disagreements[0].Where, []string{"ID", "SG"}) {
		t.Errorf("disagreements: %+v", doc.Disagreements)
	}
}

// tableRows reads CSV with Go's reader, failing on anything it rejects.
func tableRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("read csv: %v\n%s", err, data)
	}
	return rows
}

func TestWriteDailyCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteDailyCSV(&buf, sampleSpans(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "history.daily.csv.golden", buf.Bytes())
	rows := tableRows(t, buf.Bytes())
	if !slices.Equal(rows[0], dailyHeader) {
		t.Errorf("header %v", rows[0])
	}
	// Every row is within its own day.
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[17], r[0]) || !strings.HasPrefix(r[18], r[0]) {
			t.Errorf("row of %s seen from %s to %s", r[0], r[17], r[18])
		}
	}
}

// TestDailyCSVDays checks what each day's rows say, case by case.
func TestDailyCSVDays(t *testing.T) {
	t.Parallel()
	day := func(d, hour int) time.Time { return time.Date(2024, 3, d, hour, 0, 0, 0, time.UTC) }
	ok := func(at time.Time, ips ...string) seen {
		return seen{at: at, vantage: "jakarta", view: viewA, status: resolvers.StatusOK, ips: ips}
	}
	type row struct {
		date, address, first, last, count string
	}
	tests := []struct {
		name  string
		spans func(r *recorder) []history.Span
		want  []row
	}{{
		name: "an address absent on the middle day has no row that day",
		spans: func(r *recorder) []history.Span {
			return r.add(ok(day(1, 6), "36.86.63.182", "8.219.1.1"), ok(day(2, 6), "8.219.1.1"), ok(day(3, 6), "36.86.63.182", "8.219.1.1")).spans
		},
		want: []row{
			{"2024-03-01", "8.219.1.1", "2024-03-01T06:00:00Z", "2024-03-01T06:00:00Z", "1"},
			{"2024-03-01", "36.86.63.182", "2024-03-01T06:00:00Z", "2024-03-01T06:00:00Z", "1"},
			{"2024-03-02", "8.219.1.1", "2024-03-02T06:00:00Z", "2024-03-02T06:00:00Z", "1"},
			{"2024-03-03", "8.219.1.1", "2024-03-03T06:00:00Z", "2024-03-03T06:00:00Z", "1"},
			{"2024-03-03", "36.86.63.182", "2024-03-03T06:00:00Z", "2024-03-03T06:00:00Z", "1"},
		},
	}, {
		name: "two spans of one day add up",
		spans: func(r *recorder) []history.Span {
			return r.add(ok(day(1, 6), "8.219.1.1"), ok(day(1, 7), "8.219.1.1"), ok(day(1, 8), "8.219.1.1", "170.33.13.55"),
				ok(day(1, 9), "8.219.1.1")).spans
		},
		want: []row{
			{"2024-03-01", "8.219.1.1", "2024-03-01T06:00:00Z", "2024-03-01T09:00:00Z", "4"},
			{"2024-03-01", "170.33.13.55", "2024-03-01T08:00:00Z", "2024-03-01T08:00:00Z", "1"},
		},
	}, {
		name: "a day without addresses has its status",
		spans: func(r *recorder) []history.Span {
			return r.add(ok(day(1, 6), "8.219.1.1"), seen{at: day(1, 7), vantage: "jakarta", view: viewA, status: resolvers.StatusTimeout}).spans
		},
		want: []row{
			{"2024-03-01", "", "2024-03-01T07:00:00Z", "2024-03-01T07:00:00Z", "1"},
			{"2024-03-01", "8.219.1.1", "2024-03-01T06:00:00Z", "2024-03-01T06:00:00Z", "1"},
		},
	}, {
		name: "a span from before schema 3 that crosses midnight counts its first and last observation only",
		spans: func(r *recorder) []history.Span {
			r.add(ok(day(1, 20), "8.219.1.1"))
			r.spans[0].LastSeen, r.spans[0].Count = day(3, 4), 33
			return r.spans
		},
		want: []row{
			{"2024-03-01", "8.219.1.1", "2024-03-01T20:00:00Z", "2024-03-01T20:00:00Z", "1"},
			{"2024-03-03", "8.219.1.1", "2024-03-03T04:00:00Z", "2024-03-03T04:00:00Z", "1"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteDailyCSV(&buf, tt.spans(newRecorder(t, "sirekap-web.kpu.go.id"))); err != nil {
				t.Fatal(err)
			}
			rows := tableRows(t, buf.Bytes())
			var got []row
			for _, r := range rows[1:] {
				got = append(got, row{r[0], r[3], r[17], r[18], r[19]})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows:\n got %v\nwant %v\n%s", got, tt.want, buf.Bytes())
			}
		})
	}
}

// TestDisagreementsSameTime checks SameTime: two vantages' runs started
// together see a domain minutes apart, and are compared; further apart, they
// are not.
func TestDisagreementsSameTime(t *testing.T) {
	t.Parallel()
	at := func(min, sec int) time.Time { return time.Date(2024, 2, 14, 10, min, sec, 0, time.UTC) }
	seen := func(when time.Time, country string) []probe.Period {
		h := probe.Hosting{Status: resolvers.StatusOK, Places: []probe.Place{{Provider: "P " + country, Country: country}},
			Providers: []string{"P " + country}, Countries: []string{country}}
		h.Normalize()
		return []probe.Period{{From: when, To: when, Hosting: h}}
	}
	for _, tc := range []struct {
		name       string
		a, b       []probe.Period
		disagree   bool
		overlap    bool
		from, till time.Time
	}{
		{"seconds apart, other countries", seen(at(0, 0), "ID"), seen(at(0, 3), "SG"), true, true, at(0, 0), at(0, 3)},
		{"seconds apart, one country", seen(at(0, 0), "ID"), seen(at(0, 3), "ID"), false, true, time.Time{}, time.Time{}},
		{"ten minutes apart", seen(at(0, 0), "ID"), seen(at(10, 0), "SG"), true, true, at(0, 0), at(10, 0)},
		{"more than ten minutes apart", seen(at(0, 0), "ID"), seen(at(10, 1), "SG"), false, false, time.Time{}, time.Time{}},
		// Jakarta at 10:00:00 and Singapore at 10:00:03 saw ID; the domain
		// moved and Jakarta saw SG at 10:00:06: each period is compared with
		// its nearest, so the move is no disagreement.
		{"a move after both saw it", append(seen(at(0, 0), "ID"), seen(at(0, 6), "SG")...), seen(at(0, 3), "ID"), false, true, time.Time{}, time.Time{}},
		{"nearest of several", append(seen(at(0, 0), "ID"), seen(at(0, 6), "SG")...), seen(at(0, 5), "ID"), true, true, at(0, 5), at(0, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := History{Domains: []DomainHistory{
				{Domain: "kpu.go.id", Vantage: "jakarta", Periods: tc.a},
				{Domain: "kpu.go.id", Vantage: "singapore", Periods: tc.b},
			}}
			dis := Disagreements(h)
			if got := len(dis) == 1; got != tc.disagree || len(dis) > 1 {
				t.Fatalf("Disagreements = %+v, want a disagreement: %v", dis, tc.disagree)
			}
			if tc.disagree && (!dis[0].From.Equal(tc.from) || !dis[0].To.Equal(tc.till)) {
				t.Errorf("disagreement from %v to %v, want %v to %v", dis[0].From, dis[0].To, tc.from, tc.till)
			}
			if got := Overlapping(h)["kpu.go.id"]; got != tc.overlap {
				t.Errorf("Overlapping = %v, want %v", got, tc.overlap)
			}
		})
	}
}

func TestDisagreements(t *testing.T) {
	t.Parallel()
	at := func(hour int) time.Time { return time.Date(2024, 2, 14, hour, 0, 0, 0, time.UTC) }
	place := func(provider, country string) probe.Place { return probe.Place{Provider: provider, Country: country} }
	period := func(from, to int, places ...probe.Place) probe.Period {
		h := probe.Hosting{Status: resolvers.StatusOK, Places: places}
		for _, p := range places {
			h.Providers = append(h.Providers, p.Provider)
			if p.Country != "" {
				h.Countries = append(h.Countries, p.Country)
			}
		}
		h.Normalize()
		return probe.Period{From: at(from), To: at(to), Hosting: h}
	}
	telkom, alibaba, aws := place("Telkom Indonesia", "ID"), place("Alibaba Cloud", "SG"), place("Amazon Web Services", "SG")
	cloudflare, fastly := place("CDN Cloudflare", ""), place("CDN Fastly", "")
	type want struct {
		vantages, where [2]string
		from, to        int
	}
	tests := []struct {
		name    string
		a, b    []probe.Period
		want    []want
		overlap bool // the vantages saw it at the same time
	}{
		{"overlapping, other countries", []probe.Period{period(0, 10, telkom)}, []probe.Period{period(5, 20, alibaba)},
			[]want{{[2]string{"jakarta", "singapore"}, [2]string{"ID", "SG"}, 5, 10}}, true},
		{"overlapping, same place", []probe.Period{period(0, 10, alibaba)}, []probe.Period{period(5, 20, alibaba)}, nil, true},
		{"apart in time", []probe.Period{period(0, 4, telkom)}, []probe.Period{period(5, 20, alibaba)}, nil, false},
		{"touching at one observation", []probe.Period{period(0, 5, telkom)}, []probe.Period{period(5, 20, alibaba)},
			[]want{{[2]string{"jakarta", "singapore"}, [2]string{"ID", "SG"}, 5, 5}}, true},
		{"one country, other providers", []probe.Period{period(0, 10, alibaba)}, []probe.Period{period(0, 10, aws)},
			[]want{{[2]string{"jakarta", "singapore"}, [2]string{"Alibaba Cloud/SG", "Amazon Web Services/SG"}, 0, 10}}, true},
		{"CDN only, other CDNs", []probe.Period{period(0, 10, cloudflare)}, []probe.Period{period(0, 10, fastly)},
			[]want{{[2]string{"jakarta", "singapore"}, [2]string{"CDN Cloudflare", "CDN Fastly"}, 0, 10}}, true},
		{"CDN only, one CDN", []probe.Period{period(0, 10, cloudflare)}, []probe.Period{period(0, 10, cloudflare)}, nil, true},
		{"two periods against one", []probe.Period{period(0, 4, telkom), period(5, 10, alibaba)}, []probe.Period{period(0, 10, alibaba)},
			[]want{{[2]string{"jakarta", "singapore"}, [2]string{"ID", "SG"}, 0, 4}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Given singapore first: the pair comes out sorted.
			h := History{Domains: []DomainHistory{
				{Domain: "kpu.go.id", Vantage: "singapore", Periods: tt.b},
				{Domain: "kpu.go.id", Vantage: "jakarta", Periods: tt.a},
				{Domain: "other.go.id", Vantage: "jakarta", Periods: tt.a},
			}}
			var got []want
			for _, d := range Disagreements(h) {
				if d.Domain != "kpu.go.id" {
					t.Errorf("a domain seen from one vantage disagrees: %+v", d)
				}
				got = append(got, want{d.Vantages, d.Where, d.From.Hour(), d.To.Hour()})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Disagreements:\n got %+v\nwant %+v", got, tt.want)
			}
			over := Overlapping(h)
			if over["kpu.go.id"] != tt.overlap || over["other.go.id"] {
				t.Errorf("Overlapping = %v, want kpu.go.id %v and no other", over, tt.overlap)
			}
			// What the text says when they do not disagree: agreement only
			// where they saw it at the same time.
			if len(tt.want) == 0 {
				pr, err := i18n.New(i18n.English)
				if err != nil {
					t.Fatal(err)
				}
				lines := disagreementLines(pr, "kpu.go.id", 2, over["kpu.go.id"], Disagreements(h))
				key := map[bool]string{true: "agree wherever both saw it within 10 minutes", false: "never saw it within 10 minutes"}[tt.overlap]
				if len(lines) != 1 || !strings.Contains(lines[0], key) {
					t.Errorf("lines = %q, want one saying %q", lines, key)
				}
				var page bytes.Buffer
				if err := WriteHistoryHTML(&page, h); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(page.String(), key) {
					t.Errorf("the page does not say %q", key)
				}
			}
		})
	}
}

// TestEventsCNAME checks that a CNAME change inside a period is told (it is
// no move), and that a chain alternating on every run is counted past
// maxCNAMEEvents instead of adding a line per run.
func TestEventsCNAME(t *testing.T) {
	t.Parallel()
	pr, err := i18n.New(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	chain := func(i int) probe.Hosting {
		return probe.Hosting{Status: resolvers.StatusOK, CNAME: []string{fmt.Sprintf("edge-%c.kpu.go.id", 'a'+i%2)}}
	}
	var d DomainHistory
	for i := range maxCNAMEEvents + 2 {
		d.Changes = append(d.Changes, probe.Change{Domain: "www.kpu.go.id", Kinds: []probe.ChangeKind{probe.ChangeCNAME},
			Before: chain(i), After: chain(i + 1), AfterAt: time.Date(2024, 2, 14, i, 0, 0, 0, time.UTC)})
	}
	got := events(pr, d)
	want := []string{"CNAME changed at 2024-02-14T00:00:00Z: edge-a.kpu.go.id → edge-b.kpu.go.id (not a move)"}
	if len(got) != maxCNAMEEvents+1 || got[0] != want[0] {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	if last := got[len(got)-1]; last != "2 more CNAME changes, the last at 2024-02-14T06:00:00Z (every one is in -o json)" {
		t.Errorf("last line %q", last)
	}
	// The HTML page tells them the same way.
	d.Domain = "www.kpu.go.id"
	d.Periods = []probe.Period{{Domain: d.Domain, From: d.Changes[0].AfterAt, To: d.Changes[len(d.Changes)-1].AfterAt, Hosting: chain(0)}}
	var page bytes.Buffer
	if err := WriteHistoryHTML(&page, History{Domains: []DomainHistory{d}}); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	if n := strings.Count(html, "CNAME changed at "); n != maxCNAMEEvents {
		t.Errorf("the page tells %d CNAME changes one by one, want %d", n, maxCNAMEEvents)
	}
	for _, want := range []string{"CNAME changed at 2024-02-14T00:00:00Z: edge-a.kpu.go.id → edge-b.kpu.go.id; not a move.",
		"2 more CNAME changes, the last at 2024-02-14T06:00:00Z; every one is in the JSON."} {
		if !strings.Contains(html, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}
