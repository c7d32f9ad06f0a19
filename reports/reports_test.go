package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/schema"
	"github.com/hostwatch/hostwatch/resolvers"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// sampleReport builds a report of observations as probe.Run makes them, with
// addresses attributed from the real embedded data.
func sampleReport(t *testing.T) probe.Report {
	t.Helper()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	addrs := func(ips ...string) []probe.Address {
		out := make([]probe.Address, 0, len(ips))
		for _, s := range ips {
			ip := netip.MustParseAddr(s)
			out = append(out, probe.Address{IP: ip, TTL: 300, Result: db.Lookup(ip)})
		}
		return out
	}
	query := func(name, typ, rcode string, status resolvers.Status) resolvers.Exchange {
		return resolvers.Exchange{Resolver: "127.0.0.1:5300", Transport: "udp", Name: name, Type: typ,
			Rcode: rcode, Status: status, AskedAt: at, RTT: 1500 * time.Microsecond}
	}
	target := func(in string) probe.Target { return probe.ParseTarget(in, "args", 0) }
	// What --ptr and --cymru add, on one address (Cymru's answer is a fixture:
	// AS64500 is a documentation ASN).
	withExtra := addrs("8.219.1.1", "47.96.1.10", "2408:4000::1")
	withExtra[0].Extra = &probe.Extra{PTRAsked: true, PTR: []string{"host-8-219-1-1.example"}, Cymru: &cymru.Result{
		Status:  cymru.StatusOK,
		Origins: []cymru.Origin{{ASNs: []uint32{64500}, Prefix: netip.MustParsePrefix("8.219.0.0/16"), Country: "ZZ", Registry: "test", Allocated: "2000-01-01"}},
		ASNames: []cymru.AS{{ASN: 64500, Country: "ZZ", Registry: "test", Allocated: "2000-01-01", Description: "EXAMPLE | AS, ZZ"}},
		Queries: []resolvers.Exchange{query("1.1.219.8.origin.asn.cymru.com", "TXT", "NOERROR", resolvers.StatusOK)},
	}}
	withExtra[1].Extra = &probe.Extra{PTRAsked: true, PTRError: "PTR from 127.0.0.1:5300: timeout: no reply within 3s",
		PTRStatus: resolvers.StatusTimeout, PTRResolver: "127.0.0.1:5300"}
	return probe.Report{
		GeneratedAt: at,
		ToolVersion: "v0.1.0-test",
		Datasets:    db.Datasets(),
		Resolvers:   []string{"127.0.0.1:5300"},
		Observations: []probe.Observation{
			{
				Target: target("pemilu2024.kpu.go.id"), Status: resolvers.StatusOK, StartedAt: at,
				CNAMEChain: []resolvers.Hop{{Name: "pemilu2024.kpu.go.id", Target: "web.kpu.go.id", TTL: 300}},
				Addresses:  addrs("170.33.13.55"),
				Queries: []resolvers.Exchange{
					query("pemilu2024.kpu.go.id", "A", "NOERROR", resolvers.StatusOK),
					query("pemilu2024.kpu.go.id", "AAAA", "NOERROR", resolvers.StatusNoData),
				},
			},
			{
				Target: target("sirekap-web.kpu.go.id"), Status: resolvers.StatusOK, StartedAt: at,
				Addresses: withExtra,
			},
			{Target: target("bücher.example"), Status: resolvers.StatusNXDomain, Error: "bücher.example: NXDOMAIN", StartedAt: at},
			{Target: target("slow.example"), Status: resolvers.StatusTimeout, Error: "no reply from 127.0.0.1:5300 within 3s", StartedAt: at},
			{Target: target("bad..name"), Status: resolvers.StatusInvalid, Error: `invalid domain name "bad..name": empty label`, StartedAt: at},
		},
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		width int
		lang  i18n.Lang
		name  string
	}{
		{0, i18n.English, "audit.table.golden"},
		{80, i18n.English, "audit.table.80.golden"},
		{80, i18n.Indonesian, "audit.table.80.id.golden"},
	} {
		var buf bytes.Buffer
		if err := WriteTableIn(&buf, sampleReport(t), tc.width, tc.lang); err != nil {
			t.Fatal(err)
		}
		fitsWidth(t, buf.String(), fitWidth(tc.width))
		golden(t, tc.name, buf.Bytes())
	}
}

