package history

import (
	"cmp"
	"slices"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
)

// VantageMeasurement is what one vantage's recorded round trips to an
// address bound: its least round trip (the tightest disk it gives), with
// that measurement's samples, and how many it recorded.
type VantageMeasurement struct {
	// Label names the vantage in Combine's pairs: its name, with its
	// location when one name was recorded at several places.
	Label string
	// Least is the measurement with the smallest round trip.
	Least Measurement
	// Count is how many measurements of the address the vantage recorded.
	Count int
	// Bound is nil when the vantage had no location.
	Bound *probe.Bound
}

// Bounds takes every measurement recorded to one address (Store.
// Measurements), keeps each vantage's least round trip, bounds it against
// shapes and intersects the disks (probe.Combine). Vantages come sorted by
// label; one without a location is listed, bounds nothing and takes no part.
func Bounds(ms []Measurement, shapes *geo.Shapes) ([]VantageMeasurement, probe.Combined) {
	place := func(m Measurement) string {
		if m.Location == nil {
			return ""
		}
		return m.Location.String()
	}
	places := map[string]map[string]bool{}
	best := map[[2]string]*VantageMeasurement{}
	for _, m := range ms {
		if len(m.Samples) == 0 {
			continue
		}
		k := [2]string{m.Vantage, place(m)}
		if places[m.Vantage] == nil {
			places[m.Vantage] = map[string]bool{}
		}
		places[m.Vantage][k[1]] = true
		v := best[k]
		if v == nil {
			v = &VantageMeasurement{Least: m}
			best[k] = v
		}
		v.Count++
		if m.Min < v.Least.Min {
			v.Least = m
		}
	}
	out := make([]VantageMeasurement, 0, len(best))
	for k, v := range best {
		v.Label = k[0]
		if len(places[k[0]]) > 1 {
			v.Label = strings.TrimSpace(k[0] + " @" + cmp.Or(k[1], "?"))
		}
		if loc := v.Least.Location; loc != nil && shapes != nil {
			v.Bound = probe.NewBound(*loc, v.Least.Min, v.Least.Claimed, shapes)
		}
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b VantageMeasurement) int { return strings.Compare(a.Label, b.Label) })
	vbs := make([]probe.VantageBound, len(out))
	for i, v := range out {
		vbs[i] = probe.VantageBound{Vantage: v.Label, Bound: v.Bound}
	}
	return out, probe.Combine(vbs)
}
