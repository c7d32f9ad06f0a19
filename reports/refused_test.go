package reports

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/resolvers"
)

// refusedReport is one observation whose front-door fetch was redirected to
// the cloud metadata service, and one of whose name servers is private:
// neither was connected to.
func refusedReport() probe.Report {
	at := time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC)
	meta := reach.Refusal{Addr: netip.MustParseAddr("169.254.169.254"), SpecialUse: "link-local (RFC 3927)"}
	private := reach.Refusal{Addr: netip.MustParseAddr("10.255.0.1"), SpecialUse: "private-use (RFC 1918)"}
	web := netip.MustParseAddr("170.33.13.55")
	hops := []frontdoor.Hop{
		{URL: "http://web.kpu.go.id/", Status: 302, Host: "web.kpu.go.id", Addresses: []netip.Addr{private.Addr, web},
			Refused: []reach.Refusal{private}, ConnectedTo: netip.AddrPortFrom(web, 80), StartedAt: at},
		{URL: "http://169.254.169.254/latest/meta-data/", Host: "169.254.169.254", Addresses: []netip.Addr{meta.Addr},
			Refused: []reach.Refusal{meta}, Failure: "refused", StartedAt: at,
			Error: (&reach.RefusedError{Refusals: []reach.Refusal{meta}}).Error()},
	}
	fd := &probe.FrontDoor{Result: frontdoor.Result{Domain: "web.kpu.go.id", Scheme: "http", Hops: hops, Error: hops[1].Error},
		Connected: []probe.Address{{IP: web}, {}}}
	return probe.Report{
		GeneratedAt: at, ToolVersion: "v0.1.0-test", Resolvers: []string{"127.0.0.1:5300"},
		Observations: []probe.Observation{{
			Target: probe.ParseTarget("web.kpu.go.id", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
			Addresses: []probe.Address{{IP: web, TTL: 300}}, HTTP: fd,
			Authoritative: []probe.ResolverAnswer{{Resolver: "ns1.kpu.go.id (10.255.0.1)", Status: resolvers.StatusRefused,
				Error: "not asked: refused", Refused: &private}},
			AuthoritativeConsistency: "unknown",
		}},
	}
}

// Refused hops and name servers are reported with the address and its
// registry entry, in JSON as the schema says and in the table.
func TestRefusedHops(t *testing.T) {
	t.Parallel()
	var js bytes.Buffer
	if err := WriteJSON(&js, refusedReport()); err != nil {
		t.Fatal(err)
	}
	validate(t, js.Bytes(), "")
	var doc Document
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Targets) != 1 || doc.Targets[0].HTTP == nil || doc.Targets[0].Authoritative == nil {
		t.Fatalf("%v\n%s", err, js.String())
	}
	tg := doc.Targets[0]
	meta := []RefusalJSON{{Address: "169.254.169.254", SpecialUse: "link-local (RFC 3927)"}}
	private := RefusalJSON{Address: "10.255.0.1", SpecialUse: "private-use (RFC 1918)"}
	hops := tg.HTTP.Hops
	if len(hops) != 2 || !reflect.DeepEqual(hops[0].Refused, []RefusalJSON{private}) || hops[0].Failure != "" ||
		!reflect.DeepEqual(hops[1].Refused, meta) || hops[1].Failure != "refused" || hops[1].ConnectedTo != nil {
		t.Errorf("hops %+v", hops)
	}
	if a := tg.Authoritative.Answers; len(a) != 1 || a[0].Status != "refused" || a[0].Refused == nil || *a[0].Refused != private {
		t.Errorf("authoritative answers %+v", a)
	}

	var tb bytes.Buffer
	if err := WriteTable(&tb, refusedReport(), 1000); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"↳ http http://web.kpu.go.id/ → 302 from 170.33.13.55 ",
		"; refused 10.255.0.1 (private-use (RFC 1918)): not globally reachable\n",
		"↳ http http://169.254.169.254/latest/meta-data/ [refused]; refused 169.254.169.254 (link-local (RFC 3927)): not globally reachable",
		"↳ authoritative (unknown): ns1.kpu.go.id (10.255.0.1) → not asked, private-use (RFC 1918)",
	} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
}
