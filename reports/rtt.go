package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/probe/rtt"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/worldmap"
)

// LocationJSON is a position in degrees.
type LocationJSON struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

func newLocationJSON(p *geo.Point) *LocationJSON {
	if p == nil {
		return nil
	}
	return &LocationJSON{Lat: p.Lat, Lon: p.Lon}
}

// RTTJSON is the round trip measured to an address (--rtt): every sample,
// the least, and the bound it puts on where the address answers from.
type RTTJSON struct {
	Method  string          `json:"method"`
	Samples []RTTSampleJSON `json:"samples"`
	// MinMillis is the least sample; absent when none was answered.
	MinMillis *float64 `json:"min_ms,omitempty"`
	// Refused is present when the address is not globally reachable
	// (without --allow-private): nothing was sent.
	Refused *RefusalJSON `json:"refused,omitempty"`
	Error   string       `json:"error,omitempty"`
	// Failure classifies Error as a code (rtt.Result.Failure).
	Failure string `json:"failure,omitempty"`
	// ICMPError and ICMPFailure say why ICMP echoes (--rtt-icmp) are
	// missing: not_permitted where ping sockets are not allowed.
	ICMPError   string `json:"icmp_error,omitempty"`
	ICMPFailure string `json:"icmp_failure,omitempty"`
	// Bound is absent when the vantage has no location: then nothing is bounded.
	Bound *BoundJSON `json:"bound,omitempty"`
}

// RTTSampleJSON is one round trip.
type RTTSampleJSON struct {
	At     string  `json:"at"`
	Port   uint16  `json:"port"`
	Millis float64 `json:"rtt_ms"`
	Reply  string  `json:"reply"` // syn-ack, rst or echo-reply
	// Method is icmp-echo for an ICMP echo (--rtt-icmp); absent for a TCP
	// connect, as in reports older than it.
	Method string `json:"method,omitempty"`
}

// BoundJSON is what the speed of light allows: an upper bound on the
// distance from the vantage, never a location.
type BoundJSON struct {
	From          LocationJSON `json:"from"`
	MaxDistanceKm float64      `json:"max_distance_km"`
	MarginKm      float64      `json:"margin_km"`
	// PossibleCountries meet the disk of MaxDistanceKm + MarginKm.
	PossibleCountries []string `json:"possible_countries"`
	ClaimedCountry    string   `json:"claimed_country"`
	// Contradicted: the database's country is not among PossibleCountries.
	Contradicted bool `json:"geolocation_contradicted"`
	// Untestable: the claimed country has no shape to test.
	Untestable bool `json:"claim_untestable,omitempty"`
}

func millis(d interface{ Microseconds() int64 }) float64 { return float64(d.Microseconds()) / 1000 }

func newRTTJSON(r *probe.RTT) *RTTJSON {
	if r == nil {
		return nil
	}
	j := &RTTJSON{Method: r.Method, Samples: make([]RTTSampleJSON, 0, len(r.Samples)), Error: r.Error, Failure: r.Failure,
		ICMPError: r.ICMPError, ICMPFailure: r.ICMPFailure}
	for _, s := range r.Samples {
		js := RTTSampleJSON{At: timestamp(s.At), Port: s.Port, Millis: millis(s.RTT), Reply: s.Reply}
		if s.Method() == rtt.MethodICMP {
			js.Method = rtt.MethodICMP
		}
		j.Samples = append(j.Samples, js)
	}
	if len(r.Samples) > 0 {
		m := millis(r.Min)
		j.MinMillis = &m
	}
	if r.Refused != nil {
		rf := newRefusalJSON(*r.Refused)
		j.Refused = &rf
	}
	if b := r.Bound; b != nil {
		j.Bound = &BoundJSON{From: *newLocationJSON(&b.From), MaxDistanceKm: b.MaxDistanceKm, MarginKm: b.MarginKm,
			PossibleCountries: nonNil(b.PossibleCountries), ClaimedCountry: b.Claimed, Contradicted: b.Contradicted, Untestable: b.Untestable}
	}
	return j
}

