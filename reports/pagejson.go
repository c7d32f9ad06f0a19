package reports

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// pageJSON is the JSON document a page carries (its download link, a data:
// URL), kept while the page is written (a spool: in a temporary file past
// spoolMemory): its digest and size are known before the page, and its
// bytes are read back into the link as the page streams out. An audit of
// 100,000 names carries 240 MB of JSON (320 MB in base64); holding it, its
// base64 and the page at once took 3 GB.
type pageJSON struct {
	doc  spool
	sum  [sha256.Size]byte
	size int64
	// marker stands in the page for the link until it is written: random,
	// so that no outside text in the page can be it.
	marker string
}

// spoolJSON keeps what write writes.
func spoolJSON(write func(io.Writer) error) (*pageJSON, error) {
	j := &pageJSON{marker: "hostwatch-json-" + rand.Text()}
	h := sha256.New()
	c := &countWriter{w: io.MultiWriter(&j.doc, h)}
	bw := bufio.NewWriterSize(c, 64<<10)
	if err := write(bw); err != nil {
		j.Close()
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		j.Close()
		return nil, fmt.Errorf("write html: %w", err)
	}
	h.Sum(j.sum[:0])
	j.size = c.n
	return j, nil
}

func (j *pageJSON) Close() error { return j.doc.close() }

// writeDataURL writes the document as a data: URL.
func (j *pageJSON) writeDataURL(w io.Writer) error {
	r, err := j.doc.reader()
	if err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	if _, err := io.WriteString(w, "data:application/json;base64,"); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, r); err != nil {
		return err
	}
	return enc.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// splice passes a page through to w with the JSON's data: URL written in
// place of its marker. Flush writes what it held back (the end of a write
// that might have begun the marker).
type splice struct {
	w      io.Writer
	json   *pageJSON
	marker []byte
	held   []byte
	count  int // markers replaced
}

func newSplice(w io.Writer, j *pageJSON) *splice {
	return &splice{w: w, json: j, marker: []byte(j.marker)}
}

func (s *splice) Write(p []byte) (int, error) {
	n := len(p)
	if len(s.held) > 0 {
		p = append(s.held, p...)
		s.held = nil
	}
	for {
		i := bytes.Index(p, s.marker)
		if i < 0 {
			break
		}
		if _, err := s.w.Write(p[:i]); err != nil {
			return 0, err
		}
		if err := s.json.writeDataURL(s.w); err != nil {
			return 0, err
		}
		s.count++
		p = p[i+len(s.marker):]
	}
	k := partialMarker(p, s.marker)
	if _, err := s.w.Write(p[:len(p)-k]); err != nil {
		return 0, err
	}
	if k > 0 {
		s.held = append([]byte(nil), p[len(p)-k:]...)
	}
	return n, nil
}

func (s *splice) Flush() error {
	_, err := s.w.Write(s.held)
	s.held = nil
	return err
}

// partialMarker is the length of the longest end of p that begins marker
// (shorter than marker).
func partialMarker(p, marker []byte) int {
	from := max(len(p)-len(marker)+1, 0)
	for i := from; i < len(p); i++ {
		if p[i] == marker[0] && bytes.HasPrefix(marker, p[i:]) {
			return len(p) - i
		}
	}
	return 0
}
