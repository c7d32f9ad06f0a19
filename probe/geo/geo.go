// Package geo turns a round-trip time into what physics allows: a disk on
// the Earth around the vantage that the answering host must be in, and the
// countries that disk touches. It is evidence no database can fake, and
// only an upper bound: paths are longer than great circles and routers
// queue, so the host is usually much nearer than the disk's edge, and the
// disk never says where in it the host is.
//
// The countries are Natural Earth's (through world-atlas, the shapes the
// HTML map draws), embedded unprojected in data/countries.txt, which
// reports/worldmap/internal/mkmap writes (`make map`).
package geo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// EarthRadiusKm is the Earth's mean radius (IUGG), for great-circle distances.
const EarthRadiusKm = 6371.0088

// KmPerMsRTT is how far a host can be, at most, for each millisecond of
// round trip: light in optical fibre travels at about 2/3 of c (a
// refractive index near 1.47), about 200 km per millisecond one way, and a
// round trip goes there and back. The constant is the one of RIPE IPmap's
// single-radius engine and of constraint-based geolocation (Gueye et al.,
// "Constraint-based geolocation of Internet hosts", IEEE/ACM ToN 2006,
// whose "baseline" is 2/3 c). Nothing real is faster, so the bound is safe.
const KmPerMsRTT = 100

// ShapeMarginKm widens a disk before it is compared with the countries: the
// shapes are Natural Earth's 1:110m (1:50m for the small countries 1:110m
// leaves out), and half a millimetre at 1:110,000,000 is 55 km. A coastline
// or border may be that far from where the shapes draw it, so a country
// within the margin of the disk counts as possible.
const ShapeMarginKm = 55

// MaxDistanceKm is the farthest a host answering in rtt can be from the
// vantage: rtt in milliseconds times KmPerMsRTT, to the tenth of a km (the
// microseconds times KmPerMsRTT, divided once, so that 68 µs is 6.8 km in
// JSON and not 6.800000000000001).
func MaxDistanceKm(rtt time.Duration) float64 {
	return float64(rtt.Microseconds()*KmPerMsRTT) / 1000
}

// Point is a position on the Earth in degrees: latitude north, longitude east.
type Point struct {
	Lat, Lon float64
}

// ErrBadPoint is what ParsePoint's errors are (errors.Is).
var ErrBadPoint = errors.New("not a position (want LAT,LON in degrees, e.g. -6.2,106.8)")

// ParsePoint reads "LAT,LON" in decimal degrees (-90..90, -180..180).
func ParsePoint(s string) (Point, error) {
	la, lo, ok := strings.Cut(s, ",")
	if !ok {
		return Point{}, fmt.Errorf("%q: %w", s, ErrBadPoint)
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(la), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return Point{}, fmt.Errorf("%q: %w", s, ErrBadPoint)
	}
	return Point{Lat: lat, Lon: lon}, nil
}

// String writes the point as ParsePoint reads it.
func (p Point) String() string {
	return strconv.FormatFloat(p.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(p.Lon, 'f', -1, 64)
}

// Disk is a spherical cap: every point within RadiusKm of Centre along the
// Earth's surface.
type Disk struct {
	Centre   Point
	RadiusKm float64
}

// vec is a unit vector from the Earth's centre.
type vec struct{ x, y, z float64 }

func (p Point) vec() vec {
	la, lo := p.Lat*math.Pi/180, p.Lon*math.Pi/180
	return vec{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

func (a vec) dot(b vec) float64 { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec) cross(b vec) vec {
	return vec{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}
func (a vec) norm() float64 { return math.Sqrt(a.dot(a)) }

// angle is the angle between two unit vectors, precise at every size.
func angle(a, b vec) float64 { return math.Atan2(a.cross(b).norm(), a.dot(b)) }

// DistanceKm is the great-circle distance between two points.
func DistanceKm(a, b Point) float64 { return angle(a.vec(), b.vec()) * EarthRadiusKm }

// Disjoint reports whether two disks share no point: then no single place
// can have answered both round trips, and the address answers from more
// than one place (anycast).
func Disjoint(a, b Disk) bool {
	return DistanceKm(a.Centre, b.Centre) > a.RadiusKm+b.RadiusKm
}

// segmentKm is the distance from p to the great-circle arc from a to b (the
// shorter one), in km.
func segmentKm(p, a, b vec) float64 {
	n := a.cross(b)
	if n.norm() < 1e-12 { // a and b the same point (or a pole edge)
		return angle(p, a) * EarthRadiusKm
	}
	n = vec{n.x / n.norm(), n.y / n.norm(), n.z / n.norm()}
	s := p.dot(n)
	c := vec{p.x - s*n.x, p.y - s*n.y, p.z - s*n.z} // p's foot on the arc's plane
	if c.norm() > 1e-12 && a.cross(c).dot(n) >= 0 && c.cross(b).dot(n) >= 0 {
		return math.Asin(math.Min(1, math.Abs(s))) * EarthRadiusKm
	}
	return math.Min(angle(p, a), angle(p, b)) * EarthRadiusKm
}

// Outline is n points round the disk's edge, clockwise from north, for
// drawing: each the destination at the disk's radius along one bearing.
func (d Disk) Outline(n int) []Point {
	φ1, λ1 := d.Centre.Lat*math.Pi/180, d.Centre.Lon*math.Pi/180
	δ := d.RadiusKm / EarthRadiusKm
	out := make([]Point, n)
	for i := range n {
		θ := 2 * math.Pi * float64(i) / float64(n)
		φ2 := math.Asin(math.Sin(φ1)*math.Cos(δ) + math.Cos(φ1)*math.Sin(δ)*math.Cos(θ))
		λ2 := λ1 + math.Atan2(math.Sin(θ)*math.Sin(δ)*math.Cos(φ1), math.Cos(δ)-math.Sin(φ1)*math.Sin(φ2))
		lon := math.Mod(λ2*180/math.Pi+540, 360) - 180
		out[i] = Point{Lat: φ2 * 180 / math.Pi, Lon: lon}
	}
	return out
}
