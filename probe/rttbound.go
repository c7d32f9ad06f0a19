package probe

import (
	"context"
	"slices"
	"time"

	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/rtt"
)

// RTT is the round trip measured to an address from the vantage (--rtt),
// every sample kept, and the bound it puts on where the address answers from.
type RTT struct {
	rtt.Result
	// Bound is nil when the vantage has no location or no round trip was
	// answered: then nothing is bounded.
	Bound *Bound
}

// Bound is what the speed of light allows of an address measured from a
// vantage at a known place: an upper bound on its distance, never a
// location, and the countries within it.
type Bound struct {
	// From is the vantage's location.
	From geo.Point
	// MaxDistanceKm is the smallest RTT times geo.KmPerMsRTT: the address
	// answered from no farther (paths longer than great circles make it
	// usually much nearer).
	MaxDistanceKm float64
	// MarginKm widens the disk for the shapes' resolution (geo.ShapeMarginKm).
	MarginKm float64
	// PossibleCountries are the countries that meet the widened disk, sorted.
	PossibleCountries []string
	// Claimed is the database's country of the address, "" when none.
	Claimed string
	// Contradicted is set when Claimed is not among PossibleCountries: the
	// database places the address farther than light could have gone.
	Contradicted bool
	// Untestable is set when Claimed has no shape to test (a country too
	// small for Natural Earth's scales): it is then never contradicted.
	Untestable bool
}

// Disk is the bound's disk, widened by its margin.
func (b *Bound) Disk() geo.Disk {
	return geo.Disk{Centre: b.From, RadiusKm: b.MaxDistanceKm + b.MarginKm}
}

// NewBound bounds a round trip of least from a vantage at from, and tests
// the database's claim (a country code, or "") against it.
func NewBound(from geo.Point, least time.Duration, claimed string, shapes *geo.Shapes) *Bound {
	b := &Bound{From: from, MaxDistanceKm: geo.MaxDistanceKm(least), MarginKm: geo.ShapeMarginKm, Claimed: claimed}
	b.PossibleCountries = shapes.Possible(b.Disk())
	if claimed != "" {
		b.Untestable = !shapes.Has(claimed)
		b.Contradicted = !b.Untestable && !slices.Contains(b.PossibleCountries, claimed)
	}
	return b
}

// RTTOptions configure the round trips of --rtt.
type RTTOptions struct {
	rtt.Options
	// Location is the vantage's (--vantage-location); nil for none.
	Location *geo.Point
	// Shapes are the countries bounds are tested against; needed with Location.
	Shapes *geo.Shapes
}

// measure times the round trips to one address and bounds them.
func (o *RTTOptions) measure(ctx context.Context, a Address) *RTT {
	r := &RTT{Result: rtt.Measure(ctx, a.IP, o.Options)}
	if o.Location != nil && o.Shapes != nil && len(r.Samples) > 0 {
		r.Bound = NewBound(*o.Location, r.Min, a.Country, o.Shapes)
	}
	return r
}
