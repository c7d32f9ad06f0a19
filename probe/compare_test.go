package probe

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/resolvers"
)

func TestConsistency(t *testing.T) {
	t.Parallel()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ans := func(name string, status resolvers.Status, ips ...string) ResolverAnswer {
		a := ResolverAnswer{Resolver: name, Status: status}
		for _, s := range ips {
			a.Addresses = append(a.Addresses, netip.MustParseAddr(s))
		}
		return a
	}
	ok := resolvers.StatusOK
	tests := []struct {
		name    string
		answers []ResolverAnswer
		want    string
		odd     []string
	}{
		{"same addresses", []ResolverAnswer{ans("a", ok, "170.33.13.55"), ans("b", ok, "170.33.13.55")}, "consistent", nil},
		{"same network, other addresses", []ResolverAnswer{ans("a", ok, "36.86.63.182"), ans("b", ok, "36.86.63.190")}, "consistent", nil},
		{"two that disagree: no odd one", []ResolverAnswer{ans("a", ok, "170.33.13.55"), ans("b", ok, "51.210.1.10")}, "inconsistent", nil},
		{"odd one out", []ResolverAnswer{ans("a", ok, "170.33.13.55"), ans("b", ok, "170.33.13.55"), ans("c", ok, "51.210.1.10")}, "inconsistent", []string{"c"}},
		{"nxdomain against an answer", []ResolverAnswer{ans("a", ok, "170.33.13.55"), ans("b", ok, "170.33.13.55"), ans("c", resolvers.StatusNXDomain)}, "inconsistent", []string{"c"}},
		{"both nxdomain", []ResolverAnswer{ans("a", resolvers.StatusNXDomain), ans("b", resolvers.StatusNXDomain)}, "consistent", nil},
		{"a timeout says nothing", []ResolverAnswer{ans("a", ok, "170.33.13.55"), ans("b", ok, "170.33.13.55"), ans("c", resolvers.StatusTimeout)}, "consistent", nil},
		// Issue 9: nothing to compare is not agreement.
		{"one answer and a timeout: nothing to compare", []ResolverAnswer{ans("a", ok, "170.33.13.55"), ans("b", resolvers.StatusTimeout)}, "unknown", nil},
		{"every server timed out", []ResolverAnswer{ans("a", resolvers.StatusTimeout), ans("b", resolvers.StatusServFail)}, "unknown", nil},
	}
	for _, tt := range tests {
		var attributed []Address
		for _, a := range tt.answers {
			for _, ip := range a.Addresses {
				attributed = append(attributed, Address{IP: ip, Result: db.Lookup(ip)})
			}
		}
		got, odd := consistency(tt.answers, attributed)
		if got != tt.want || !slices.Equal(odd, tt.odd) {
			t.Errorf("%s: consistency = %q, odd %v; want %q, %v", tt.name, got, odd, tt.want, tt.odd)
		}
	}
}
