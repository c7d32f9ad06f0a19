package resolvers

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestSendKeepsEveryQuery: send skips the queries no longer waited for, and
// the batch it was given still holds each query once afterwards. (It once
// overwrote the skipped ones with those after them, and the writer then gave
// the buffers of the batch back to the pool: one went back twice, and two
// queries were later packed into one.)
func TestSendKeepsEveryQuery(t *testing.T) {
	t.Parallel()
	u, srv := dialSilent(t)
	var batch []outgoing
	for id := range uint16(6) {
		pkt := []byte{0, byte(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}
		o := outgoing{id: 1000 + id, c: &call{ch: make(chan reply, 1)}, pkt: &pkt}
		if id%2 == 0 {
			// Still waited for; the odd ones timed out before their turn.
			u.mu.Lock()
			u.pending.add(o.id, o.c)
			u.mu.Unlock()
		}
		batch = append(batch, o)
	}
	want := map[*[]byte]bool{}
	for _, o := range batch {
		want[o.pkt] = true
	}
	msgs := make([]ipv4.Message, len(batch))
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
	}
	u.send(batch, msgs)
	got := map[*[]byte]bool{}
	for _, o := range batch {
		if got[o.pkt] {
			t.Fatalf("query %d is in the batch twice after send", o.id)
		}
		got[o.pkt] = true
	}
	if len(got) != len(want) {
		t.Fatalf("the batch holds %d distinct queries after send, want %d", len(got), len(want))
	}
	// The three waited for were sent.
	buf := make([]byte, 512)
	for range 3 {
		if _, _, err := srv.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
	}
}

// A resolver port nobody listens on refuses the queries (ICMP port
// unreachable, then ECONNREFUSED on the connected socket, which a batch
// write reports as -1 written): every name fails, none crashes.
func TestRefusedPort(t *testing.T) {
	t.Parallel()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().String()
	l.Close()
	c, err := New(Config{Servers: []string{addr}, Timeout: 300 * time.Millisecond, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			res := c.Resolve(t.Context(), fmt.Sprintf("h%d.refused.test", i))
			if res.Status == StatusOK || res.Err == nil {
				t.Errorf("h%d: %s, %v; want a failure", i, res.Status, res.Err)
			}
		})
	}
	wg.Wait()
}

// TestRTO: the retransmission timeout follows RFC 6298's estimate of the
// round trips, never below minRTO, and initialRTO before any reply.
func TestRTO(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for _, tc := range []struct {
		samples []time.Duration
		want    time.Duration
	}{
		{nil, initialRTO},
		{[]time.Duration{2 * ms}, minRTO},               // 2 + 4×1 ms
		{[]time.Duration{100 * ms}, 300 * ms},           // 100 + 4×50 ms
		{[]time.Duration{100 * ms, 100 * ms}, 250 * ms}, // srtt 100, rttvar 37.5
		{[]time.Duration{100 * ms, 200 * ms}, 112500*time.Microsecond + 4*62500*time.Microsecond},
	} {
		var e rttEstimate
		for _, r := range tc.samples {
			e.add(r)
		}
		if got := e.rto(); got != tc.want {
			t.Errorf("rto after %v = %s, want %s", tc.samples, got, tc.want)
		}
		// Each query sent again doubles it, up to maxBackoff times, until
		// the next sample.
		for i := 1; i <= maxBackoff+2; i++ {
			e.resent()
			if got, want := e.rto(), tc.want<<min(i, maxBackoff); got != want {
				t.Errorf("rto after %v and %d sent again = %s, want %s", tc.samples, i, got, want)
			}
		}
		e.add(tc.want)
		if got := e.rto(); got > 3*tc.want || got < minRTO {
			t.Errorf("rto after a sample past the backoff = %s, want the estimate again", got)
		}
	}
}

// TestResentNotSampled: a reply to a query sent more than once says nothing
// of the round trip (it may answer either copy), and leaves the estimate
// as it was (Karn's rule).
func TestResentNotSampled(t *testing.T) {
	t.Parallel()
	u, _ := dialSilent(t)
	msg := []byte{0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}
	for _, resends := range []int{1, 0} {
		c := &call{ch: make(chan reply, 1), question: msg[12:], resends: resends}
		u.mu.Lock()
		u.pending.add(7, c)
		u.mu.Unlock()
		u.deliver(msg, time.Now(), 30*time.Millisecond)
		<-c.ch
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.rtt.samples != 1 || u.rtt.srtt != 30*time.Millisecond {
		t.Errorf("after a reply to a resent query and one to a query sent once: %d samples, srtt %s; want 1 and 30ms", u.rtt.samples, u.rtt.srtt)
	}
}

// dialSilent is a socket to a loopback UDP port that never answers (srv,
// for reading what was sent), both closed when the test ends.
func dialSilent(t *testing.T) (u *udpConn, srv net.PacketConn) {
	t.Helper()
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, err = dialUDP(srv.LocalAddr().String(), &rttEstimate{})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		u.close()
		srv.Close()
	})
	return u, srv
}

// TestCalls: the table of waiting queries holds what a map would, however
// they are added and removed (growing to thousands), and its
// list of IDs is each ID in use once.
func TestCalls(t *testing.T) {
	t.Parallel()
	cs := newCalls()
	model := map[uint16]*call{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		id := uint16(r.Uint32())
		if len(model) > 0 && r.IntN(3) == 0 {
			id = cs.ids[r.IntN(len(cs.ids))]
		}
		switch c := model[id]; {
		case c != nil:
			cs.remove(id)
			delete(model, id)
		case cs.free(id):
			c = &call{}
			cs.add(id, c)
			model[id] = c
		case cs.get(id) != nil:
			t.Fatalf("get(%d) finds a call of another ID", id)
		}
	}
	if cs.len() != len(model) {
		t.Fatalf("%d calls, want %d", cs.len(), len(model))
	}
	for id := range 1 << 16 {
		if got, want := cs.get(uint16(id)), model[uint16(id)]; got != want {
			t.Fatalf("get(%d) = %p, want %p", id, got, want)
		}
	}
	seen := map[uint16]bool{}
	for i, id := range cs.ids {
		if seen[id] || cs.get(id) == nil || cs.get(id).pos != i {
			t.Fatalf("ids[%d] = %d: listed twice, not in use, or at the wrong place", i, id)
		}
		seen[id] = true
	}
}
