// Command mkmap builds the world map that HTML reports embed, from the npm
// tarballs of world-atlas (Natural Earth's countries as TopoJSON) and
// i18n-iso-countries (ISO 3166-1 codes and English names):
//
//	go run ./reports/worldmap/internal/mkmap -out reports/worldmap/data \
//	    world-atlas-2.0.2.tgz i18n-iso-countries-7.14.0.tgz
//
// It writes world.txt (one line per country: alpha-2 code, English name,
// label point and SVG path in the Equal Earth projection, coordinates
// rounded) and sources.json (the packages, their digests and licences);
// with -shapes, also the same shapes unprojected, for probe/geo's possible
// countries of a disk (see shapes.go).
// Shapes come from the 1:110m countries; the countries that scale leaves out
// (Singapore, Hong Kong, Bahrain, Malta, …) come from the 1:50m ones.
// Antarctica is left off the map. The output depends only on the tarballs.
package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkmap:", err)
		os.Exit(1)
	}
}

// Width is the width of the map's viewBox; its height follows from the
// projection and the latitudes kept.
const Width = 1000

// precision is the number of decimals kept in path coordinates: at a width
// of 1000, a tenth of a unit is far below what 1:110m data resolves.
const precision = 1

func run(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("mkmap", flag.ContinueOnError)
	fs.SetOutput(log)
	out := fs.String("out", "", "directory to write world.txt and sources.json to")
	shapes := fs.String("shapes", "", "file to write the countries' shapes in longitude and latitude to (for probe/geo)")
	fs.Usage = func() {
		fmt.Fprintln(log, "usage: mkmap -out DIR [-shapes FILE] WORLD-ATLAS.tgz I18N-ISO-COUNTRIES.tgz")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 2 {
		fs.Usage()
		return errors.New("need -out and the two package tarballs")
	}
	atlas, err := readPackage(fs.Arg(0), "world-atlas")
	if err != nil {
		return err
	}
	iso, err := readPackage(fs.Arg(1), "i18n-iso-countries")
	if err != nil {
		return err
	}
	world, err := build(atlas, iso)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "world.txt"), world, 0o644); err != nil {
		return err
	}
	if *shapes != "" {
		all, _, err := countries(atlas, iso)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*shapes, buildShapes(all, atlas, iso), 0o644); err != nil {
			return err
		}
	}
	src, err := sources(atlas, iso)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "sources.json"), src, 0o644)
}

// pkg is what mkmap keeps of one npm tarball.
type pkg struct {
	Name, Version, License, SHA256 string
	Files                          map[string][]byte // path under package/ → content
}

// readPackage reads an npm tarball (gzip-compressed tar, everything under package/).
func readPackage(file, want string) (*pkg, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	p := &pkg{SHA256: hex.EncodeToString(sum[:]), Files: map[string][]byte{}}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		name, ok := strings.CutPrefix(path.Clean(h.Name), "package/")
		if h.Typeflag != tar.TypeReg || !ok {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, h.Name, err)
		}
		p.Files[name] = data
	}
	var meta struct{ Name, Version, License string }
	if err := json.Unmarshal(p.Files["package.json"], &meta); err != nil {
		return nil, fmt.Errorf("%s: package.json: %w", file, err)
	}
	if meta.Name != want {
		return nil, fmt.Errorf("%s is the package %q, want %q", file, meta.Name, want)
	}
	p.Name, p.Version, p.License = meta.Name, meta.Version, meta.License
	return p, nil
}

// topology is the part of a TopoJSON document mkmap reads.
type topology struct {
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects map[string]struct {
		Geometries []geometry `json:"geometries"`
	} `json:"objects"`
}

type geometry struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Arcs       json.RawMessage `json:"arcs"`
	Properties struct {
		Name string `json:"name"`
	} `json:"properties"`
}

// ring is a closed line of [longitude, latitude] positions.
type ring [][2]float64

