package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/rtt"
	"github.com/hostwatch/hostwatch/resolvers"
)

func TestCSVCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                      "",
		"OVH SAS":               "OVH SAS",
		"+Net & Telecom":        "'+Net & Telecom",
		"=HYPERLINK(\"x\")":     "'=HYPERLINK(\"x\")",
		"-1":                    "'-1",
		"@SUM(A1)":              "'@SUM(A1)",
		"\t=1":                  "'\t=1",
		"\r=1":                  "'\n=1",
		"a\r\nb":                "a\nb",
		"a,b":                   "a,b",
		"2024-02-14":            "2024-02-14",
		"AS7713 AS45102":        "AS7713 AS45102",
		"bad \xff byte":         "bad \uFFFD byte",
		" =1":                   " =1",
		"'=already quoted once": "'=already quoted once",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// hostileSpans are observations whose outside text would run in a
// spreadsheet: an AS name, a provider and CNAME targets chosen that way.
func hostileSpans() []history.Span {
	at := time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr("192.0.2.10")
	o := probe.Observation{
		Target: probe.ParseTarget("evil.example", "args", 0), Status: resolvers.StatusOK,
		CNAMEChain: []resolvers.Hop{{Name: "evil.example", Target: "=cmd|' /C calc'!A0"}, {Name: "=cmd|' /C calc'!A0", Target: "-2+3"}},
		Addresses: []probe.Address{{IP: ip, Result: attribution.Result{ASN: 64500, ASOrg: "+Net & Telecom", Prefix: netip.MustParsePrefix("192.0.2.0/24"),
			Country: "ID", RegisteredCountry: "ID", Provider: "@provider\r\nline", CDNName: "\tcdn"}}},
	}
	return []history.Span{{Domain: "evil.example", Vantage: "=vantage", View: probe.View{Resolvers: []string{"+1.2.3.4:53"}},
		Observation: o, FirstSeen: at, LastSeen: at.Add(time.Hour), Count: 2, Datasets: "-data"}}
}

// hostileCSVs are every CSV hostwatch writes, of the hostile spans.
func hostileCSVs(t *testing.T) map[string][]byte {
	t.Helper()
	spans := hostileSpans()
	var daily, periods bytes.Buffer
	if err := WriteDailyCSV(&daily, spans); err != nil {
		t.Fatal(err)
	}
	ps, cs := history.Timeline(spans, history.Options{Confirm: 1})
	if err := WriteHistory(&periods, "csv", History{Domains: Timelines(ps, cs)}); err != nil {
		t.Fatal(err)
	}
	var lookup bytes.Buffer
	l := Lookup{Addresses: []Attributed{{IP: netip.MustParseAddr("192.0.2.10"), Result: attribution.Result{ASN: 64500,
		ASOrg: "+Net & Telecom", Provider: "=HYPERLINK(\"https://evil.example\")", CDNName: "-cdn\r\nline"}}}}
	if err := WriteLookup(&lookup, "csv", l); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"daily": daily.Bytes(), "periods": periods.Bytes(), "lookup": lookup.Bytes(),
		"audit": auditCSV(t, hostileReport())}
}

func TestCSVNeutralised(t *testing.T) {
	t.Parallel()
	for name, data := range hostileCSVs(t) {
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rows) < 2 {
			t.Fatalf("%s: %d rows", name, len(rows))
		}
		for _, r := range rows {
			for _, cell := range r {
				if formulaStart(cell) {
					t.Errorf("%s: cell %q would run in a spreadsheet", name, cell)
				}
			}
		}
		if !bytes.Contains(data, []byte("'+Net & Telecom")) && !bytes.Contains(data, []byte("'@provider")) && !bytes.Contains(data, []byte("'=HYPERLINK(")) {
			t.Errorf("%s: the AS name is not kept as text:\n%s", name, data)
		}
	}
}

// TestCSVPython reads every CSV with Python's csv module in strict mode,
// as spreadsheet-averse users do, and checks it sees the cells Go's reader sees.
func TestCSVPython(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	readsAsGo(t, "python's csv", func(data []byte) ([][]string, error) {
		out, err := run(t, data, python, "-c",
			"import csv, json, sys\nrows = list(csv.reader(open(0, newline=''), strict=True))\njson.dump(rows, sys.stdout)")
		if err != nil {
			return nil, err
		}
		var rows [][]string
		return rows, json.Unmarshal(out, &rows)
	})
}

// TestCSVKit reads every CSV with csvkit, as watchdogs do: csvformat
// parses it and writes it back with every cell quoted, which Go's reader
// then reads. HOSTWATCH_CSVKIT=required
// (make test, which installs Debian's csvkit) fails rather than skips when
// it is missing.
func TestCSVKit(t *testing.T) {
	t.Parallel()
	csvformat, err := exec.LookPath("csvformat")
	if err != nil {
		if os.Getenv("HOSTWATCH_CSVKIT") == "required" {
			t.Fatal("HOSTWATCH_CSVKIT=required and csvkit's csvformat is not installed (apt-get install csvkit)")
		}
		t.Skip("csvkit is not installed")
	}
	readsAsGo(t, "csvkit", func(data []byte) ([][]string, error) {
		out, err := run(t, data, csvformat, "--out-quoting", "1")
		if err != nil {
			return nil, err
		}
		return csv.NewReader(bytes.NewReader(out)).ReadAll()
	})
}

