package probe

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		domain  string
		unicode string
		reason  string // substring of the error; "" when valid
	}{
		{in: "example.org", domain: "example.org", unicode: "example.org"},
		{in: "  Example.ORG.  ", domain: "example.org", unicode: "example.org"},
		{in: "pemilu2024.kpu.go.id", domain: "pemilu2024.kpu.go.id", unicode: "pemilu2024.kpu.go.id"},
		{in: "_dmarc.example.org", domain: "_dmarc.example.org", unicode: "_dmarc.example.org"},
		{in: "bücher.example", domain: "xn--bcher-kva.example", unicode: "bücher.example"},
		{in: "xn--bcher-kva.example", domain: "xn--bcher-kva.example", unicode: "bücher.example"},
		{in: "пример.рф", domain: "xn--e1afmkfd.xn--p1ai", unicode: "пример.рф"},
		{in: "ＥＸＡＭＰＬＥ.com", domain: "example.com", unicode: "example.com"},
		{in: "", reason: "empty name"},
		{in: ".", reason: "root"},
		{in: "a..b", reason: "empty label"},
		{in: ".a.b", reason: "empty label"},
		{in: strings.Repeat("a", 64) + ".org", reason: "64 bytes long; the limit is 63"},
		{in: strings.Repeat("a", 63) + ".org", domain: strings.Repeat("a", 63) + ".org", unicode: strings.Repeat("a", 63) + ".org"},
		{in: strings.Repeat("abcdefghi.", 26) + "org", reason: "263 bytes long; the limit is 253"},
		{in: "exa mple.org", reason: "space"},
		{in: "tab\t.org", reason: "space or control"},
		{in: "exa$mple.org", reason: "illegal character"},
		{in: "exa/mple.org", reason: "illegal character"},
		{in: "-lead.example", reason: "hyphen"},
		{in: "trail-.example", reason: "hyphen"},
		{in: "170.33.13.55", reason: "IP address"},
		{in: "170.33.13.55.", reason: "IP address"},
		{in: "2001:4860:4860::8888", reason: "IP address"},
		{in: "[::1]", reason: "IP address"},
		{in: "https://example.org/", reason: "URL"},
		{in: "xn--zz.example", reason: "internationalised"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := ParseTarget(tt.in, "args", 0)
			if tt.reason != "" {
				if got.Err == nil {
					t.Fatalf("ParseTarget(%q) = %q, want an error containing %q", tt.in, got.Domain, tt.reason)
				}
				if !errors.Is(got.Err, ErrInvalidName) || !strings.Contains(got.Err.Error(), tt.reason) {
					t.Fatalf("ParseTarget(%q) error = %v, want one containing %q", tt.in, got.Err, tt.reason)
				}
				if strings.Contains(got.Err.Error(), "\n") {
					t.Fatalf("error spans lines: %q", got.Err)
				}
				return
			}
			if got.Err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, got.Err)
			}
			if got.Domain != tt.domain || got.Unicode != tt.unicode {
				t.Fatalf("ParseTarget(%q) = (%q, %q), want (%q, %q)", tt.in, got.Domain, got.Unicode, tt.domain, tt.unicode)
			}
		})
	}
}

func TestReadTargets(t *testing.T) {
	t.Parallel()
	in := "\ufeff# watch list\nexample.org\n\n  kpu.go.id   # the commission\nbad..name\n170.33.13.55\n"
	got, err := ReadTargets(strings.NewReader(in), "watch.txt")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		domain string
		line   int
		bad    bool
	}
	want := []row{{"example.org", 2, false}, {"kpu.go.id", 4, false}, {"bad..name", 5, true}, {"170.33.13.55", 6, true}}
	if len(got) != len(want) {
		t.Fatalf("got %d targets, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Domain != w.domain || g.Line != w.line || (g.Err != nil) != w.bad {
			t.Errorf("target %d = {%q line %d err %v}, want %+v", i, g.Domain, g.Line, g.Err, w)
		}
		if w.bad && !strings.HasPrefix(g.Err.Error(), "watch.txt:") {
			t.Errorf("error %q does not name the file and line", g.Err)
		}
	}
}

