package history

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
)

// CanonicalAddresses returns the addresses sorted by IP, one per IP, without
// TTLs (they change from query to query through caches) or opt-in extras.
func CanonicalAddresses(in []probe.Address) ([]probe.Address, error) {
	out := make([]probe.Address, 0, len(in))
	for _, a := range in {
		if !a.IP.IsValid() {
			return nil, errors.New("an address is not valid")
		}
		a.IP = a.IP.Unmap()
		a.TTL = 0
		a.Extra = nil
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b probe.Address) int { return a.IP.Compare(b.IP) })
	return slices.CompactFunc(out, func(a, b probe.Address) bool { return a.IP == b.IP }), nil
}

// Fingerprint is a digest of what makes two answers the same: status, error
// kind, CNAME chain (case-insensitive, without TTLs) and the attributed
// addresses (canonical, see CanonicalAddresses) with the sources of their facts.
func Fingerprint(o probe.Observation, addrs []probe.Address) string {
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
