package reports

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// testWarnings are one warning of each code, as attribution makes them.
func testWarnings() []attribution.Warning {
	at := netip.MustParseAddr("192.0.2.7")
	return []attribution.Warning{
		{Kind: attribution.WarningStale, Dataset: "ip-location-db/asn", Version: "2026-06-17", Days: 167},
		{Kind: attribution.WarningLookupsFailed, Dataset: "GeoLite2-ASN (asn.mmdb)", Count: 1, Address: at, Detail: "invalid record"},
		{Kind: attribution.WarningLookupsFailed, Dataset: "GeoLite2-ASN (asn.mmdb)", Count: 3, Address: at, Detail: "invalid record"},
		{Kind: attribution.WarningCountryDropped, Dataset: "City (city.mmdb)", Count: 2, Address: at, Detail: `"\x1b[2J"`},
	}
}

// Warnings are codes and arguments in the model; JSON keeps their English
// words in "warnings" exactly as before codes, adds the codes in
// "warning_details", and reads both back.
func TestWarningsJSON(t *testing.T) {
	t.Parallel()
	aws := testWarnings()
	r := probe.Report{GeneratedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), ToolVersion: "v1", Warnings: probe.DataWarnings(aws)}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	validate(t, b.Bytes(), "")
	var doc struct {
		Warnings []string      `json:"warnings"`
		Details  []WarningJSON `json:"warning_details"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for i, w := range aws {
		if doc.Warnings[i] != w.String() {
			t.Errorf("warnings[%d] = %q, want %q (the words before codes)", i, doc.Warnings[i], w.String())
		}
		if d := doc.Details[i]; d.Code != string(w.Kind) || d.Message != doc.Warnings[i] || d.Dataset != w.Dataset {
			t.Errorf("warning_details[%d] = %+v", i, d)
		}
	}
	written := b.String()
	back, err := ReadReport(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Warnings, r.Warnings) {
		t.Errorf("read back %+v, want %+v", back.Warnings, r.Warnings)
	}

	// A report older than codes: its words are kept as they were.
	old := strings.Replace(written, `"warning_details"`, `"ignored"`, 1)
	back, err = ReadReport(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if got := englishWarnings(back.Warnings); !reflect.DeepEqual(got, doc.Warnings) {
		t.Errorf("an old report's warnings read back as %q, want %q", got, doc.Warnings)
	}
	// A later version's code: its message stands.
	later := strings.Replace(written, `"code": "stale_dataset"`, `"code": "from_the_future"`, 1)
	back, err = ReadReport(strings.NewReader(later))
	if err != nil {
		t.Fatal(err)
	}
	if got := englishWarnings(back.Warnings); got[0] != doc.Warnings[0] {
		t.Errorf("an unknown code reads back as %q, want its message %q", got[0], doc.Warnings[0])
	}
}

// Each code is worded in Indonesian, with its arguments.
func TestWarningsIndonesian(t *testing.T) {
	t.Parallel()
	pr, err := i18n.New(i18n.Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	got := warningTexts(pr, probe.DataWarnings(testWarnings()))
	want := []string{
		"ip-location-db/asn berasal dari 2026-06-17, berusia 167 hari; lihat hostwatch db status",
		"GeoLite2-ASN (asn.mmdb): 1 pencarian gagal dan dijawab oleh sumber data berikutnya (yang pertama, 192.0.2.7: invalid record)",
		"GeoLite2-ASN (asn.mmdb): 3 pencarian gagal dan dijawab oleh sumber data berikutnya (yang pertama, 192.0.2.7: invalid record)",
		`City (city.mmdb): kode negara pada 2 pencarian dibuang karena bukan dua huruf ASCII (yang pertama, 192.0.2.7: "\x1b[2J")`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
