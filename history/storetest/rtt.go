package storetest

import (
	"context"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/probe/rtt"
)

// withRTT adds to o's address ip the round trips samples (in microseconds,
// sent a millisecond apart from o's time, on port 443).
func withRTT(o probe.Observation, ip string, us ...int) probe.Observation {
	for i, a := range o.Addresses {
		if a.IP.String() != ip {
			continue
		}
		r := &probe.RTT{Result: rtt.Result{Method: "tcp-connect"}}
		for j, u := range us {
			d := time.Duration(u)*time.Microsecond + 123 // nanoseconds, kept exactly
			r.Samples = append(r.Samples, rtt.Sample{At: o.StartedAt.Add(time.Duration(j) * time.Millisecond), Port: 443, RTT: d, Reply: rtt.ReplySYNACK})
			if j == 0 || d < r.Min {
				r.Min = d
			}
		}
		o.Addresses[i].Extra = &probe.Extra{RTT: r}
	}
	return o
}

// roundTrips: the round trips of check --rtt read back exactly (every
// sample, the vantage and its location, the database's country and the
// run), from every vantage, and only those of committed runs that were
// answered.
func (s suite) roundTrips(t *testing.T) {
	st := s.store(t)
	jakarta, paris := &geo.Point{Lat: -6.2, Lon: 106.8}, &geo.Point{Lat: 48.8566, Lon: 2.3522}
	run := func(i int, vantage string, loc *geo.Point) history.RunInfo {
		r := s.run(at(i), vantage, "127.0.0.1:53", 1)
		r.Location = loc
		return r
	}
	id1, _, err := history.Record(t.Context(), st, run(0, "jakarta", jakarta), []probe.Observation{
		withRTT(s.ok("web.kpu.go.id", at(0), alibabaSG, telkomID), alibabaSG, 3100, 2900, 3050),
		withRTT(s.ok("api.kpu.go.id", at(0), alibabaSG), alibabaSG, 4000),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Refused and unanswered round trips measured nothing.
	refused := s.ok("web.kpu.go.id", at(1), alibabaSG)
	refused.Addresses[0].Extra = &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: "tcp-connect",
		Refused: &reach.Refusal{Addr: netip.MustParseAddr(alibabaSG)}}}}
	id2, _, err := history.Record(t.Context(), st, run(1, "paris", paris), []probe.Observation{
		refused, withRTT(s.ok("sirekap.kpu.go.id", at(1), alibabaSG), alibabaSG, 150000, 149000)})
	if err != nil {
		t.Fatal(err)
	}
	id3, _, err := history.Record(t.Context(), st, run(2, "", nil), []probe.Observation{
		withRTT(s.ok("web.kpu.go.id", at(2), alibabaSG), alibabaSG, 9000)})
	if err != nil {
		t.Fatal(err)
	}
	// An aborted run's round trips are not recorded.
	rec, err := st.Begin(t.Context(), run(3, "jakarta", jakarta), func(probe.Change) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(t.Context(), withRTT(s.ok("web.kpu.go.id", at(3), alibabaSG), alibabaSG, 1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec.Commit(ctx)
	rec.Abort()

	sg := s.DB.Lookup(netip.MustParseAddr(alibabaSG)).Country
	want := func(runID int64, domain, vantage string, loc *geo.Point, o probe.Observation) history.Measurement {
		r := o.Addresses[0].Extra.RTT
		return history.Measurement{RunID: runID, Domain: domain, IP: netip.MustParseAddr(alibabaSG), Vantage: vantage, Location: loc,
			Claimed: sg, Method: "tcp-connect", Samples: r.Samples, Min: r.Min, MeasuredAt: r.Samples[0].At}
	}
	wants := []history.Measurement{
		want(id3, "web.kpu.go.id", "", nil, withRTT(s.ok("web.kpu.go.id", at(2), alibabaSG), alibabaSG, 9000)),
		want(id1, "api.kpu.go.id", "jakarta", jakarta, withRTT(s.ok("api.kpu.go.id", at(0), alibabaSG), alibabaSG, 4000)),
		want(id1, "web.kpu.go.id", "jakarta", jakarta, withRTT(s.ok("web.kpu.go.id", at(0), alibabaSG), alibabaSG, 3100, 2900, 3050)),
		want(id2, "sirekap.kpu.go.id", "paris", paris, withRTT(s.ok("sirekap.kpu.go.id", at(1), alibabaSG), alibabaSG, 150000, 149000)),
	}
	got, err := st.Measurements(t.Context(), netip.MustParseAddr(alibabaSG))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wants) {
		t.Errorf("round trips read back:\n%+v\nwant\n%+v", got, wants)
	}
	if all, err := st.Measurements(t.Context(), netip.Addr{}); err != nil || !reflect.DeepEqual(all, wants) {
		t.Errorf("every round trip recorded:\n%+v, %v\nwant\n%+v", all, err, wants)
	}
	if got, err := st.Measurements(t.Context(), netip.MustParseAddr(telkomID)); err != nil || len(got) != 0 {
		t.Errorf("an address never measured: %+v, %v", got, err)
	}
}
