package reports

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/resolvers"
)

// TestLinkedGeofeedFailureJSON: a linked geofeed that could not be used,
// and the linked feeds that were, follow the schema and read back.
func TestLinkedGeofeedFailureJSON(t *testing.T) {
	t.Parallel()
	r := withFailures(htmlReport(t))
	r.Datasets = append(r.Datasets, readDatasets()...)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes(), "")
	if !strings.Contains(buf.String(), `"kind": "linked_geofeed"`) || !strings.Contains(buf.String(), `"geofeed_error": {`) {
		t.Fatalf("no linked geofeed in\n%s", buf.String())
	}
	back, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var got *probe.GeofeedFailure
	for _, o := range back.Observations {
		for _, a := range o.Addresses {
			if a.Extra != nil && a.Extra.GeofeedFailure != nil {
				got = a.Extra.GeofeedFailure
			}
		}
	}
	if got == nil || got.Kind != "untrusted" || got.URL != "https://geofeed.example/gagal.csv" || !strings.HasPrefix(got.Error, "tls: ") {
		t.Errorf("read back %+v", got)
	}
}

// TestLinkedGeofeedFailureHostile: a failure's words from outside (a
// server's status line, a redirect) stay inert on a terminal and in
// Markdown, and exact in JSON.
func TestLinkedGeofeedFailureHostile(t *testing.T) {
	t.Parallel()
	const words = "answered 500 \x1b[2J\x1b]8;;https://evil.example\x07click\n=1+1"
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	r := probe.Report{GeneratedAt: at, Observations: []probe.Observation{{
		Target: probe.ParseTarget("evil.example", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
		Addresses: []probe.Address{{IP: netip.MustParseAddr("192.0.2.10"), Extra: &probe.Extra{
			GeofeedFailure: &probe.GeofeedFailure{URL: "https://evil.example/feed.csv", Kind: "http_status", Error: words}}}},
	}}}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"table":    func(b *bytes.Buffer) error { return WriteTable(b, r, 200) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdownIn(b, r, i18n.English) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		// The escapes show (Markdown escapes their backslash and brackets too).
		if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), `x1b`) || strings.Contains(b.String(), "\n=1+1") {
			t.Errorf("%s: the failure's words are not inert:\n%q", name, b.String())
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if e := doc.Targets[0].Addresses[0].GeofeedError; e == nil || e.Error != words || e.Kind != "http_status" {
		t.Errorf("JSON: %+v", e)
	}
}
