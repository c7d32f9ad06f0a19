package main

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// shapesScale is how many steps a degree has in the shapes file: hundredths
// of a degree (about 1.1 km), far below what 1:110m data resolves.
const shapesScale = 100

// partOf maps the shapes world-atlas gives no ISO code to the country ISO
// 3166-1 counts them in: for the possible countries of a disk, a server in
// Northern Cyprus is in CY's territory as every IP dataset writes it.
var partOf = map[string]string{"N. Cyprus": "CY", "Somaliland": "SO"}

// buildShapes writes the countries' shapes in longitude and latitude for
// probe/geo: the same shapes as the map (1:110m, 1:50m for the countries it
// leaves out, cut at the antimeridian), Antarctica included, unprojected.
// One line per country: its code, then its rings separated by ";", each
// ring its first position and then the steps to the next ones, in
// hundredths of a degree ("lon lat lon lat …"). Rounding first and
// differencing after keeps errors from adding up.
func buildShapes(all []country, atlas, iso *pkg) []byte {
	rings := map[string][]string{}
	for _, c := range all {
		code := c.code
		if code == "" {
			code = partOf[c.name]
		}
		if code == "" {
			continue
		}
		for _, poly := range c.polys {
			for _, r := range poly {
				if s := ringData(closePolar(r)); s != "" {
					rings[code] = append(rings[code], s)
				}
			}
		}
	}
	codes := make([]string, 0, len(rings))
	for code := range rings {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# hostwatch country shapes, written by reports/worldmap/internal/mkmap from %s@%s and %s@%s: do not edit.\n",
		atlas.Name, atlas.Version, iso.Name, iso.Version)
	b.WriteString("# code, then rings separated by ';': each ring's first lon lat, then steps, in hundredths of a degree\n")
	fmt.Fprintf(&b, "source\t%s@%s\t%s\t%s\n", atlas.Name, atlas.Version, atlas.SHA256, atlas.License+" (package); Natural Earth: public domain")
	for _, code := range codes {
		r := rings[code]
		slices.SortFunc(r, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
		b.WriteString(code)
		b.WriteByte('\t')
		b.WriteString(strings.Join(r, ";"))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ringData writes one ring, its closing position left off (rings close
// themselves), repeated positions once; "" for an empty ring.
func ringData(r ring) string {
	var pts [][2]int
	for _, p := range r {
		q := [2]int{int(math.Round(p[0] * shapesScale)), int(math.Round(p[1] * shapesScale))}
		if len(pts) == 0 || pts[len(pts)-1] != q {
			pts = append(pts, q)
		}
	}
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	var b strings.Builder
	var prev [2]int
	for i, q := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(q[0] - prev[0]))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(q[1] - prev[1]))
		prev = q
	}
	return b.String()
}

// closePolar closes a ring that goes once round the globe (Antarctica's,
// from -180° to 180°) through its pole: unprojected, its closing edge would
// otherwise run back along a parallel and leave the pole outside.
func closePolar(r ring) ring {
	if len(r) < 3 {
		return r
	}
	first, last := r[0], r[len(r)-1]
	if first == last {
		last = r[len(r)-2]
	}
	if math.Abs(first[0]) != 180 || last[0] != -first[0] {
		return r
	}
	pole := 90.0
	if first[1] < 0 {
		pole = -90
	}
	out := slices.Clone(r)
	if out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return append(out, [2]float64{last[0], pole}, [2]float64{first[0], pole})
}
