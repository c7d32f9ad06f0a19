package geo

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMaxDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rtt  time.Duration
		want float64
	}{
		{3100 * time.Microsecond, 310}, // the example: 3.1 ms, 310 km
		{50 * time.Microsecond, 5},     // a loopback round trip
		{0, 0},
		{150 * time.Millisecond, 15000},
		// Exactly the decimal a report prints, not a float product's
		// 6.800000000000001 or 13.100000000000001 (seen in -o json).
		{68 * time.Microsecond, 6.8},
		{131 * time.Microsecond, 13.1},
		{3 * time.Microsecond, 0.3},
	} {
		if got := MaxDistanceKm(c.rtt); got != c.want || strconv.FormatFloat(got, 'g', -1, 64) != strconv.FormatFloat(c.want, 'g', -1, 64) {
			t.Errorf("MaxDistanceKm(%v) = %v, want %v", c.rtt, got, c.want)
		}
	}
}

// Every round trip up to a second prints as at most one decimal of a km.
func TestMaxDistanceIsShort(t *testing.T) {
	t.Parallel()
	for us := range int64(1_000_000) {
		s := strconv.FormatFloat(MaxDistanceKm(time.Duration(us)*time.Microsecond), 'f', -1, 64)
		if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i > 2 {
			t.Fatalf("%d µs: %s km", us, s)
		}
	}
}