// polygon is an outer ring and its holes.
type polygon []ring

// decodeArcs turns quantized, delta-encoded arcs into positions (TopoJSON §2.1.3).
func (t *topology) decodeArcs() [][][2]float64 {
	out := make([][][2]float64, len(t.Arcs))
	for i, arc := range t.Arcs {
		pts := make([][2]float64, len(arc))
		var x, y float64
		for j, p := range arc {
			if t.Transform != nil {
				x, y = x+p[0], y+p[1]
				pts[j] = [2]float64{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]}
			} else {
				pts[j] = p
			}
		}
		out[i] = pts
	}
	return out
}

// stitch joins arcs (negative index ~i: arc i reversed) into one ring; each
// arc after the first starts where the one before ended.
func stitch(arcs [][][2]float64, idx []int) (ring, error) {
	var r ring
	for k, i := range idx {
		rev := i < 0
		if rev {
			i = ^i
		}
		if i >= len(arcs) {
			return nil, fmt.Errorf("arc %d out of range", i)
		}
		a := arcs[i]
		if rev {
			a = slices.Clone(a)
			slices.Reverse(a)
		}
		if k > 0 && len(a) > 0 {
			a = a[1:]
		}
		r = append(r, a...)
	}
	return r, nil
}

// polygons reads a geometry's polygons.
func (g geometry) polygons(arcs [][][2]float64) ([]polygon, error) {
	var idx [][][]int
	switch g.Type {
	case "Polygon":
		var p [][]int
		if err := json.Unmarshal(g.Arcs, &p); err != nil {
			return nil, err
		}
		idx = [][][]int{p}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Arcs, &idx); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	var out []polygon
	for _, p := range idx {
		var poly polygon
		for _, r := range p {
			rg, err := stitch(arcs, r)
			if err != nil {
				return nil, err
			}
			poly = append(poly, rg)
		}
		out = append(out, cutAntimeridian(poly)...)
	}
	return out, nil
}

// cutAntimeridian splits a polygon that crosses the antimeridian (Fiji,
// Chukotka) into the parts on either side: world-atlas leaves that cut to
// the projection. Each ring is unwrapped so that no step jumps more than
// 180° of longitude, then clipped to [-180°, 180°] as it is and shifted by
// a full turn either way.
func cutAntimeridian(poly polygon) []polygon {
	crosses := false
	unwrapped := make(polygon, len(poly))
	for i, r := range poly {
		u := make(ring, len(r))
		for j, p := range r {
			if j > 0 {
				prev := u[j-1][0]
				for p[0]-prev > 180 {
					p[0] -= 360
				}
				for p[0]-prev < -180 {
					p[0] += 360
				}
			}
			crosses = crosses || p[0] < -180 || p[0] > 180
			u[j] = p
		}
		unwrapped[i] = u
	}
	if !crosses {
		return []polygon{poly}
	}
	var out []polygon
	for _, shift := range []float64{-360, 0, 360} {
		var part polygon
		for i, r := range unwrapped {
			moved := make(ring, len(r))
			for j, p := range r {
				moved[j] = [2]float64{p[0] + shift, p[1]}
			}
			c := clipLon(clipLon(moved, 180, true), -180, false)
			if len(c) < 3 {
				if i == 0 {
					break // no outer ring on this side: no part
				}
				continue
			}
			part = append(part, c)
		}
		if len(part) > 0 {
			out = append(out, part)
		}
	}
	return out
}

// clipLon clips a closed ring to the side of the meridian lon that keeps
// smaller longitudes (below) or larger ones (Sutherland–Hodgman, one edge).
func clipLon(r ring, lon float64, below bool) ring {
	inside := func(p [2]float64) bool {
		if below {
			return p[0] <= lon
		}
		return p[0] >= lon
	}
	var out ring
	for i, cur := range r {
		prev := r[(i+len(r)-1)%len(r)]
		if inside(cur) != inside(prev) {
			t := (lon - prev[0]) / (cur[0] - prev[0])
			out = append(out, [2]float64{lon, prev[1] + t*(cur[1]-prev[1])})
		}
		if inside(cur) {
			out = append(out, cur)
		}
	}
	return out
}

