package history

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/rtt"
)

// Measurement is a round trip measured to an address in a recorded run
// (check --rtt), as the history keeps it: every sample with its time, and
// where the vantage was, so that the bound can be drawn again later and
// intersected with other vantages' (history --bounds).
type Measurement struct {
	// RunID is the run that measured it, Domain the name whose answer held
	// the address (ASCII form): together they name the observation.
	RunID   int64
	Domain  string
	IP      netip.Addr
	Vantage string
	// Location is the vantage's (check --vantage-location), nil when the
	// run had none: such a measurement bounds nothing.
	Location *geo.Point
	// Claimed is the database's country of the address in that run, "" when none.
	Claimed string
	Method  string
	Samples []rtt.Sample
	Min     time.Duration
	// MeasuredAt is when the first sample was sent.
	MeasuredAt time.Time
}

// SortMeasurements puts measurements in the order Store.Measurements
// returns them: by vantage, time, run, domain and address.
func SortMeasurements(ms []Measurement) {
	slices.SortFunc(ms, func(a, b Measurement) int {
		return cmp.Or(strings.Compare(a.Vantage, b.Vantage), a.MeasuredAt.Compare(b.MeasuredAt),
			cmp.Compare(a.RunID, b.RunID), strings.Compare(a.Domain, b.Domain), a.IP.Compare(b.IP))
	})
}

// MeasurementsOf returns the round trips an observation carries that
// answered at least once (a refused address or one that never answered was
// not measured), as a run from vantage at loc records them; RunID is left 0.
func MeasurementsOf(o probe.Observation, vantage string, loc *geo.Point) []Measurement {
	var out []Measurement
	for _, a := range o.Addresses {
		if a.Extra == nil || a.Extra.RTT == nil || len(a.Extra.RTT.Samples) == 0 {
			continue
		}
		r := a.Extra.RTT
		out = append(out, Measurement{Domain: o.Target.Domain, IP: a.IP, Vantage: vantage, Location: loc, Claimed: a.Country,
			Method: r.Method, Samples: slices.Clone(r.Samples), Min: r.Min, MeasuredAt: r.Samples[0].At.UTC()})
	}
	return out
}

// sampleJSON is one sample as backends keep it: a JSON array of these in
// rtt_measurements.samples, times as RFC 3339 in UTC, round trips in
// nanoseconds.
type sampleJSON struct {
	At    string `json:"at"`
	Port  uint16 `json:"port"`
	RTTNs int64  `json:"rtt_ns"`
	Reply string `json:"reply"`
}

// EncodeSamples is how backends store a measurement's samples.
func EncodeSamples(ss []rtt.Sample) ([]byte, error) {
	out := make([]sampleJSON, len(ss))
	for i, s := range ss {
		out[i] = sampleJSON{At: s.At.UTC().Format(time.RFC3339Nano), Port: s.Port, RTTNs: int64(s.RTT), Reply: s.Reply}
	}
	return json.Marshal(out)
}

// DecodeSamples reads what EncodeSamples wrote.
func DecodeSamples(b []byte) ([]rtt.Sample, error) {
	var in []sampleJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("rtt samples: %w", err)
	}
	out := make([]rtt.Sample, len(in))
	for i, s := range in {
		at, err := time.Parse(time.RFC3339Nano, s.At)
		if err != nil {
			return nil, fmt.Errorf("rtt sample time %q: %w", s.At, err)
		}
		out[i] = rtt.Sample{At: at.UTC(), Port: s.Port, RTT: time.Duration(s.RTTNs), Reply: s.Reply}
	}
	return out, nil
}

// MeasurementStage keeps a run's measurements out of memory until Commit,
// as its observations are: JSON lines in a temporary file of its own,
// made at the first measurement (a run without --rtt makes none). It is
// what both backends share of recording round trips.
type MeasurementStage struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	n   int
}

// stagedMeasurement is a Measurement as staged.
type stagedMeasurement struct {
	Domain   string          `json:"d"`
	IP       netip.Addr      `json:"ip"`
	Vantage  string          `json:"v"`
	Location *geo.Point      `json:"l,omitempty"`
	Claimed  string          `json:"c,omitempty"`
	Method   string          `json:"m"`
	Samples  json.RawMessage `json:"s"`
	Min      int64           `json:"min"`
}

// Add stages the measurements of o, made from vantage at loc.
func (s *MeasurementStage) Add(o probe.Observation, vantage string, loc *geo.Point) error {
	for _, m := range MeasurementsOf(o, vantage, loc) {
		if s.f == nil {
			f, err := os.CreateTemp("", "hostwatch-rtt-*")
			if err != nil {
				return fmt.Errorf("stage round trips: %w", err)
			}
			// Only ever read through f: gone from the directory at once.
			os.Remove(f.Name())
			s.f, s.w = f, bufio.NewWriter(f)
			s.enc = json.NewEncoder(s.w)
		}
		samples, err := EncodeSamples(m.Samples)
		if err != nil {
			return err
		}
		if err := s.enc.Encode(stagedMeasurement{Domain: m.Domain, IP: m.IP, Vantage: m.Vantage, Location: m.Location,
			Claimed: m.Claimed, Method: m.Method, Samples: samples, Min: int64(m.Min)}); err != nil {
			return fmt.Errorf("stage round trips: %w", err)
		}
		s.n++
	}
	return nil
}

// Len is how many measurements are staged.
func (s *MeasurementStage) Len() int { return s.n }

// Each calls fn with every staged measurement, in the order staged, and
// its samples as EncodeSamples wrote them.
func (s *MeasurementStage) Each(fn func(m Measurement, samples []byte) error) error {
	if s.f == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("stage round trips: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("stage round trips: %w", err)
	}
	dec := json.NewDecoder(bufio.NewReader(s.f))
	for i := 0; i < s.n; i++ {
		var st stagedMeasurement
		if err := dec.Decode(&st); err != nil {
			return fmt.Errorf("read staged round trips: %w", err)
		}
		ss, err := DecodeSamples(st.Samples)
		if err != nil {
			return err
		}
		m := Measurement{Domain: st.Domain, IP: st.IP, Vantage: st.Vantage, Location: st.Location, Claimed: st.Claimed,
			Method: st.Method, Samples: ss, Min: time.Duration(st.Min)}
		if len(ss) > 0 {
			m.MeasuredAt = ss[0].At
		}
		if err := fn(m, st.Samples); err != nil {
			return err
		}
	}
	return nil
}

// Close drops what is staged; it is safe to call more than once.
func (s *MeasurementStage) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}
