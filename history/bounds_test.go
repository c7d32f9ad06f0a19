package history

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/rtt"
)

// TestBounds intersects recorded round trips from several vantages, as
// history --bounds reads them back (issue 13, part 3). Distances checked
// by hand (haversine, R = 6371 km): Jakarta–Paris 11,582 km,
// Jakarta–Singapore 902 km, Suva–Apia 1,152 km across the antimeridian.
func TestBounds(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	jakarta, paris, singapore := &geo.Point{Lat: -6.2, Lon: 106.8}, &geo.Point{Lat: 48.86, Lon: 2.35}, &geo.Point{Lat: 1.35, Lon: 103.82}
	suva, apia := &geo.Point{Lat: -18.14, Lon: 178.44}, &geo.Point{Lat: -13.83, Lon: -171.76}
	t0 := time.Date(2024, 2, 14, 12, 0, 0, 0, time.UTC)
	run := int64(0)
	m := func(vantage string, loc *geo.Point, claimed string, ms ...float64) Measurement {
		run++
		out := Measurement{RunID: run, Domain: "web.kpu.go.id", IP: netip.MustParseAddr("170.33.13.55"), Vantage: vantage, Location: loc,
			Claimed: claimed, Method: "tcp-connect", MeasuredAt: t0.Add(time.Duration(run) * time.Minute)}
		for i, x := range ms {
			d := time.Duration(x * float64(time.Millisecond))
			out.Samples = append(out.Samples, rtt.Sample{At: out.MeasuredAt.Add(time.Duration(i) * time.Millisecond), Port: 443, RTT: d, Reply: rtt.ReplySYNACK})
			if i == 0 || d < out.Min {
				out.Min = d
			}
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		ms       []Measurement
		labels   []string
		anycast  [][2]string
		possible []string // nil: not checked; each must be among the possible
		exactly  bool
	}{
		{
			name:    "loopback round trips from Jakarta and Paris: no one place answered both",
			ms:      []Measurement{m("paris", paris, "FR", 0.06, 0.05), m("jakarta", jakarta, "FR", 0.05, 0.07)},
			labels:  []string{"jakarta", "paris"},
			anycast: [][2]string{{"jakarta", "paris"}},
		},
		{
			name: "each vantage's least round trip: Jakarta's 10 ms (1,000 km) meets Singapore's 2 ms (200 km)",
			ms: []Measurement{m("jakarta", jakarta, "SG", 12, 14), m("jakarta", jakarta, "SG", 10.2, 10),
				m("singapore", singapore, "SG", 2, 2.5)},
			labels: []string{"jakarta", "singapore"}, possible: []string{"SG"},
		},
		{
			name:    "a tighter Jakarta round trip (3.1 ms, 310 km) no longer reaches Singapore's disk",
			ms:      []Measurement{m("jakarta", jakarta, "SG", 10), m("jakarta", jakarta, "SG", 3.1), m("singapore", singapore, "SG", 2)},
			labels:  []string{"jakarta", "singapore"},
			anycast: [][2]string{{"jakarta", "singapore"}},
		},
		{
			name:   "a vantage without a location is listed and bounds nothing",
			ms:     []Measurement{m("jakarta", jakarta, "CN", 3.1), m("", nil, "CN", 0.5)},
			labels: []string{"", "jakarta"}, possible: []string{"ID"}, exactly: true,
		},
		{
			name:    "across the antimeridian, 1 ms each from Suva and Apia: disjoint",
			ms:      []Measurement{m("suva", suva, "FJ", 1), m("apia", apia, "FJ", 1)},
			labels:  []string{"apia", "suva"},
			anycast: [][2]string{{"apia", "suva"}},
		},
		{
			name:   "across the antimeridian, 6 ms each (600 km): the disks meet",
			ms:     []Measurement{m("suva", suva, "FJ", 6), m("apia", apia, "WS", 6)},
			labels: []string{"apia", "suva"},
		},
		{
			name:    "one name recorded at two places is two vantages",
			ms:      []Measurement{m("laptop", jakarta, "", 0.1), m("laptop", paris, "", 0.1)},
			labels:  []string{"laptop @-6.2,106.8", "laptop @48.86,2.35"},
			anycast: [][2]string{{"laptop @-6.2,106.8", "laptop @48.86,2.35"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, c := Bounds(tc.ms, shapes)
			var labels []string
			for _, v := range vs {
				labels = append(labels, v.Label)
				if (v.Least.Location == nil) != (v.Bound == nil) {
					t.Errorf("%s: location %v but bound %+v", v.Label, v.Least.Location, v.Bound)
				}
			}
			if !slices.Equal(labels, tc.labels) {
				t.Errorf("vantages %q, want %q", labels, tc.labels)
			}
			if c.Anycast != (tc.anycast != nil) || !slices.Equal(c.Disjoint, tc.anycast) {
				t.Errorf("anycast %v, disjoint %q; want %q", c.Anycast, c.Disjoint, tc.anycast)
			}
			if c.Anycast && c.PossibleCountries != nil {
				t.Errorf("anycast, yet possible %q", c.PossibleCountries)
			}
			for _, cc := range tc.possible {
				if !slices.Contains(c.PossibleCountries, cc) {
					t.Errorf("possible %q, want %s among them", c.PossibleCountries, cc)
				}
			}
			if tc.exactly && !slices.Equal(c.PossibleCountries, tc.possible) {
				t.Errorf("possible %q, want exactly %q", c.PossibleCountries, tc.possible)
			}
		})
	}
	// The least is the measurement kept, samples and all.
	vs, _ := Bounds([]Measurement{m("jakarta", jakarta, "SG", 12), m("jakarta", jakarta, "SG", 10.2, 10)}, shapes)
	if len(vs) != 1 || vs[0].Count != 2 || vs[0].Least.Min != 10*time.Millisecond || len(vs[0].Least.Samples) != 2 ||
		vs[0].Bound.MaxDistanceKm != 1000 {
		t.Errorf("jakarta's least: %+v", vs)
	}
}
