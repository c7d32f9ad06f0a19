package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alibaba (US) Technology Co., Ltd.", "Alibaba (US) Technology Co., Ltd."},
		{"Kementerian Komunikasi dan Informatika — Ñ", "Kementerian Komunikasi dan Informatika — Ñ"},
		{"\x1b[2Jcleared", `\x1b[2Jcleared`},
		{"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;https://evil.example\x1b\click\x1b]8;;\x1b\`},
		{"row\nforged  row", `row\nforged  row`},
		{"a\rb\tc\x00d\x7fe", `a\rb\tc\x00d\x7fe`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff utf8 \xe2\x82", `bad \xff utf8 \xe2\x82`},
		{"\ufffd stays", "\ufffd stays"},
	}
	for _, tt := range tests {
		if got := Safe(tt.in); got != tt.want {
			t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, want := Width(tt.in), utf8.RuneCountInString(tt.want); got != want {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long by far", 8, "too lon…"},
		// An escape is never cut open: it goes whole or not at all.
		{"ab\x1b[2J", 4, "ab…"},
		{"ab\x1b[2J", 6, "ab…"},
		{"ab\x1b[2J", 7, `ab\x1b…`},
		{"ab\x1b[2J", 9, `ab\x1b[2J`},
		{"日本語のテキスト", 4, "日本語…"},
		{"x", 0, ""},
	}
	for _, tt := range tests {
		got := Clip(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if w := utf8.RuneCountInString(got); w > max(tt.n, 0) {
			t.Errorf("Clip(%q, %d) is %d wide", tt.in, tt.n, w)
		}
	}
}

func TestWriter(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	// A rune split across writes is kept whole; newlines between messages stay.
	for _, p := range []string{"hostwatch: bad name \x1b[2J\n", "caf\xc3", "\xa9 \x07\n"} {
		if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if got, want := b.String(), "hostwatch: bad name \\x1b[2J\ncafé \\x07\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

// TestWriterFlush: a stream that ends inside a rune ends with its bytes as
// escapes, not with them dropped.
func TestWriterFlush(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	if _, err := w.Write([]byte("bad end \xe2\x82")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), `bad end \xe2\x82`; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

// safeLines is what a Writer writes for s: each line made Safe, the
// newlines kept.
func safeLines(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		body, nl := strings.CutSuffix(line, "\n")
		b.WriteString(Safe(body))
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// FuzzWriter: however a stream is cut into writes, a Writer writes what
// Safe makes of each of its lines.
func FuzzWriter(f *testing.F) {
	f.Add("ab\x1b[2J\n\u202e\xff日本\ncafé\r\n", uint8(3))
	f.Add("\xe2\x82", uint8(1))
	f.Fuzz(func(t *testing.T, s string, cut uint8) {
		var b strings.Builder
		w := NewWriter(&b)
		step := int(cut%7) + 1
		for i := 0; i < len(s); i += step {
			if _, err := w.Write([]byte(s[i:min(i+step, len(s))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got, want := b.String(), safeLines(s); got != want {
			t.Fatalf("wrote %q in writes of %d bytes, want %q", got, step, want)
		}
	})
}

func FuzzClip(f *testing.F) {
	f.Add("ab\x1b[2J\n\u202e\xff日本", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 200
		safe := Safe(s)
		for _, r := range safe {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("Safe(%q) = %q holds control %U", s, safe, r)
			}
		}
		if !utf8.ValidString(safe) {
			t.Fatalf("Safe(%q) = %q is not valid UTF-8", s, safe)
		}
		if Width(s) != utf8.RuneCountInString(safe) {
			t.Fatalf("Width(%q) = %d, Safe is %d runes", s, Width(s), utf8.RuneCountInString(safe))
		}
		c := Clip(s, n)
		if utf8.RuneCountInString(c) > max(n, 0) {
			t.Fatalf("Clip(%q, %d) = %q is too wide", s, n, c)
		}
		if body, cut := strings.CutSuffix(c, "…"); cut && !strings.HasPrefix(safe, body) {
			t.Fatalf("Clip(%q, %d) = %q is not a prefix of %q", s, n, c, safe)
		}
	})
}
