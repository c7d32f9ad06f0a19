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

	"github.com/hostwatch/hostwatch/reports/i18n"
)

// HistoryWriter writes a history (table, JSON, CSV or Markdown) without
// holding its timelines: Add renders the timelines of some domains and
// writes them, so a caller can read, replay and drop them a batch of
// domains at a time. The JSON's disagreements, which follow every domain
// in the document, are kept in a temporary file until Finish. The bytes
// are those of WriteHistoryIn given every timeline at once.
type HistoryWriter struct {
	w      *bufio.Writer
	format string
	h      History
	pr     *i18n.Printer
	n      int // timelines written
	b      strings.Builder
	csv    *CSVWriter
	// JSON: the head's end, after the domains list; the encoder of items
	// (two levels deep) and the kept disagreements.
	tail   string
	enc    *json.Encoder
	buf    bytes.Buffer
	dis    *os.File
	disw   *bufio.Writer
	ndis   int
	closed bool
}

// NewHistoryWriter starts the history h (h.Domains is not read) in format;
// Close removes what it keeps.
func NewHistoryWriter(w io.Writer, format string, h History, lang i18n.Lang) (*HistoryWriter, error) {
	pr, err := i18n.New(lang)
	if err != nil {
		return nil, err
	}
	h.Domains = nil
	hw := &HistoryWriter{w: bufio.NewWriterSize(w, 64<<10), format: format, h: h, pr: pr}
	switch format {
	case "json":
		var head strings.Builder
		if err := writeDocument(&head, newHistoryHead(h)); err != nil {
			return nil, err
		}
		const slot = "\n  \"domains\": [],\n  \"disagreements\": []\n}\n"
		s := head.String()
		if !strings.HasSuffix(s, slot) {
			return nil, errors.New("write json: no domains field")
		}
		hw.w.WriteString(s[:len(s)-len(slot)] + "\n  \"domains\": [")
		hw.tail = "],\n  \"disagreements\": ["
		hw.enc = json.NewEncoder(&hw.buf)
		hw.enc.SetIndent("    ", "  ")
		hw.enc.SetEscapeHTML(false)
	case "csv":
		hw.csv = NewCSVWriter(hw.w)
		if err := hw.csv.Write(periodsHeader); err != nil {
			return nil, err
		}
	case "markdown":
		hw.w.WriteString(historyMarkdownHead)
	case "table":
	default:
		return nil, fmt.Errorf("unknown output format %q", format)
	}
	return hw, nil
}

// Add writes the timelines of one or more domains: all of each domain's
// timelines, next to each other, in one call (where its vantages disagree
// is told with its last), and the domains in the order of the document.
func (hw *HistoryWriter) Add(timelines []DomainHistory) error {
	if len(timelines) == 0 {
		return nil
	}
	h := hw.h
	h.Domains = timelines
	hw.b.Reset()
	var err error
	switch hw.format {
	case "json":
		err = hw.addJSON(h)
	case "csv":
		err = writePeriodsCSV(hw.csv, h)
	case "table":
		writeTimelinesText(&hw.b, hw.pr, h, hw.n > 0)
	case "markdown":
		writeTimelinesMarkdown(&hw.b, hw.pr, h)
	}
	if err != nil {
		return err
	}
	hw.n += len(timelines)
	if _, err := hw.w.WriteString(hw.b.String()); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

func (hw *HistoryWriter) addJSON(h History) error {
	for _, d := range h.Domains {
		if err := hw.item(&hw.b, hw.n > 0 || hw.b.Len() > 0, newDomainHistoryJSON(h, d)); err != nil {
			return err
		}
	}
	for _, d := range Disagreements(h) {
		if hw.dis == nil {
			f, err := os.CreateTemp("", "hostwatch-disagreements-*")
			if err != nil {
				return fmt.Errorf("keep the disagreements: %w", err)
			}
			os.Remove(f.Name()) // read through f only; gone with it
			hw.dis, hw.disw = f, bufio.NewWriterSize(f, 64<<10)
		}
		var b strings.Builder
		if err := hw.item(&b, hw.ndis > 0, newDisagreementJSON(d)); err != nil {
			return err
		}
		if _, err := hw.disw.WriteString(b.String()); err != nil {
			return fmt.Errorf("keep the disagreements: %w", err)
		}
		hw.ndis++
	}
	return nil
}

// item writes v as an element of a list of the document, after a comma
// when it is not the first.
func (hw *HistoryWriter) item(b *strings.Builder, comma bool, v any) error {
	hw.buf.Reset()
	if err := hw.enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	if comma {
		b.WriteByte(',')
	}
	b.WriteString("\n    ")
	b.Write(bytes.TrimSuffix(hw.buf.Bytes(), []byte("\n")))
	return nil
}

// Finish writes the end of the history and flushes it.
func (hw *HistoryWriter) Finish() error {
	switch hw.format {
	case "json":
		if hw.n > 0 {
			hw.w.WriteString("\n  ")
		}
		hw.w.WriteString(hw.tail)
		if hw.dis != nil {
			if err := hw.disw.Flush(); err != nil {
				return fmt.Errorf("keep the disagreements: %w", err)
			}
			if _, err := hw.dis.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("keep the disagreements: %w", err)
			}
			if _, err := io.Copy(hw.w, hw.dis); err != nil {
				return fmt.Errorf("write json: %w", err)
			}
		}
		if hw.ndis > 0 {
			hw.w.WriteString("\n  ")
		}
		hw.w.WriteString("]\n}\n")
	case "csv":
		if err := hw.csv.Flush(); err != nil {
			return err
		}
	case "table":
		if hw.n == 0 {
			hw.b.Reset()
			writeNoneText(&hw.b, hw.pr, hw.h)
			hw.w.WriteString(hw.b.String())
		}
	case "markdown":
		if hw.n == 0 {
			hw.w.WriteString(hw.pr.T("md.none-recorded") + "\n")
		}
	}
	if err := hw.w.Flush(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

// Close removes what the writer keeps; it is safe after Finish.
func (hw *HistoryWriter) Close() error {
	if hw.closed || hw.dis == nil {
		return nil
	}
	hw.closed = true
	return hw.dis.Close()
}
