package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/hostwatch/hostwatch/internal/termtext"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// renderGFM renders Markdown as GitHub does (goldmark with its GFM
// extension: tables, strikethrough, autolinks, task lists) and parses the
// HTML it makes.
func renderGFM(t *testing.T, md []byte) *html.Node {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// elements lists the elements of a parsed document, in document order.
func elements(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// textOf is the text a reader sees in n.
func textOf(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// checkTables checks that every row of every table has as many cells as
// its header: no pipe in a cell broke a row.
func checkTables(t *testing.T, doc *html.Node, md []byte) int {
	t.Helper()
	tables := 0
	for _, e := range elements(doc) {
		if e.DataAtom != atom.Table {
			continue
		}
		tables++
		want := -1
		for _, row := range elements(e) {
			if row.DataAtom != atom.Tr {
				continue
			}
			cells := 0
			for c := row.FirstChild; c != nil; c = c.NextSibling {
				if c.DataAtom == atom.Td || c.DataAtom == atom.Th {
					cells++
				}
			}
			if want < 0 {
				want = cells
			} else if cells != want {
				t.Errorf("a table row has %d cells, its header %d: %q\n%s", cells, want, textOf(row), md)
			}
		}
	}
	return tables
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.md.golden", buf.Bytes())
	var id bytes.Buffer
	if err := WriteMarkdownIn(&id, sampleReport(t), i18n.Indonesian); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.id.md.golden", id.Bytes())
	if n := checkTables(t, renderGFM(t, id.Bytes()), id.Bytes()); n != 2 {
		t.Errorf("Indonesian: %d tables, want 2:\n%s", n, id.Bytes())
	}
	doc := renderGFM(t, buf.Bytes())
	if n := checkTables(t, doc, buf.Bytes()); n != 2 {
		t.Errorf("%d tables, want 2 (addresses, and domains without one):\n%s", n, buf.Bytes())
	}
	text := textOf(doc)
	for _, want := range []string{"5 domains: 2 ok, 1 nxdomain, 1 timeout, 1 invalid.", "bücher.example", "no reply from 127.0.0.1:5300 within 3s",
		"EXAMPLE | AS, ZZ", "Observed 2024-02-15T08:30:00Z by hostwatch v0.1.0-test.", "via CNAME web.kpu.go.id"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered Markdown does not say %q:\n%s", want, text)
		}
	}
}

// TestHostileMarkdown renders a report full of hostile text as GitHub
// would and checks that it stays text: no link, image, script, HTML or
// formatting is made of it, no table row is broken, and a reader sees each
// string exactly as it came.
func TestHostileMarkdown(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	md := buf.Bytes()
	doc := renderGFM(t, md)
	checkTables(t, doc, md)
	for _, e := range elements(doc) {
		switch e.DataAtom {
		case atom.A, atom.Img, atom.Script, atom.B, atom.Em, atom.Del, atom.Code, atom.Iframe, atom.Input:
			t.Errorf("hostile text became a <%s> element: %q\n%s", e.Data, textOf(e), md)
		}
		for _, a := range e.Attr {
			if a.Key == "href" || a.Key == "src" {
				t.Errorf("hostile text became a %s attribute: %q", a.Key, a.Val)
			}
		}
	}
	text := textOf(doc)
	for _, s := range append(hostileStrings(), hostileScript+" | "+hostileLink+" =1+1") {
		if !strings.Contains(text, termtext.Safe(s)) {
			t.Errorf("a reader does not see %q as it came:\n%s\n--- markdown\n%s", s, text, md)
		}
	}
}

// TestMarkdownEscapeRendered renders mdEscape of each string in a GFM
// table cell: it stays one cell, and reads as the string.
func TestMarkdownEscapeRendered(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		hostileFormula, hostileScript, hostileLink, hostilePipe, hostileCode,
		"https://evil.example", "HTTPS://EVIL.EXAMPLE", "WWW.evil.example", "(www.evil.example)", "*www.evil.example*",
		"ftp://x.example/a", "a@b.example", "<https://evil.example>", "[x]: https://evil.example", "&#x3C;script&#x3E;",
		`\|`, `\`, "~~x~~", "![img](x.png)", "line\nbreak | cell",
	} {
		md := "| a | b |\n|---|---|\n| " + mdEscape(s) + " | end |\n"
		doc := renderGFM(t, []byte(md))
		checkTables(t, doc, []byte(md))
		for _, e := range elements(doc) {
			switch e.DataAtom {
			case atom.A, atom.Img, atom.Script, atom.Em, atom.Strong, atom.Del, atom.Code:
				t.Errorf("%q became <%s>: %s", s, e.Data, md)
			}
		}
		var cell string
		for _, e := range elements(doc) {
			if e.DataAtom == atom.Td {
				cell = textOf(e)
				break
			}
		}
		if want := strings.TrimSpace(strings.ReplaceAll(s, "\n", " ")); cell != want {
			t.Errorf("%q reads %q: %s", s, cell, md)
		}
	}
}

// TestMarkdownWriterSpills: sections moved to temporary files write the
// same bytes as sections kept in memory.
func TestMarkdownWriterSpills(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	var want bytes.Buffer
	if err := WriteMarkdown(&want, r); err != nil {
		t.Fatal(err)
	}
	m, err := NewMarkdownWriter(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.rows.max, m.failed.max, m.notes.max = 1, 1, 1
	for _, o := range r.Observations {
		if err := m.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	if err := m.WriteReport(&got, r); err != nil {
		t.Fatal(err)
	}
	if m.rows.f == nil || m.failed.f == nil || m.notes.f == nil {
		t.Fatal("a section stayed in memory")
	}
	if got.String() != want.String() {
		t.Errorf("spilled:\n%s\nin memory:\n%s", got.String(), want.String())
	}
}
