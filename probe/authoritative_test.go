package probe

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// A zone's name servers are learned from its NS records, so by default one
// at an address that is not globally reachable is not asked at all: its
// answer is "refused" with the address's registry entry, and comparisons
// leave it out. With AllowPrivate it is asked.
func TestAuthoritativeRefusesNotGlobal(t *testing.T) {
	t.Parallel()
	zone, err := resolverstest.NewZoneHandler("$ORIGIN a.test.\n@ 60 IN SOA ns1 h 1 60 60 60 60\n@ 60 IN NS ns1\n" +
		"ns1 60 IN A 127.0.0.1\nwww 60 IN A 170.33.13.55\n")
	if err != nil {
		t.Fatal(err)
	}
	var nonRecursive atomic.Int32 // what the authoritative view asks
	srv := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if !r.RecursionDesired {
			nonRecursive.Add(1)
		}
		zone.ServeDNS(w, r)
	}))
	port, err := netip.ParseAddrPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		opts := newRun(t, zone, 1)
		client, err := resolvers.New(resolvers.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		opts.Query = client
		opts.Authoritative = &AuthoritativeOptions{Config: resolvers.Config{Timeout: 2 * time.Second}, Port: port.Port(), AllowPrivate: allow}
		before := nonRecursive.Load()
		var got Observation
		if err := Run(t.Context(), []Target{ParseTarget("www.a.test", "args", 0)}, opts, func(o Observation) error { got = o; return nil }); err != nil {
			t.Fatal(err)
		}
		asked := nonRecursive.Load() - before
		if len(got.Authoritative) != 1 {
			t.Fatalf("allow %v: %d authoritative answers, want 1: %+v", allow, len(got.Authoritative), got.Authoritative)
		}
		a := got.Authoritative[0]
		if allow {
			if a.Status != resolvers.StatusOK || a.Refused != nil || asked == 0 {
				t.Errorf("AllowPrivate: %+v, %d queries asked directly", a, asked)
			}
			continue
		}
		want := reach.Refusal{Addr: netip.MustParseAddr("127.0.0.1"), SpecialUse: "loopback (RFC 1122)"}
		if a.Status != resolvers.StatusRefused || a.Refused == nil || *a.Refused != want ||
			!strings.Contains(a.Error, "not asked") || !strings.Contains(a.Error, "127.0.0.1 (loopback (RFC 1122))") {
			t.Errorf("answer %+v, want refused for %v", a, want)
		}
		if asked != 0 {
			t.Errorf("the name server was asked %d queries directly, want none", asked)
		}
		if got.AuthoritativeConsistency != "unknown" {
			t.Errorf("consistency %q, want unknown: the refused server says nothing", got.AuthoritativeConsistency)
		}
	}
}
