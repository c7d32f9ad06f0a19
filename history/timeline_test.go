package history_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// spansOf turns observations into spans as the store would: consecutive
// observations of a domain with the same hosting share a span.
func spansOf(t testing.TB, obs ...probe.Observation) []history.Span {
	t.Helper()
	var spans []history.Span
	last := map[string]int{}
	for i, o := range obs {
		d := o.Target.Domain
		if j, ok := last[d]; ok && reflect.DeepEqual(probe.HostingOf(spans[j].Observation), probe.HostingOf(o)) {
			spans[j].Count++
			spans[j].LastSeen, spans[j].LastRun = o.StartedAt, int64(i+1)
			continue
		}
		last[d] = len(spans)
		spans = append(spans, history.Span{Domain: d, Unicode: d, Observation: o, FirstSeen: o.StartedAt, LastSeen: o.StartedAt, Count: 1, FirstRun: int64(i + 1), LastRun: int64(i + 1)})
	}
	return spans
}

// describe writes changes and periods as short lines, times as check numbers.
func describe(periods []probe.Period, changes []probe.Change) (ps, cs []string) {
	n := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return fmt.Sprint(int(t.Sub(t0) / (5 * time.Minute)))
	}
	for _, p := range periods {
		ps = append(ps, fmt.Sprintf("%s %s–%s ×%d %s AS%v %v", p.Domain, n(p.From), n(p.To), p.Observations, p.Hosting.Status, p.Hosting.ASNs, p.Hosting.Countries))
	}
	for _, c := range changes {
		kinds := make([]string, len(c.Kinds))
		for i, k := range c.Kinds {
			kinds[i] = string(k)
		}
		cs = append(cs, fmt.Sprintf("%s %s before %s after %s confirmed %s: %v → %v", c.Domain, strings.Join(kinds, ","),
			n(c.BeforeAt), n(c.AfterAt), n(c.ConfirmedAt), c.Before.Countries, c.After.Countries))
	}
	return ps, cs
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	const d = "sirekap-web.kpu.go.id"
	ok := func(i int, ips ...string) probe.Observation { return ob.OK(d, at(i), ips...) }
	status := func(i int, s resolvers.Status) probe.Observation { return observation(d, at(i), s) }
	const (
		id  = "36.86.63.182" // AS7713, ID
		sg  = "170.33.13.55" // AS134963, SG
		sg2 = "8.219.1.1"    // AS45102, SG
		fr  = "51.210.1.10"  // AS16276, FR
	)
	move := "country_changed,provider_changed,asn_changed,addresses_changed"
	tests := []struct {
		name    string
		confirm int
		obs     []probe.Observation
		periods []string
		changes []string
	}{
		{
			name: "new",
			obs:  []probe.Observation{ok(0, id)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
			},
		},
		{
			name: "ID → SG → FR: two moves, three periods",
			obs:  []probe.Observation{ok(0, id), ok(1, id), ok(2, sg), ok(3, sg), ok(4, sg), ok(5, fr)},
			periods: []string{
				d + " 0–1 ×2 ok AS[7713] [ID]",
				d + " 2–4 ×3 ok AS[134963] [SG]",
				d + " 5–5 ×1 ok AS[16276] [FR]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " " + move + " before 1 after 2 confirmed 2: [ID] → [SG]",
				d + " " + move + " before 4 after 5 confirmed 5: [SG] → [FR]",
			},
		},
		{
			// Alibaba Cloud renumbering from AS134963 to AS45102 in Singapore:
			// same provider, same country, so no move (issue #8).
			name: "another network of the same provider in the same country is no move",
			obs:  []probe.Observation{ok(0, sg), ok(1, sg2)},
			periods: []string{
				d + " 0–1 ×2 ok AS[45102 134963] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [SG]",
				d + " network_changed,asn_changed,addresses_changed before 0 after 1 confirmed 1: [SG] → [SG]",
			},
		},
		{
			name: "a round-robin pool answering subsets of one network is not a move",
			obs: []probe.Observation{
				ok(0, "8.219.1.1", "8.219.1.2"), ok(1, "8.219.1.2", "8.219.1.3"), ok(2, "8.219.1.3"),
				ok(3, "8.219.1.3"), ok(4, "8.219.1.1", "8.219.1.2"),
			},
			periods: []string{
				d + " 0–4 ×5 ok AS[45102] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [SG]",
				d + " addresses_changed before 0 after 1 confirmed 1: [SG] → [SG]",
				d + " addresses_changed before 1 after 2 confirmed 2: [SG] → [SG]",
				d + " addresses_changed before 3 after 4 confirmed 4: [SG] → [SG]",
			},
		},
		{
			name: "a pool dropping one of its networks is not a move",
			obs:  []probe.Observation{ok(0, sg2, "47.96.1.10"), ok(1, sg2), ok(2, "47.96.1.10")},
			periods: []string{
				d + " 0–2 ×3 ok AS[37963 45102] [CN SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [CN SG]",
				d + " addresses_changed before 0 after 1 confirmed 1: [CN SG] → [SG]",
				d + " addresses_changed before 1 after 2 confirmed 2: [CN SG] → [CN]",
			},
		},
		{
			name: "a timeout is unresolved, never a move; the period goes on",
			obs:  []probe.Observation{ok(0, id), status(1, resolvers.StatusTimeout), status(2, resolvers.StatusServFail), ok(3, id)},
			periods: []string{
				d + " 0–3 ×2 ok AS[7713] [ID]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " unresolved before 0 after 1 confirmed 1: [ID] → []",
			},
		},
		{
			name: "unresolved at first: new when it first resolves",
			obs:  []probe.Observation{status(0, resolvers.StatusRefused), ok(1, id)},
			periods: []string{
				d + " 1–1 ×1 ok AS[7713] [ID]",
			},
			changes: []string{
				d + " unresolved before - after 0 confirmed 0: [] → []",
				d + " new before - after 1 confirmed 1: [] → [ID]",
			},
		},
		{
			name:    "--confirm 2 drops a one-run blip",
			confirm: 2,
			obs:     []probe.Observation{ok(0, id), ok(1, sg), ok(2, id), ok(3, id)},
			periods: []string{
				d + " 0–3 ×3 ok AS[7713] [ID]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
			},
		},
		{
			name:    "--confirm 2 confirms a move at its second observation",
			confirm: 2,
			obs:     []probe.Observation{ok(0, id), ok(1, sg), ok(2, sg)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–2 ×2 ok AS[134963] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " " + move + " before 0 after 1 confirmed 2: [ID] → [SG]",
			},
		},
		{
			name:    "--confirm 2: unresolved neither counts nor breaks",
			confirm: 2,
			obs:     []probe.Observation{ok(0, id), ok(1, sg), status(2, resolvers.StatusTimeout), status(3, resolvers.StatusTimeout), ok(4, sg)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–4 ×2 ok AS[134963] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " " + move + " before 0 after 1 confirmed 4: [ID] → [SG]",
				d + " unresolved before 0 after 2 confirmed 2: [ID] → []",
			},
		},
		{
			name:    "--confirm 2: two different moves in a row confirm the first, then wait",
			confirm: 2,
			obs:     []probe.Observation{ok(0, id), ok(1, sg), ok(2, fr)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–1 ×1 ok AS[134963] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " " + move + " before 0 after 1 confirmed 2: [ID] → [SG]",
				d + " " + move + " before 1 after 2 confirmed -: [SG] → [FR]",
			},
		},
		{
			name:    "--confirm 3 within one span is dated by the span's last observation",
			confirm: 3,
			obs:     []probe.Observation{ok(0, id), ok(1, sg), ok(2, sg), ok(3, sg), ok(4, sg)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–4 ×4 ok AS[134963] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " " + move + " before 0 after 1 confirmed 4: [ID] → [SG]",
			},
		},
		{
			name: "gone, and back",
			obs:  []probe.Observation{ok(0, id), status(1, resolvers.StatusNXDomain), status(2, resolvers.StatusNXDomain), ok(3, id)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–2 ×2 nxdomain AS[] []",
				d + " 3–3 ×1 ok AS[7713] [ID]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " gone before 0 after 1 confirmed 1: [ID] → []",
				d + " status_changed before 2 after 3 confirmed 3: [] → [ID]",
			},
		},
		{
			// Gone, then back in another country: the place it comes back to
			// is compared with where it was last hosted.
			name: "gone, and back elsewhere is a move",
			obs:  []probe.Observation{ok(0, id), status(1, resolvers.StatusNXDomain), ok(2, sg)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–1 ×1 nxdomain AS[] []",
				d + " 2–2 ×1 ok AS[134963] [SG]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " gone before 0 after 1 confirmed 1: [ID] → []",
				d + " country_changed,provider_changed,status_changed before 1 after 2 confirmed 2: [] → [SG]",
			},
		},
		{
			name: "status changes between resolved statuses",
			obs:  []probe.Observation{ok(0, id), status(1, resolvers.StatusNoData), status(2, resolvers.StatusNXDomain), status(3, resolvers.StatusError)},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–1 ×1 nodata AS[] []",
				d + " 2–2 ×1 nxdomain AS[] []",
				d + " 3–3 ×1 error AS[] []",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " status_changed before 0 after 1 confirmed 1: [ID] → []",
				d + " status_changed before 1 after 2 confirmed 2: [] → []",
				d + " status_changed before 2 after 3 confirmed 3: [] → []",
			},
		},
		{
			name: "a different CNAME chain alone",
			obs:  []probe.Observation{withCNAME(ok(0, id), "a.kpu.go.id"), withCNAME(ok(1, id), "b.kpu.go.id")},
			periods: []string{
				d + " 0–1 ×2 ok AS[7713] [ID]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " cname_changed before 0 after 1 confirmed 1: [ID] → [ID]",
			},
		},
		{
			name: "a move with a new chain",
			obs:  []probe.Observation{withCNAME(ok(0, id), "a.kpu.go.id"), withCNAME(ok(1, fr), "b.kpu.go.id")},
			periods: []string{
				d + " 0–0 ×1 ok AS[7713] [ID]",
				d + " 1–1 ×1 ok AS[16276] [FR]",
			},
			changes: []string{
				d + " new before - after 0 confirmed 0: [] → [ID]",
				d + " country_changed,provider_changed,asn_changed,cname_changed,addresses_changed before 0 after 1 confirmed 1: [ID] → [FR]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			periods, changes := history.Timeline(spansOf(t, tt.obs...), history.Options{Confirm: tt.confirm})
			ps, cs := describe(periods, changes)
			if !slices.Equal(ps, tt.periods) {
				t.Errorf("periods:\n\t%s\nwant:\n\t%s", strings.Join(ps, "\n\t"), strings.Join(tt.periods, "\n\t"))
			}
			if !slices.Equal(cs, tt.changes) {
				t.Errorf("changes:\n\t%s\nwant:\n\t%s", strings.Join(cs, "\n\t"), strings.Join(tt.changes, "\n\t"))
			}
		})
	}
}

