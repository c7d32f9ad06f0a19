package probe

import (
	"slices"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe/geo"
)

// TestCombine intersects recorded bounds from vantages at Jakarta, Paris
// and Singapore (issue 13, part 3).
func TestCombine(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	jakarta, paris, singapore := geo.Point{Lat: -6.2, Lon: 106.8}, geo.Point{Lat: 48.86, Lon: 2.35}, geo.Point{Lat: 1.35, Lon: 103.82}
	bound := func(p geo.Point, ms float64, claimed string) *Bound {
		return NewBound(p, time.Duration(ms*float64(time.Millisecond)), claimed, shapes)
	}

	// Loopback-sized round trips from Jakarta and Paris: 11,000 km apart,
	// disks of a few km. No one place answered both: anycast.
	c := Combine([]VantageBound{{"paris", bound(paris, 0.05, "FR")}, {"jakarta", bound(jakarta, 0.05, "FR")}})
	if !c.Anycast || !slices.Equal(c.Disjoint, [][2]string{{"jakarta", "paris"}}) || c.PossibleCountries != nil ||
		!slices.Equal(c.Contradicted, []string{"jakarta"}) || c.Claimed != "FR" {
		t.Errorf("jakarta and paris: %+v", c)
	}

	// 10 ms from Jakarta (1,000 km) and 2 ms from Singapore (200 km): the
	// disks meet (880 km apart); the countries both allow.
	c = Combine([]VantageBound{{"jakarta", bound(jakarta, 10, "SG")}, {"singapore", bound(singapore, 2, "SG")}})
	if c.Anycast || len(c.Disjoint) != 0 || !slices.Contains(c.PossibleCountries, "SG") ||
		len(c.Contradicted) != 0 {
		t.Errorf("jakarta and singapore: %+v", c)
	}
	for _, cc := range c.PossibleCountries {
		if !slices.Contains(bound(jakarta, 10, "").PossibleCountries, cc) || !slices.Contains(bound(singapore, 2, "").PossibleCountries, cc) {
			t.Errorf("%s is possible together but not in both disks", cc)
		}
	}

	// A vantage without a location bounds nothing and takes no part.
	c = Combine([]VantageBound{{"jakarta", bound(jakarta, 3.1, "CN")}, {"nowhere", nil}})
	if c.Anycast || !slices.Equal(c.PossibleCountries, []string{"ID"}) || !slices.Equal(c.Contradicted, []string{"jakarta"}) {
		t.Errorf("with a vantage without a location: %+v", c)
	}
	if c := Combine(nil); c.Anycast || c.PossibleCountries != nil {
		t.Errorf("no bounds: %+v", c)
	}
}
