package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/resolvers"
)

// ErrNotReport is wrapped by every error about a file that is not a saved
// `hostwatch audit -o json` report.
var ErrNotReport = errors.New("not a hostwatch report")

// maxReportSize bounds what ReadReport reads, so that a wrong file name
// (a disk image, /dev/zero) fails fast instead of filling memory.
const maxReportSize = 1 << 30

// ReadReport reads a report written by WriteJSON (schema hostwatch.report/v1)
// back into the model. Fields added by later versions of v1 are ignored.
func ReadReport(r io.Reader) (probe.Report, error) {
	var doc Document
	dec := json.NewDecoder(io.LimitReader(r, maxReportSize))
	if err := dec.Decode(&doc); err != nil {
		return probe.Report{}, fmt.Errorf("%w: %w", ErrNotReport, err)
	}
	if doc.Schema != probe.Schema {
		return probe.Report{}, fmt.Errorf("%w: schema is %q, want %q", ErrNotReport, doc.Schema, probe.Schema)
	}
	rep := probe.Report{ToolVersion: doc.ToolVersion, Datasets: doc.Datasets, Resolvers: doc.Resolvers, Interrupted: doc.Interrupted,
		Warnings: readWarnings(doc.Warnings, doc.WarningDetails)}
	rep.Vantage = probe.Vantage{Name: doc.Vantage.Name, TimeZone: doc.Vantage.TimeZone}
	if l := doc.Vantage.Location; l != nil {
		rep.Vantage.Location = &geo.Point{Lat: l.Lat, Lon: l.Lon}
	}
	for _, e := range doc.Vantage.Egress {
		ge := probe.Egress{Resolver: e.Resolver, Country: e.Country, Method: e.Method, Error: e.Error,
			Status: resolvers.Status(e.Status), Rcode: e.Rcode}
		if e.Address != "" {
			var err error
			if ge.Address, err = netip.ParseAddr(e.Address); err != nil {
				return probe.Report{}, fmt.Errorf("%w: vantage egress %q: %w", ErrNotReport, e.Address, err)
			}
		}
		rep.Vantage.Egress = append(rep.Vantage.Egress, ge)
	}
	var err error
	if rep.GeneratedAt, err = parseTime("generated_at", doc.GeneratedAt); err != nil {
		return probe.Report{}, err
	}
	for i, t := range doc.Targets {
		o, err := readTarget(t)
		if err != nil {
			return probe.Report{}, fmt.Errorf("%w: targets[%d] (%q): %w", ErrNotReport, i, t.Domain, err)
		}
		rep.Observations = append(rep.Observations, o)
	}
	return rep, nil
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: %w", ErrNotReport, field, err)
	}
	return t.UTC(), nil
}

func readTarget(t Target) (probe.Observation, error) {
	if t.Domain == "" {
		return probe.Observation{}, errors.New("no domain")
	}
	valid := false
	for _, s := range resolvers.Statuses() {
		valid = valid || string(s) == t.Status
	}
	if !valid {
		return probe.Observation{}, fmt.Errorf("unknown status %q", t.Status)
	}
	o := probe.Observation{
		Target:     probe.Target{Input: t.Input, Domain: t.Domain, Unicode: t.Unicode},
		Status:     resolvers.Status(t.Status),
		Error:      t.Error,
		CNAMEChain: t.CNAMEChain,
	}
	o.Consistency, o.OddOnesOut = t.Consistency, t.OddOnesOut
	for _, a := range t.Answers {
		ra := probe.ResolverAnswer{Resolver: a.Resolver, Status: resolvers.Status(a.Status), Error: a.Error, ErrorKind: probe.ErrorKind(a.ErrorKind),
			CNAMEChain: a.CNAMEChain, ASNs: a.ASNs}
		for _, s := range a.Addresses {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				return o, fmt.Errorf("answer of %s: address %q: %w", a.Resolver, s, err)
			}
			ra.Addresses = append(ra.Addresses, ip)
		}
		o.Answers = append(o.Answers, ra)
	}
	var err error
	if o.StartedAt, err = parseTime("observed_at", t.ObservedAt); err != nil {
		return o, err
	}
	if o.Queries, err = readQueries(t.Queries); err != nil {
		return o, err
	}
	for _, a := range t.Addresses {
		ip, err := netip.ParseAddr(a.IP)
		if err != nil {
			return o, fmt.Errorf("address %q: %w", a.IP, err)
		}
		var prefix netip.Prefix
		if a.Prefix != "" {
			if prefix, err = netip.ParsePrefix(a.Prefix); err != nil {
				return o, fmt.Errorf("address %s: prefix %q: %w", a.IP, a.Prefix, err)
			}
		}
		x, err := readExtra(a)
		if err != nil {
			return o, fmt.Errorf("address %s: %w", a.IP, err)
		}
		var nat64 netip.Addr
		if a.NAT64 != "" {
			if nat64, err = netip.ParseAddr(a.NAT64); err != nil || !nat64.Is4() {
				return o, fmt.Errorf("address %s: nat64_ipv4 %q is not an IPv4 address", a.IP, a.NAT64)
			}
		}
		o.Addresses = append(o.Addresses, probe.Address{IP: ip, TTL: a.TTL, Extra: x, Result: attribution.Result{
			ASN: a.ASN, ASOrg: a.ASOrg, Prefix: prefix, Country: a.Country, RegisteredCountry: a.RegisteredCountry,
			Provider: a.Provider, ProviderKind: a.ProviderKind, Region: a.Region, CDN: a.CDN, CDNName: a.CDNName,
			SpecialUse: a.SpecialUse, NAT64: nat64, Sources: a.Sources,
		}})
	}
	return o, nil
}