func TestTimelineSortsDomains(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	var obs []probe.Observation
	for i, ip := range []string{"36.86.63.182", "51.210.1.10"} {
		obs = append(obs, ob.OK("b.test", at(i), ip), ob.OK("a.test", at(i), ip))
	}
	spans := spansOf(t, obs...)
	_, cs := describe(history.Timeline(spans, history.Options{}))
	slices.Reverse(spans)
	_, reversed := describe(history.Timeline(spans, history.Options{}))
	want := []string{
		"a.test new before - after 0 confirmed 0: [] → [ID]",
		"b.test new before - after 0 confirmed 0: [] → [ID]",
		"a.test country_changed,provider_changed,asn_changed,addresses_changed before 0 after 1 confirmed 1: [ID] → [FR]",
		"b.test country_changed,provider_changed,asn_changed,addresses_changed before 0 after 1 confirmed 1: [ID] → [FR]",
	}
	if !slices.Equal(cs, want) || !slices.Equal(reversed, want) {
		t.Errorf("changes:\n\t%s\nfrom reversed spans:\n\t%s\nwant:\n\t%s", strings.Join(cs, "\n\t"), strings.Join(reversed, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	const d = "kpu.go.id"
	h := func(ips ...string) probe.Hosting { return probe.HostingOf(ob.OK(d, t0, ips...)) }
	st := func(s resolvers.Status) probe.Hosting { return probe.HostingOf(observation(d, t0, s)) }
	tests := []struct {
		name          string
		before, after probe.Hosting
		want          []probe.ChangeKind
	}{
		{"same", h("36.86.63.182"), h("36.86.63.182"), nil},
		{"ID → SG", h("36.86.63.182"), h("170.33.13.55"), []probe.ChangeKind{"country_changed", "provider_changed", "asn_changed", "addresses_changed"}},
		{"another network of the same provider in SG", h("170.33.13.55"), h("8.219.1.1"), []probe.ChangeKind{"network_changed", "asn_changed", "addresses_changed"}},
		{"rotation in one network", h("8.219.1.1", "8.219.1.2"), h("8.219.1.2", "8.219.1.3"), []probe.ChangeKind{"addresses_changed"}},
		{"one network dropped", h("8.219.1.1", "47.96.1.10"), h("8.219.1.1"), []probe.ChangeKind{"addresses_changed"}},
		{"gone", h("36.86.63.182"), st(resolvers.StatusNXDomain), []probe.ChangeKind{"gone"}},
		{"status", st(resolvers.StatusNXDomain), h("36.86.63.182"), []probe.ChangeKind{"status_changed"}},
		{"nodata", h("36.86.63.182"), st(resolvers.StatusNoData), []probe.ChangeKind{"status_changed"}},
		{"unresolved", h("36.86.63.182"), st(resolvers.StatusTimeout), []probe.ChangeKind{"unresolved"}},
		{"still unresolved", st(resolvers.StatusServFail), st(resolvers.StatusTimeout), nil},
		{"resolved after unresolved", st(resolvers.StatusTimeout), h("36.86.63.182"), []probe.ChangeKind{"new"}},
		{"nothing before", probe.Hosting{}, h("36.86.63.182"), []probe.ChangeKind{"new"}},
		{"cname", probe.HostingOf(withCNAME(ob.OK(d, t0, "36.86.63.182"), "a.test")), h("36.86.63.182"), []probe.ChangeKind{"cname_changed"}},
	}
	for _, tt := range tests {
		if got, _ := history.Compare(tt.before, tt.after); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Compare = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A domain gone and back in another place moved; back in the same place, not.
func TestBackAfterGone(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	const d = "sirekap-web.kpu.go.id"
	for _, tt := range []struct {
		back string
		move bool
	}{{"170.33.13.55", true}, {"36.86.63.183", false}} {
		spans := spansOf(t, ob.OK(d, at(0), "36.86.63.182"), observation(d, at(1), resolvers.StatusNXDomain), ob.OK(d, at(2), tt.back))
		_, changes := history.Timeline(spans, history.Options{})
		if last := changes[len(changes)-1]; last.IsMove() != tt.move {
			t.Errorf("back at %s: %v move=%v, want %v", tt.back, last.Kinds, last.IsMove(), tt.move)
		}
	}
}
