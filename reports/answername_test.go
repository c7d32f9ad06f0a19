package reports

import (
	"net/netip"
	"testing"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/resolvers"
)

// TestAnswerNames: the names --authoritative gives the answers that are not
// a name server's are worded in the report's language.
func TestAnswerNames(t *testing.T) {
	t.Parallel()
	o := probe.Observation{
		Answers: []probe.ResolverAnswer{
			{Resolver: probe.AnswerRecursive, Status: resolvers.StatusOK, Addresses: []netip.Addr{netip.MustParseAddr("170.33.13.55")}},
			{Resolver: "ns1.kpu.go.id (36.86.63.1)", Status: resolvers.StatusOK, Addresses: []netip.Addr{netip.MustParseAddr("36.86.63.182")}},
			{Resolver: probe.AnswerNSOf + "kpu.go.id", Status: resolvers.StatusServFail},
		},
		OddOnesOut: []string{probe.AnswerRecursive},
	}
	for _, tc := range []struct {
		lang i18n.Lang
		want string
	}{
		{i18n.English, "recursive → 170.33.13.55; ns1.kpu.go.id (36.86.63.1) → 36.86.63.182; NS of kpu.go.id → servfail (odd one out: recursive)"},
		{i18n.Indonesian, "resolver rekursif → 170.33.13.55; ns1.kpu.go.id (36.86.63.1) → 36.86.63.182; rekaman NS kpu.go.id → servfail (tidak sama dengan yang lain: resolver rekursif)"},
	} {
		pr, err := i18n.New(tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := disagreement(pr, o); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.lang, got, tc.want)
		}
	}
}
