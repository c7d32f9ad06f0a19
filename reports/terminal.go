package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// termSafe makes outside text (AS names, providers, CNAME targets, errors)
// safe to print on a terminal: a control character is shown as its Unicode
// picture (ESC as ␛, a newline as ␊), and C1 controls, the bidirectional
// overrides that reorder what is shown, and invalid UTF-8 as U+FFFD. Each
// rune becomes exactly one rune, so column widths measured before still hold.
func termSafe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('␡')
		case unsafeRune(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r must not reach a terminal as it is.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		// Bidirectional embeddings, overrides, isolates and marks.
		return true
	case r == utf8.RuneError:
		// Invalid UTF-8 (or U+FFFD itself, which stays as it is).
		return true
	}
	return false
}

// textLine writes one line of text output, its outside parts made safe
// for a terminal, and the newline that ends it.
func textLine(b textWriter, format string, args ...any) {
	b.WriteString(termSafe(fmt.Sprintf(format, args...)))
	b.WriteByte('\n')
}

// textWriter is what the text renderers write to: a strings.Builder, or a
// bufio.Writer when the output streams.
type textWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}
