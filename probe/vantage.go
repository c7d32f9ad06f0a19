package probe

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers"
)

// WhoamiName is the name whose A record Akamai's servers answer with the
// address of the resolver that asks: the resolver's egress address.
const WhoamiName = "whoami.akamai.net"

// Querier asks one question through one resolver.
type Querier interface {
	Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, []resolvers.Exchange, error)
}

// LocalTimeZone names the machine's time zone and its offset at t: the IANA
// name where the system says it (TZ, /etc/localtime), else the abbreviation.
func LocalTimeZone(t time.Time) string {
	t = t.In(time.Local)
	name := time.Local.String()
	if name == "Local" || name == "" {
		name, _ = t.Zone()
	}
	return fmt.Sprintf("%s (%s)", name, t.Format("-07:00"))
}

// Egresses asks each resolver (by name) for WhoamiName, all at once. A
// resolver that cannot say leaves the address unknown, with the reason.
func Egresses(ctx context.Context, qs map[string]Querier, order []string) []Egress {
	out := make([]Egress, len(order))
	var wg sync.WaitGroup
	for i, name := range order {
		wg.Go(func() {
			e := Egress{Resolver: name, Method: WhoamiName + " A"}
			m, _, err := qs[name].Query(ctx, WhoamiName, dns.TypeA)
			switch {
			case err != nil:
				e.Error, e.Status = err.Error(), statusOf(err)
			case m.Rcode != dns.RcodeSuccess:
				e.Error, e.Status, e.Rcode = dns.RcodeToString[m.Rcode], resolvers.StatusError, dns.RcodeToString[m.Rcode]
			default:
				for _, rr := range m.Answer {
					if a, ok := rr.(*dns.A); ok {
						e.Address, _ = netip.AddrFromSlice(a.A.To4())
						break
					}
				}
				if !e.Address.IsValid() {
					e.Error, e.Status = "no address in the answer", resolvers.StatusNoData
				}
			}
			out[i] = e
		})
	}
	wg.Wait()
	return out
}
