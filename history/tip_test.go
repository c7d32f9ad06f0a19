package history_test

import (
	"reflect"
	"testing"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// TestStart checks that Start gives what Latest and Position give for a
// timeline of one observation, whatever it is and however it is read.
func TestStart(t *testing.T) {
	t.Parallel()
	ob := newObserver(t)
	loop := observation("loop.kpu.go.id", at(0), resolvers.StatusError)
	loop.ErrorKind = probe.ErrorCNAMELoop
	obs := []probe.Observation{
		ob.OK("sirekap-web.kpu.go.id", at(0), "36.86.63.182"),
		ob.OK("pool.kpu.go.id", at(0), "8.219.1.10", "8.219.1.11", "2001:41d0:303::1"),
		withCNAME(ob.OK("cdn.kpu.go.id", at(0), "104.16.132.229"), "edge.example.net"),
		observation("gone.kpu.go.id", at(0), resolvers.StatusNXDomain),
		observation("slow.kpu.go.id", at(0), resolvers.StatusTimeout),
		observation("empty.kpu.go.id", at(0), resolvers.StatusNoData),
		observation("broken.kpu.go.id", at(0), resolvers.StatusServFail),
		observation("closed.kpu.go.id", at(0), resolvers.StatusRefused),
		loop,
	}
	for _, o := range obs {
		for _, confirm := range []int{0, 1, 3} {
			sp := spansOf(t, o)[0]
			sp.Vantage, sp.Confirm, sp.FirstRun, sp.LastRun = "jakarta", 2, 7, 7
			sp.View = probe.View{Resolvers: []string{"127.0.0.1:5300"}}
			opts := history.Options{Confirm: confirm}
			changes, resume, tip, settled := history.Start(sp, opts)
			wantChanges := history.Latest([]history.Span{sp}, opts)
			wantResume, wantTip, wantSettled := history.Position([]history.Span{sp}, opts)
			if !reflect.DeepEqual(changes, wantChanges) {
				t.Errorf("%s, --confirm %d: Start brings %+v, Latest %+v", o.Target.Domain, confirm, changes, wantChanges)
			}
			if resume != wantResume || !reflect.DeepEqual(tip, wantTip) || settled != wantSettled {
				t.Errorf("%s, --confirm %d: Start stands at %d %+v %v, Position at %d %+v %v", o.Target.Domain, confirm,
					resume, tip, settled, wantResume, wantTip, wantSettled)
			}
		}
	}
}
