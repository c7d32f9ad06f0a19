package reports

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/resolvers"
)

// manyDomainSpans is a record of n domains, each seen every 3 hours for 4
// days from two vantages, its address changing now and then, with a
// timeout among them: a record whose daily CSV has rows of every domain
// on every day. It is returned a domain at a time, as a history command
// reads pages of Store.DomainsAfter.
func manyDomainSpans(t *testing.T, n int) [][]history.Span {
	t.Helper()
	ips := []string{"36.86.63.182", "8.219.1.1", "170.33.13.55", "51.210.1.10", "2404:2280:100::1"}
	out := make([][]history.Span, n)
	for d := range out {
		r := newRecorder(t, fmt.Sprintf("d%03d.example.co.id", d))
		for run := range 32 {
			at := sirekapStart.Add(time.Duration(run) * 3 * time.Hour)
			for v, vantage := range []string{"jakarta", "singapore"} {
				s := seen{at: at.Add(time.Duration(v) * time.Minute), vantage: vantage, view: viewA, confirm: 1, status: resolvers.StatusOK,
					ips: []string{ips[(d+run/5+v)%len(ips)], ips[(d+run/7)%len(ips)]}}
				if (d+run)%13 == 0 {
					s.status, s.ips = resolvers.StatusTimeout, nil
				}
				r.add(s)
			}
		}
		out[d] = r.spans
	}
	return out
}

// TestDailyWriterSpills checks that a DailyWriter that spills its rows,
// a domain at a time and in any order of domains, writes the CSV that
// WriteDailyCSV writes from all the spans at once.
func TestDailyWriterSpills(t *testing.T) {
	t.Parallel()
	byDomain := manyDomainSpans(t, 12)
	var all []history.Span
	for _, spans := range byDomain {
		all = append(all, spans...)
	}
	var want bytes.Buffer
	if err := WriteDailyCSV(&want, all); err != nil {
		t.Fatal(err)
	}
	if rows := tableRows(t, want.Bytes()); len(rows) < 12*4*2*2 {
		t.Fatalf("only %d rows: the record is too small to test spilling", len(rows))
	}
	for _, tt := range []struct {
		name    string
		spillAt int
		shuffle bool
	}{
		{"every domain its own run", 1, false},
		{"runs of a few domains", 40, false},
		{"domains in no order", 1, true},
		{"nothing spilled", dailySpill, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			order := make([][]history.Span, len(byDomain))
			copy(order, byDomain)
			if tt.shuffle {
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			var got bytes.Buffer
			d := NewDailyWriter(&got)
			d.spillAt = tt.spillAt
			defer d.Close()
			for _, spans := range order {
				if err := d.Add(spans); err != nil {
					t.Fatal(err)
				}
			}
			if tt.spillAt < dailySpill && len(d.runs) < 2 {
				t.Fatalf("%d runs spilled, want several", len(d.runs))
			}
			if err := d.Finish(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("spilled CSV differs:\n%s\nwant\n%s", got.Bytes(), want.Bytes())
			}
		})
	}
}

// TestDailyWriterEmpty checks the CSV of no spans: the header alone.
func TestDailyWriterEmpty(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	d := NewDailyWriter(&buf)
	defer d.Close()
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	if rows := tableRows(t, buf.Bytes()); len(rows) != 1 {
		t.Errorf("%d rows, want the header alone", len(rows))
	}
}
