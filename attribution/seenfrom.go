package attribution

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrNoPrefix means the data holds no usable prefix for a country.
var ErrNoPrefix = errors.New("no prefix for that country in the data")

// PrefixIn chooses a real prefix in country cc for EDNS Client Subnet
// (--as-seen-from): the first /24 (IPv4, in address order) of the embedded
// country data's blocks in cc that is located and registered in cc and held
// by an access network (provider kind isp: where clients are, which is what
// CDNs map by); failing that, the first such /24 of any network. The choice
// depends only on the data, so the same data always gives the same prefix.
func (d *DB) PrefixIn(cc string) (netip.Prefix, error) {
	cc = strings.ToUpper(cc)
	if p, err := d.prefixIn(cc, true); err == nil {
		return p, nil
	}
	return d.prefixIn(cc, false)
}

func (d *DB) prefixIn(cc string, isp bool) (netip.Prefix, error) {
	var country *source
	for _, s := range d.sources {
		if s.hasCountry && s.id == "ip-location-db/geo-whois-asn-country" {
			country = s
		}
	}
	if country == nil {
		return netip.Prefix{}, fmt.Errorf("%w: no embedded country data", ErrNoPrefix)
	}
	ipv4 := netip.MustParsePrefix("::/96")
	for res := range country.r.NetworksWithin(ipv4) {
		rec := country.record(res)
		if rec.country != cc {
			continue
		}
		p := res.Prefix()
		if p.Addr().Is6() && p.Bits() >= 96 { // IPv4 kept at ::/96
			a := p.Addr().As16()
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte(a[12:16])), p.Bits()-96)
		}
		if !p.Addr().Is4() || p.Bits() > 24 {
			continue
		}
		first := p.Addr()
		r := d.Lookup(first)
		if r.SpecialUse != "" || r.ASN == 0 || r.Country != cc || r.RegisteredCountry != cc || isp && r.ProviderKind != "isp" {
			continue
		}
		return netip.PrefixFrom(first, 24).Masked(), nil
	}
	return netip.Prefix{}, fmt.Errorf("%w: %s", ErrNoPrefix, cc)
}
