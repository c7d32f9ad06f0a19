package rtt

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/probe/reach"
)

// listen accepts and closes connections on 127.0.0.1:0, counting them.
func listen(t *testing.T) (uint16, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return uint16(l.Addr().(*net.TCPAddr).Port), &n
}

// closedPort is a port nothing listens on: one that was listened on and closed.
func closedPort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return p
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	lo := netip.MustParseAddr("127.0.0.1")
	open, accepted := listen(t)
	closed := closedPort(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	allow := reach.Policy{AllowPrivate: true}

	t.Run("syn-ack", func(t *testing.T) {
		res := Measure(t.Context(), lo, Options{Samples: 4, Ports: []uint16{open}, Policy: allow, Now: clock})
		if len(res.Samples) != 4 || res.Error != "" || res.Refused != nil || res.Method != "tcp-connect" {
			t.Fatalf("%+v", res)
		}
		least := res.Samples[0].RTT
		for _, s := range res.Samples {
			if s.Reply != ReplySYNACK || s.Port != open || !s.At.Equal(at) || s.RTT <= 0 {
				t.Errorf("sample %+v", s)
			}
			least = min(least, s.RTT)
		}
		if res.Min != least {
			t.Errorf("min %v, want the least sample %v", res.Min, least)
		}
	})

	t.Run("rst counts", func(t *testing.T) {
		res := Measure(t.Context(), lo, Options{Ports: []uint16{closed}, Policy: allow})
		if len(res.Samples) != DefaultSamples || res.Samples[0].Reply != ReplyRST || res.Min <= 0 {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("refused", func(t *testing.T) {
		before := accepted.Load()
		res := Measure(t.Context(), lo, Options{Ports: []uint16{open}})
		if res.Refused == nil || res.Refused.SpecialUse == "" || len(res.Samples) != 0 || res.Min != 0 {
			t.Fatalf("%+v", res)
		}
		if accepted.Load() != before {
			t.Error("a refused address was connected to")
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		res := Measure(ctx, lo, Options{Ports: []uint16{open}, Policy: allow})
		if len(res.Samples) != 0 || res.Error == "" || res.Failure != "interrupted" {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("samples bounded", func(t *testing.T) {
		res := Measure(t.Context(), lo, Options{Samples: 1000, Ports: []uint16{closed}, Policy: allow})
		if len(res.Samples) != MaxSamples {
			t.Fatalf("%d samples, want %d", len(res.Samples), MaxSamples)
		}
	})
}

// TestMeasureICMP times echoes to 127.0.0.1 next to the connects where
// this process may open a ping socket, and otherwise gets the note
// not_permitted with the TCP samples standing: which of the two depends on
// the machine's net.ipv4.ping_group_range (the netns test in cmd sets it
// both ways). A refused address is sent no echo either.
func TestMeasureICMP(t *testing.T) {
	t.Parallel()
	lo := netip.MustParseAddr("127.0.0.1")
	open, _ := listen(t)
	allow := reach.Policy{AllowPrivate: true}
	res := Measure(t.Context(), lo, Options{Samples: 2, Ports: []uint16{open}, Policy: allow, ICMP: true})
	if res.Method != MethodTCPAndICMP || res.Error != "" {
		t.Fatalf("%+v", res)
	}
	var tcp, echoes int
	for _, s := range res.Samples {
		switch s.Method() {
		case MethodTCP:
			tcp++
		case MethodICMP:
			echoes++
			if s.Port != 0 || s.Reply != ReplyEcho || s.RTT <= 0 {
				t.Errorf("echo sample %+v", s)
			}
		}
		if s.RTT < res.Min {
			t.Errorf("min %v above the sample %+v", res.Min, s)
		}
	}
	if tcp != 2 {
		t.Errorf("%d TCP samples, want 2: %+v", tcp, res)
	}
	if err := PingPermitted(false); err != nil {
		t.Logf("ping sockets: %v", err)
		if echoes != 0 || res.ICMPFailure != "not_permitted" || res.ICMPError == "" {
			t.Errorf("ping sockets not permitted: %+v, want the note not_permitted", res)
		}
	} else if echoes != 2 || res.ICMPError != "" || res.ICMPFailure != "" {
		t.Errorf("ping sockets permitted: %d echoes, %+v", echoes, res)
	}

	if res := Measure(t.Context(), lo, Options{ICMP: true}); res.Refused == nil || len(res.Samples) != 0 || res.ICMPFailure != "" {
		t.Errorf("refused: %+v", res)
	}
}
