package geo

import (
	_ "embed" // the generated shapes below
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// countriesData is written by reports/worldmap/internal/mkmap -shapes; it is
// read, never modified.
//
//go:embed data/countries.txt
var countriesData string

// Source is where the shapes came from, for a report's list of datasets.
type Source struct {
	Package string // name@version of the npm package
	SHA256  string // of its tarball
	License string
}

// Shapes are the countries' outlines, in longitude and latitude.
type Shapes struct {
	source    Source
	countries []country // sorted by code
}

type country struct {
	code  string
	rings []ring
}

// ring is one closed outline, with its bounding box in degrees.
type ring struct {
	pts                            []Point
	vecs                           []vec
	minLat, maxLat, minLon, maxLon float64
}

// maxStep is the longest edge kept, in degrees of latitude or longitude:
// longer ones (borders along parallels, cuts at the antimeridian) are split,
// so that each edge's great circle and the straight line in longitude and
// latitude the point-in-polygon test follows stay within a few hundred
// metres of each other.
const maxStep = 1.0

// LoadShapes reads the embedded shapes. It fails only if the generated
// file is damaged.
func LoadShapes() (*Shapes, error) { return parseShapes(countriesData) }

func parseShapes(data string) (*Shapes, error) {
	s := &Shapes{}
	for i, line := range strings.Split(data, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if f[0] == "source" {
			if len(f) != 4 {
				return nil, fmt.Errorf("geo: line %d: want source PACKAGE SHA256 LICENCE", i+1)
			}
			s.source = Source{Package: f[1], SHA256: f[2], License: f[3]}
			continue
		}
		if len(f) != 2 || len(f[0]) != 2 {
			return nil, fmt.Errorf("geo: line %d: want CODE and rings", i+1)
		}
		c := country{code: f[0]}
		for _, r := range strings.Split(f[1], ";") {
			rg, err := parseRing(r)
			if err != nil {
				return nil, fmt.Errorf("geo: line %d (%s): %w", i+1, f[0], err)
			}
			c.rings = append(c.rings, rg)
		}
		s.countries = append(s.countries, c)
	}
	if len(s.countries) == 0 {
		return nil, fmt.Errorf("geo: no shapes")
	}
	slices.SortFunc(s.countries, func(a, b country) int { return strings.Compare(a.code, b.code) })
	return s, nil
}

func parseRing(text string) (ring, error) {
	f := strings.Fields(text)
	if len(f) == 0 || len(f)%2 != 0 {
		return ring{}, fmt.Errorf("a ring of %d numbers", len(f))
	}
	var pts []Point
	var x, y int
	for i := 0; i < len(f); i += 2 {
		dx, err1 := strconv.Atoi(f[i])
		dy, err2 := strconv.Atoi(f[i+1])
		if err1 != nil || err2 != nil {
			return ring{}, fmt.Errorf("bad step %q %q", f[i], f[i+1])
		}
		x, y = x+dx, y+dy
		p := Point{Lat: float64(y) / 100, Lon: float64(x) / 100}
		if p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
			return ring{}, fmt.Errorf("position %v off the globe", p)
		}
		pts = append(pts, p)
	}
	return newRing(pts), nil
}

// newRing densifies pts (see maxStep) and computes the box.
func newRing(pts []Point) ring {
	r := ring{minLat: 90, maxLat: -90, minLon: 180, maxLon: -180}
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		n := int(math.Ceil(math.Max(math.Abs(q.Lat-p.Lat), math.Abs(q.Lon-p.Lon)) / maxStep))
		for k := range max(n, 1) {
			t := float64(k) / float64(max(n, 1))
			r.pts = append(r.pts, Point{Lat: p.Lat + t*(q.Lat-p.Lat), Lon: p.Lon + t*(q.Lon-p.Lon)})
		}
		if len(pts) == 1 {
			break
		}
	}
	for _, p := range r.pts {
		r.vecs = append(r.vecs, p.vec())
		r.minLat, r.maxLat = math.Min(r.minLat, p.Lat), math.Max(r.maxLat, p.Lat)
		r.minLon, r.maxLon = math.Min(r.minLon, p.Lon), math.Max(r.maxLon, p.Lon)
	}
	return r
}

