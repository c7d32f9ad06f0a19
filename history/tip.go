package history

import (
	"slices"
	"time"

	"github.com/hostwatch/hostwatch/probe"
)

// Tip is where one timeline (one domain, one vantage) stands after its
// latest observation, when nothing is pending: what the next observation is
// compared with. A backend keeps it with the latest span, so that an
// observation that fits the current period (a round-robin pool answering
// another subset) is classified without reading the period back.
type Tip struct {
	// Union is the current period's union, with its last observation's
	// CNAME chain; Last is that last observation.
	Union probe.Hosting `json:"union"`
	Last  probe.Hosting `json:"last"`
	View  probe.View    `json:"view"`
	// Confirm is the --confirm the timeline was read with.
	Confirm int `json:"confirm"`
}

// Position replays one timeline's spans (one domain, one vantage) and says
// where it stands after them, for the next observation to be compared:
//   - resume is the run from which its spans must be read for Latest to give
//     what it gives from all of them: the first run of the current period
//     or, when that period has no addresses, of the last period that had (a
//     domain that comes back is compared with it). Nothing before matters to
//     what a new observation brings, so a backend reads per observation only
//     the current period, not the whole history. Zero means from the start;
//   - tip is the current period, and settled is false when the timeline has
//     no period yet, a change pending, or an unresolved latest observation.
func Position(spans []Span, opts Options) (resume int64, tip Tip, settled bool) {
	if len(spans) == 0 {
		return 0, Tip{}, false
	}
	r := replay{key: key{spans[0].Domain, spans[0].Vantage}, confirm: ConfirmOf(spans, opts)}
	r.run(slices.Clone(spans))
	return r.position()
}

// Start is what the first observation of a timeline brings and where the
// timeline then stands: Latest and Position of a timeline holding sp alone
// (one observation, Count 1). A backend writing many new domains calls it
// instead of reading back spans it knows do not exist. It gives what the
// replay of that one span gives, without the replay (TestStart holds the
// two equal): a first check of 100,000 names spent 0.4 s of CPU replaying.
func Start(sp Span, opts Options) (changes []probe.Change, resume int64, tip Tip, settled bool) {
	h := probe.HostingOf(sp.Observation)
	c := probe.Change{Domain: sp.Domain, Vantage: sp.Vantage, After: h, AfterAt: sp.FirstSeen, ConfirmedAt: sp.FirstSeen,
		AfterView: sp.View, BeforeView: sp.View, Seen: 1, Confirm: 1}
	if h.Unresolved() {
		// Nothing is known of its hosting yet: no period, nothing settled.
		c.Kinds = []probe.ChangeKind{probe.ChangeUnresolved}
		return []probe.Change{c}, 0, Tip{}, false
	}
	c.Kinds = []probe.ChangeKind{probe.ChangeNew}
	// The one period starts with this run; its union is this answer.
	confirm := ConfirmOf([]Span{sp}, opts)
	return []probe.Change{c}, sp.FirstRun, Tip{Union: h, Last: h, View: sp.View, Confirm: confirm}, true
}

// position is where the replayed timeline stands (see Position).
func (r *replay) position() (resume int64, tip Tip, settled bool) {
	if n := len(r.starts); n > 0 {
		resume = r.starts[n-1].run
		if !r.starts[n-1].hosted {
			for _, st := range slices.Backward(r.starts) {
				if st.hosted {
					resume = st.run
					break
				}
			}
		}
	}
	if r.cur == nil || len(r.pending) > 0 || r.unresolved {
		return resume, Tip{}, false
	}
	return resume, Tip{Union: r.cur.hosting(), Last: r.cur.last, View: r.cur.view, Confirm: r.confirm}, true
}

// Worth reports whether the tip says more than the latest span does: its
// period holds more than its last answer (a round-robin pool). A period of
// one answer is read back whole at little cost, so backends need not keep
// its tip.
func (t Tip) Worth() bool {
	u, l := t.Union, t.Last
	return !slices.Equal(u.Addresses, l.Addresses) || !slices.Equal(u.ASNs, l.ASNs) || !slices.Equal(u.Prefixes, l.Prefixes) ||
		!slices.Equal(u.Orgs, l.Orgs) || !slices.Equal(u.Places, l.Places)
}

// Next classifies an observation o (its hosting h, through view, at at)
// against the tip, the way Latest would from the whole timeline, when it
// fits the current period: it returns the changes it brings (at most one:
// rotation or another CNAME chain) and the tip after it. ok is false when o
// needs the timeline (an unresolved answer, another view, a shift: a move or
// a status change); the caller then replays.
func (t Tip) Next(domain, vantage string, h probe.Hosting, view probe.View, at, lastSeen time.Time) (changes []probe.Change, next Tip, ok bool) {
	if h.Unresolved() || !view.Equal(t.View) {
		return nil, t, false
	}
	kinds, shift, _ := classify(t.Union, t.Last, h)
	if shift {
		return nil, t, false
	}
	if len(kinds) > 0 {
		changes = []probe.Change{{Domain: domain, Vantage: vantage, Kinds: kinds, Before: t.Union, After: h,
			BeforeView: t.View, AfterView: view, BeforeAt: lastSeen, AfterAt: at, ConfirmedAt: at, Seen: 1, Confirm: 1}}
	}
	p := period{union: t.Union, last: t.Last}
	p.add(group{h: h, span: &Span{FirstSeen: at, LastSeen: at}, k: 1, n: 1})
	next = Tip{Union: p.hosting(), Last: h, View: t.View, Confirm: t.Confirm}
	return changes, next, true
}
