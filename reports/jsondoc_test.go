package reports

import (
	"bytes"
	"testing"

	"github.com/hostwatch/hostwatch/probe"
)

// The streamed document is WriteJSON's, byte for byte, with hostile input,
// refused names, no targets at all and an interrupted run too.
func TestDocumentWriter(t *testing.T) {
	t.Parallel()
	interrupted := sampleReport(t)
	interrupted.Interrupted = true
	empty := sampleReport(t)
	empty.Observations = nil
	for name, r := range map[string]probe.Report{
		"sample": sampleReport(t), "hostile": hostileReport(), "refused": refusedReport(),
		"interrupted": interrupted, "empty": empty,
	} {
		var want, got bytes.Buffer
		if err := WriteJSON(&want, r); err != nil {
			t.Fatal(err)
		}
		d, err := NewDocumentWriter()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range r.Observations {
			if err := d.Add(o); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.WriteReport(&got, r); err != nil {
			t.Fatal(err)
		}
		d.Close()
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed document differs from WriteJSON's:\n%s\nwant:\n%s", name, got.Bytes(), want.Bytes())
		}
	}
}