func TestReadTargetsLineTooLong(t *testing.T) {
	t.Parallel()
	in := "ok.example\n" + strings.Repeat("a", maxLineLen+1) + "\n"
	_, err := ReadTargets(strings.NewReader(in), "big.txt")
	if err == nil || !strings.Contains(err.Error(), "big.txt:2:") {
		t.Fatalf("err = %v, want one naming big.txt:2", err)
	}
}

// FuzzReadTargets checks that no input crashes the parser, and that every
// accepted name obeys the DNS limits.
func FuzzReadTargets(f *testing.F) {
	for _, s := range []string{"example.org\n", "# c\n\nbücher.example\n", "a..b\n", "xn--\n", "\ufeffa.b # x\r\n", strings.Repeat("a.", 130)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		targets, err := ReadTargets(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for _, tg := range targets {
			if tg.Err != nil {
				if !errors.Is(tg.Err, ErrInvalidName) {
					t.Fatalf("error %v does not wrap ErrInvalidName", tg.Err)
				}
				continue
			}
			if reason := checkASCII(tg.Domain); reason != "" {
				t.Fatalf("accepted %q: %s", tg.Domain, reason)
			}
			if again := ParseTarget(tg.Domain, "fuzz", 1); again.Err != nil || again.Domain != tg.Domain {
				t.Fatalf("%q does not parse to itself: %+v", tg.Domain, again)
			}
		}
	})
}

func TestDedupe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []string
		want    []string // Input of each kept target, in order
		dropped int
	}{
		{name: "empty", in: nil, want: nil},
		{name: "distinct", in: []string{"a.example", "b.example"}, want: []string{"a.example", "b.example"}},
		{name: "repeated", in: []string{"a.example", "b.example", "a.example"}, want: []string{"a.example", "b.example"}, dropped: 1},
		{name: "case and trailing dot", in: []string{"sirekap-web.kpu.go.id", "SIREKAP-WEB.kpu.go.id.", "Sirekap-Web.KPU.go.id"},
			want: []string{"sirekap-web.kpu.go.id"}, dropped: 2},
		{name: "first position kept", in: []string{"B.example.", "a.example", "b.example"}, want: []string{"B.example.", "a.example"}, dropped: 1},
		{name: "unicode and punycode", in: []string{"bücher.example", "xn--bcher-kva.example", "BÜCHER.example"},
			want: []string{"bücher.example"}, dropped: 2},
		{name: "fullwidth", in: []string{"ＥＸＡＭＰＬＥ.com", "example.com"}, want: []string{"ＥＸＡＭＰＬＥ.com"}, dropped: 1},
		{name: "invalid never dropped", in: []string{"a..b", "a..b", "170.33.13.55", "170.33.13.55"},
			want: []string{"a..b", "a..b", "170.33.13.55", "170.33.13.55"}},
		{name: "invalid between duplicates", in: []string{"a.example", "a..b", "A.example"}, want: []string{"a.example", "a..b"}, dropped: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var targets []Target
			for i, s := range tt.in {
				targets = append(targets, ParseTarget(s, "args", i+1))
			}
			kept, dropped := Dedupe(targets)
			var got []string
			for _, k := range kept {
				got = append(got, k.Input)
			}
			if !slices.Equal(got, tt.want) || dropped != tt.dropped {
				t.Fatalf("Dedupe(%q) = %q, %d dropped; want %q, %d dropped", tt.in, got, dropped, tt.want, tt.dropped)
			}
		})
	}
}

// TestSeenStream checks that a zero Seen works one target at a time, as on a stream.
func TestSeenStream(t *testing.T) {
	t.Parallel()
	var seen Seen
	steps := []struct {
		in    string
		first bool
	}{
		{"kpu.go.id", true},
		{"KPU.go.id.", false},
		{"bad..name", true},
		{"bad..name", true},
		{"web.kpu.go.id", true},
		{"kpu.go.id", false},
	}
	for _, s := range steps {
		if got := seen.First(ParseTarget(s.in, "-", 0)); got != s.first {
			t.Errorf("First(%q) = %v, want %v", s.in, got, s.first)
		}
	}
	if n := len(seen.recent) + len(seen.sorted); n != 2 {
		t.Errorf("Seen holds %d names, want 2 (one per distinct valid name)", n)
	}
}

