package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/probe"
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