// Source says where the shapes came from.
func (s *Shapes) Source() Source { return s.source }

// Has reports whether there is a shape for the country: a country without
// one (too small for Natural Earth's scales) can be neither ruled in nor out.
func (s *Shapes) Has(code string) bool {
	_, ok := slices.BinarySearchFunc(s.countries, code, func(c country, code string) int { return strings.Compare(c.code, code) })
	return ok
}

// Possible lists, sorted, the countries whose shapes the disk touches: the
// disk's centre is in the country, or some edge of the country's outline
// is within the disk's radius along the sphere. The disk is taken as it
// is: callers add ShapeMarginKm.
func (s *Shapes) Possible(d Disk) []string {
	c := d.Centre.vec()
	box := capBox(d)
	var out []string
	for _, ct := range s.countries {
		if ct.touches(d, c, box) {
			out = append(out, ct.code)
		}
	}
	return out
}

func (ct country) touches(d Disk, c vec, box capBounds) bool {
	inside := false
	for _, r := range ct.rings {
		if !box.overlaps(r) {
			continue
		}
		if r.contains(d.Centre) {
			inside = !inside // holes (Lesotho in South Africa) count twice
		}
		for i := range r.vecs {
			if segmentKm(c, r.vecs[i], r.vecs[(i+1)%len(r.vecs)]) <= d.RadiusKm {
				return true
			}
		}
	}
	return inside
}

// contains is the even-odd test in longitude and latitude: a horizontal ray
// eastward from p crosses the ring an odd number of times.
func (r ring) contains(p Point) bool {
	if p.Lat < r.minLat || p.Lat > r.maxLat || p.Lon < r.minLon || p.Lon > r.maxLon {
		return false
	}
	in := false
	for i, a := range r.pts {
		b := r.pts[(i+1)%len(r.pts)]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
			x := a.Lon + (p.Lat-a.Lat)/(b.Lat-a.Lat)*(b.Lon-a.Lon)
			if x > p.Lon {
				in = !in
			}
		}
	}
	return in
}

// capBounds is a box in degrees that holds the whole disk: one latitude
// range and one or two longitude ranges (two where it crosses the antimeridian).
type capBounds struct {
	minLat, maxLat float64
	lons           [][2]float64
}

// slack widens the box against rounding: it only ever admits more rings to
// the exact test.
const slack = 1e-6

func capBox(d Disk) capBounds {
	r := d.RadiusKm / EarthRadiusKm * 180 / math.Pi // degrees of arc
	b := capBounds{minLat: d.Centre.Lat - r - slack, maxLat: d.Centre.Lat + r + slack}
	if r >= 180 || b.maxLat >= 90 || b.minLat <= -90 {
		// The disk holds a pole (or the world): every longitude.
		b.lons = [][2]float64{{-180, 180}}
		return b
	}
	dl := math.Asin(math.Sin(r*math.Pi/180)/math.Cos(d.Centre.Lat*math.Pi/180))*180/math.Pi + slack
	lo, hi := d.Centre.Lon-dl, d.Centre.Lon+dl
	switch {
	case lo < -180:
		b.lons = [][2]float64{{lo + 360, 180}, {-180, hi}}
	case hi > 180:
		b.lons = [][2]float64{{lo, 180}, {-180, hi - 360}}
	default:
		b.lons = [][2]float64{{lo, hi}}
	}
	return b
}

func (b capBounds) overlaps(r ring) bool {
	if r.maxLat < b.minLat || r.minLat > b.maxLat {
		return false
	}
	for _, l := range b.lons {
		if r.maxLon >= l[0] && r.minLon <= l[1] {
			return true
		}
	}
	return false
}
