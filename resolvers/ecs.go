package resolvers

import (
	"net/netip"

	"github.com/miekg/dns"
)

// ecsOption is the EDNS Client Subnet option (RFC 7871) for prefix p.
func ecsOption(p netip.Prefix) *dns.EDNS0_SUBNET {
	family := uint16(1)
	if p.Addr().Is6() {
		family = 2
	}
	return &dns.EDNS0_SUBNET{
		Code:          dns.EDNS0SUBNET,
		Family:        family,
		SourceNetmask: uint8(p.Bits()),
		Address:       p.Addr().AsSlice(),
	}
}

// noteECS records, on the exchanges of one attempt, the subnet sent and the
// scope the reply m gave (-1 when it gave none: the server ignored it).
func noteECS(ex []Exchange, p netip.Prefix, m *dns.Msg) {
	scope := -1
	if m != nil {
		if opt := m.IsEdns0(); opt != nil {
			for _, o := range opt.Option {
				if sub, ok := o.(*dns.EDNS0_SUBNET); ok {
					scope = int(sub.SourceScope)
				}
			}
		}
	}
	for i := range ex {
		ex[i].ECSSource = p.String()
		ex[i].ECSScope = scope
		if ex[i].Rcode == "" {
			ex[i].ECSScope = -1
		}
	}
}
