package history_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// fingerprintFmt is how fingerprints were first written (with fmt): stored
// answers carry them, so Fingerprint must give the same bytes.
func fingerprintFmt(o probe.Observation, addrs []probe.Address) string {
	h := sha256.New()
	fmt.Fprintf(h, "status %q\nerror %q\n", o.Status, o.ErrorKind)
	for _, hop := range o.CNAMEChain {
		fmt.Fprintf(h, "cname %q %q\n", strings.ToLower(hop.Name), strings.ToLower(hop.Target))
	}
	for _, a := range addrs {
		fmt.Fprintf(h, "address %s %d %q %s %q %q %q %q %q %q\n", a.IP, a.ASN, a.ASOrg, a.Prefix, a.Country, a.SpecialUse,
			a.Sources.ASN, a.Sources.ASOrg, a.Sources.Prefix, a.Sources.Country)
		fmt.Fprintf(h, "  registered %q %q provider %q %q %q %q cdn %v %q %q\n", a.RegisteredCountry, a.Sources.RegisteredCountry,
			a.Provider, a.ProviderKind, a.Region, a.Sources.Provider, a.CDN, a.CDNName, a.Sources.CDN)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func TestFingerprintUnchanged(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	for _, o := range []probe.Observation{
		ob.OK("a.kpu.go.id", t0, "36.86.63.182", "170.33.13.55", "2001:4860:4860::8888", "10.0.0.1", "fe80::1%eth0"),
		withCNAME(ob.OK("b.kpu.go.id", t0, "104.16.0.1"), "B.cdn.test", "\"odd\x1b.test"),
		observation("c.kpu.go.id", t0, resolvers.StatusNXDomain),
		{Status: resolvers.StatusError, ErrorKind: probe.ErrorCNAMELoop},
	} {
		addrs, err := history.CanonicalAddresses(o.Addresses)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := history.Fingerprint(o, addrs), fingerprintFmt(o, addrs); got != want {
			t.Errorf("%s: fingerprint %s, want %s", o.Target.Domain, got, want)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	ob := newObserver(b)
	o := ob.OK("a.kpu.go.id", t0, "36.86.63.182", "170.33.13.55")
	addrs, _ := history.CanonicalAddresses(o.Addresses)
	for b.Loop() {
		history.Fingerprint(o, addrs)
	}
}
