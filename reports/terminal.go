package reports

import (
	"fmt"
	"io"
	"strings"

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
	for _, line := range wrap(fmt.Sprintf(format, args...), width) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// wrap makes s safe for a terminal and cuts it into lines of at most width
// columns, breaking at spaces. Continuation lines are indented by s's own
// indent plus two. A word wider than a line is kept whole on a line of its
// own, past the width: addresses, names and URLs are facts to copy, never
// split.
func wrap(s string, width int) []string {
	s = termtext.Safe(s)
	if termtext.Width(s) <= width {
		return []string{s}
	}
	body := strings.TrimLeft(s, " ")
	indent := len(s) - len(body)
	return wrapWords(strings.Split(body, " "), strings.Repeat(" ", indent), strings.Repeat(" ", indent+2), width)
}

// wrapWords fills lines of at most width columns with words (already safe
// for a terminal), the first line starting with first and the others with
// rest. Empty words keep double spaces inside a line, and vanish at a break.
func wrapWords(words []string, first, rest string, width int) []string {
	var out []string
	var line strings.Builder
	line.WriteString(first)
	used, empty := termtext.Width(first), true
	for _, w := range words {
		ww := termtext.Width(w)
		if !empty && used+1+ww > width {
			out = append(out, strings.TrimRight(line.String(), " "))
			line.Reset()
			line.WriteString(rest)
			used, empty = termtext.Width(rest), true
		}
		if empty && w == "" {
			continue
		}
		if !empty {
			line.WriteByte(' ')
			used++
		}
		line.WriteString(w)
		used += ww
		empty = false
	}
	return append(out, strings.TrimRight(line.String(), " "))
}

// textWriter is what the text renderers write to: a strings.Builder, or a
// bufio.Writer when the output streams.
type textWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}
