package main

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/hostwatch/hostwatch/probe"
)

// changeSpool keeps a run's changes in a temporary file as they come, so
// that a check of any size holds none of them in memory (a first run of
// 100,000 names brings 100,000 of them); All walks them, as often as asked.
type changeSpool struct {
	f   *os.File
	w   *bufio.Writer
	enc *gob.Encoder
	n   int
	err error // the first error met while walking
}

func newChangeSpool() (*changeSpool, error) {
	f, err := os.CreateTemp("", "hostwatch-changes-*.gob")
	if err != nil {
		return nil, fmt.Errorf("keep the run's changes: %w", err)
	}
	os.Remove(f.Name()) // read through f only; gone with it
	w := bufio.NewWriterSize(f, 64<<10)
	return &changeSpool{f: f, w: w, enc: gob.NewEncoder(w)}, nil
}

// Add keeps one change.
func (s *changeSpool) Add(c probe.Change) error {
	if err := s.enc.Encode(&c); err != nil {
		return fmt.Errorf("keep the run's changes: %w", err)
	}
	s.n++
	return nil
}

// All walks the changes in the order they were added. An error stops the
// walk and is kept for Err.
func (s *changeSpool) All() iter.Seq[probe.Change] {
	return func(yield func(probe.Change) bool) {
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
		dec := gob.NewDecoder(bufio.NewReaderSize(s.f, 64<<10))
		for range s.n {
			var c probe.Change
			if err := dec.Decode(&c); err != nil {
				s.err = fmt.Errorf("read the run's changes back: %w", err)
				return
			}
			if !yield(c) {
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
