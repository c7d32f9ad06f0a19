// Package termtext makes outside text inert on a terminal.
//
// Names, certificate subjects, AS names and whatever else hostwatch shows
// come from strangers. Before they reach a terminal, every C0 and C1 control
// character, DEL, bidirectional override and byte of invalid UTF-8 becomes a
// visible escape (`\x1b`, `\n`, `\u202e`, `\xff`), so that nothing in them can
// clear the screen, open a hyperlink, reorder a line or forge a row. Clip cuts
// such text to a width without ever splitting a rune or an escape.
package termtext

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// Safe returns s with every rune that could drive a terminal replaced by its
// visible escape. Text without such runes is returned as it is.
func Safe(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	each(s, func(unit string, _ int) bool {
		b.WriteString(unit)
		return true
	})
	return b.String()
}

// Width is the number of columns Safe(s) takes (one per rune).
func Width(s string) int {
	if clean(s) {
		return utf8.RuneCountInString(s)
	}
	w := 0
	each(s, func(_ string, n int) bool {
		w += n
		return true
	})
	return w
}

// Clip returns Safe(s) cut to at most n columns, ending in "…" when cut. The
// cut falls between runes and escapes, never inside one.
func Clip(s string, n int) string {
	if Width(s) <= n {
		return Safe(s)
	}
	if n <= 0 {
		return ""
	}
	var b strings.Builder
	used := 0
	each(s, func(unit string, w int) bool {
		if used+w > n-1 {
			return false
		}
		b.WriteString(unit)
		used += w
		return true
	})
	b.WriteString("…")
	return b.String()
}

// clean reports whether s holds nothing Safe would change.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		} else if c >= utf8.RuneSelf {
			return cleanRunes(s[i:])
		}
	}
	return true
}

func cleanRunes(s string) bool {
	for i, r := range s {
		if escape(r, s[i:]) != "" {
			return false
		}
	}
	return true
}

// each calls yield with every unit of Safe(s) (a rune as it is, or the escape
// that replaces it) and its width in columns, until yield returns false.
func each(s string, yield func(unit string, width int) bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		unit := escape(r, s[i:])
		if unit == "" {
			unit = s[i : i+size]
		}
		if !yield(unit, utf8.RuneCountInString(unit)) {
			return
		}
		i += size
	}
}

// escape returns the visible escape for the rune r that starts rest, or ""
// when r may be shown as it is.
func escape(r rune, rest string) string {
	switch {
	case r == '\n':
		return `\n`
	case r == '\r':
		return `\r`
	case r == '\t':
		return `\t`
	case r < 0x20 || r == 0x7f:
		return `\x` + hex2(byte(r))
	case r == utf8.RuneError:
		if _, size := utf8.DecodeRuneInString(rest); size == 1 {
			return `\x` + hex2(rest[0])
		}
		return ""
	case r >= 0x80 && r <= 0x9f,
		// Bidirectional embeddings, overrides, isolates and marks.
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c,
		// Line and paragraph separators start a new line in some terminals.
		r == 0x2028, r == 0x2029:
		return `\u` + hex2(byte(r>>8)) + hex2(byte(r))
	}
	return ""
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// Writer passes text through to an underlying writer with every control
// character except the newline made visible, as Safe does, line by line. A
// rune split across two writes is held back until it is complete (Flush
// writes what is held back at the end of a stream); clean text goes through
// as it is, without a copy, so that a large page streams.
type Writer struct {
	w       io.Writer
	pending []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p, made inert, and reports len(p) on success.
func (w *Writer) Write(p []byte) (int, error) {
	buf := p
	if len(w.pending) > 0 {
		buf = append(w.pending, p...)
		w.pending = nil
	}
	// Hold back an incomplete rune at the end for the next write.
	if tail := incompleteTail(buf); tail > 0 {
		w.pending = append([]byte(nil), buf[len(buf)-tail:]...)
		buf = buf[:len(buf)-tail]
	}
	if err := w.write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what Write held back (an incomplete rune: as escapes).
func (w *Writer) Flush() error {
	p := w.pending
	w.pending = nil
	return w.write(p)
}

// write writes b, which ends between runes, made inert: its clean runs as
// they are, each line holding something to escape through Safe.
func (w *Writer) write(b []byte) error {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		b = b[len(line):]
		body := bytes.TrimSuffix(line, []byte{'\n'})
		if !cleanBytes(body) {
			if _, err := io.WriteString(w.w, Safe(string(body))); err != nil {
				return err
			}
			line = line[len(body):]
		}
		if len(line) == 0 {
			continue
		}
		if _, err := w.w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// cleanBytes reports whether b holds nothing Safe would change.
func cleanBytes(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if r != utf8.RuneError && escape(r, "") != "" {
			return false
		}
		i += size
	}
	return true
}

// incompleteTail is the length of a UTF-8 sequence cut short at the end of b.
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}
