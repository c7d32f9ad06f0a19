package main

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

func TestEqualEarth(t *testing.T) {
	t.Parallel()
	if x, y := equalEarth(0, 0); x != 0 || y != 0 {
		t.Errorf("origin projects to %v, %v", x, y)
	}
	x1, y1 := equalEarth(120, 40)
	x2, y2 := equalEarth(-120, -40)
	if x1 != -x2 || y1 != -y2 || x1 <= 0 || y1 <= 0 {
		t.Errorf("not symmetric: %v,%v vs %v,%v", x1, y1, x2, y2)
	}
	// Equal area: a 1°×1° cell's projected area is proportional to its
	// area on the sphere, sin(φ+1°) - sin(φ).
	cell := func(lat float64) float64 {
		xa, ya := equalEarth(0, lat)
		xb, _ := equalEarth(1, lat)
		_, yc := equalEarth(0, lat+1)
		return (xb - xa) * (yc - ya) / (math.Sin((lat+1)*math.Pi/180) - math.Sin(lat*math.Pi/180))
	}
	base := cell(0)
	for _, lat := range []float64{20, 45, 70} {
		if r := cell(lat) / base; math.Abs(r-1) > 0.01 {
			t.Errorf("a cell at %v° has %.4f times the area of one at the equator, want 1", lat, r)
		}
	}
}

func TestStitch(t *testing.T) {
	t.Parallel()
	arcs := [][][2]float64{{{0, 0}, {1, 0}, {1, 1}}, {{0, 0}, {0, 1}, {1, 1}}}
	r, err := stitch(arcs, []int{0, ^1})
	if err != nil {
		t.Fatal(err)
	}
	want := ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	if len(r) != len(want) {
		t.Fatalf("ring %v, want %v", r, want)
	}
	for i := range r {
		if r[i] != want[i] {
			t.Fatalf("ring %v, want %v", r, want)
		}
	}
	if _, err := stitch(arcs, []int{2}); err == nil {
		t.Error("an arc out of range was accepted")
	}
}

func TestDecodeArcs(t *testing.T) {
	t.Parallel()
	topo := topology{Arcs: [][][2]float64{{{10, 20}, {1, -1}, {2, 0}}}}
	topo.Transform = &struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	}{Scale: [2]float64{0.5, 2}, Translate: [2]float64{-180, -90}}
	got := topo.decodeArcs()[0]
	want := [][2]float64{{-175, -50}, {-174.5, -52}, {-173.5, -52}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("decoded %v, want %v", got, want)
		}
	}
}

func TestCutAntimeridian(t *testing.T) {
	t.Parallel()
	// A square from 170°E across the antimeridian to 170°W.
	sq := polygon{ring{{170, -10}, {-170, -10}, {-170, 10}, {170, 10}, {170, -10}}}
	parts := cutAntimeridian(sq)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2: %v", len(parts), parts)
	}
	for _, p := range parts {
		lo, hi := 1000.0, -1000.0
		for _, q := range p[0] {
			lo, hi = min(lo, q[0]), max(hi, q[0])
		}
		if hi-lo > 10.0001 || lo < -180 || hi > 180 {
			t.Errorf("part spans %v to %v", lo, hi)
		}
	}
	plain := polygon{ring{{0, 0}, {10, 0}, {10, 10}, {0, 0}}}
	if got := cutAntimeridian(plain); len(got) != 1 || len(got[0][0]) != 4 {
		t.Errorf("a polygon that does not cross was changed: %v", got)
	}
}

func TestNum(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0", math.Copysign(0, -1): "0", 0.5: ".5", -0.5: "-.5", 12: "12", -3.1: "-3.1"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestPathData draws two rings and reads the path back: relative moves
// after z start from the ring's first point, as SVG says.
func TestPathData(t *testing.T) {
	t.Parallel()
	f, _ := newFrame()
	polys := []polygon{
		{ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
		{ring{{20, 20}, {30, 20}, {30, 30}, {20, 20}}},
	}
	d := pathData(f, polys)
	var got [][2]float64
	var px, py, sx, sy float64
	for _, sub := range regexp.MustCompile(`m([^z]*)z`).FindAllStringSubmatch(d, -1) {
		nums := regexp.MustCompile(`-?\d*\.?\d+`).FindAllString(sub[1], -1)
		for i := 0; i+1 < len(nums); i += 2 {
			dx, _ := strconv.ParseFloat(nums[i], 64)
			dy, _ := strconv.ParseFloat(nums[i+1], 64)
			px, py = round(px+dx), round(py+dy)
			if i == 0 {
				sx, sy = px, py
			}
			got = append(got, [2]float64{px, py})
		}
		px, py = sx, sy
	}
	var want [][2]float64
	for _, p := range polys {
		r := p[0]
		for _, q := range r[:len(r)-1] {
			x, y := f.point(q)
			want = append(want, [2]float64{round(x), round(y)})
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read back %v from %q, want %v", got, d, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("read back %v from %q, want %v", got, d, want)
		}
	}
}

func TestShapesRing(t *testing.T) {
	t.Parallel()
	// Rounded to hundredths of a degree, then differenced; the closing
	// position and repeats left off.
	if got := ringData(ring{{1.004, 2}, {1.5, 2.25}, {1.5, 2.25}, {1, 3}, {1.004, 2}}); got != "100 200 50 25 -50 75" {
		t.Errorf("ringData: %q", got)
	}
	// A ring round the globe closes through its pole; others stay as they are.
	r := closePolar(ring{{-180, -84}, {0, -70}, {180, -84}})
	if len(r) != 5 || r[3] != [2]float64{180, -90} || r[4] != [2]float64{-180, -90} {
		t.Errorf("closePolar: %v", r)
	}
	if r := closePolar(ring{{170, 10}, {180, 11}, {175, 12}}); len(r) != 3 {
		t.Errorf("closePolar changed an ordinary ring: %v", r)
	}
}
