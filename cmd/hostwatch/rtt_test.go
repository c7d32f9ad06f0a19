package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// The country shapes' entry in a report's datasets is worded in the
// report's language, like the other embedded data: their licence,
// notice and description, word for word as shapesDataset gives them in
// English (a change to one without the catalogue would leave English in
// an Indonesian report).
func TestShapesDatasetInIndonesian(t *testing.T) {
	t.Parallel()
	shapes, err := geo.LoadShapes()
	if err != nil {
		t.Fatal(err)
	}
	d := shapesDataset(shapes)
	var page bytes.Buffer
	if err := reports.WriteMarkdownIn(&page, probe.Report{Datasets: []attribution.Dataset{d}}, i18n.Indonesian); err != nil {
		t.Fatal(err)
	}
	for _, english := range []string{d.License, d.Attribution} {
		if strings.Contains(page.String(), english) {
			t.Errorf("%q is in English in:\n%s", english, page.String())
		}
	}
	if !strings.Contains(page.String(), "ISC (paket); Natural Earth: domain publik") {
		t.Errorf("no Indonesian licence in:\n%s", page.String())
	}
	var html bytes.Buffer
	if err := reports.WriteHTMLIn(&html, probe.Report{Datasets: []attribution.Dataset{d}}, i18n.Indonesian); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), "Country shapes (Natural Earth") || !strings.Contains(html.String(), "Bentuk wilayah negara (Natural Earth") {
		t.Errorf("the description is not in Indonesian")
	}
}
