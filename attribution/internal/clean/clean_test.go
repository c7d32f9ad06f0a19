package clean

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"Google LLC", 64, "Google LLC"},
		{"  padded  ", 64, "padded"},
		{"Ünïcödé 株式会社", 64, "Ünïcödé 株式会社"},
		{"\x1b[2J", 64, `\x1b[2J`},
		{"Evil\nAS64500 Forged row", 64, `Evil\x0aAS64500 Forged row`},
		{"tab\there", 64, `tab\x09here`},
		{"del\x7f", 64, `del\x7f`},
		{"csi\u009b31m", 64, `csi\u009b31m`},
		{"rtl\u202eevil", 64, `rtl\u202eevil`},
		{"bad\xffutf8", 64, `bad\xffutf8`},
		{"\x1b]8;;http://x\x07link\x1b]8;;\x07", 64, `\x1b]8;;http://x\x07link\x1b]8;;\x07`},
		{"abcdefghij", 8, "abcde…"},
		{"\x1b\x1b\x1b", 9, `\x1b…`}, // an escape is never cut
		{"株式会社", 8, "株…"},            // nor a character
	} {
		got := String(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("String(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if len(got) > tc.max || !utf8.ValidString(got) || needsEscape(got) {
			t.Errorf("String(%q, %d) = %q: too long, not UTF-8, or not inert", tc.in, tc.max, got)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("Google LLC", 64)
	f.Add("\x1b[2J\n\u202e\xff", 16)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 8 || max > 1<<12 {
			return
		}
		got := String(s, max)
		if len(got) > max || !utf8.ValidString(got) || needsEscape(got) {
			t.Fatalf("String(%q, %d) = %q", s, max, got)
		}
		if !needsEscape(s) && len(strings.TrimSpace(s)) <= max && got != strings.TrimSpace(s) {
			t.Fatalf("String(%q, %d) = %q changed an inert string", s, max, got)
		}
	})
}
