package reports

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/probe"
)

// TestReadReportRoundTrip reads back what WriteJSON wrote.
func TestReadReportRoundTrip(t *testing.T) {
	t.Parallel()
	want := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, got); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.json.golden", again.Bytes())
	for i := range want.Observations {
		if a, b := probe.HostingOf(want.Observations[i]), probe.HostingOf(got.Observations[i]); !equalHosting(a, b) {
			t.Errorf("observation %d: hosting %+v, want %+v", i, b, a)
		}
	}
}

func equalHosting(a, b probe.Hosting) bool {
	return describe(a) == describe(b) && a.Status == b.Status
}

func TestReadReportRejects(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "audit.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"empty":        "",
		"not json":     "hello",
		"other schema": `{"schema": "something/v9", "targets": []}`,
		"no schema":    `{"targets": []}`,
		"bad time":     `{"schema": "hostwatch.report/v1", "generated_at": "yesterday", "targets": []}`,
		"bad ip":       strings.Replace(string(golden), `"ip": "170.33.13.55"`, `"ip": "170.33.13.555"`, 1),
		"bad status":   strings.Replace(string(golden), `"status": "ok"`, `"status": "fine"`, 1),
		"bad prefix":   strings.Replace(string(golden), `"prefix": "170.33.8.0/21"`, `"prefix": "170.33.8.0/33"`, 1),
		"truncated":    string(golden[:len(golden)/2]),
	}
	for name, in := range tests {
		if _, err := ReadReport(strings.NewReader(in)); !errors.Is(err, ErrNotReport) {
			t.Errorf("%s: err = %v, want ErrNotReport", name, err)
		}
	}
}

// FuzzReadReport checks that no file crashes the report reader, and that what
// it accepts can be written again.
func FuzzReadReport(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "audit.json.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"schema": "hostwatch.report/v1", "targets": [{"domain": "a", "status": "ok", "addresses": [{"ip": "::1"}]}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadReport(bytes.NewReader(in))
		if err != nil {
			return
		}
		if err := WriteJSON(&bytes.Buffer{}, rep); err != nil {
			t.Fatal(err)
		}
		for _, o := range rep.Observations {
			probe.HostingOf(o)
		}
	})
}