// TestTableFailuresOnly is a table of domains that all failed: no column
// but the status has content, and every reason is still there, whole.
func TestTableFailuresOnly(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	r.Observations = r.Observations[2:]
	r.Observations = append(r.Observations, probe.Observation{Target: probe.ParseTarget("loop-a.kpu.go.id", "args", 0),
		Status: resolvers.StatusError, Error: "CNAME loop: loop-b.kpu.go.id is an alias for loop-a.kpu.go.id, which is where the chain started"})
	for _, width := range []int{0, 80, 60} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, r, width); err != nil {
			t.Fatal(err)
		}
		text := buf.String()
		fitsWidth(t, text, fitWidth(width))
		flat := strings.Join(strings.Fields(text), " ")
		for _, o := range r.Observations {
			if !strings.Contains(flat, o.Error) {
				t.Errorf("width %d: the reason %q is not shown whole:\n%s", width, o.Error, text)
			}
		}
	}
}

// fitsWidth checks that no line of text is wider than width, but for a
// line that holds one word too long to break.
func fitsWidth(t *testing.T, text string, width int) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if n := termtext.Width(line); n > width && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("line %d is %d columns wide, more than %d: %q", i+1, n, width, line)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	r := sampleReport(t)
	if err := WriteJSON(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renderings of one report differ")
	}
	golden(t, "audit.json.golden", a.Bytes())
	validate(t, a.Bytes(), "")
}

func TestJSONLWriter(t *testing.T) {
	t.Parallel()
	w := &notifyWriter{wrote: make(chan struct{}, 1)}
	jw := NewJSONLWriter(w)
	for _, o := range sampleReport(t).Observations {
		if err := jw.Write(o); err != nil {
			t.Fatal(err)
		}
		// Each line reaches the writer without Flush, within JSONLFlushDelay.
		select {
		case <-w.wrote:
		case <-time.After(10 * time.Second):
			t.Fatal("a line was not flushed after it was written")
		}
		if b := w.bytes(); len(b) == 0 || b[len(b)-1] != '\n' {
			t.Fatal("a line was flushed in part")
		}
	}
	if err := jw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(w.bytes())
	golden(t, "audit.jsonl.golden", buf.Bytes())
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		validate(t, []byte(line), "#/$defs/target")
	}
}

// notifyWriter keeps what is written to it and signals each write.
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.buf.Write(p)
}

func (w *notifyWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// validate checks doc against the published JSON Schema of an audit
// report (or one of its $defs).
func validate(t *testing.T, doc []byte, ref string) {
	t.Helper()
	validateAs(t, doc, "report.v1.schema.json", ref)
}

// validateAs checks doc against the schema in the file name (or its part at ref).
func validateAs(t *testing.T, doc []byte, name, ref string) {
	t.Helper()
	if err := schema.Validate(doc, name, ref); err != nil {
		t.Fatalf("output does not match %s%s: %v\n%s", name, ref, err, doc)
	}
}

func TestWriteLookup(t *testing.T) {
	t.Parallel()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := Lookup{GeneratedAt: time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC), ToolVersion: "v0.1.0-test", Datasets: db.Datasets()}
	for _, s := range []string{"170.33.13.55", "2001:4860:4860::8888", "10.1.2.3"} {
		ip := netip.MustParseAddr(s)
		l.Addresses = append(l.Addresses, Attributed{IP: ip, Result: db.Lookup(ip)})
	}
	id := l
	id.Lang = i18n.Indonesian
	var table bytes.Buffer
	if err := WriteLookup(&table, "table", id); err != nil {
		t.Fatal(err)
	}
	golden(t, "lookup.table.id.golden", table.Bytes())
	for _, format := range []string{"table", "json", "jsonl", "csv"} {
		var buf bytes.Buffer
		if err := WriteLookup(&buf, format, l); err != nil {
			t.Fatal(err)
		}
		golden(t, "lookup."+format+".golden", buf.Bytes())
		switch format {
		case "json":
			validateAs(t, buf.Bytes(), "lookup.v1.schema.json", "")
		case "jsonl":
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				validateAs(t, []byte(line), "lookup.v1.schema.json", "#/$defs/address")
			}
		}
		if format == "json" {
			var doc LookupDocument
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Schema != LookupSchema {
				t.Fatalf("lookup json: %v, schema %q", err, doc.Schema)
			}
		}
	}
}

