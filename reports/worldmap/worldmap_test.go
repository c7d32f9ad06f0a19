package worldmap

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var pathChars = regexp.MustCompile(`^(m[-0-9. ]+z)+$`)

func TestLoad(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if m.Width != 1000 || m.Height < 400 || m.Height > 500 {
		t.Errorf("viewBox %vx%v", m.Width, m.Height)
	}
	if !slices.IsSortedFunc(m.Countries, func(a, b Country) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("the countries are not sorted by code")
	}
	shapes := 0
	for _, c := range m.Countries {
		if c.Path == "" {
			continue
		}
		shapes++
		if !pathChars.MatchString(c.Path) {
			t.Errorf("%s: path data holds more than relative moves: %.80s", c.Code, c.Path)
		}
		if c.Code != "" && (c.Label.X < 0 || c.Label.X > m.Width || c.Label.Y < 0 || c.Label.Y > m.Height) {
			t.Errorf("%s: label %v is off the map", c.Code, c.Label)
		}
	}
	if shapes < 230 {
		t.Errorf("%d shapes, want every country Natural Earth draws", shapes)
	}
	for code, name := range map[string]string{"ID": "Indonesia", "SG": "Singapore", "HK": "Hong Kong", "US": "United States",
		"GB": "United Kingdom", "XK": "Kosovo", "CD": "Democratic Republic of the Congo", "CG": "Republic of the Congo", "TW": "Taiwan"} {
		c, ok := m.Country(code)
		if !ok || c.Name != name || c.Path == "" {
			t.Errorf("Country(%s) = %q (path %t, found %t), want %q with a shape", code, c.Name, c.Path != "", ok, name)
		}
	}
	// Singapore is east of Sumatra's west coast and north of Jakarta.
	sg, _ := m.Country("SG")
	if sg.Label.X < 780 || sg.Label.X > 800 || sg.Label.Y < 225 || sg.Label.Y > 245 {
		t.Errorf("Singapore's label is at %v", sg.Label)
	}
	if got := m.Name("ZZ"); got != "ZZ" {
		t.Errorf(`Name("ZZ") = %q, want the code itself`, got)
	}
	if _, ok := m.Country(""); ok {
		t.Error(`Country("") found a country`)
	}
}

func TestSources(t *testing.T) {
	t.Parallel()
	srcs, err := Sources()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"world-atlas": "ISC (package); Natural Earth: public domain", "i18n-iso-countries": "MIT"}
	for _, s := range srcs {
		if want[s.ID] != s.License || len(s.SHA256) != 64 || s.Version == "" || s.Attribution == "" {
			t.Errorf("source %+v", s)
		}
		delete(want, s.ID)
	}
	if len(want) > 0 {
		t.Errorf("sources missing: %v", want)
	}
}

// A country's part is its largest shape: France's is mainland France, not
// French Guiana (which Natural Earth draws as part of France), and the
// label sits in it.
func TestLargestPart(t *testing.T) {
	t.Parallel()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code string
		want Box // roughly, in the map's coordinates
	}{
		{"FR", Box{Point{485, 60}, Point{522, 95}}},
		{"CN", Box{Point{680, 40}, Point{860, 170}}},
	} {
		c, _ := m.Country(tc.code)
		p := c.Part
		if p.Min.X < tc.want.Min.X || p.Min.Y < tc.want.Min.Y || p.Max.X > tc.want.Max.X || p.Max.Y > tc.want.Max.Y || p.Width() < 10 {
			t.Errorf("%s: part %+v, want within %+v", tc.code, p, tc.want)
		}
		if c.Label.X < p.Min.X || c.Label.X > p.Max.X || c.Label.Y < p.Min.Y || c.Label.Y > p.Max.Y {
			t.Errorf("%s: label %v outside its part %+v", tc.code, c.Label, p)
		}
	}
	for _, c := range m.Countries {
		if c.Path != "" && c.Code != "" && (c.Label.X < c.Part.Min.X-1 || c.Label.X > c.Part.Max.X+1) {
			t.Errorf("%s: label %v outside its part %+v", c.Code, c.Label, c.Part)
		}
	}
}
