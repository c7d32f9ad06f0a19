package attribution

import "net/netip"

// specialBlock is an entry of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (RFC 6890) whose addresses are not globally reachable.
type specialBlock struct {
	prefix netip.Prefix
	name   string
}

// specialBlocks lists the registry entries that the datasets may still claim
// a network or country for (172.16.0.0/12 comes back "AU" from the country
// data, for example). Such claims are never facts about a server, so Lookup
// reports the registry's name instead. Read-only.
var specialBlocks = []specialBlock{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network (RFC 791)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private-use (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (RFC 3927)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private-use (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (RFC 6890)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (RFC 5737)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private-use (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast (RFC 5771)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (RFC 1112)"},
	{netip.MustParsePrefix("::/128"), "unspecified address (RFC 4291)"},
	{netip.MustParsePrefix("::1/128"), "loopback (RFC 4291)"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible, deprecated (RFC 4291)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use IPv4/IPv6 translation (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
	{netip.MustParsePrefix("2001:2::/48"), "benchmarking (RFC 5180)"},
	{netip.MustParsePrefix("2001:10::/28"), "ORCHID (RFC 4843)"},
	{netip.MustParsePrefix("2001:20::/28"), "ORCHIDv2 (RFC 7343)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation (RFC 3849)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation (RFC 9637)"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (RFC 4291)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast (RFC 4291)"},
}

// nat64Prefix is the NAT64 well-known prefix (RFC 6052): globally reachable,
// and each address in it stands for the IPv4 address in its last 32 bits.
var nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")

// nat64 returns the IPv4 address that a NAT64 address embeds.
func nat64(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() || ip.Is4In6() || !nat64Prefix.Contains(ip) {
		return netip.Addr{}, false
	}
	b := ip.As16()
	return netip.AddrFrom4([4]byte(b[12:])), true
}

// specialUse returns the name of the special-purpose block that holds ip, if
// any. IPv4-mapped IPv6 addresses (::ffff:0:0/96) are such a block: they are
// not globally reachable, and are not the IPv4 address they embed.
func specialUse(ip netip.Addr) string {
	if ip.Is4In6() {
		return "IPv4-mapped (RFC 4291)"
	}
	if ip.Is4() {
		// Most addresses are global unicast: one byte rules out every IPv4 block
		// except those starting with 0, 10, 100, 127, 169, 172, 192, 198, 203, 224+.
		switch b := ip.As4()[0]; {
		case b == 0 || b == 10 || b == 100 || b == 127 || b == 169 || b == 172 || b == 192 || b == 198 || b == 203 || b >= 224:
		default:
			return ""
		}
	} else if b := ip.As16(); b[0] == 0x20 && b[1] != 0x01 || b[0] > 0x20 && b[0] < 0x3f || b[0] >= 0x40 && b[0] < 0xfc {
		// Most of global unicast (2000::/3) and the unassigned space above it
		// hold none of the IPv6 blocks.
		return ""
	}
	for _, s := range specialBlocks {
		if s.prefix.Contains(ip) {
			return s.name
		}
	}
	return ""
}

// SpecialUse returns the IANA special-purpose registry entry (RFC 6890) that
// holds ip when ip is not globally reachable, such as "link-local (RFC 3927)"
// for 169.254.169.254, and "" for a globally reachable address. It is the
// table Lookup uses, so that what hostwatch refuses to connect to and what it
// reports as not public are one and the same. A NAT64 address (64:ff9b::/96)
// is judged as the IPv4 address it reaches through the translator:
// 64:ff9b::a9fe:a9fe is the metadata service 169.254.169.254.
func SpecialUse(ip netip.Addr) string {
	if v4, ok := nat64(ip); ok {
		if use := specialUse(v4); use != "" {
			return "NAT64 of " + v4.String() + ": " + use
		}
		return ""
	}
	return specialUse(ip)
}
