package reports

import (
	"bytes"
	"testing"

	"github.com/hostwatch/hostwatch/reports/i18n"
)

// TestTableWriterSpills: rows moved to a temporary file write the same
// table as rows kept in memory.
func TestTableWriterSpills(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	var want bytes.Buffer
	if err := WriteTable(&want, r, 100); err != nil {
		t.Fatal(err)
	}
	tw, err := NewTableWriter(100, i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	tw.rows.max = 1
	for _, o := range r.Observations {
		if err := tw.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	if err := tw.WriteReport(&got, r); err != nil {
		t.Fatal(err)
	}
	if tw.rows.f == nil {
		t.Fatal("the rows stayed in memory")
	}
	if got.String() != want.String() {
		t.Errorf("spilled:\n%s\nin memory:\n%s", got.String(), want.String())
	}
}