// Equal Earth (Šavrič, Patterson and Jenny, 2018).
const (
	eeA1 = 1.340264
	eeA2 = -0.081106
	eeA3 = 0.000893
	eeA4 = 0.003796
)

var eeM = math.Sqrt(3) / 2

// equalEarth projects a longitude and latitude in degrees onto the plane,
// in units of the Earth's radius, y pointing north.
func equalEarth(lon, lat float64) (x, y float64) {
	lam, phi := lon*math.Pi/180, lat*math.Pi/180
	th := math.Asin(eeM * math.Sin(phi))
	t2 := th * th
	t6 := t2 * t2 * t2
	x = lam * math.Cos(th) / (eeM * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)))
	y = th * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
	return x, y
}

// The latitudes the map keeps: Antarctica is left off, the Arctic islands kept.
const (
	north = 84.0
	south = -58.0
)

// frame maps projected coordinates onto the viewBox.
type frame struct{ scale, top float64 }

func newFrame() (frame, float64) {
	xmax, _ := equalEarth(180, 0)
	_, ytop := equalEarth(0, north)
	_, ybottom := equalEarth(0, south)
	s := Width / (2 * xmax)
	return frame{scale: s, top: ytop}, round((ytop - ybottom) * s)
}

func (f frame) point(p [2]float64) (float64, float64) {
	x, y := equalEarth(p[0], p[1])
	return x*f.scale + Width/2, (f.top - y) * f.scale
}

func round(v float64) float64 {
	m := math.Pow(10, precision)
	return math.Round(v*m) / m
}

// num writes a number as briefly as SVG path data allows: "-.5", "12", "3.1".
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	if strings.HasPrefix(s, "0.") {
		return s[1:]
	}
	if strings.HasPrefix(s, "-0.") {
		return "-" + s[2:]
	}
	return s
}

// pathData writes polygons as SVG path data with relative moves ("m", then
// implicit relative lines): every coordinate is rounded first, then
// differenced, so that rounding errors never add up.
func pathData(f frame, polys []polygon) string {
	var b strings.Builder
	var px, py float64
	for _, poly := range polys {
		for _, r := range poly {
			var pts [][2]float64
			for _, p := range r {
				x, y := f.point(p)
				q := [2]float64{round(x), round(y)}
				if len(pts) == 0 || pts[len(pts)-1] != q {
					pts = append(pts, q)
				}
			}
			if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
				pts = pts[:len(pts)-1]
			}
			if len(pts) < 3 && len(polys) > 1 {
				continue // an islet smaller than the map's resolution
			}
			b.WriteByte('m')
			first := true
			for _, q := range pts {
				for _, d := range [2]float64{round(q[0] - px), round(q[1] - py)} {
					s := num(d)
					if !first && !strings.HasPrefix(s, "-") {
						b.WriteByte(' ')
					}
					b.WriteString(s)
					first = false
				}
				px, py = q[0], q[1]
			}
			b.WriteByte('z')
			// After z the pen is back at the ring's first point.
			px, py = pts[0][0], pts[0][1]
		}
	}
	return b.String()
}

