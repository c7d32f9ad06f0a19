package reports

import (
	"bytes"
	"testing"

	"github.com/hostwatch/hostwatch/reports/i18n"
)

// TestHistoryWriterBatches checks that a history written a domain at a
// time, or all its domains in one Add, is the same bytes; and that its JSON
// is the whole document's (newHistoryDocument, as the HTML page embeds it),
// disagreements after every domain.
func TestHistoryWriterBatches(t *testing.T) {
	t.Parallel()
	h := sampleHistory(t)
	var domains []DomainHistory
	for _, name := range []string{"a.kpu.go.id", "m.kpu.go.id", "z.kpu.go.id"} {
		for _, d := range h.Domains {
			d.Domain = name
			domains = append(domains, d)
		}
	}
	h.Domains = domains
	if len(Disagreements(h)) < 3 {
		t.Fatalf("want disagreements for each domain, got %d", len(Disagreements(h)))
	}
	write := func(t *testing.T, format string, batches ...[]DomainHistory) []byte {
		t.Helper()
		var buf bytes.Buffer
		hw, err := NewHistoryWriter(&buf, format, h, i18n.English)
		if err != nil {
			t.Fatal(err)
		}
		defer hw.Close()
		for _, b := range batches {
			if err := hw.Add(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := hw.Finish(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, format := range []string{"table", "json", "csv", "markdown"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			whole := write(t, format, domains)
			apart := write(t, format, domains[:2], nil, domains[2:4], domains[4:])
			if !bytes.Equal(whole, apart) {
				t.Errorf("a domain at a time:\n%s\nall at once:\n%s", apart, whole)
			}
			if format == "json" {
				var doc bytes.Buffer
				if err := writeDocument(&doc, newHistoryDocument(h)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(whole, doc.Bytes()) {
					t.Errorf("streamed:\n%s\nwhole document:\n%s", whole, doc.Bytes())
				}
			}
			empty := write(t, format)
			var none bytes.Buffer
			if err := WriteHistoryIn(&none, format, History{GeneratedAt: h.GeneratedAt, ToolVersion: h.ToolVersion,
				Database: h.Database, Vantages: h.Vantages}, i18n.English); err != nil {
				t.Fatal(err)
			}
			if len(empty) == 0 || !bytes.Equal(empty, none.Bytes()) {
				t.Errorf("no timelines: %q, want %q", empty, none.Bytes())
			}
			if format == "json" {
				var doc bytes.Buffer
				if err := writeDocument(&doc, newHistoryDocument(History{GeneratedAt: h.GeneratedAt,
					ToolVersion: h.ToolVersion, Database: h.Database, Vantages: h.Vantages})); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(empty, doc.Bytes()) {
					t.Errorf("no timelines: %q, want %q", empty, doc.Bytes())
				}
			}
		})
	}
}
