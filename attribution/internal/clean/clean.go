// Package clean makes strings read from other people's files inert before
// they enter hostwatch's model: control characters become visible escapes,
// so that no name or description read from a database can move a
// terminal's cursor, clear its screen, open a hyperlink or forge a line of
// a report, whatever renders it later.
package clean

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String returns s with every C0 control character (tab and newline
// included), DEL, C1 control character, line or paragraph separator and
// bidirectional override written as a visible escape (\x1b, \u0085,
// \u202e), every byte that is not UTF-8 as \xNN, surrounding spaces
// trimmed, and cut to at most max bytes (with "…") without splitting a
// character or an escape. A string with none of these is returned as it is.
func String(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) <= max && !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			piece = fmt.Sprintf(`\x%02x`, r)
		case unsafe(r):
			piece = fmt.Sprintf(`\u%04x`, r)
		default:
			piece = s[i : i+size]
		}
		if b.Len()+len(piece) > max-len("…") && i+size < len(s) || b.Len()+len(piece) > max {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

// unsafe reports whether r is a C1 control character, a line or paragraph
// separator, or a bidirectional embedding, override or isolate.
func unsafe(r rune) bool {
	return 0x80 <= r && r <= 0x9f || r == 0x2028 || r == 0x2029 ||
		0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || r == 0x7f || unsafe(r) {
			return true
		}
		i += size
	}
	return false
}