// label is the area centroid of the largest outer ring, projected.
func label(f frame, polys []polygon) (x, y float64, ok bool) {
	best := 0.0
	for _, poly := range polys {
		if len(poly) == 0 || len(poly[0]) < 3 {
			continue
		}
		var a, cx, cy float64
		r := poly[0]
		for i := range r {
			x0, y0 := f.point(r[i])
			x1, y1 := f.point(r[(i+1)%len(r)])
			c := x0*y1 - x1*y0
			a += c
			cx += (x0 + x1) * c
			cy += (y0 + y1) * c
		}
		if math.Abs(a) > best {
			best = math.Abs(a)
			x, y, ok = cx/(3*a), cy/(3*a), true
		}
	}
	if !ok {
		// A point-sized country: the mean of its positions.
		var n float64
		for _, poly := range polys {
			for _, r := range poly {
				for _, p := range r {
					px, py := f.point(p)
					x, y, n = x+px, y+py, n+1
				}
			}
		}
		if n > 0 {
			x, y, ok = x/n, y/n, true
		}
	}
	return round(x), round(y), ok
}

// unnamed maps the shapes world-atlas gives no ISO numeric id to a code:
// Kosovo has the user-assigned code XK, which registries and IP datasets
// use. The others stay without a code: drawn, never shaded.
var unnamed = map[string]string{"Kosovo": "XK"}

// left off the map: Antarctica (below the latitudes kept).
var leftOff = map[string]bool{"AQ": true}

type country struct {
	code, name string
	polys      []polygon
}

func readCountries(atlas *pkg, file string, numeric map[string]string) ([]country, error) {
	var t topology
	if err := json.Unmarshal(atlas.Files[file], &t); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	arcs := t.decodeArcs()
	var out []country
	for _, g := range t.Objects["countries"].Geometries {
		polys, err := g.polygons(arcs)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, g.Properties.Name, err)
		}
		if len(polys) == 0 {
			continue
		}
		code := numeric[g.ID]
		if g.ID == "" {
			code = unnamed[g.Properties.Name]
		} else if code == "" {
			return nil, fmt.Errorf("%s: %s: numeric id %q has no alpha-2 code", file, g.Properties.Name, g.ID)
		}
		out = append(out, country{code: code, name: g.Properties.Name, polys: polys})
	}
	return out, nil
}

// countries reads every shape kept, in lon/lat: the 1:110m countries, and
// the 1:50m ones for the countries 1:110m leaves out; and the English names.
func countries(atlas, iso *pkg) ([]country, map[string]string, error) {
	var codes [][]string
	if err := json.Unmarshal(iso.Files["codes.json"], &codes); err != nil {
		return nil, nil, fmt.Errorf("i18n-iso-countries codes.json: %w", err)
	}
	numeric := map[string]string{}
	for _, c := range codes {
		if len(c) < 3 {
			return nil, nil, fmt.Errorf("i18n-iso-countries codes.json: short row %q", c)
		}
		numeric[c[2]] = c[0]
	}
	names, err := englishNames(iso)
	if err != nil {
		return nil, nil, err
	}
	small, err := readCountries(atlas, "countries-110m.json", numeric)
	if err != nil {
		return nil, nil, err
	}
	medium, err := readCountries(atlas, "countries-50m.json", numeric)
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, c := range small {
		have[c.code] = true
	}
	all := small
	for _, c := range medium {
		if c.code != "" && !have[c.code] { // uncoded shapes are in both: keep 1:110m's
			all = append(all, c)
		}
	}
	return all, names, nil
}