func readQueries(qs []Query) ([]resolvers.Exchange, error) {
	var out []resolvers.Exchange
	for _, q := range qs {
		asked, err := parseTime("asked_at", q.AskedAt)
		if err != nil {
			return nil, err
		}
		out = append(out, resolvers.Exchange{
			Resolver: q.Resolver, Transport: q.Transport, Name: q.Name, Type: q.Type, Rcode: q.Rcode,
			Status: resolvers.Status(q.Status), Error: q.Error, AskedAt: asked,
			RTT: time.Duration(q.RTTMillis * float64(time.Millisecond)), Resends: max(q.Resends, 0),
			ECSSource: q.ECSSource, ECSScope: ecsScope(q), Raw: q.RawResponse,
		})
	}
	return out, nil
}

// readExtra reads back what --ptr and --cymru added to an address.
func readExtra(a Address) (*probe.Extra, error) {
	if a.PTR == nil && a.PTRError == "" && a.Cymru == nil && a.RDAP == nil && a.RTT == nil && a.Geofeed == nil && a.GeofeedError == nil {
		return nil, nil
	}
	x := &probe.Extra{PTRError: a.PTRError, PTRAsked: a.PTR != nil || a.PTRError != "", RDAP: a.RDAP,
		PTRStatus: resolvers.Status(a.PTRStatus), PTRResolver: a.PTRResolver}
	x.Geofeed = readGeofeed(a.Geofeed)
	if e := a.GeofeedError; e != nil {
		x.GeofeedFailure = &probe.GeofeedFailure{URL: e.URL, Kind: e.Kind, Error: e.Error}
	}
	var err error
	if x.RTT, err = readRTT(a.RTT); err != nil {
		return nil, err
	}
	if a.PTR != nil && len(*a.PTR) > 0 {
		x.PTR = *a.PTR
	}
	if c := a.Cymru; c != nil {
		r := &cymru.Result{Status: c.Status, Error: c.Error}
		for _, o := range c.Origins {
			p, err := netip.ParsePrefix(o.Prefix)
			if err != nil {
				return nil, fmt.Errorf("cymru prefix %q: %w", o.Prefix, err)
			}
			r.Origins = append(r.Origins, cymru.Origin{ASNs: o.ASNs, Prefix: p, Country: o.Country, Registry: o.Registry, Allocated: o.Allocated})
		}
		for _, as := range c.ASNames {
			r.ASNames = append(r.ASNames, cymru.AS{ASN: as.ASN, Country: as.Country, Registry: as.Registry, Allocated: as.Allocated, Description: as.Description})
		}
		if r.Queries, err = readQueries(c.Queries); err != nil {
			return nil, err
		}
		x.Cymru = r
	}
	return x, nil
}

func ecsScope(q Query) int {
	if q.ECSScope != nil {
		return *q.ECSScope
	}
	return -1
}