func TestParsePoint(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want Point
		ok   bool
	}{
		{"-6.2,106.8", Point{-6.2, 106.8}, true},
		{" 48.86 , 2.35 ", Point{48.86, 2.35}, true},
		{"90,-180", Point{90, -180}, true},
		{"91,0", Point{}, false},
		{"0,181", Point{}, false},
		{"jakarta", Point{}, false},
		{"NaN,0", Point{}, false},
		{"1,2,3", Point{}, false},
	} {
		got, err := ParsePoint(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("ParsePoint(%q) = %v, %v", c.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrBadPoint) {
			t.Errorf("ParsePoint(%q): %v is not ErrBadPoint", c.in, err)
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	london, paris := Point{51.5074, -0.1278}, Point{48.8566, 2.3522}
	if d := DistanceKm(london, paris); math.Abs(d-343.6) > 2 {
		t.Errorf("London to Paris: %.1f km, want about 343.6", d)
	}
	// A quarter of a great circle, and across the antimeridian.
	if d := DistanceKm(Point{0, 0}, Point{90, 0}); math.Abs(d-math.Pi/2*EarthRadiusKm) > 1e-6 {
		t.Errorf("equator to pole: %v", d)
	}
	if d := DistanceKm(Point{0, 179.5}, Point{0, -179.5}); math.Abs(d-111.19) > 0.1 {
		t.Errorf("one degree across the antimeridian: %.2f km, want 111.19", d)
	}
	a, b := Disk{Point{-6.2, 106.8}, 5}, Disk{Point{48.86, 2.35}, 5}
	if !Disjoint(a, b) {
		t.Error("5 km disks at Jakarta and Paris should be disjoint")
	}
	if Disjoint(Disk{Point{-6.2, 106.8}, 6000}, Disk{Point{48.86, 2.35}, 6000}) {
		t.Error("6000 km disks at Jakarta and Paris meet")
	}
}

func TestSegment(t *testing.T) {
	t.Parallel()
	// The arc along the equator from 0° to 10°E; a point 1° north of its middle.
	a, b := Point{0, 0}.vec(), Point{0, 10}.vec()
	deg := math.Pi / 180 * EarthRadiusKm
	for _, c := range []struct {
		p    Point
		want float64
	}{
		{Point{1, 5}, deg},      // above the middle: the cross-track distance
		{Point{0, 12}, 2 * deg}, // past the end: the distance to b
		{Point{-3, -4}, DistanceKm(Point{-3, -4}, Point{0, 0})},
		{Point{0, 5}, 0},
	} {
		if got := segmentKm(c.p.vec(), a, b); math.Abs(got-c.want) > 0.01 {
			t.Errorf("distance from %v: %.3f, want %.3f", c.p, got, c.want)
		}
	}
	// A degenerate edge (both ends at the pole).
	pole := Point{-90, 180}.vec()
	if got := segmentKm(Point{-89, 0}.vec(), pole, Point{-90, -180}.vec()); math.Abs(got-deg) > 0.01 {
		t.Errorf("distance to the pole edge: %.3f, want %.3f", got, deg)
	}
}

// TestPossible checks the embedded shapes against cases checked by hand
// on a map (distances from the centres to the nearest borders noted).
func TestPossible(t *testing.T) {
	t.Parallel()
	s, err := LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		disk Disk
		want []string // exactly these
		has  []string // at least these (when the exact set depends on islets)
	}{
		// Inside one country, the nearest other one hundreds of km away.
		{name: "Jakarta", disk: Disk{Point{-6.2, 106.8}, 50}, want: []string{"ID"}},
		{name: "Paris", disk: Disk{Point{48.86, 2.35}, 50}, want: []string{"FR"}},
		{name: "central Australia", disk: Disk{Point{-25, 134}, 300}, want: []string{"AU"}},
		// Basel: the tripoint of France, Germany and Switzerland.
		{name: "Basel", disk: Disk{Point{47.59, 7.59}, 30}, want: []string{"CH", "DE", "FR"}},
		// Lesotho is a hole in South Africa: its middle is in Lesotho alone.
		{name: "Lesotho", disk: Disk{Point{-29.6, 28.2}, 10}, want: []string{"LS"}},
		// The open Pacific.
		{name: "ocean", disk: Disk{Point{0, -140}, 100}, want: nil},
		// Chukotka, east of the antimeridian, a part of Russia's shape the
		// cut puts on the other side; Fiji's islands straddle it.
		{name: "Chukotka", disk: Disk{Point{66, -175}, 50}, want: []string{"RU"}},
		{name: "east of Fiji", disk: Disk{Point{-17, -179.5}, 150}, want: []string{"FJ"}},
		{name: "west of the antimeridian, Fiji", disk: Disk{Point{-17.8, 178}, 30}, want: []string{"FJ"}},
		// Poles: Antarctica holds the south pole; the north pole is in the
		// Arctic Ocean, 700 km and more from Greenland's and Canada's coasts.
		{name: "south pole", disk: Disk{Point{-90, 0}, 100}, want: []string{"AQ"}},
		{name: "north pole", disk: Disk{Point{90, 0}, 300}, want: nil},
		{name: "north pole, wide", disk: Disk{Point{90, 0}, 1200}, has: []string{"CA", "GL"}},
	} {
		got := s.Possible(c.disk)
		if c.has != nil {
			for _, h := range c.has {
				if !slices.Contains(got, h) {
					t.Errorf("%s: %v, want it to hold %s", c.name, got, h)
				}
			}
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: possible %v, want %v", c.name, got, c.want)
		}
	}
	if !s.Has("SG") || !s.Has("FR") || s.Has("ZZ") {
		t.Error("Has: SG and FR have shapes, ZZ none")
	}
	if src := s.Source(); src.Package != "world-atlas@2.0.2" || src.License == "" || len(src.SHA256) != 64 {
		t.Errorf("source %+v", src)
	}
}

func TestParseShapesDamaged(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"", "FR\t1 2 3", "FR\t1 x", "FR\t0 9100", "FRA\t0 0", "source\tx"} {
		if _, err := parseShapes(data); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
}

func BenchmarkPossible(b *testing.B) {
	s, err := LoadShapes()
	if err != nil {
		b.Fatal(err)
	}
	d := Disk{Point{-6.2, 106.8}, 1000}
	for b.Loop() {
		s.Possible(d)
	}
}
