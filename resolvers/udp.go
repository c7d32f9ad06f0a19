package resolvers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpConn is one connected UDP socket to one resolver, shared by many queries
// in flight. A single reader goroutine reads every reply and hands it to the
// query waiting for that message ID, after checking that the reply's question
// is the one asked; anything else is dropped, so a query keeps waiting for its
// own reply until it times out. A single writer goroutine sends the queries
// queued meanwhile: with many in flight, replies and queries go through the
// socket a batch per system call (recvmmsg and sendmmsg on Linux), which
// was a quarter of a bulk run's CPU time as one call per datagram. A single
// sweeper goroutine ends the wait of the queries whose time is up or whose
// context has ended, every sweepEvery while any is pending: a timer per
// query, started and stopped around each wait, cost a tenth of a bulk run's
// CPU time, and a wait for either the reply or the context's end (a select)
// a fortieth more than a wait for the reply alone.
//
// UDP loses datagrams (a server's receive buffer full is enough), so the
// sweeper also sends a query again, with the same ID, when no reply came
// within the retransmission timeout: the socket's estimate of its round
// trips (RFC 6298's formula), at least minRTO, doubling for the second
// time, at most maxResends times per wait. Without it, one datagram lost in
// a bulk run held the names behind it for the whole timeout (3 s).
type udpConn struct {
	conn  *net.UDPConn
	batch batchConn
	done  chan struct{} // closed when the reader has returned
	quit  chan struct{} // closed by close, to stop the writer and the sweeper
	wdone chan struct{} // closed when the writer has returned
	sdone chan struct{} // closed when the sweeper has returned
	swake chan struct{} // signalled when pending gets its first query
	epoch time.Time     // when the socket opened: deadlines are durations since

	mu      sync.Mutex
	pending calls
	err     error        // once set, the socket takes no more queries
	rtt     *rttEstimate // shared by the server's sockets

	wmu   sync.Mutex
	queue []outgoing    // queries waiting for the writer
	wake  chan struct{} // signalled when queue gets its first query
}

// batchConn reads and writes batches of datagrams: an ipv4 or ipv6
// PacketConn of golang.org/x/net on the socket.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// outgoing is a query queued for the writer: a copy of its packet, and the
// call waiting for it, which the writer fails when the packet cannot be sent.
type outgoing struct {
	id  uint16
	c   *call
	pkt *[]byte
}

const (
	// readBatch and writeBatch are the most datagrams one system call
	// reads or writes.
	readBatch  = 16
	writeBatch = 64
)

// call is one query waiting on a udpConn for its reply.
type call struct {
	pkt      []byte     // the query as sent (the caller's, kept while it waits)
	question []byte     // wire form of the question: name, type, class
	ch       chan reply // receives exactly one reply per registration
	// ctx is the caller's context, done its Done channel (nil if it never
	// ends): the sweeper ends the wait when it is closed.
	ctx  context.Context
	done <-chan struct{}
	id   uint16 // its message ID
	pos  int    // where the ID is in pending.ids
	// deadline is when the sweeper ends the wait (the socket's time since
	// its epoch, on the monotonic clock), timeout the wait it was given.
	deadline time.Duration
	timeout  time.Duration
	// sent is when the query was queued, resendAt when it is sent again
	// if no reply has come, resends how many times it was.
	sent, resendAt time.Duration
	resends        int
}

// rttEstimate is RFC 6298's smoothed round trip and its variation, from
// replies to queries sent once (Karn's rule: a reply to a query sent
// again could be to either copy), and its backoff: each query sent again
// doubles the timeout of the queries after it, up to maxBackoff times,
// until a reply to a query sent once comes. Without it, a server slower
// than initialRTO would have every query sent again, and so never give a
// sample to learn its round trip from. One estimate serves all the sockets
// to one server; it is safe for concurrent use.
type rttEstimate struct {
	mu           sync.Mutex
	srtt, rttvar time.Duration
	samples      int
	backoff      int
}

const (
	// initialRTO is the retransmission timeout before any reply.
	initialRTO = 400 * time.Millisecond
	// minRTO is the shortest retransmission timeout (as Unbound's
	// infra-cache-min-rtt): loopback and LAN servers answer in far less,
	// and a busy machine's replies come late by a few milliseconds.
	minRTO = 50 * time.Millisecond
	// maxResends is how many times one wait sends its query again.
	maxResends = 2
	// maxBackoff is how many times the timeout doubles at most.
	maxBackoff = 4
)

