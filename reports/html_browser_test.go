package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/internal/headless"
)

// artifactDir is where the browser test leaves its screenshots and PDFs:
// bin/artifacts, which git ignores.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "bin", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHTMLInChromium opens each kind of page in headless Chromium, on a
// desktop and on a phone: it must render (map, headings, tables), log no
// console error, request nothing but itself, fit the phone's width, and
// print to PDF. Screenshots and PDFs are kept in bin/artifacts.
func TestHTMLInChromium(t *testing.T) {
	browser, err := headless.Launch(t.Context(), headless.Chromium(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(browser.Close)
	dir, artifacts := t.TempDir(), artifactDir(t)
	for name, page := range htmlPages(t) {
		file, err := filepath.Abs(filepath.Join(dir, name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, page, 0o644); err != nil {
			t.Fatal(err)
		}
		url := "file://" + file
		for _, vp := range []struct {
			tag string
			v   headless.Viewport
		}{{"desktop", headless.Viewport{Width: 1200, Height: 900}}, {"phone", headless.Viewport{Width: 390, Height: 844, Mobile: true}}} {
			res, err := browser.Open(t.Context(), url, headless.Options{Viewport: vp.v, Screenshot: true, PDF: vp.tag == "desktop", Eval: []string{
				`document.querySelectorAll("svg.map path.land").length`,
				`document.querySelector("h1").textContent.trim()`,
				`document.querySelectorAll("#summary, #map, #domains, #method").length`,
				`document.documentElement.scrollWidth - window.innerWidth`,
				`Math.round(document.querySelector("svg.map").getBoundingClientRect().width)`,
			}})
			if err != nil {
				t.Fatalf("%s (%s): %v", name, vp.tag, err)
			}
			for _, e := range res.Errors {
				t.Errorf("%s (%s): %s", name, vp.tag, e)
			}
			for _, r := range res.Requests {
				if r != url && !strings.HasPrefix(r, "data:") {
					t.Errorf("%s (%s): the page requested %s", name, vp.tag, r)
				}
			}
			var shapes, sections, overflow, mapWidth int
			var title string
			for i, dst := range []any{&shapes, &title, &sections, &overflow, &mapWidth} {
				if err := json.Unmarshal(res.Values[i], dst); err != nil {
					t.Fatalf("%s (%s): value %d %s: %v", name, vp.tag, i, res.Values[i], err)
				}
			}
			if shapes < 200 || title == "" || sections != 4 {
				t.Errorf("%s (%s): %d country shapes, title %q, %d of the 4 sections: the page did not render", name, vp.tag, shapes, title, sections)
			}
			if overflow > 0 {
				t.Errorf("%s (%s): the page is %d pixels wider than the screen", name, vp.tag, overflow)
			}
			if mapWidth < vp.v.Width/2 {
				t.Errorf("%s (%s): the map is %d pixels wide on a %d pixel screen", name, vp.tag, mapWidth, vp.v.Width)
			}
			if !bytes.HasPrefix(res.Screenshot, []byte("\x89PNG")) {
				t.Errorf("%s (%s): no screenshot", name, vp.tag)
			}
			if err := os.WriteFile(filepath.Join(artifacts, "html-"+name+"-"+vp.tag+".png"), res.Screenshot, 0o644); err != nil {
				t.Fatal(err)
			}
			if vp.tag == "desktop" {
				if !bytes.HasPrefix(res.PDF, []byte("%PDF-")) {
					t.Errorf("%s: printing to PDF gave no PDF", name)
				}
				if err := os.WriteFile(filepath.Join(artifacts, "html-"+name+".pdf"), res.PDF, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Logf("screenshots and PDFs in %s", artifacts)
}
