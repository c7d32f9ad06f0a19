// Package worldmap holds the world's countries as compact SVG paths (Equal
// Earth projection, from Natural Earth), keyed by ISO 3166-1 alpha-2 code, so
// that a report can draw a map without asking any other host for it.
package worldmap

import (
	_ "embed" // the generated data files below
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The generated data (internal/mkmap writes both; see sources.json for where
// they came from). They are read, never modified.
var (
	//go:embed data/world.txt
	worldData string
	//go:embed data/sources.json
	sourcesData []byte
)

// Point is a position in the map's coordinates (its viewBox).
type Point struct{ X, Y float64 }

// Country is one country of the map.
type Country struct {
	// Code is the ISO 3166-1 alpha-2 code; "" for a shape Natural Earth
	// gives no code (such as Northern Cyprus), drawn but never shaded.
	Code string
	// Name is the country's English short name.
	Name string
	// Path is the SVG path data of its shape; "" when the map has none (a
	// country too small for Natural Earth, or cut off the map).
	Path string
	// Label is where a marker for the country goes: the centre of its
	// largest part. Meaningful only when Path is not "".
	Label Point
	// Part bounds the largest part of the shape (mainland France, not
	// French Guiana): how much room a marker at Label has.
	Part Box
}

// Box is a rectangle of the map: Min is its top left corner.
type Box struct{ Min, Max Point }

// Width and Height are the box's size.
func (b Box) Width() float64  { return b.Max.X - b.Min.X }
func (b Box) Height() float64 { return b.Max.Y - b.Min.Y }

// largestPart bounds the subpath of path (relative moves and lines, each
// closed with z) that encloses the largest area, and false when path
// cannot be read.
func largestPart(path string) (Box, bool) {
	var (
		best     Box
		bestArea float64
		pen      Point // where the pen is: after z, the subpath's start
		start    Point
		pts      []Point
		nums     []float64
		found    bool
	)
	closeRing := func() {
		var a float64
		box := Box{Min: pts[0], Max: pts[0]}
		for i, p := range pts {
			q := pts[(i+1)%len(pts)]
			a += p.X*q.Y - q.X*p.Y
			box.Min.X, box.Min.Y = min(box.Min.X, p.X), min(box.Min.Y, p.Y)
			box.Max.X, box.Max.Y = max(box.Max.X, p.X), max(box.Max.Y, p.Y)
		}
		if a < 0 {
			a = -a
		}
		if !found || a > bestArea {
			best, bestArea, found = box, a, true
		}
	}
	for i := 0; i < len(path); {
		switch c := path[i]; {
		case c == 'm':
			pts, nums = nil, nil
			i++
		case c == 'z':
			if len(nums)%2 != 0 || len(nums) == 0 {
				return Box{}, false
			}
			for j := 0; j < len(nums); j += 2 {
				pen = Point{pen.X + nums[j], pen.Y + nums[j+1]}
				if j == 0 {
					start = pen
				}
				pts = append(pts, pen)
			}
			closeRing()
			pen, nums = start, nil
			i++
		case c == ' ':
			i++
		default:
			j := i + 1
			for j < len(path) && (path[j] >= '0' && path[j] <= '9' || path[j] == '.' && !strings.Contains(path[i:j], ".")) {
				j++
			}
			v, err := strconv.ParseFloat(path[i:j], 64)
			if err != nil {
				return Box{}, false
			}
			nums = append(nums, v)
			i = j
		}
	}
	return best, found
}

// Map is the whole map: its size and its countries, sorted by code.
type Map struct {
	Width, Height float64
	Countries     []Country
}

// Load reads the embedded map. It fails only if the generated file is damaged.
func Load() (*Map, error) {
	m := &Map{}
	for i, line := range strings.Split(worldData, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if f[0] == "viewBox" {
			if len(f) != 3 {
				return nil, fmt.Errorf("worldmap: line %d: want viewBox WIDTH HEIGHT", i+1)
			}
			w, err1 := strconv.ParseFloat(f[1], 64)
			h, err2 := strconv.ParseFloat(f[2], 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("worldmap: line %d: bad viewBox", i+1)
			}
			m.Width, m.Height = w, h
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("worldmap: line %d: want 4 fields, got %d", i+1, len(f))
		}
		c := Country{Code: f[0], Name: f[1], Path: f[3]}
		if c.Code == "-" {
			c.Code = ""
		}
		if c.Path != "" {
			var ok bool
			if c.Part, ok = largestPart(c.Path); !ok {
				return nil, fmt.Errorf("worldmap: line %d: bad path data", i+1)
			}
		}
		if f[2] != "" {
			x, y, ok := strings.Cut(f[2], ",")
			var err1, err2 error
			c.Label.X, err1 = strconv.ParseFloat(x, 64)
			c.Label.Y, err2 = strconv.ParseFloat(y, 64)
			if !ok || err1 != nil || err2 != nil {
				return nil, fmt.Errorf("worldmap: line %d: bad label %q", i+1, f[2])
			}
		}
		m.Countries = append(m.Countries, c)
	}
	if m.Width <= 0 || m.Height <= 0 || len(m.Countries) == 0 {
		return nil, fmt.Errorf("worldmap: the embedded map is empty")
	}
	return m, nil
}

// Country returns the country with the ISO alpha-2 code (upper case).
func (m *Map) Country(code string) (Country, bool) {
	if code == "" {
		return Country{}, false
	}
	i, ok := slices.BinarySearchFunc(m.Countries, code, func(c Country, code string) int { return strings.Compare(c.Code, code) })
	if !ok {
		return Country{}, false
	}
	return m.Countries[i], true
}

// Name is the English name of the country with the code, or the code itself
// when the map does not know it.
func (m *Map) Name(code string) string {
	if c, ok := m.Country(code); ok && c.Name != "" {
		return c.Name
	}
	return code
}

// Source is one dataset the map was made from, with its licence.
type Source struct {
	ID          string `json:"id"`
	Version     string `json:"version"`
	Package     string `json:"package"`
	SHA256      string `json:"sha256"`
	License     string `json:"license"`
	Attribution string `json:"attribution"`
	Description string `json:"description"`
}

// Sources lists the datasets the map was made from.
func Sources() ([]Source, error) {
	var doc struct {
		Sources []Source `json:"sources"`
	}
	if err := json.Unmarshal(sourcesData, &doc); err != nil {
		return nil, fmt.Errorf("worldmap: sources.json: %w", err)
	}
	return doc.Sources, nil
}

// The map's frame, as internal/mkmap draws it: Equal Earth (Šavrič,
// Patterson and Jenny, 2018), latitudes from 84°N, the width of the viewBox.
const (
	eeA1  = 1.340264
	eeA2  = -0.081106
	eeA3  = 0.000893
	eeA4  = 0.003796
	north = 84.0
)

func equalEarth(lon, lat float64) (x, y float64) {
	m := math.Sqrt(3) / 2
	lam, phi := lon*math.Pi/180, lat*math.Pi/180
	th := math.Asin(m * math.Sin(phi))
	t2 := th * th
	t6 := t2 * t2 * t2
	x = lam * math.Cos(th) / (m * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)))
	y = th * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
	return x, y
}

// Project places a longitude and latitude (degrees) in the map's
// coordinates, as the country paths are drawn.
func (m *Map) Project(lon, lat float64) Point {
	xmax, _ := equalEarth(180, 0)
	_, top := equalEarth(0, north)
	s := m.Width / (2 * xmax)
	x, y := equalEarth(lon, lat)
	return Point{X: x*s + m.Width/2, Y: (top - y) * s}
}
