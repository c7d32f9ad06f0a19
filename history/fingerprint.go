package history

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
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
		a.TTL = 0
		a.Extra = nil
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b probe.Address) int { return a.IP.Compare(b.IP) })
	return slices.CompactFunc(out, func(a, b probe.Address) bool { return a.IP == b.IP }), nil
}

// Fingerprint is a digest of what makes two answers the same: status, error
// kind, CNAME chain (case-insensitive, without TTLs) and the attributed
// addresses (canonical, see CanonicalAddresses) with the sources of their
// facts. It is built with strconv rather than fmt (it runs once per
// observation), byte for byte as fingerprintFmt in the tests.
func Fingerprint(o probe.Observation, addrs []probe.Address) string {
	// On the stack for an answer of a few addresses.
	var buf [1024]byte
	b := buf[:0]
	q := func(prefix string, s string) {
		b = append(b, prefix...)
		b = appendQuote(b, s)
	}
	q("status ", string(o.Status))
	q("\nerror ", string(o.ErrorKind))
	b = append(b, '\n')
	for _, hop := range o.CNAMEChain {
		q("cname ", strings.ToLower(hop.Name))
		q(" ", strings.ToLower(hop.Target))
		b = append(b, '\n')
	}
	for _, a := range addrs {
		b = append(b, "address "...)
		b = a.IP.AppendTo(b) // as String: the addresses are valid
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(a.ASN), 10)
		q(" ", a.ASOrg)
		b = append(b, ' ')
		if a.Prefix.IsValid() {
			b = a.Prefix.AppendTo(b)
		} else {
			b = append(b, a.Prefix.String()...)
		}
		for _, s := range []string{a.Country, a.SpecialUse, a.Sources.ASN, a.Sources.ASOrg, a.Sources.Prefix, a.Sources.Country} {
			q(" ", s)
		}
		q("\n  registered ", a.RegisteredCountry)
		q(" ", a.Sources.RegisteredCountry)
		q(" provider ", a.Provider)
		for _, s := range []string{a.ProviderKind, a.Region, a.Sources.Provider} {
			q(" ", s)
		}
		b = append(b, " cdn "...)
		b = strconv.AppendBool(b, a.CDN)
		q(" ", a.CDNName)
		q(" ", a.Sources.CDN)
		b = append(b, '\n')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// appendQuote appends s quoted as strconv.AppendQuote does, without its
// rune-by-rune work for the common case of plain printable ASCII.
func appendQuote(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
