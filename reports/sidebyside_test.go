package reports

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// TestWriteSideBySide renders a domain asked of several resolvers that
// disagree, with the authoritative view and other records, attributed from
// the real embedded data.
func TestWriteSideBySide(t *testing.T) {
	t.Parallel()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	addr := func(s string) probe.Address {
		ip := netip.MustParseAddr(s)
		return probe.Address{IP: ip, TTL: 300, Result: db.Lookup(ip)}
	}
	ips := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	ok := resolvers.StatusOK
	r := probe.Report{
		GeneratedAt: at, ToolVersion: "v0.1.0-test", Datasets: db.Datasets(),
		Resolvers: []string{"127.0.0.1:5300", "127.0.0.1:5301", "127.0.0.1:5302"},
		Vantage:   probe.Vantage{Name: "jakarta", TimeZone: "Asia/Jakarta (+07:00)"},
		Observations: []probe.Observation{{
			Target: probe.ParseTarget("sirekap-web.kpu.go.id", "args", 0), Status: ok, StartedAt: at,
			Addresses:   []probe.Address{addr("51.210.1.10"), addr("170.33.13.55")},
			Consistency: "inconsistent", OddOnesOut: []string{"127.0.0.1:5302"},
			Answers: []probe.ResolverAnswer{
				{Resolver: "127.0.0.1:5300", Status: ok, Addresses: ips("170.33.13.55"), ASNs: []uint32{134963}},
				{Resolver: "127.0.0.1:5301", Status: ok, Addresses: ips("170.33.13.55"), ASNs: []uint32{134963}},
				{Resolver: "127.0.0.1:5302", Status: ok, Addresses: ips("51.210.1.10"), ASNs: []uint32{16276}},
			},
			Authoritative: []probe.ResolverAnswer{
				{Resolver: "ns1.kpu.go.id (36.86.63.182)", Status: ok, Addresses: ips("170.33.13.55"), ASNs: []uint32{134963}},
			},
			AuthoritativeConsistency: "consistent",
			Records: []probe.RecordSet{{Type: "NS", Owner: "kpu.go.id", Status: ok, Records: []probe.Record{
				{Value: "ns1.kpu.go.id.", Host: "ns1.kpu.go.id", Addresses: []probe.Address{addr("36.86.63.182")}}}}},
		}},
	}
	var table, js bytes.Buffer
	if err := WriteTable(&table, r, 0); err != nil {
		t.Fatal(err)
	}
	golden(t, "sidebyside.table.golden", table.Bytes())
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "sidebyside.json.golden", js.Bytes())
	validate(t, js.Bytes(), "")
}
