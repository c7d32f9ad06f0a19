package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

func TestProgressLineText(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		done, failed int
		total        int // 0: unknown
		elapsed      time.Duration
		width        int
		want         string
	}{
		{"total known", 5, 1, 10, 5 * time.Second, 80, "5/10 names  1.0/s  1 failed  0:05  ETA 0:05"},
		{"total unknown", 1234, 0, 0, 10 * time.Second, 80, "1234 names  123/s  0 failed  0:10"},
		{"long run", 360000, 20, 1000000, time.Hour, 80, "360000/1000000 names  100/s  20 failed  1:00:00  ETA 1:46:40"},
		{"narrow terminal", 5, 1, 10, 5 * time.Second, 20, "5/10 names  1.0/s …"},
		{"nothing yet", 0, 0, 0, 0, 80, "0 names  0.0/s  0 failed  0:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProgressLine(&bytes.Buffer{}, func() time.Time { return t0 }, tt.width)
			p.total.Store(int64(tt.total))
			for i := range tt.done {
				o := probe.Observation{Status: resolvers.StatusOK}
				if i < tt.failed {
					o.Status = resolvers.StatusTimeout
				}
				p.Finished(o)
			}
			if got := p.line(t0.Add(tt.elapsed)); got != tt.want {
				t.Errorf("line = %q, want %q", got, tt.want)
			}
		})
	}
}

// A message on stderr erases the line first; stop erases it at the end.
func TestProgressLineMessages(t *testing.T) {
	t.Parallel()
	var term, msgs bytes.Buffer
	p := newProgressLine(&term, time.Now, 80)
	p.draw()
	w := p.writer(&msgs)
	w.Write([]byte("hostwatch: list.txt:3: invalid\n"))
	if got := term.String(); !strings.HasPrefix(got, "\r0 names") || !strings.HasSuffix(got, "\x1b[K\r\x1b[K") {
		t.Fatalf("terminal got %q, want the line, then erased", got)
	}
	if msgs.String() != "hostwatch: list.txt:3: invalid\n" {
		t.Fatalf("message %q", msgs.String())
	}
	p.run()
	p.stop()
	if got := term.String(); strings.Count(got, "\r\x1b[K") < 1 || !strings.HasSuffix(got, "\x1b[K") {
		t.Fatalf("terminal got %q, want it erased at the end", got)
	}
}

// A run of more than a redraw's time shows the line on a terminal's
// stderr, and erases it; never with --quiet, never when stderr is a pipe.
func TestProgressOnTerminalOnly(t *testing.T) {
	t.Parallel()
	zone, err := resolverstest.NewZoneHandler("$ORIGIN x.test.\n@ 60 IN SOA ns h 1 60 60 60 60\nslow 60 IN A 170.33.13.55\n")
	if err != nil {
		t.Fatal(err)
	}
	srv := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		time.Sleep(3 * progressEvery) // a slow resolver: the run outlasts a few redraws
		zone.ServeDNS(w, r)
	}))
	tests := []struct {
		name     string
		terminal bool
		args     []string
		shown    bool
	}{
		{"terminal", true, nil, true},
		{"quiet", true, []string{"--quiet"}, false},
		{"pipe", false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			streams := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrIsTerminal: tt.terminal, Now: time.Now, Version: "test"}
			args := append([]string{"audit", "-o", "jsonl", "--resolver", srv.Addr, "--stats", "slow.x.test"}, tt.args...)
			if code := Main(t.Context(), streams, args); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			got := errOut.String()
			if shown := strings.Contains(got, "\x1b[K"); shown != tt.shown {
				t.Fatalf("progress shown = %v, want %v: %q", shown, tt.shown, got)
			}
			if tt.shown && (!strings.Contains(got, "\r0/1 names") || !strings.Contains(got, "\r\x1b[Khostwatch: stats: 1 names in ")) {
				t.Fatalf("stderr %q, want the line with its total, erased before the stats", got)
			}
			if !strings.Contains(got, ": 1 ok\n") {
				t.Fatalf("stderr %q, want the stats", got)
			}
		})
	}
}
