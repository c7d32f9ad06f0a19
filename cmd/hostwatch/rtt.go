package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/probe/rtt"
)

// rttFlags are --rtt, --rtt-samples and --vantage-location.
type rttFlags struct {
	on       bool
	icmp     bool
	samples  int
	location string
}

func (f *rttFlags) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "rtt", false, "also measure the round trip to every address with TCP connects (443, then 80; a SYN-ACK or a RST both count, nothing is sent after the handshake); with --vantage-location, bound how far each address can be (min RTT × 100 km, light in fibre) and list the countries within that disk, flagging a database country outside it")
	fs.BoolVar(&f.icmp, "rtt-icmp", false, "with --rtt, also time ICMP echoes (as many as --rtt-samples) through an unprivileged ping socket, kept next to the TCP samples with their method; where ping sockets are not permitted (net.ipv4.ping_group_range) a note says so and the TCP samples stand. Never a raw socket or a privilege")
	fs.IntVar(&f.samples, "rtt-samples", rtt.DefaultSamples, fmt.Sprintf("with --rtt, round trips per address (1 to %d); the least bounds, all are kept", rtt.MaxSamples))
	fs.StringVar(&f.location, "vantage-location", "", "where this run is taken from, as `LAT,LON` in degrees (e.g. -6.2,106.8 for Jakarta), recorded with the vantage; --rtt bounds nothing without it")
}

// prepare validates the flags (before any I/O) and makes the options of
// probe.Run's round trips; nil without --rtt. The vantage's location is
// returned whether or not --rtt was given.
func (f *rttFlags) prepare(allowPrivate bool) (*probe.RTTOptions, *geo.Point, error) {
	var loc *geo.Point
	if s := strings.TrimSpace(f.location); s != "" {
		p, err := geo.ParsePoint(s)
		if err != nil {
			return nil, nil, fmt.Errorf("--vantage-location: %w", err)
		}
		loc = &p
	}
	if f.samples < 1 || f.samples > rtt.MaxSamples {
		return nil, nil, fmt.Errorf("--rtt-samples must be from 1 to %d, got %d", rtt.MaxSamples, f.samples)
	}
	if f.icmp && !f.on {
		return nil, nil, errors.New("--rtt-icmp goes with --rtt")
	}
	if !f.on {
		return nil, loc, nil
	}
	o := &probe.RTTOptions{Options: rtt.Options{Samples: f.samples, Policy: reach.Policy{AllowPrivate: allowPrivate}, ICMP: f.icmp}, Location: loc}
	if loc != nil {
		shapes, err := geo.LoadShapes()
		if err != nil {
			return nil, nil, runError{err}
		}
		o.Shapes = shapes
	}
	return o, loc, nil
}

// rttWarnings says, before a run, what its round trips will lack: a bound
// without --vantage-location, ICMP echoes where ping sockets are not
// permitted. Neither stops the run.
func rttWarnings(w io.Writer, o *probe.RTTOptions) {
	if o == nil {
		return
	}
	if o.Shapes == nil {
		fmt.Fprintln(w, "hostwatch: warning: --rtt without --vantage-location: round trips are measured, but bound nothing")
	}
	icmpWarning(w, o)
}

// icmpWarning says, before a run, that --rtt-icmp will get no echo because
// ping sockets are not permitted here: a note, not a failure.
func icmpWarning(w io.Writer, o *probe.RTTOptions) {
	if o == nil || !o.ICMP {
		return
	}
	if err := rtt.PingPermitted(false); errors.Is(err, rtt.ErrPingNotPermitted) {
		fmt.Fprintln(w, "hostwatch: note: --rtt-icmp: unprivileged ping sockets are not permitted here (net.ipv4.ping_group_range); round trips are TCP connects only, and each address says so")
	}
}

// shapesDataset is the country shapes' entry in a report's datasets, with
// their licence, when round trips were bounded with them.
func shapesDataset(s *geo.Shapes) attribution.Dataset {
	src := s.Source()
	version := src.Package
	if _, v, ok := strings.Cut(src.Package, "@"); ok {
		version = v
	}
	return attribution.Dataset{
		ID: "natural-earth/countries", Version: version, License: src.License, Package: src.Package, SHA256: src.SHA256,
		Attribution: "Made with Natural Earth (naturalearthdata.com), vector data 4.1.0; TopoJSON by world-atlas (Mike Bostock), ISC licence.",
		Fields:      []string{"possible_countries"},
		Description: fmt.Sprintf("Country shapes (Natural Earth Admin 0, 1:110m, 1:50m for the countries 1:110m leaves out), unprojected, to list the countries a round trip's disk meets; each disk is widened by %d km for the shapes' resolution.", geo.ShapeMarginKm),
	}
}