func (e *rttEstimate) add(r time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.samples == 0 {
		e.srtt, e.rttvar = r, r/2
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.samples++
	e.backoff = 0
}

// resent notes a query sent again: the timeout backs off.
func (e *rttEstimate) resent() {
	e.mu.Lock()
	e.backoff = min(e.backoff+1, maxBackoff)
	e.mu.Unlock()
}

// rto is the retransmission timeout.
func (e *rttEstimate) rto() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	rto := initialRTO
	if e.samples > 0 {
		rto = max(e.srtt+4*e.rttvar, minRTO)
	}
	return rto << e.backoff
}

// reply is what the reader hands to a waiting call: the raw message (a pooled
// buffer) and when it arrived, or the error that ended the wait.
type reply struct {
	buf     *[]byte
	at      time.Time
	resends int // how many times the query was sent again
	err     error
}

const (
	// maxPending bounds the queries in flight on one socket, leaving room
	// among the 65,536 message IDs to pick a random free one quickly.
	maxPending = 32768
	// maxReadFailures is how many read errors in a row end a socket.
	maxReadFailures = 1000
	// sweepEvery is how often the sweeper looks for queries whose time is
	// up: a query times out at most this late.
	sweepEvery = 5 * time.Millisecond
)

var (
	callPool  = sync.Pool{New: func() any { return &call{ch: make(chan reply, 1)} }}
	queryPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
	replyPool = sync.Pool{New: func() any { b := make([]byte, 0, 1500); return &b }}
)

func putReplyBuf(b *[]byte) {
	if cap(*b) <= 4096 {
		*b = (*b)[:0]
		replyPool.Put(b)
	}
}

func dialUDP(addr string, rtt *rttEstimate) (*udpConn, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, err
	}
	// Room for bursts of replies while the reader is not scheduled; the
	// kernel caps this at net.core.rmem_max.
	_ = conn.SetReadBuffer(1 << 20)
	u := &udpConn{conn: conn, done: make(chan struct{}), quit: make(chan struct{}), wdone: make(chan struct{}),
		sdone: make(chan struct{}), swake: make(chan struct{}, 1), epoch: time.Now(), rtt: rtt,
		pending: newCalls(), wake: make(chan struct{}, 1)}
	if raddr.IP.To4() != nil {
		u.batch = ipv4.NewPacketConn(conn)
	} else {
		u.batch = ipv6.NewPacketConn(conn)
	}
	// Each buffer takes the largest datagram, so none is cut short.
	r, err := newReplyReader(conn, u.batch, readBatch, 65535)
	if err != nil {
		conn.Close()
		return nil, err
	}
	go u.readLoop(r)
	go u.writeLoop()
	go u.sweepLoop()
	return u, nil
}

func (u *udpConn) close() error {
	u.mu.Lock()
	if u.err == nil {
		u.err = ErrClosed
	}
	u.mu.Unlock()
	close(u.quit)
	<-u.wdone
	<-u.sdone
	err := u.conn.Close()
	<-u.done
	return err
}

// replyReader reads batches of datagrams (recvmmsg on Linux): read reads
// one, datagram(i) is its ith datagram until the next read.
type replyReader interface {
	read() (int, error)
	datagram(i int) []byte
}

// readLoop reads replies with r until the socket is closed.
func (u *udpConn) readLoop(r replyReader) {
	defer close(u.done)
	failures := 0
	for {
		n, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				u.failPending(ErrClosed, true)
				return
			}
			// Most often an ICMP error for one of our queries (port or
			// host unreachable): the resolver cannot be reached, so every
			// query waiting on this socket fails now rather than at its
			// timeout. The socket stays usable, unless it keeps failing.
			failures++
			if errors.Is(err, syscall.ECONNREFUSED) {
				err = ErrConnRefused
			}
			final := failures >= maxReadFailures
			u.failPending(err, final)
			if final {
				return
			}
			continue
		}
		failures = 0
		at := time.Now()
		since := at.Sub(u.epoch)
		for i := range n {
			u.deliver(r.datagram(i), at, since)
		}
	}
}