func build(atlas, iso *pkg) ([]byte, error) {
	all, names, err := countries(atlas, iso)
	if err != nil {
		return nil, err
	}
	f, height := newFrame()
	type line struct{ code, text string }
	var lines []line
	shaped := map[string]bool{}
	for _, c := range all {
		if leftOff[c.code] {
			continue
		}
		lx, ly, ok := label(f, c.polys)
		lbl := ""
		if ok && c.code != "" {
			lbl = num(lx) + "," + num(ly)
		}
		code, name := cmp.Or(c.code, "-"), c.name
		if c.code != "" {
			name = names[c.code]
			shaped[c.code] = true
		}
		lines = append(lines, line{code, strings.Join([]string{code, name, lbl, pathData(f, c.polys)}, "\t")})
	}
	// Every other country keeps its name, for the lists under the map.
	for code, name := range names {
		if !shaped[code] {
			lines = append(lines, line{code, strings.Join([]string{code, name, "", ""}, "\t")})
		}
	}
	slices.SortFunc(lines, func(a, b line) int { return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.text, b.text)) })
	var b bytes.Buffer
	fmt.Fprintf(&b, "# hostwatch world map, written by reports/worldmap/internal/mkmap from %s@%s and %s@%s: do not edit.\n",
		atlas.Name, atlas.Version, iso.Name, iso.Version)
	b.WriteString("# code, English name, label point, SVG path (Equal Earth; latitudes 84N to 58S), tab-separated\n")
	fmt.Fprintf(&b, "viewBox\t%d\t%s\n", Width, num(height))
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// englishNames reads the English short names. Where i18n-iso-countries
// gives several, it takes the first without a comma, and for a long form
// ("Islamic Republic of Iran") the next one without a comma that no other
// country also has ("Iran"; but both Congos keep their long forms).
func englishNames(iso *pkg) (map[string]string, error) {
	var doc struct {
		Countries map[string]json.RawMessage `json:"countries"`
	}
	if err := json.Unmarshal(iso.Files["langs/en.json"], &doc); err != nil {
		return nil, fmt.Errorf("i18n-iso-countries langs/en.json: %w", err)
	}
	lists := map[string][]string{}
	uses := map[string]int{}
	for code, raw := range doc.Countries {
		var list []string
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			list = []string{one}
		} else if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
			return nil, fmt.Errorf("i18n-iso-countries langs/en.json: %s: not a name or a list of names", code)
		}
		lists[code] = list
		for _, n := range list {
			uses[n]++
		}
	}
	out := map[string]string{}
	for code, list := range lists {
		plain := slices.DeleteFunc(slices.Clone(list), func(n string) bool { return strings.Contains(n, ",") })
		name := list[0]
		if len(plain) > 0 {
			name = plain[0]
		}
		if strings.Contains(name, " of ") {
			for _, n := range plain[1:] {
				if uses[n] == 1 && strings.ToUpper(n) != n {
					name = n
					break
				}
			}
		}
		if strings.ContainsAny(name, "\t\n") {
			return nil, fmt.Errorf("i18n-iso-countries langs/en.json: %s: a tab or line break in %q", code, name)
		}
		out[code] = name
	}
	return out, nil
}

// sources writes sources.json: where the map came from, and the licences.
func sources(atlas, iso *pkg) ([]byte, error) {
	type source struct {
		ID          string `json:"id"`
		Version     string `json:"version"`
		Package     string `json:"package"`
		SHA256      string `json:"sha256"`
		License     string `json:"license"`
		Attribution string `json:"attribution"`
		Description string `json:"description"`
	}
	doc := struct {
		Sources []source `json:"sources"`
	}{[]source{
		{
			ID: "world-atlas", Version: atlas.Version, Package: atlas.Name + "@" + atlas.Version, SHA256: atlas.SHA256,
			License:     atlas.License + " (package); Natural Earth: public domain",
			Attribution: "Made with Natural Earth (naturalearthdata.com), vector data 4.1.0; TopoJSON by world-atlas (Mike Bostock), ISC licence.",
			Description: "Country shapes: Natural Earth Admin 0 countries at 1:110m, and at 1:50m for the countries 1:110m leaves out; projected (Equal Earth) and rounded by hostwatch. Antarctica is left off.",
		},
		{
			ID: "i18n-iso-countries", Version: iso.Version, Package: iso.Name + "@" + iso.Version, SHA256: iso.SHA256,
			License:     iso.License,
			Attribution: "i18n-iso-countries, Copyright (c) 2016 widdix GmbH, MIT licence.",
			Description: "ISO 3166-1 numeric to alpha-2 codes (to key Natural Earth's shapes) and English country names.",
		},
	}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
