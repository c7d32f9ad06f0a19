package reports

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// sampleSpans is the record of one domain moving ID → SG → FR, with a
// timeout on the way, attributed from the real embedded data.
func sampleSpans(t *testing.T) []history.Span {
	t.Helper()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	day := time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)
	span := func(status resolvers.Status, first, last time.Duration, count int, ips ...string) history.Span {
		o := probe.Observation{Target: probe.ParseTarget("sirekap-web.kpu.go.id", "args", 0), Status: status}
		for _, s := range ips {
			ip := netip.MustParseAddr(s)
			o.Addresses = append(o.Addresses, probe.Address{IP: ip, Result: db.Lookup(ip)})
		}
		return history.Span{Domain: o.Target.Domain, Unicode: o.Target.Unicode, Observation: o,
			FirstSeen: day.Add(first), LastSeen: day.Add(last), Count: count}
	}
	h := time.Hour
	return []history.Span{
		span(resolvers.StatusOK, 0, 30*h, 31, "36.86.63.182"),
		span(resolvers.StatusTimeout, 31*h, 31*h, 1),
		span(resolvers.StatusOK, 32*h, 40*h, 9, "36.86.63.182"),
		span(resolvers.StatusOK, 41*h, 60*h, 20, "170.33.13.55", "8.219.1.1"),
		span(resolvers.StatusOK, 61*h, 61*h, 1, "170.33.13.55"),
		span(resolvers.StatusOK, 62*h, 80*h, 19, "51.210.1.10"),
	}
}

func TestWriteHistory(t *testing.T) {
	t.Parallel()
	spans := sampleSpans(t)
	periods, changes := history.Timeline(spans, history.Options{Confirm: 1})
	h := History{
		GeneratedAt: time.Date(2024, 2, 18, 0, 0, 0, 0, time.UTC), ToolVersion: "v0.1.0-test", Database: "history.db",
		Domains: []DomainHistory{{Domain: "sirekap-web.kpu.go.id", Periods: periods, Changes: changes}},
	}
	if got, want := Summary(h.Domains[0]), "moved 2 times since 2024-02-14: ID → SG → FR"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	for format, name := range map[string]string{"table": "history.table.golden", "csv": "history.csv.golden", "json": "history.json.golden", "markdown": "history.md.golden"} {
		var buf bytes.Buffer
		if err := WriteHistory(&buf, format, h); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
	}
	var buf bytes.Buffer
	if err := WriteDailyCSV(&buf, spans); err != nil {
		t.Fatal(err)
	}
	golden(t, "history.daily.csv.golden", buf.Bytes())
}

func TestWriteCheck(t *testing.T) {
	t.Parallel()
	spans := sampleSpans(t)
	_, changes := history.Timeline(spans, history.Options{Confirm: 1})
	c := Check{
		GeneratedAt: time.Date(2024, 2, 18, 0, 0, 0, 0, time.UTC), ToolVersion: "v0.1.0-test", Database: "history.db",
		Resolvers: []string{"127.0.0.1:5300"}, Domains: 1, Changes: changes[len(changes)-1:],
		Violations: []probe.Violation{{Domain: "sirekap-web.kpu.go.id", Address: netip.MustParseAddr("51.210.1.10"), ASN: 16276, Country: "FR", Rule: "country FR is not allowed (--allow-country ID)"}},
		Matched:    []string{"country_changed (sirekap-web.kpu.go.id)", "policy (sirekap-web.kpu.go.id 51.210.1.10)"},
	}
	for format, name := range map[string]string{"table": "check.txt.golden", "markdown": "check.md.golden", "json": "check.json.golden"} {
		var buf bytes.Buffer
		if err := WriteCheck(&buf, format, c); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
	}
}