// readRTT reads back what --rtt added to an address.
func readRTT(j *RTTJSON) (*probe.RTT, error) {
	if j == nil {
		return nil, nil
	}
	r := &probe.RTT{}
	r.Method, r.Error, r.Failure = j.Method, j.Error, j.Failure
	r.ICMPError, r.ICMPFailure = j.ICMPError, j.ICMPFailure
	for _, s := range j.Samples {
		at, err := parseTime("rtt sample at", s.At)
		if err != nil {
			return nil, err
		}
		d := time.Duration(math.Round(s.Millis*1000)) * time.Microsecond
		r.Samples = append(r.Samples, rtt.Sample{At: at, Port: s.Port, RTT: d, Reply: s.Reply})
		if len(r.Samples) == 1 || d < r.Min {
			r.Min = d
		}
	}
	if j.Refused != nil {
		a, err := netip.ParseAddr(j.Refused.Address)
		if err != nil {
			return nil, fmt.Errorf("rtt refused address %q: %w", j.Refused.Address, err)
		}
		r.Refused = &reach.Refusal{Addr: a, SpecialUse: j.Refused.SpecialUse}
	}
	if b := j.Bound; b != nil {
		r.Bound = &probe.Bound{From: geo.Point{Lat: b.From.Lat, Lon: b.From.Lon}, MaxDistanceKm: b.MaxDistanceKm, MarginKm: b.MarginKm,
			PossibleCountries: b.PossibleCountries, Claimed: b.ClaimedCountry, Contradicted: b.Contradicted, Untestable: b.Untestable}
	}
	return r, nil
}

// rttNotes are what the table and Markdown say of an address's round trip
// (--rtt), in the printer's language: the samples, and the bound with the
// countries in it, flagging a database country outside it.
func rttNotes(pr *i18n.Printer, x *probe.Extra) []string {
	if x == nil || x.RTT == nil {
		return nil
	}
	r := x.RTT
	switch {
	case r.Refused != nil:
		return []string{pr.T("rtt.refused", r.Refused.String())}
	case len(r.Samples) == 0:
		return []string{pr.T("rtt.no-answer", rttFailure(pr, r)) + icmpNote(pr, r)}
	}
	var tcp, echoes []string
	var lastTCP *rtt.Sample
	for i, s := range r.Samples {
		if s.Method() == rtt.MethodICMP {
			echoes = append(echoes, pr.T("rtt.ms", millis(s.RTT)))
			continue
		}
		tcp = append(tcp, pr.T("rtt.ms", millis(s.RTT)))
		lastTCP = &r.Samples[i]
	}
	var line string
	if lastTCP != nil {
		line = pr.T("rtt.measured", millis(r.Min), strings.Join(tcp, ", "), lastTCP.Port, lastTCP.Reply)
		if len(echoes) > 0 {
			line += "; " + pr.T("rtt.icmp", strings.Join(echoes, ", "))
		}
	} else {
		line = pr.T("rtt.measured.icmp", millis(r.Min), strings.Join(echoes, ", "))
		if r.Error != "" {
			line += "; " + pr.T("rtt.tcp.failed", rttFailure(pr, r))
		}
	}
	line += icmpNote(pr, r)
	b := r.Bound
	if b == nil {
		return []string{line + "; " + pr.T("rtt.no-location")}
	}
	possible := strings.Join(b.PossibleCountries, ", ")
	if possible == "" {
		possible = pr.T("rtt.none-possible")
	}
	line += " → " + pr.T("rtt.bound", wordedKm(b.MaxDistanceKm), b.From.String(), possible)
	switch {
	case b.Contradicted:
		line += " — " + pr.T("rtt.contradicted", b.Claimed)
	case b.Untestable:
		line += " — " + pr.T("rtt.untestable", b.Claimed)
	}
	return []string{line}
}