// deliver hands a datagram read at at (since after the socket's epoch) to
// the query waiting for it, if any.
func (u *udpConn) deliver(msg []byte, at time.Time, since time.Duration) {
	if len(msg) < 12 || msg[2]&0x80 == 0 { // too short, or not a response
		return
	}
	id := binary.BigEndian.Uint16(msg)
	u.mu.Lock()
	c := u.pending.get(id)
	if c == nil || !questionMatches(msg, c.question) {
		u.mu.Unlock()
		return
	}
	u.pending.remove(id)
	resends := c.resends
	if resends == 0 {
		u.rtt.add(since - c.sent)
	}
	u.mu.Unlock()
	b := replyPool.Get().(*[]byte)
	*b = append((*b)[:0], msg...)
	c.ch <- reply{buf: b, at: at, resends: resends}
}

// writeLoop sends the queued queries, as many per system call as are
// queued, until close. A query whose wait ended before its turn (a timeout,
// a cancelled context) is not sent; one that cannot be sent fails with the
// error of its write.
func (u *udpConn) writeLoop() {
	defer close(u.wdone)
	msgs := make([]ipv4.Message, writeBatch)
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
	}
	var batch []outgoing
	for {
		select {
		case <-u.wake:
		case <-u.quit:
			return
		}
		// Let the goroutines about to queue a query do so: the batch is
		// then several queries rather than one.
		runtime.Gosched()
		u.wmu.Lock()
		batch, u.queue = u.queue, batch[:0]
		u.wmu.Unlock()
		// The queue's array comes back to it whole, so that neither array
		// is ever made again.
		for rest := batch; len(rest) > 0; {
			k := min(len(rest), writeBatch)
			u.send(rest[:k], msgs[:k])
			rest = rest[k:]
		}
		clear(batch) // nothing kept alive by the array
	}
}

// send writes one batch of queries, skipping those no longer waited for,
// and gives every packet of the batch back to queryPool, each once. (It
// compacts batch in place: a caller giving back the packets of batch
// afterwards would give some twice, and two queries would share one.)
func (u *udpConn) send(batch []outgoing, msgs []ipv4.Message) {
	// The queries still waited for move to the front, swapped rather than
	// overwritten, so that batch holds each query once throughout.
	n := 0
	u.mu.Lock()
	for i, o := range batch {
		if u.pending.get(o.id) == o.c {
			batch[n], batch[i] = o, batch[n]
			n++
		} else {
			queryPool.Put(o.pkt)
		}
	}
	u.mu.Unlock()
	batch, msgs = batch[:n], msgs[:n]
	for i, o := range batch {
		msgs[i].Buffers[0] = *o.pkt
	}
	for sent := 0; sent < len(batch); {
		k, err := u.batch.WriteBatch(msgs[sent:], 0)
		sent += max(k, 0) // -1 when the first could not be written
		if err != nil && sent < len(batch) {
			// The datagram at sent could not be written: its query fails,
			// and the rest of the batch is tried again.
			if o := batch[sent]; u.cancel(o.id, o.c) {
				o.c.ch <- reply{resends: o.c.resends, err: err}
			}
			sent++
		}
	}
	for i := range msgs {
		msgs[i].Buffers[0] = nil
	}
	for _, o := range batch {
		queryPool.Put(o.pkt)
	}
}

// sweepLoop ends the wait of the queries whose deadline has passed, every
// sweepEvery while any query is pending, until close.
func (u *udpConn) sweepLoop() {
	defer close(u.sdone)
	t := time.NewTimer(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-u.quit:
			return
		}
		if u.sweep(time.Since(u.epoch)) == 0 {
			// Nothing pending: sleep until a query is.
			select {
			case <-u.swake:
			case <-u.quit:
				return
			}
		}
		t.Reset(sweepEvery)
	}
}

