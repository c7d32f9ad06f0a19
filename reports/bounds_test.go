package reports

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/rtt"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/schema"
	"github.com/hostwatch/hostwatch/resolvers"
)

// sampleBounds is history --bounds of recorded round trips: loopback-sized
// ones from Jakarta and Paris (anycast) and one from a vantage without a
// location; with together, 10 ms from Jakarta and 2 ms from Singapore
// instead, whose disks meet.
func sampleBounds(t *testing.T, together bool) Bounds {
	t.Helper()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	ip := netip.MustParseAddr("170.33.13.55")
	run := int64(0)
	m := func(vantage string, loc *geo.Point, claimed string, ms ...float64) history.Measurement {
		run++
		out := history.Measurement{RunID: run, Domain: "sirekap-web.kpu.go.id", IP: ip, Vantage: vantage, Location: loc, Claimed: claimed,
			Method: "tcp-connect", MeasuredAt: at.Add(time.Duration(run) * time.Hour)}
		for i, x := range ms {
			d := time.Duration(x * float64(time.Millisecond))
			out.Samples = append(out.Samples, rtt.Sample{At: out.MeasuredAt.Add(time.Duration(i) * time.Millisecond), Port: 443, RTT: d, Reply: rtt.ReplySYNACK})
			if i == 0 || d < out.Min {
				out.Min = d
			}
		}
		return out
	}
	jakarta := &geo.Point{Lat: -6.2, Lon: 106.8}
	var ms []history.Measurement
	if together {
		ms = []history.Measurement{m("jakarta", jakarta, "SG", 12), m("jakarta", jakarta, "SG", 10),
			m("singapore", &geo.Point{Lat: 1.35, Lon: 103.82}, "SG", 2)}
	} else {
		ms = []history.Measurement{m("jakarta", jakarta, "SG", 0.06, 0.05), m("paris", &geo.Point{Lat: 48.86, Lon: 2.35}, "SG", 0.05),
			m("laptop", nil, "SG", 1.2)}
	}
	vs, c := history.Bounds(ms, shapes)
	return Bounds{GeneratedAt: at.Add(24 * time.Hour), ToolVersion: "v0.1.0-test", Database: "history.db", Address: ip, Vantages: vs, Combined: c}
}

func TestWriteBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		together bool
		want     []string
	}{
		{false, []string{"anycast: the disks of jakarta and paris do not meet", "geolocation_contradicted: the database's SG is ruled out by jakarta, paris",
			"laptop: rtt 1.20 ms", "no bound: the vantage has no location", "(the least of 1 measurement: sirekap-web.kpu.go.id, run 3, 2024-02-15T11:30:00Z)"}},
		{true, []string{"possible: ", "SG", "(the countries every disk of 2 vantages meets; an upper bound, never a location)",
			"jakarta: rtt 10.00 ms", "(the least of 2 measurements: sirekap-web.kpu.go.id, run 2, 2024-02-15T10:30:00Z)"}},
	} {
		b := sampleBounds(t, tc.together)
		var text, doc, page bytes.Buffer
		if err := WriteBoundsIn(&text, "table", b, i18n.English); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%q not in:\n%s", w, text.String())
			}
		}
		if strings.Contains(text.String(), "anycast") == tc.together {
			t.Errorf("anycast said or not said wrongly:\n%s", text.String())
		}
		if err := WriteBoundsIn(&doc, "json", b, i18n.English); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc.Bytes(), "bounds.v1.schema.json", ""); err != nil {
			t.Errorf("the bounds report does not follow its schema: %v\n%s", err, doc.String())
		}
		if err := WriteBoundsHTMLIn(&page, b, i18n.English); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(page.String(), `class="disk"`); n != 2 || strings.Contains(page.String(), "anycast:") == tc.together {
			t.Errorf("the page draws %d disks (want 2), anycast said wrongly", n)
		}
	}
	// Outside text stays inert: a vantage's name from the history is
	// escaped on a terminal and in Markdown.
	b := sampleBounds(t, false)
	b.Vantages[0].Label = "evil\x1b[31m"
	var text, md bytes.Buffer
	if err := WriteBoundsIn(&text, "table", b, i18n.English); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "\x1b") {
		t.Errorf("an escape reached the terminal:\n%q", text.String())
	}
	if err := WriteBoundsIn(&md, "markdown", b, i18n.English); err != nil {
		t.Fatal(err)
	}
	if err := WriteBoundsIn(&md, "csv", b, i18n.English); err == nil {
		t.Error("csv: no error")
	}
}

// TestAuditPageSaysAnycast: a report whose bounds on one address come
// from places whose disks do not meet says so; one vantage's never do.
func TestAuditPageSaysAnycast(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	ip := netip.MustParseAddr("170.33.13.55")
	report := func(places ...geo.Point) probe.Report {
		r := probe.Report{GeneratedAt: at, ToolVersion: "v0.1.0-test"}
		for i, p := range places {
			d := 50 * time.Microsecond
			a := probe.Address{IP: ip}
			a.Country = "SG"
			a.Extra = &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: "tcp-connect",
				Samples: []rtt.Sample{{At: at, Port: 443, RTT: d, Reply: rtt.ReplySYNACK}}, Min: d}, Bound: probe.NewBound(p, d, "SG", shapes)}}
			name := []string{"a.kpu.go.id", "b.kpu.go.id", "c.kpu.go.id"}[i]
			r.Observations = append(r.Observations, probe.Observation{Target: probe.Target{Input: name, Domain: name, Unicode: name},
				Status: resolvers.StatusOK, StartedAt: at, Addresses: []probe.Address{a}})
		}
		return r
	}
	jakarta, paris := geo.Point{Lat: -6.2, Lon: 106.8}, geo.Point{Lat: 48.86, Lon: 2.35}
	for _, lang := range []i18n.Lang{i18n.English, i18n.Indonesian} {
		var page bytes.Buffer
		if err := WriteHTMLIn(&page, report(jakarta, paris), lang); err != nil {
			t.Fatal(err)
		}
		want := map[i18n.Lang]string{i18n.English: "170.33.13.55: anycast: the disks of -6.2,106.8 and 48.86,2.35 do not meet",
			i18n.Indonesian: "170.33.13.55: anycast: lingkaran -6.2,106.8 dan 48.86,2.35 tidak bersinggungan"}[lang]
		if !strings.Contains(page.String(), want) {
			t.Errorf("%q not on the page", want)
		}
	}
	if notes := anycastNotes(english(), report(jakarta, jakarta, jakarta).Observations); len(notes) != 0 {
		t.Errorf("one vantage's disks: %q", notes)
	}
}

// The words round a bound up, never down: 85 µs is 8.5 km, and "within 8
// km" next to "rtt 0.09 ms" would say less than the bound (and than the
// JSON's 8.5). Whole km stay as they are.
func TestBoundWordsRoundUp(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{85 * time.Microsecond: "within 9 km", 31 * time.Microsecond: "within 4 km", 3100 * time.Microsecond: "within 310 km"} {
		x := &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: rtt.MethodTCP,
			Samples: []rtt.Sample{{At: at, Port: 443, RTT: d, Reply: rtt.ReplySYNACK}}, Min: d},
			Bound: probe.NewBound(geo.Point{Lat: -6.2, Lon: 106.8}, d, "ID", shapes)}}
		if notes := rttNotes(english(), x); len(notes) != 1 || !strings.Contains(notes[0], want+" of the vantage") {
			t.Errorf("%v: %q, want %q", d, notes, want)
		}
	}
}