// Past many merges of its recent names into the sorted array, Seen still
// knows every name it was given and no other, and holds one hash each.
func TestSeenManyNames(t *testing.T) {
	t.Parallel()
	const n = 5*seenRecent + 123
	var seen Seen
	name := func(i int) Target { return Target{Domain: fmt.Sprintf("h%d.test", i)} }
	for i := range n {
		if !seen.First(name(i)) {
			t.Fatalf("h%d.test taken for a duplicate", i)
		}
		if i%7 == 0 && seen.First(name(i/2)) {
			t.Fatalf("h%d.test not known as seen", i/2)
		}
	}
	for i := range n {
		if seen.First(name(i)) {
			t.Fatalf("h%d.test not known as seen at the end", i)
		}
	}
	if !slices.IsSorted(seen.sorted) || len(seen.sorted)+len(seen.recent) != n {
		t.Fatalf("%d sorted (sorted: %v) and %d recent hashes, want %d in all", len(seen.sorted), slices.IsSorted(seen.sorted), len(seen.recent), n)
	}
	if len(seen.fence) != len(seen.sorted)/seenBlock {
		t.Fatalf("%d fence entries for %d sorted hashes", len(seen.fence), len(seen.sorted))
	}
	for i, f := range seen.fence {
		if f != seen.sorted[(i+1)*seenBlock-1] {
			t.Fatalf("fence entry %d is not the last hash of its block", i)
		}
	}
	if !seen.First(name(n)) {
		t.Fatal("a new name taken for a duplicate")
	}
}

// ScanTargets yields each name as soon as its line is read, before the
// input ends.
func TestScanTargetsStreams(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	defer r.Close()
	lines := make(chan string)
	go func() {
		for l := range lines {
			io.WriteString(w, l)
		}
		w.Close()
	}()
	next, stop := iter.Pull2(ScanTargets(r, "-"))
	defer stop()
	for i, l := range []string{"a.example\n", "# comment\nB.example.\n", "c..example\n"} {
		lines <- l
		tg, err, ok := next()
		if !ok || err != nil {
			t.Fatalf("line %d: %v, %v", i, ok, err)
		}
		if want := []string{"a.example", "b.example", "c..example"}[i]; tg.Domain != want {
			t.Fatalf("line %d: got %q, want %q", i, tg.Domain, want)
		}
	}
	close(lines)
	if _, _, ok := next(); ok {
		t.Fatal("a target after the end")
	}
}

func TestSeenRelease(t *testing.T) {
	t.Parallel()
	var seen Seen
	for range 3 {
		for i := range 2 * seenRecent {
			if !seen.First(Target{Domain: fmt.Sprintf("d%d.kpu.go.id", i)}) {
				t.Fatalf("d%d.kpu.go.id taken for a duplicate", i)
			}
		}
		if seen.First(Target{Domain: "d7.kpu.go.id"}) {
			t.Fatal("d7.kpu.go.id taken for a first")
		}
		// Released, it remembers nothing and can be used again.
		seen.Release()
	}
}

// TestPlainLDHAsIDNA checks the shortcut of normalizeName against IDNA: for
// every name it takes, IDNA gives the same forms.
func TestPlainLDHAsIDNA(t *testing.T) {
	for _, name := range []string{
		"example.org", "a.b", "h0.bench.test", "a-b.c-d", "1.2.3.x", "ab-c.d", "abc-.d", "ab--c.d",
		"xn--bcher-kva.example", "xn--a.b", "x--y.z", "a_b.c", "_dmarc.example", "a--.b", "-a.b",
		"a.b--", "q.xn--", strings.Repeat("a", 63) + ".b",
	} {
		if checkASCII(name) != "" || !plainLDH(name) {
			continue
		}
		a, u, reason := normalizeIDNA(name)
		if a != name || u != name || reason != "" {
			t.Errorf("IDNA gives %q, %q, %q for %q; the shortcut gives the name itself", a, u, reason, name)
		}
	}
}

// FuzzPlainLDH checks the shortcut of normalizeName against IDNA.
func FuzzPlainLDH(f *testing.F) {
	for _, s := range []string{"example.org", "ab--c.d", "xn--bcher-kva.example", "a-b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !isASCII(name) || checkASCII(name) != "" || !plainLDH(name) {
			return
		}
		if a, u, reason := normalizeIDNA(name); a != name || u != name || reason != "" {
			t.Fatalf("IDNA gives %q, %q, %q for %q; the shortcut gives the name itself", a, u, reason, name)
		}
	})
}