// readsAsGo checks that read, another program's CSV reader, takes every
// CSV hostwatch writes (of the hostile spans, and a sample daily CSV) and
// sees the cells Go's reader sees.
func readsAsGo(t *testing.T, who string, read func([]byte) ([][]string, error)) {
	t.Helper()
	csvs := hostileCSVs(t)
	var golden bytes.Buffer
	if err := WriteDailyCSV(&golden, sampleSpans(t)); err != nil {
		t.Fatal(err)
	}
	csvs["sample daily"] = golden.Bytes()
	for name, data := range csvs {
		got, err := read(data)
		if err != nil {
			t.Fatalf("%s: %s refuses it: %v\n%s", name, who, err, data)
		}
		want, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: %s reads\n%q\nGo reads\n%q", name, who, got, want)
		}
	}
}

// run runs a program with data on its stdin and returns its stdout; its
// stderr is in the error.
func run(t *testing.T, data []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return out, nil
}

func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"", "+Net & Telecom", "=1+1", "-", "@", "\t", "\r", "\r\n=1", "a\"b", "\xff=", " ", "\\.", "a,b\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := CSVCell(s)
		if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
			t.Fatalf("CSVCell(%q) = %q starts with %q", s, cell, cell[0])
		}
		if strings.ContainsRune(cell, '\r') || !utf8.ValidString(cell) {
			t.Fatalf("CSVCell(%q) = %q keeps a CR or invalid UTF-8", s, cell)
		}
		if utf8.ValidString(s) && !strings.ContainsRune(s, '\r') {
			want := s
			if s != "" && strings.IndexByte("=+-@\t\n", s[0]) >= 0 {
				want = "'" + s
			}
			if cell != want {
				t.Fatalf("CSVCell(%q) = %q, want %q", s, cell, want)
			}
		}
		var buf bytes.Buffer
		cw := NewCSVWriter(&buf)
		if err := cw.Write([]string{s, "end"}); err != nil {
			t.Fatal(err)
		}
		if err := cw.Flush(); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("CSVCell(%q) = %q does not read back: %v", s, cell, err)
		}
		if len(rows) != 1 || len(rows[0]) != 2 || rows[0][0] != cell {
			t.Fatalf("CSVCell(%q) = %q reads back as %q", s, cell, rows)
		}
	})
}

// With --rtt, audit -o csv carries the bound and its verdict on the
// database's country after ptr, as every format does (issue 13, part 2):
// empty cells where nothing was answered or nothing bounded (no location),
// and no extra columns for a run without --rtt.
func TestAuditCSVRTT(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	d := 3100 * time.Microsecond
	measured := func(ip string, bound *probe.Bound) probe.Address {
		a := probe.Address{IP: netip.MustParseAddr(ip), Result: attribution.Result{Country: "CN"}}
		a.Extra = &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: rtt.MethodTCP,
			Samples: []rtt.Sample{{At: at, Port: 443, RTT: d, Reply: rtt.ReplySYNACK}}, Min: d}, Bound: bound}}
		return a
	}
	silent := probe.Address{IP: netip.MustParseAddr("47.96.1.12"), Result: attribution.Result{Country: "CN"},
		Extra: &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: rtt.MethodTCP, Error: "port 80: i/o timeout", Failure: "timeout"}}}}
	o := probe.Observation{Target: probe.ParseTarget("sirekap-web.kpu.go.id", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
		Addresses: []probe.Address{
			measured("47.96.1.10", probe.NewBound(geo.Point{Lat: -6.2, Lon: 106.8}, d, "CN", shapes)),
			measured("47.96.1.11", nil), // a vantage without a location
			silent,
		}}
	rows := func(rtt bool) [][]string {
		var buf bytes.Buffer
		w := NewAuditCSVWriter(&buf, "jakarta")
		if rtt {
			w.WithRTT()
		}
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%v:\n%s", err, buf.String())
		}
		return recs
	}
	got := rows(true)
	if !slices.Equal(got[0], append(AuditCSVHeader(), "rtt_ms", "max_distance_km", "possible_countries", "geolocation_contradicted")) {
		t.Errorf("header %q", got[0])
	}
	tail := func(r []string) []string { return r[len(r)-4:] }
	for i, want := range [][]string{{"3.1", "310", "ID", "true"}, {"3.1", "", "", ""}, {"", "", "", ""}} {
		if !slices.Equal(tail(got[i+1]), want) {
			t.Errorf("%s: %q, want %q", got[i+1][9], tail(got[i+1]), want)
		}
	}
	if plain := rows(false); !slices.Equal(plain[0], AuditCSVHeader()) || len(plain[1]) != len(AuditCSVHeader()) {
		t.Errorf("without --rtt: %q", plain)
	}
}
