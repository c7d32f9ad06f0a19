package reports

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much a spool keeps in memory before it moves what it
// holds to a temporary file.
const spoolMemory = 1 << 20

// spool keeps bytes written in order, in memory up to spoolMemory, then
// in a temporary file (removed at once: read through the spool only): a
// part of a report written at its end, kept as it comes.
type spool struct {
	mem  bytes.Buffer
	f    *os.File
	w    *bufio.Writer
	used bool
	max  int // in memory, when not spoolMemory (tests)
}

// Write keeps p.
func (s *spool) Write(p []byte) (int, error) {
	if err := s.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *spool) write(p []byte) error {
	s.used = s.used || len(p) > 0
	if s.f == nil {
		if s.mem.Len()+len(p) <= cmp.Or(s.max, spoolMemory) {
			s.mem.Write(p)
			return nil
		}
		f, err := os.CreateTemp("", "hostwatch-report-*")
		if err != nil {
			return fmt.Errorf("keep the report in a temporary file: %w", err)
		}
		os.Remove(f.Name())
		s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
		s.w.Write(s.mem.Bytes())
		s.mem = bytes.Buffer{}
	}
	if _, err := s.w.Write(p); err != nil {
		return fmt.Errorf("keep the report in a temporary file: %w", err)
	}
	return nil
}

func (s *spool) empty() bool { return !s.used }

// copyTo writes what was kept to w.
func (s *spool) copyTo(w io.Writer) error {
	r, err := s.reader()
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// spoolReader reads a spool back, a byte at a time where that is easier.
type spoolReader interface {
	io.Reader
	io.ByteReader
}

// reader reads what was kept from its start, buffered; nothing may be
// written while it is read.
func (s *spool) reader() (spoolReader, error) {
	if s.f == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("keep the report in a temporary file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("keep the report in a temporary file: %w", err)
	}
	return bufio.NewReaderSize(s.f, 64<<10), nil
}

func (s *spool) close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}
