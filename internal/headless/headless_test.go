package headless

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestOpenSeesWhatAPageDoes proves the checks are not vacuous: a page that
// logs an error, throws, and fetches an image from a loopback server is
// caught doing each.
func TestOpenSeesWhatAPageDoes(t *testing.T) {
	t.Parallel()
	bin := Chromium(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!DOCTYPE html><title>t</title><h1>hello</h1>` +
			`<img src="/pixel.png"><script>console.error("boom"); throw new Error("thrown")</script>`))
	})
	mux.HandleFunc("/pixel.png", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	res, err := Open(t.Context(), bin, srv.URL+"/", Options{Eval: []string{`document.querySelector("h1").textContent`}, Screenshot: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Requests, srv.URL+"/pixel.png") {
		t.Errorf("the image request was not seen: %q", res.Requests)
	}
	joined := strings.Join(res.Errors, "\n")
	for _, want := range []string{"boom", "thrown"} {
		if !strings.Contains(joined, want) {
			t.Errorf("error %q was not seen in %q", want, res.Errors)
		}
	}
	if len(res.Values) != 1 || string(res.Values[0]) != `"hello"` {
		t.Errorf("evaluated %q, want \"hello\"", res.Values)
	}
	if len(res.Screenshot) < 8 || string(res.Screenshot[1:4]) != "PNG" {
		t.Errorf("the screenshot is no PNG (%d bytes)", len(res.Screenshot))
	}
}
