package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"os"
	"time"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/resolvers"
)

// changeSpool keeps a run's changes in a temporary file as they come, so
// that a check of any size holds none of them in memory (a first run of
// 100,000 names brings 100,000 of them); All walks them, as often as asked.
type changeSpool struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
	n   int
	err error // the first error met while walking
	// encode, when set, words each change as the report will (see
	// reports.CheckEncoder), so that the report after the commit is a
	// copy: a record is then a byte saying whether the change is pending
	// and the change's words, and Encoded walks them, not All.
	encode func(b []byte, ch probe.Change) []byte
}

func newChangeSpool() (*changeSpool, error) {
	f, err := os.CreateTemp("", "hostwatch-changes-*")
	if err != nil {
		return nil, fmt.Errorf("keep the run's changes: %w", err)
	}
	os.Remove(f.Name()) // read through f only; gone with it
	w := bufio.NewWriterSize(f, 64<<10)
	return &changeSpool{f: f, w: w}, nil
}

// Add keeps one change.
func (s *changeSpool) Add(c probe.Change) error {
	if s.encode != nil {
		pending := byte(0)
		if c.Pending() {
			pending = 1
		}
		s.buf = s.encode(append(s.buf[:0], pending), c)
	} else {
		s.buf = appendChange(s.buf[:0], &c)
	}
	var n [binary.MaxVarintLen64]byte
	s.w.Write(n[:binary.PutUvarint(n[:], uint64(len(s.buf)))])
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("keep the run's changes: %w", err)
	}
	s.n++
	return nil
}

// All walks the changes in the order they were added. An error stops the
// walk and is kept for Err.
func (s *changeSpool) All() iter.Seq[probe.Change] {
	return func(yield func(probe.Change) bool) {
		for rec := range s.records() {
			var c probe.Change
			if err := decodeChange(rec, &c); err != nil {
				s.err = fmt.Errorf("read the run's changes back: %w", err)
				return
			}
			if !yield(c) {
				return
			}
		}
	}
}

// Encoded walks the changes as encode worded them, in the order they were
// added; the bytes of each are only valid until the walk goes on. An error
// stops the walk and is kept for Err.
func (s *changeSpool) Encoded() iter.Seq[reports.EncodedChange] {
	return func(yield func(reports.EncodedChange) bool) {
		for rec := range s.records() {
			if len(rec) == 0 {
				s.err = errors.New("read the run's changes back: an empty record")
				return
			}
			if !yield(reports.EncodedChange{Pending: rec[0] == 1, Bytes: rec[1:]}) {
				return
			}
		}
	}
}

// records walks the records in the order they were added, each in a
// buffer reused for the next.
func (s *changeSpool) records() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		if s.err != nil || s.n == 0 {
			return
		}
		if err := s.w.Flush(); err != nil {
			s.err = err
			return
		}
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			s.err = err
			return
		}
		r := bufio.NewReaderSize(s.f, 64<<10)
		var rec []byte
		for range s.n {
			size, err := binary.ReadUvarint(r)
			if err == nil {
				rec = append(rec[:0], make([]byte, size)...)
				_, err = io.ReadFull(r, rec)
			}
			if err != nil {
				s.err = fmt.Errorf("read the run's changes back: %w", err)
				return
			}
			if !yield(rec) {
				return
			}
		}
		// Added after a walk, a change goes at the end.
		if _, err := s.f.Seek(0, io.SeekEnd); err != nil {
			s.err = err
		}
	}
}

// Err is the first error met while walking.
func (s *changeSpool) Err() error { return s.err }

func (s *changeSpool) Close() error { return s.f.Close() }

// Changes are spooled as length-prefixed records written by hand: gob's
// reflection took as long as writing the 100,000 changes of a first run as
// JSON. A record holds, in order: domain, vantage (strings); kinds
// (strings); move (one byte); before and after (hostings); before_view and
// after_view (resolvers, subnets: strings); before_at, after_at,
// confirmed_at (time.Time's binary form); seen, confirm (varints). A hosting
// is status, cname (strings), addresses (binary forms), asns (uvarints),
// prefixes (binary forms), orgs (strings), places (provider and country
// each), providers, countries (strings). A string is a uvarint length and
// its bytes; a list a uvarint count and its items. TestChangeSpoolRoundTrip
// fails when a field is added to probe.Change and not here.

