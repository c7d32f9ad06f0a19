package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/internal/termtext"
)

// TableWidth is the width text output is fitted to when the terminal's
// width is unknown (output to a file or a pipe).
const TableWidth = 100

// MinWidth is the narrowest width text output is laid out for: a narrower
// terminal gets lines of MinWidth, which it wraps.
const MinWidth = 60

// fitWidth is the width text output is laid out for, given the terminal's
// (0 when unknown).
func fitWidth(width int) int {
	if width <= 0 {
		return TableWidth
	}
	return max(width, MinWidth)
}

// textLine writes one line of text output, its outside parts made safe
// for a terminal, and the newline that ends it.
func textLine(b textWriter, format string, args ...any) {
	b.WriteString(termtext.Safe(fmt.Sprintf(format, args...)))
	b.WriteByte('\n')
}

// textPara writes one line of text output made safe for a terminal and
// wrapped to width (see wrap).
func textPara(b textWriter, width int, format string, args ...any) {
	var p []byte
	if s, ok := onlyString(format, args); ok {
		p = append(p, s...)
	} else {
		p = fmt.Appendf(p, format, args...)
	}
	b.Write(appendPara(p, 0, width))
}

// onlyString is the string that format, "%s", makes of its one argument,
// without fmt; ok is false for any other format or argument.
func onlyString(format string, args []any) (s string, ok bool) {
	if format != "%s" || len(args) != 1 {
		return "", false
	}
	s, ok = args[0].(string)
	return s, ok
}

// appendPara makes the paragraph that b holds from start on safe for a
// terminal and wraps it to width, in place: it is wrap's lines, each ended
// by a newline. Text of printable ASCII alone, which is most of what a
// report words, is safe as it is, a column a byte, and is wrapped where it
// lies.
func appendPara(b []byte, start, width int) []byte {
	ascii := printableASCII(b[start:])
	if !ascii {
		b = append(b[:start], termtext.Safe(string(b[start:]))...)
	}
	p := b[start:]
	if columns(p, ascii) <= width {
		return append(b, '\n')
	}
	// The lines go after the paragraph (which appending never overwrites,
	// even when it moves b), then take its place.
	end := len(b)
	body := bytes.TrimLeft(p, " ")
	indent := len(p) - len(body)
	b = appendWords(b, body, ascii, indent, indent+2, width)
	n := copy(b[start:], b[end:])
	return b[:start+n]
}

// printableASCII reports whether p is all printable ASCII, which
// termtext.Safe leaves as it is.
func printableASCII(p []byte) bool {
	for _, c := range p {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// columns is the width of p (safe for a terminal) in columns: one per
// rune, which is one per byte when p is ASCII.
func columns(p []byte, ascii bool) int {
	if ascii {
		return len(p)
	}
	return utf8.RuneCount(p)
}

// appendWords appends text (already safe for a terminal; all ASCII when
// ascii is set) cut at its spaces into lines of at most width columns,
// each ended by a newline: the first line indented by first spaces, the
// others by rest. It words them as wrapWords does: empty words keep double
// spaces inside a line and vanish at a break, trailing spaces are trimmed,
// and a word wider than a line is kept whole.
func appendWords(b, text []byte, ascii bool, first, rest, width int) []byte {
	line := len(b)
	b = appendSpaces(b, first)
	used, empty := first, true
	for more := true; more; {
		w := text
		if i := bytes.IndexByte(text, ' '); i >= 0 {
			w, text = text[:i], text[i+1:]
		} else {
			more = false
		}
		ww := columns(w, ascii)
		if !empty && used+1+ww > width {
			b = endLine(b, line)
			line = len(b)
			b = appendSpaces(b, rest)
			used, empty = rest, true
		}
		if empty && len(w) == 0 {
			continue
		}
		if !empty {
			b = append(b, ' ')
			used++
		}
		b = append(b, w...)
		used += ww
		empty = false
	}
	return endLine(b, line)
}

// endLine trims the spaces that end the line b holds from start on, and
// ends it with a newline.
func endLine(b []byte, start int) []byte {
	n := len(b)
	for n > start && b[n-1] == ' ' {
		n--
	}
	return append(b[:n], '\n')
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// wrap makes s safe for a terminal and cuts it into lines of at most width
// columns, breaking at spaces. Continuation lines are indented by s's own
// indent plus two. A word wider than a line is kept whole on a line of its
// own, past the width: addresses, names and URLs are facts to copy, never
// split.
func wrap(s string, width int) []string { return splitLines(appendPara([]byte(s), 0, width)) }

// wrapText cuts text (already safe for a terminal) at its spaces into lines
// of at most width columns, the first indented by first spaces and the
// others by rest (see appendWords).
func wrapText(text string, first, rest, width int) []string {
	return splitLines(appendWords(nil, []byte(text), false, first, rest, width))
}

// splitLines cuts b, lines each ended by a newline, into its lines.
func splitLines(b []byte) []string {
	return strings.Split(string(b[:len(b)-1]), "\n")
}

// textWriter is what the text renderers write to: a strings.Builder, or a
// bufio.Writer when the output streams.
type textWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}
