package history

import (
	"net/netip"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

func TestStage(t *testing.T) {
	run := time.Date(2024, 2, 14, 1, 0, 0, 0, time.FixedZone("WIB", 7*3600))
	addr := func(s string) probe.Address { return probe.Address{IP: netip.MustParseAddr(s), TTL: 60} }
	for name, tc := range map[string]struct {
		o        probe.Observation
		wantKeep bool
		wantErr  bool
		check    func(*testing.T, Staged)
	}{
		"an invalid name is not kept": {o: probe.Observation{Target: probe.Target{Input: "-x-"}, Status: resolvers.StatusInvalid}},
		"no domain is an error":       {o: probe.Observation{Status: resolvers.StatusOK}, wantErr: true},
		"an invalid address is an error": {o: probe.Observation{Target: probe.Target{Domain: "a.test"}, Status: resolvers.StatusOK,
			Addresses: []probe.Address{{}}}, wantErr: true},
		"dated by the run, in UTC, addresses canonical": {
			o: probe.Observation{Target: probe.Target{Domain: "a.test"}, Status: resolvers.StatusOK,
				Addresses: []probe.Address{addr("192.0.2.2"), addr("192.0.2.1"), addr("192.0.2.2")}},
			wantKeep: true,
			check: func(t *testing.T, s Staged) {
				if !s.At.Equal(run) || s.At.Location() != time.UTC || s.Unicode != "a.test" {
					t.Errorf("at %v, unicode %q", s.At, s.Unicode)
				}
				if len(s.Addresses) != 2 || s.Addresses[0].IP.String() != "192.0.2.1" || s.Addresses[0].TTL != 0 {
					t.Errorf("addresses %+v", s.Addresses)
				}
				if s.Fingerprint == "" {
					t.Error("no fingerprint")
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, keep, err := Stage(tc.o, run)
			if (err != nil) != tc.wantErr || keep != tc.wantKeep {
				t.Fatalf("keep %v, err %v", keep, err)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}
