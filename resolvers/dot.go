package resolvers

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// errRetired: a DNS-over-TLS connection takes no more queries, because one
// timed out without anything at all coming back on it.
var errRetired = errors.New("connection retired after a timeout")

// maxConnLost is how many times a DNS-over-TLS query is sent again on a new
// connection after the one it waited on was closed before the reply came.
// Servers close connections after some number of queries (miekg/dns after
// 128), so a burst of pipelined queries may lose some to each close.
const maxConnLost = 3

// dotServer asks one DNS-over-TLS resolver (RFC 7858). Its queries are
// pipelined over one long-lived TLS connection, as RFC 7766 §6.2.1.1 asks,
// and replies, which may come in any order, are matched to them by message
// ID and question. When the server closes the connection (idle, or after
// some number of queries), the next query opens a new one, and a query lost
// with the old connection is sent again on the new one.
type dotServer struct {
	addr   string      // host:port to connect to
	client *dns.Client // Net "tcp-tls" with the TLS configuration; its Timeout bounds each dial

	mu     sync.Mutex
	conn   *dotConn              // the connection new queries go on; nil when none
	conns  map[*dotConn]struct{} // every connection not yet known to be closed, for close
	dial   *dotDial              // the dial in progress, if any
	closed bool
	done   chan struct{} // closed by close: queries waiting for a dial end with ErrClosed
}

// dotDial is a connection being opened; the queries that need it wait for it.
type dotDial struct {
	done chan struct{} // closed when the dial has ended
	conn *dotConn
	err  error
}

func newDoT(ep encEndpoint, timeout time.Duration, base *tls.Config) *dotServer {
	conf := base.Clone()
	conf.ServerName = ep.host
	return &dotServer{
		addr:   ep.dialAddr,
		client: &dns.Client{Net: "tcp-tls", TLSConfig: conf, Timeout: timeout},
		conns:  make(map[*dotConn]struct{}),
		done:   make(chan struct{}),
	}
}

func (s *dotServer) exchange(ctx context.Context, pkt []byte) ([]byte, error) {
	qend := questionEnd(pkt)
	if qend < 0 {
		return nil, errors.New("malformed query")
	}
	for try := 0; ; try++ {
		dc, err := s.connect(ctx)
		if err != nil {
			return nil, err
		}
		reply, err := dc.exchange(ctx, pkt, pkt[12:qend])
		if try < maxConnLost && errors.Is(err, errConnLost) && ctx.Err() == nil {
			continue // the server closed the connection before answering: again, on a new one
		}
		return reply, err
	}
}