// wordedKm is a bound as the words give it, in whole km: rounded up, never
// down, so that "within N km" is never less than the bound (8.5 km, from
// 0.085 ms, read "within 8 km" next to "rtt 0.09 ms").
func wordedKm(km float64) float64 { return math.Ceil(km) }

// icmpNote says why ICMP echoes (--rtt-icmp) are missing, "" when none is.
func icmpNote(pr *i18n.Printer, r *probe.RTT) string {
	if r.ICMPFailure == "" && r.ICMPError == "" {
		return ""
	}
	why := r.ICMPError
	if pr.Lang() != i18n.English || why == "" {
		switch r.ICMPFailure {
		case "not_permitted", "timeout", "unknown_failure":
			why = pr.T("rtt.icmp.failure." + r.ICMPFailure)
		case "host_unreachable", "network_unreachable", "interrupted":
			why = pr.T("rtt.failure." + r.ICMPFailure)
		default:
			why = pr.T("rtt.icmp.failure.unknown_failure")
		}
	}
	return "; " + pr.T("rtt.icmp.failed", why)
}

// mapDisk is one round trip's disk on the HTML map.
type mapDisk struct {
	IP   string
	KM   float64 // the bound, before the margin for the shapes
	Path string  // SVG path data, in the map's coordinates
}

// mapDisks draws each bounded address's disk (widened by the margin the
// countries were tested with), once per address and radius, sorted.
func mapDisks(m *worldmap.Map, obs []probe.Observation) []mapDisk {
	var out []mapDisk
	seen := map[string]bool{}
	for _, o := range obs {
		for _, a := range o.Addresses {
			if a.Extra == nil || a.Extra.RTT == nil || a.Extra.RTT.Bound == nil {
				continue
			}
			b := a.Extra.RTT.Bound
			key := fmt.Sprintf("%s %s %g", a.IP, b.From, b.MaxDistanceKm)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, mapDisk{IP: a.IP.String(), KM: wordedKm(b.MaxDistanceKm), Path: diskPath(m, b.Disk())})
		}
	}
	slices.SortFunc(out, func(a, b mapDisk) int { return cmp.Or(cmp.Compare(a.IP, b.IP), cmp.Compare(a.KM, b.KM)) })
	return out
}

// diskPath draws a disk's outline; where it crosses the antimeridian the
// outline is broken there rather than drawn across the map.
func diskPath(m *worldmap.Map, d geo.Disk) string {
	var b strings.Builder
	var prev worldmap.Point
	for i, p := range d.Outline(90) {
		q := m.Project(p.Lon, p.Lat)
		cmd := "L"
		if i == 0 || math.Abs(q.X-prev.X) > m.Width/2 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f", cmd, q.X, q.Y)
		prev = q
	}
	b.WriteString("Z")
	return b.String()
}

// anycastNotes say, for each address whose disks on the map come from
// places whose disks do not meet (a report holding bounds from more than
// one vantage), that it answers from more than one place: anycast.
func anycastNotes(pr *i18n.Printer, obs []probe.Observation) []string {
	byIP := map[netip.Addr][]probe.VantageBound{}
	seen := map[string]bool{}
	for _, o := range obs {
		for _, a := range o.Addresses {
			if a.Extra == nil || a.Extra.RTT == nil || a.Extra.RTT.Bound == nil {
				continue
			}
			b := a.Extra.RTT.Bound
			key := a.IP.String() + " " + b.From.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			byIP[a.IP] = append(byIP[a.IP], probe.VantageBound{Vantage: b.From.String(), Bound: b})
		}
	}
	var out []string
	for _, ip := range slices.SortedFunc(maps.Keys(byIP), netip.Addr.Compare) {
		c := probe.Combine(byIP[ip])
		if !c.Anycast {
			continue
		}
		pairs := make([]string, len(c.Disjoint))
		for i, p := range c.Disjoint {
			pairs[i] = pr.T("bounds.pair", p[0], p[1])
		}
		out = append(out, ip.String()+": "+pr.T("bounds.anycast", strings.Join(pairs, "; ")))
	}
	return out
}