// sweep fails the pending queries whose context has ended or whose
// deadline is before now, queues again those whose retransmission time has
// come, and returns how many are left pending.
func (u *udpConn) sweep(now time.Duration) int {
	var again []outgoing
	u.mu.Lock()
	// Backwards, so that the calls removed move only calls already seen.
	for i := len(u.pending.ids) - 1; i >= 0; i-- {
		id := u.pending.ids[i]
		c := u.pending.get(id)
		switch {
		case ended(c.done):
			u.pending.remove(id)
			c.ch <- reply{resends: c.resends, err: context.Cause(c.ctx)}
		case c.deadline <= now:
			u.pending.remove(id)
			c.ch <- reply{resends: c.resends, err: fmt.Errorf("%w: no reply within %s", ErrTimeout, c.timeout)}
		case c.resends < maxResends && c.resendAt <= now:
			c.resends++
			u.rtt.resent()
			c.resendAt = now + u.rtt.rto()
			out := queryPool.Get().(*[]byte)
			*out = append((*out)[:0], c.pkt...)
			again = append(again, outgoing{id: id, c: c, pkt: out})
		}
	}
	left := u.pending.len()
	u.mu.Unlock()
	if len(again) > 0 {
		u.enqueue(again...)
	}
	return left
}

// failPending ends the wait of every query on the socket with err; if final,
// the socket takes no more queries.
func (u *udpConn) failPending(err error, final bool) {
	u.mu.Lock()
	if final && u.err == nil {
		u.err = err
	}
	for u.pending.len() > 0 {
		id := u.pending.ids[0]
		c := u.pending.get(id)
		u.pending.remove(id)
		c.ch <- reply{resends: c.resends, err: err}
	}
	u.mu.Unlock()
}