// connect returns the connection to send on, opening one if there is none
// that takes queries.
func (s *dotServer) connect(ctx context.Context) (*dotConn, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.conn != nil && s.conn.usable() {
		dc := s.conn
		s.mu.Unlock()
		return dc, nil
	}
	d := s.dial
	if d == nil {
		d = &dotDial{done: make(chan struct{})}
		s.dial = d
		go s.open(d)
	}
	s.mu.Unlock()
	select {
	case <-d.done:
		return d.conn, d.err
	case <-s.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// open dials a new connection for the queries waiting on d. The dial is not
// bound to the context of the query that started it, which may end while
// others wait for the same connection; the client's timeout bounds it.
func (s *dotServer) open(d *dotDial) {
	ctx, cancel := context.WithTimeout(context.Background(), s.client.Timeout)
	defer cancel()
	conn, err := s.client.DialContext(ctx, s.addr)
	s.mu.Lock()
	s.dial = nil
	switch {
	case err != nil:
		d.err = connError(err)
	case s.closed:
		conn.Close()
		d.err = ErrClosed
	default:
		for old := range s.conns {
			if old.dead() {
				delete(s.conns, old)
			}
		}
		d.conn = newDotConn(conn)
		s.conn = d.conn
		s.conns[d.conn] = struct{}{}
	}
	s.mu.Unlock()
	close(d.done)
}

func (s *dotServer) close() error {
	s.mu.Lock()
	if !s.closed {
		close(s.done)
	}
	s.closed = true
	conns := s.conns
	s.conns, s.conn = nil, nil
	s.mu.Unlock()
	for dc := range conns {
		dc.shutdown(ErrClosed)
	}
	return nil
}

// dotConn is one TLS connection to a DNS-over-TLS resolver, shared by the
// queries in flight. A single reader goroutine reads every reply and hands it
// to the query waiting for that message ID, after checking that the reply's
// question is the one asked; anything else is dropped.
type dotConn struct {
	conn     *dns.Conn
	wmu      sync.Mutex    // serialises writes
	done     chan struct{} // closed when the reader has returned
	lastRead atomic.Int64  // when the last message arrived, in Unix nanoseconds

	mu      sync.Mutex
	pending map[uint16]*dotCall
	err     error // once set, the connection takes no more queries
	retired bool  // takes no more queries, and is closed when the last one ends
}

// dotCall is one query waiting on a dotConn for its reply.
type dotCall struct {
	question []byte        // wire form of the question: name, type, class
	ch       chan dotReply // receives exactly one reply per registration
}

// dotReply is what a waiting query gets: the reply, or why there is none.
type dotReply struct {
	msg []byte
	err error
}

func newDotConn(conn *dns.Conn) *dotConn {
	dc := &dotConn{conn: conn, done: make(chan struct{}), pending: make(map[uint16]*dotCall)}
	go dc.readLoop()
	return dc
}

// usable reports whether the connection takes new queries.
func (dc *dotConn) usable() bool {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return dc.err == nil && !dc.retired
}

// dead reports whether the connection has been closed, or is being.
func (dc *dotConn) dead() bool {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return dc.err != nil
}

// exchange sends pkt with a free message ID and waits for the reply whose ID
// and question match, until ctx ends.
func (dc *dotConn) exchange(ctx context.Context, pkt, question []byte) ([]byte, error) {
	c := &dotCall{question: question, ch: make(chan dotReply, 1)}
	dc.mu.Lock()
	if dc.err != nil || dc.retired {
		err := dc.err
		if err == nil {
			err = errRetired
		}
		dc.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", errConnLost, err)
	}
	if len(dc.pending) >= maxPending {
		dc.mu.Unlock()
		return nil, errors.New("too many queries in flight on one connection")
	}
	var id uint16
	for {
		id = uint16(rand.Uint32())
		if _, used := dc.pending[id]; !used {
			break
		}
	}
	dc.pending[id] = c
	dc.mu.Unlock()
	binary.BigEndian.PutUint16(pkt, id)

	sent := time.Now()
	dc.wmu.Lock()
	if deadline, ok := ctx.Deadline(); ok {
		dc.conn.SetWriteDeadline(deadline)
	}
	_, err := dc.conn.Write(pkt)
	dc.wmu.Unlock()
	if err != nil {
		// A failed write may have sent part of the message, and the stream
		// is then out of step: the connection ends, with every query on it.
		if !dc.cancel(id, c) {
			if r := <-c.ch; r.err == nil {
				return r.msg, nil // answered, although the write said otherwise
			}
		}
		dc.shutdown(fmt.Errorf("%w: %w", errConnLost, err))
		if isTimeout(err) {
			return nil, fmt.Errorf("%w: sending over TLS: %w", ErrTimeout, err)
		}
		return nil, fmt.Errorf("%w: %w", errConnLost, err)
	}

	select {
	case r := <-c.ch:
		return r.msg, r.err
	case <-ctx.Done():
	}
	if !dc.cancel(id, c) {
		r := <-c.ch // the reader claimed the query just as the wait ended
		return r.msg, r.err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && dc.lastRead.Load() < sent.UnixNano() {
		// Nothing at all came back since the query was sent: the
		// connection may be dead, so later queries go on a new one.
		dc.retire()
	}
	return nil, context.Cause(ctx)
}

// cancel unregisters a query; it reports false when the reader has already
// claimed it (and so is about to send, or has sent, on c.ch).
func (dc *dotConn) cancel(id uint16, c *dotCall) bool {
	dc.mu.Lock()
	if dc.pending[id] != c {
		dc.mu.Unlock()
		return false
	}
	delete(dc.pending, id)
	drained := dc.drainedLocked()
	dc.mu.Unlock()
	if drained {
		dc.conn.Close()
	}
	return true
}

// retire stops new queries from using the connection, and closes it once
// the queries waiting on it have ended.
func (dc *dotConn) retire() {
	dc.mu.Lock()
	dc.retired = true
	drained := dc.drainedLocked()
	dc.mu.Unlock()
	if drained {
		dc.conn.Close()
	}
}

// drainedLocked reports whether a retired connection has no query left and
// should now be closed; it then marks it closed. dc.mu must be held.
func (dc *dotConn) drainedLocked() bool {
	if !dc.retired || len(dc.pending) > 0 || dc.err != nil {
		return false
	}
	dc.err = errRetired
	return true
}

// shutdown ends the connection: every query waiting on it fails with err
// (unless it had already failed), and shutdown returns once the reader has.
func (dc *dotConn) shutdown(err error) {
	dc.fail(err)
	dc.conn.Close()
	<-dc.done
}

// fail ends the wait of every query on the connection with err, or with the
// error that ended the connection first, and stops it taking new queries.
func (dc *dotConn) fail(err error) {
	dc.mu.Lock()
	if dc.err == nil {
		dc.err = err
	} else {
		err = dc.err
	}
	for id, c := range dc.pending {
		delete(dc.pending, id)
		c.ch <- dotReply{err: err}
	}
	dc.mu.Unlock()
}

// readLoop reads replies until the connection ends.
func (dc *dotConn) readLoop() {
	defer close(dc.done)
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, err := dc.conn.Read(buf)
		if err != nil {
			dc.fail(fmt.Errorf("%w: %w", errConnLost, err))
			dc.conn.Close()
			return
		}
		dc.lastRead.Store(time.Now().UnixNano())
		msg := buf[:n]
		if n < 12 || msg[2]&0x80 == 0 { // too short, or not a response
			continue
		}
		id := binary.BigEndian.Uint16(msg)
		dc.mu.Lock()
		c := dc.pending[id]
		if c == nil || !questionMatches(msg, c.question) {
			dc.mu.Unlock()
			continue
		}
		delete(dc.pending, id)
		drained := dc.drainedLocked()
		dc.mu.Unlock()
		c.ch <- dotReply{msg: bytes.Clone(msg)}
		if drained {
			dc.conn.Close()
		}
	}
}