func TestJSONLHeader(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	var buf bytes.Buffer
	jw := NewJSONLWriter(&buf)
	if err := jw.WriteHeader(NewJSONLHeader(r)); err != nil {
		t.Fatal(err)
	}
	for _, o := range r.Observations {
		if err := jw.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := jw.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	validateAs(t, []byte(lines[0]), "jsonl-header.v1.schema.json", "")
	var h JSONLHeader
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil {
		t.Fatal(err)
	}
	if h.ToolVersion != "v0.1.0-test" || len(h.Datasets) == 0 || len(h.Resolvers) != 1 || h.Lines != "hostwatch.report/v1#/$defs/target" {
		t.Errorf("header: %+v", h)
	}
	// Every other line is a target, without a schema field: readers of
	// plain JSON lines tell the header apart by it.
	for _, line := range lines[1:] {
		validate(t, []byte(line), "#/$defs/target")
		if strings.Contains(line, `"schema":`) {
			t.Errorf("a target line has a schema field: %s", line)
		}
	}

	var lb bytes.Buffer
	l := Lookup{GeneratedAt: r.GeneratedAt, ToolVersion: r.ToolVersion, Datasets: r.Datasets,
		Addresses: []Attributed{{IP: r.Observations[0].Addresses[0].IP, Result: r.Observations[0].Addresses[0].Result}}}
	s, err := NewLookupStream(&lb, "jsonl", l, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(l.Addresses[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(lb.String()), "\n")
	validateAs(t, []byte(lines[0]), "jsonl-header.v1.schema.json", "")
	validateAs(t, []byte(lines[1]), "lookup.v1.schema.json", "#/$defs/address")
}

func TestWriteEvidence(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	r.Vantage = probe.Vantage{Name: "jakarta", TimeZone: "Asia/Jakarta (+07:00)"}
	o := r.Observations[0]
	o.Queries[0].Raw = []byte{0x12, 0x34, 0x81, 0x80}
	dir := t.TempDir()
	if err := WriteEvidence(dir, r, o); err != nil {
		t.Fatal(err)
	}
	// Spread over 256 directories by the SHA-256 of the name:
	// printf %s pemilu2024.kpu.go.id | sha256sum starts with 97.
	if got, want := EvidencePath(dir, "pemilu2024.kpu.go.id"), filepath.Join(dir, "97", "pemilu2024.kpu.go.id.json"); got != want {
		t.Errorf("EvidencePath = %s, want %s", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, "97", "pemilu2024.kpu.go.id.json"))
	if err != nil {
		t.Fatal(err)
	}
	validateAs(t, data, "evidence.v1.schema.json", "")
	// It is also a target, as a line of JSON lines is.
	validate(t, data, "#/$defs/target")
	var doc EvidenceDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != EvidenceSchema || doc.ToolVersion != "v0.1.0-test" || len(doc.Datasets) == 0 || len(doc.Resolvers) != 1 ||
		doc.Vantage.Name != "jakarta" || doc.Domain != "pemilu2024.kpu.go.id" || len(doc.Queries[0].RawResponse) != 4 {
		t.Errorf("evidence: schema %q, version %q, %d datasets, resolvers %q, vantage %q, domain %q",
			doc.Schema, doc.ToolVersion, len(doc.Datasets), doc.Resolvers, doc.Vantage.Name, doc.Domain)
	}
}

// TestSchemasReject checks that each schema refuses a document that lacks
// a field it requires, or has a field of the wrong kind: the validation of
// real output means something.
func TestSchemasReject(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, doc string }{
		{"lookup.v1.schema.json", `{"schema":"hostwatch.lookup/v1","generated_at":"2024-02-15T08:30:00Z","tool_version":"x","warnings":[],"datasets":[]}`},
		{"check.v1.schema.json", `{"schema":"hostwatch.diff/v1"}`},
		{"history.v1.schema.json", `{"schema":"hostwatch.history/v1","generated_at":"2024-02-15T08:30:00+07:00","tool_version":"x","database":"","confirm":0,"vantages":[],"domains":[],"disagreements":[]}`},
		{"diff.v1.schema.json", `{"schema":"hostwatch.check/v1"}`},
		{"jsonl-header.v1.schema.json", `{"domain":"example.org"}`},
		{"evidence.v1.schema.json", `{"schema":"hostwatch.evidence/v1"}`},
	} {
		if err := schema.Validate([]byte(tt.doc), tt.name, ""); err == nil {
			t.Errorf("%s accepts %s", tt.name, tt.doc)
		}
	}
}
