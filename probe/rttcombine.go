package probe

import (
	"slices"
	"strings"

	"github.com/hostwatch/hostwatch/probe/geo"
)

// VantageBound is one vantage's bound on an address.
type VantageBound struct {
	Vantage string // the vantage's name
	Bound   *Bound
}

// Combined is what the bounds of several vantages on one address say
// together (history --bounds): the address is in every disk at once, unless
// two disks share no point, and then it answers from more than one place.
type Combined struct {
	// Anycast is set when some two disks are disjoint: no single place is
	// within reach of both round trips (the speed-of-light test of anycast
	// studies, e.g. Cicalese et al., "A Fistful of Pings", 2015).
	Anycast bool
	// Disjoint lists the pairs of vantages whose disks do not meet, sorted.
	Disjoint [][2]string
	// PossibleCountries are the countries every disk meets, sorted; nil
	// when Anycast (no one place, so no one country).
	PossibleCountries []string
	// Contradicted names the vantages whose bound rules out the claimed
	// country; Claimed is the database's country.
	Claimed      string
	Contradicted []string
}

// Combine intersects the bounds of several vantages on one address. A
// country in every disk's list is possible; that is an upper bound too (a
// country may meet each disk apart and not where they overlap).
func Combine(bs []VantageBound) Combined {
	var c Combined
	bs = slices.DeleteFunc(slices.Clone(bs), func(v VantageBound) bool { return v.Bound == nil })
	slices.SortFunc(bs, func(a, b VantageBound) int { return strings.Compare(a.Vantage, b.Vantage) })
	for i, a := range bs {
		if c.Claimed == "" {
			c.Claimed = a.Bound.Claimed
		}
		if a.Bound.Contradicted {
			c.Contradicted = append(c.Contradicted, a.Vantage)
		}
		for _, b := range bs[i+1:] {
			// The disks as the physics gives them: the margin is for the
			// shapes, not for distances between vantages.
			da := geo.Disk{Centre: a.Bound.From, RadiusKm: a.Bound.MaxDistanceKm}
			db := geo.Disk{Centre: b.Bound.From, RadiusKm: b.Bound.MaxDistanceKm}
			if geo.Disjoint(da, db) {
				c.Anycast = true
				c.Disjoint = append(c.Disjoint, [2]string{a.Vantage, b.Vantage})
			}
		}
	}
	if c.Anycast || len(bs) == 0 {
		return c
	}
	c.PossibleCountries = slices.Clone(bs[0].Bound.PossibleCountries)
	for _, v := range bs[1:] {
		c.PossibleCountries = slices.DeleteFunc(c.PossibleCountries, func(cc string) bool { return !slices.Contains(v.Bound.PossibleCountries, cc) })
	}
	return c
}