func appendChange(b []byte, c *probe.Change) []byte {
	b = appendStr(b, c.Domain)
	b = appendStr(b, c.Vantage)
	b = binary.AppendUvarint(b, uint64(len(c.Kinds)))
	for _, k := range c.Kinds {
		b = appendStr(b, string(k))
	}
	if c.Move {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendHosting(b, &c.Before)
	b = appendHosting(b, &c.After)
	b = appendStrs(b, c.BeforeView.Resolvers)
	b = appendStrs(b, c.BeforeView.Subnets)
	b = appendStrs(b, c.AfterView.Resolvers)
	b = appendStrs(b, c.AfterView.Subnets)
	for _, t := range []time.Time{c.BeforeAt, c.AfterAt, c.ConfirmedAt} {
		b = appendTime(b, t)
	}
	b = binary.AppendVarint(b, int64(c.Seen))
	return binary.AppendVarint(b, int64(c.Confirm))
}

func appendHosting(b []byte, h *probe.Hosting) []byte {
	b = appendStr(b, string(h.Status))
	b = appendStrs(b, h.CNAME)
	b = binary.AppendUvarint(b, uint64(len(h.Addresses)))
	for _, a := range h.Addresses {
		b = appendBinary(b, a)
	}
	b = binary.AppendUvarint(b, uint64(len(h.ASNs)))
	for _, a := range h.ASNs {
		b = binary.AppendUvarint(b, uint64(a))
	}
	b = binary.AppendUvarint(b, uint64(len(h.Prefixes)))
	for _, p := range h.Prefixes {
		b = appendBinary(b, p)
	}
	b = appendStrs(b, h.Orgs)
	b = binary.AppendUvarint(b, uint64(len(h.Places)))
	for _, p := range h.Places {
		b = appendStr(b, p.Provider)
		b = appendStr(b, p.Country)
	}
	b = appendStrs(b, h.Providers)
	return appendStrs(b, h.Countries)
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrs(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendStr(b, s)
	}
	return b
}

// appendBinary appends v's binary form as a string; netip's forms never fail.
func appendBinary(b []byte, v interface{ AppendBinary([]byte) ([]byte, error) }) []byte {
	form, _ := v.AppendBinary(nil)
	return appendStr(b, string(form))
}

func appendTime(b []byte, t time.Time) []byte {
	form, err := t.AppendBinary(nil)
	if err != nil {
		// Only a zone offset that is not a whole number of minutes fails;
		// the change's times are UTC.
		form, _ = t.UTC().AppendBinary(nil)
	}
	return appendStr(b, string(form))
}

// changeReader reads one record back.
type changeReader struct {
	b   []byte
	err error
}

var errShortRecord = errors.New("record cut short")

func (r *changeReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *changeReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *changeReader) fail() {
	if r.err == nil {
		r.err = errShortRecord
	}
	r.b = nil
}

func (r *changeReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *changeReader) str() string { return string(r.bytes()) }

// count reads a list's length, bounded by what is left (each item takes a
// byte at least).
func (r *changeReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *changeReader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.str()
	}
	return l
}

func (r *changeReader) unmarshal(v interface{ UnmarshalBinary([]byte) error }) {
	if err := v.UnmarshalBinary(r.bytes()); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *changeReader) hosting(h *probe.Hosting) {
	h.Status = resolvers.Status(r.str())
	h.CNAME = r.strs()
	if n := r.count(); n > 0 {
		h.Addresses = make([]netip.Addr, n)
		for i := range h.Addresses {
			r.unmarshal(&h.Addresses[i])
		}
	}
	if n := r.count(); n > 0 {
		h.ASNs = make([]uint32, n)
		for i := range h.ASNs {
			h.ASNs[i] = uint32(r.uvarint())
		}
	}
	if n := r.count(); n > 0 {
		h.Prefixes = make([]netip.Prefix, n)
		for i := range h.Prefixes {
			r.unmarshal(&h.Prefixes[i])
		}
	}
	h.Orgs = r.strs()
	if n := r.count(); n > 0 {
		h.Places = make([]probe.Place, n)
		for i := range h.Places {
			h.Places[i] = probe.Place{Provider: r.str(), Country: r.str()}
		}
	}
	h.Providers = r.strs()
	h.Countries = r.strs()
}

func decodeChange(rec []byte, c *probe.Change) error {
	r := &changeReader{b: rec}
	c.Domain, c.Vantage = r.str(), r.str()
	if n := r.count(); n > 0 {
		c.Kinds = make([]probe.ChangeKind, n)
		for i := range c.Kinds {
			c.Kinds[i] = probe.ChangeKind(r.str())
		}
	}
	move := r.bytes1()
	c.Move = move == 1
	r.hosting(&c.Before)
	r.hosting(&c.After)
	c.BeforeView.Resolvers, c.BeforeView.Subnets = r.strs(), r.strs()
	c.AfterView.Resolvers, c.AfterView.Subnets = r.strs(), r.strs()
	for _, t := range []*time.Time{&c.BeforeAt, &c.AfterAt, &c.ConfirmedAt} {
		r.unmarshal(t)
	}
	c.Seen, c.Confirm = int(r.varint()), int(r.varint())
	if r.err == nil && len(r.b) > 0 {
		r.err = errors.New("record longer than a change")
	}
	return r.err
}

// bytes1 reads one byte.
func (r *changeReader) bytes1() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}
