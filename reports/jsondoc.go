package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
)

// DocumentWriter writes an audit's JSON document (WriteJSON's) without
// holding its targets: each is encoded as it comes, indented as it will be
// in the document, into a temporary file, and WriteReport writes the
// document's head (known only at the end of a run: its warnings, its
// vantage) around them. A run of 100,000 names held 1.6 GB to write a
// document of 240 MB at once; its memory no longer grows with the document.
// The bytes are WriteJSON's.
type DocumentWriter struct {
	f              *os.File
	w              *bufio.Writer
	enc            *json.Encoder
	buf            bytes.Buffer
	line, indented []byte
	cache          *lineCache // what repeats from target to target
	n              int
}

// NewDocumentWriter starts a document; Close removes what it keeps.
func NewDocumentWriter() (*DocumentWriter, error) {
	f, err := os.CreateTemp("", "hostwatch-targets-*")
	if err != nil {
		return nil, fmt.Errorf("keep the run's targets: %w", err)
	}
	os.Remove(f.Name()) // read through f only; gone with it
	d := &DocumentWriter{f: f, w: bufio.NewWriterSize(f, 64<<10), cache: new(lineCache)}
	d.enc = json.NewEncoder(&d.buf)
	// As an element of the document's "targets" list: two levels deep.
	d.enc.SetIndent("    ", "  ")
	d.enc.SetEscapeHTML(false)
	return d, nil
}

// Add encodes one observation, the next target of the document.
func (d *DocumentWriter) Add(o probe.Observation) error {
	// The JSON line of o, indented, is its encoding as an element of the
	// list (as encoding/json indents what it marshals); through the Target
	// for what appendObservation leaves to it. Encoding every target by
	// reflection, then json.Indent's scanner, made -o json of 100,000
	// names take half as long again as -o jsonl.
	var target []byte
	if line, ok := appendObservation(d.line[:0], &o, d.cache); ok {
		d.line = line
		d.indented = appendIndented(d.indented[:0], line, "    ", "  ")
		target = d.indented
	} else {
		d.buf.Reset()
		if err := d.enc.Encode(NewTarget(o)); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		target = bytes.TrimSuffix(d.buf.Bytes(), []byte("\n"))
	}
	if d.n > 0 {
		d.w.WriteByte(',')
	}
	d.w.WriteString("\n    ")
	if _, err := d.w.Write(target); err != nil {
		return fmt.Errorf("keep the run's targets: %w", err)
	}
	d.n++
	return nil
}

// WriteReport writes the document of r, whose targets are those added
// (r.Observations is not read).
func (d *DocumentWriter) WriteReport(w io.Writer, r probe.Report) error {
	r.Observations = nil
	var head strings.Builder
	if err := writeDocument(&head, NewDocument(r)); err != nil {
		return err
	}
	const slot = "\n  \"targets\": []\n"
	i := strings.LastIndex(head.String(), slot)
	if i < 0 {
		return errors.New("write json: no targets field")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(head.String()[:i+len(slot)-2])
	if err := d.w.Flush(); err != nil {
		return fmt.Errorf("keep the run's targets: %w", err)
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("keep the run's targets: %w", err)
	}
	if _, err := io.Copy(bw, d.f); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	if d.n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	bw.WriteString(head.String()[i+len(slot)-1:])
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// Close removes the targets kept.
func (d *DocumentWriter) Close() error { return d.f.Close() }
