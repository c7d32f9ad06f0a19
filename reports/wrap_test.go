package reports

import (
	"slices"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/internal/termtext"
)

// refWrap and refWrapWords are wrap and wrapWords as they were before the
// text report wrapped in its buffer (appendPara, appendWords): the
// reference the new code must match line for line.
func refWrap(s string, width int) []string {
	s = termtext.Safe(s)
	if termtext.Width(s) <= width {
		return []string{s}
	}
	body := strings.TrimLeft(s, " ")
	indent := len(s) - len(body)
	return refWrapWords(strings.Split(body, " "), strings.Repeat(" ", indent), strings.Repeat(" ", indent+2), width)
}

func refWrapWords(words []string, first, rest string, width int) []string {
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

// wrapCases are texts that have tripped or could trip a wrapper.
var wrapCases = []string{
	"",
	" ",
	"     ",
	"word",
	"  after:  SG  AS24429+AS134963  Alibaba Cloud  170.33.0.0 2404:2280:100::  (first seen 2026-12-02T07:20:12Z)",
	"  before: ID  AS7713  Telkom Indonesia  36.86.63.182  (last seen 2026-12-01T07:20:12Z) via 192.0.2.54:53, 198.51.100.7:53",
	"shop-299.example-retail.co.id: new",
	"a  b   c    d", "trailing spaces   ", "   leading and trailing   ",
	strings.Repeat("x", 59), strings.Repeat("x", 60), strings.Repeat("x", 61),
	strings.Repeat("x", 99), strings.Repeat("x", 100), strings.Repeat("x", 101), strings.Repeat("x", 250),
	strings.Repeat("abcd ", 12), strings.Repeat("abcd ", 20), strings.Repeat("abcd  ", 20), strings.Repeat(" abcd", 30),
	"  " + strings.Repeat("y", 98), "  " + strings.Repeat("y", 120) + " tail",
	"short " + strings.Repeat("z", 150) + " short " + strings.Repeat("z", 150),
	strings.Repeat("w ", 50) + "exact", strings.Repeat("ab ", 33) + "c",
	"hostile: \x1b[31mred\x1b[0m " + strings.Repeat("escape \x1b]8;;http://x\x07 ", 8),
	"bidi \u202eevil\u202c " + strings.Repeat("\u2066iso\u2069 ", 20),
	"invalid \xff\xfe utf-8 " + strings.Repeat("\xc3 \xa9 \xe2\x80 ", 20),
	"tabs\tand\nnewlines\r\n " + strings.Repeat("col\tcol\n", 20),
	"  Zhejiang Taobao Network Co.,Ltd  阿里云计算有限公司  Tiongkok  " + strings.Repeat("é", 70) + " " + strings.Repeat("日本 ", 30),
	"del\x7f and C1 \u0085\u009b " + strings.Repeat("line\u2028sep\u2029 ", 12),
	"real \ufffd replacement " + strings.Repeat("\ufffd", 120),
	strings.Repeat(" ", 70) + "deep indent " + strings.Repeat("word ", 20),
}

func TestWrapMatchesReference(t *testing.T) {
	t.Parallel()
	for _, width := range []int{MinWidth, TableWidth, 0, 1, 10, 61, 200} {
		for _, s := range wrapCases {
			checkWrap(t, s, width)
		}
	}
}

// checkWrap checks that wrap, appendPara (after other text, which it must
// keep) and wrapText word s at width as the reference does.
func checkWrap(t *testing.T, s string, width int) {
	t.Helper()
	want := refWrap(s, width)
	if got := wrap(s, width); !slices.Equal(got, want) {
		t.Errorf("wrap(%q, %d) =\n%q\nwant\n%q", s, width, got, want)
	}
	const before = "kept\n\xff"
	b := appendPara(append([]byte(before), s...), len(before), width)
	if got, want := string(b), before+strings.Join(want, "\n")+"\n"; got != want {
		t.Errorf("appendPara(%q, %d) =\n%q\nwant\n%q", s, width, got, want)
	}
	safe := termtext.Safe(s)
	for _, in := range [][2]int{{0, 0}, {4, 4}, {2, 6}, {12, 12}} {
		want := refWrapWords(strings.Split(safe, " "), strings.Repeat(" ", in[0]), strings.Repeat(" ", in[1]), width)
		if got := wrapText(safe, in[0], in[1], width); !slices.Equal(got, want) {
			t.Errorf("wrapText(%q, %d, %d, %d) =\n%q\nwant\n%q", safe, in[0], in[1], width, got, want)
		}
	}
}

// FuzzWrap checks wrap, appendPara and wrapText against the reference for
// any text and width.
func FuzzWrap(f *testing.F) {
	for _, s := range wrapCases {
		f.Add(s, TableWidth)
		f.Add(s, MinWidth)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		checkWrap(t, s, width%300)
	})
}