// ended reports whether done (a context's Done channel, nil for one that
// never ends) is closed.
func ended(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// questionMatches reports whether msg (a reply) carries exactly one question
// and that question is q (the wire form of the question sent), comparing the
// name without regard to ASCII case.
func questionMatches(msg, q []byte) bool {
	if len(q) < 5 || len(msg) < 12+len(q) || msg[4] != 0 || msg[5] != 1 {
		return false
	}
	got := msg[12 : 12+len(q)]
	nameLen := len(q) - 4
	for i := 0; i < nameLen; i++ {
		a, b := got[i], q[i]
		if a == b {
			continue
		}
		// Length octets are at most 63 and so never in 'A'..'Z'.
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return string(got[nameLen:]) == string(q[nameLen:])
}

// questionEnd returns the offset just past the first question of the packed
// message pkt, or -1 when pkt is malformed.
func questionEnd(pkt []byte) int {
	off := 12
	for {
		if off >= len(pkt) {
			return -1
		}
		l := int(pkt[off])
		if l == 0 {
			off++
			break
		}
		if l > 63 {
			return -1 // our own queries are never compressed
		}
		off += 1 + l
	}
	if off+4 > len(pkt) {
		return -1
	}
	return off + 4
}

// exchange sends pkt (a packed query whose ID it overwrites) and waits up to
// timeout, or until ctx ends, for the reply whose ID and question match. On
// success the caller owns the returned buffer and must give it back with
// putReplyBuf.
func (u *udpConn) exchange(ctx context.Context, pkt []byte, timeout time.Duration) reply {
	q, err := u.start(ctx, pkt, timeout)
	if err != nil {
		return reply{err: err}
	}
	return u.wait(q)
}

// inFlight is a query start has queued: wait takes its reply.
type inFlight struct {
	id uint16
	c  *call
}

// start registers pkt (a packed query whose ID it overwrites) and queues it
// for the writer, without waiting: wait, which must follow, takes the
// reply, or the error that ended the wait: the timeout, or ctx's end
// (context.Cause), noticed by the sweeper within sweepEvery. A caller with
// several questions starts them all and then waits for each, so that they
// are in flight together without a goroutine apiece.
func (u *udpConn) start(ctx context.Context, pkt []byte, timeout time.Duration) (inFlight, error) {
	qend := questionEnd(pkt)
	if qend < 0 {
		return inFlight{}, errors.New("malformed query")
	}
	done := ctx.Done()
	if ended(done) {
		return inFlight{}, context.Cause(ctx)
	}
	c := callPool.Get().(*call)
	c.pkt, c.question, c.ctx, c.done = pkt, pkt[12:qend], ctx, done
	c.sent = time.Since(u.epoch)
	c.deadline, c.timeout, c.resends = c.sent+timeout, timeout, 0

	u.mu.Lock()
	if u.err != nil {
		err := u.err
		u.mu.Unlock()
		callPool.Put(c)
		return inFlight{}, err
	}
	if u.pending.len() >= maxPending {
		u.mu.Unlock()
		callPool.Put(c)
		return inFlight{}, errors.New("too many queries in flight on one socket")
	}
	var id uint16
	for {
		id = uint16(rand.Uint32())
		if u.pending.free(id) {
			break
		}
	}
	binary.BigEndian.PutUint16(pkt, id)
	c.resendAt = c.sent + u.rtt.rto()
	u.pending.add(id, c)
	idle := u.pending.len() == 1
	u.mu.Unlock()
	if idle {
		select {
		case u.swake <- struct{}{}:
		default: // already signalled
		}
	}

	// The writer sends a copy: the query may still be queued when the
	// caller has its reply and uses pkt again.
	out := queryPool.Get().(*[]byte)
	*out = append((*out)[:0], pkt...)
	u.enqueue(outgoing{id: id, c: c, pkt: out})
	return inFlight{id, c}, nil
}

// enqueue queues queries for the writer.
func (u *udpConn) enqueue(out ...outgoing) {
	u.wmu.Lock()
	first := len(u.queue) == 0
	u.queue = append(u.queue, out...)
	u.wmu.Unlock()
	if first {
		select {
		case u.wake <- struct{}{}:
		default: // already signalled
		}
	}
}

// wait waits for the reply to a query start queued: the reply, an error, or
// the sweeper's word that the query's time is up or its context ended. On
// success the caller owns the returned buffer and must give it back with
// putReplyBuf.
func (u *udpConn) wait(q inFlight) reply {
	r := <-q.c.ch
	q.c.pkt, q.c.question, q.c.ctx, q.c.done = nil, nil, nil, nil
	callPool.Put(q.c)
	return r
}

// cancel unregisters a query; it reports false when the reader has already
// claimed it (and so is about to send, or has sent, on c.ch).
func (u *udpConn) cancel(id uint16, c *call) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending.get(id) == c {
		u.pending.remove(id)
		return true
	}
	return false
}

// calls are the queries waiting on a socket, in a table indexed by the
// low bits of their message IDs, and the IDs in use in a list, for the
// sweeper. An ID is drawn at random among those whose place in the table
// is free; the table grows to keep at least eight places a query waiting,
// so that at most an eighth of the IDs are ruled out (a fifth of a bit of
// the ID's randomness), and it stays small enough to stay in the CPU's
// caches: a map hashed on every start, send, reply and cancel cost a
// thirtieth of a bulk run's CPU time, and a table of all 65,536 IDs nearly
// as much, in cache misses.
type calls struct {
	slots []*call // a power of two long, at most 1<<16
	ids   []uint16
}

// minSlots is the table's size before it grows.
const minSlots = 256

func newCalls() calls { return calls{slots: make([]*call, minSlots)} }

// get returns the call waiting with ID id, or nil.
func (cs *calls) get(id uint16) *call {
	if c := cs.slots[int(id)&(len(cs.slots)-1)]; c != nil && c.id == id {
		return c
	}
	return nil
}

// free reports whether id's place is free, so that add can take it.
func (cs *calls) free(id uint16) bool { return cs.slots[int(id)&(len(cs.slots)-1)] == nil }

func (cs *calls) len() int { return len(cs.ids) }

// add registers c under id, whose place must be free.
func (cs *calls) add(id uint16, c *call) {
	c.id, c.pos = id, len(cs.ids)
	cs.slots[int(id)&(len(cs.slots)-1)] = c
	cs.ids = append(cs.ids, id)
	if n := len(cs.slots); 8*len(cs.ids) > n && n < 1<<16 {
		// Twice as many places: IDs apart in fewer low bits are apart in
		// more.
		slots := make([]*call, 2*n)
		for _, id := range cs.ids {
			slots[int(id)&(2*n-1)] = cs.slots[int(id)&(n-1)]
		}
		cs.slots = slots
	}
}

// remove unregisters the call under id, which must be there: the last ID
// of the list takes its place there.
func (cs *calls) remove(id uint16) {
	mask := len(cs.slots) - 1
	c := cs.slots[int(id)&mask]
	pos, n := c.pos, len(cs.ids)-1
	last := cs.ids[n]
	cs.ids[pos] = last
	cs.slots[int(last)&mask].pos = pos
	cs.ids = cs.ids[:n]
	cs.slots[int(id)&mask] = nil
}
