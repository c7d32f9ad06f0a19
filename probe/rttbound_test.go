package probe

import (
	"slices"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe/geo"
)

// TestNewBound bounds recorded round trips (larger than loopback ones, so
// not measured here) from a vantage at Jakarta.
func TestNewBound(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	jakarta := geo.Point{Lat: -6.2, Lon: 106.8}
	for _, c := range []struct {
		name         string
		rtt          time.Duration
		claimed      string
		km           float64
		has, hasNot  string
		contradicted bool
		untestable   bool
	}{
		// The example: 3.1 ms is 310 km; China is thousands away.
		{name: "CN claimed", rtt: 3100 * time.Microsecond, claimed: "CN", km: 310, has: "ID", hasNot: "SG", contradicted: true},
		{name: "ID claimed", rtt: 3100 * time.Microsecond, claimed: "ID", km: 310, has: "ID"},
		// 10 ms reaches Singapore (about 880 km away): not contradicted.
		{name: "SG claimed", rtt: 10 * time.Millisecond, claimed: "SG", km: 1000, has: "SG"},
		// No claim, or a country with no shape: nothing to contradict.
		{name: "no claim", rtt: 3100 * time.Microsecond, km: 310, has: "ID"},
		{name: "no shape", rtt: 3100 * time.Microsecond, claimed: "ZZ", km: 310, untestable: true},
	} {
		b := NewBound(jakarta, c.rtt, c.claimed, shapes)
		if b.MaxDistanceKm != c.km || b.MarginKm != geo.ShapeMarginKm || b.Contradicted != c.contradicted || b.Untestable != c.untestable ||
			(c.has != "" && !slices.Contains(b.PossibleCountries, c.has)) || (c.hasNot != "" && slices.Contains(b.PossibleCountries, c.hasNot)) {
			t.Errorf("%s: %+v", c.name, b)
		}
	}
}
