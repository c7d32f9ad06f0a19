package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// db update connects to the hosts it was given (here a mirror on loopback),
// but where the mirror redirects to another host, only to a globally
// reachable address: a redirect to localhost (the cloud metadata service,
// a private network) is refused and nothing is fetched from there (issue 9,
// part 1).
func TestDBUpdateRedirectStaysOutside(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("MAXMIND_LICENSE_KEY", "")
	t.Setenv("IPINFO_TOKEN", "")
	var reached atomic.Int32
	inside := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	defer inside.Close()
	port := inside.URL[strings.LastIndexByte(inside.URL, ':')+1:]
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+port+r.URL.Path, http.StatusFound)
	}))
	defer mirror.Close()
	_, stderr, code := runInProcess(t, "db", "update", "--base-url", mirror.URL,
		"--rdap-bootstrap-url", mirror.URL, "--feed", "aws=off", "--feed", "google-cloud=off", "--feed", "oracle=off")
	if code != 3 || !strings.Contains(stderr, "refused") {
		t.Errorf("exit %d, stderr %q; want 3 and a refused connection", code, stderr)
	}
	if strings.Contains(stderr, "attempts") {
		t.Errorf("a refused connection was tried again: %s", stderr)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the redirect's target was reached %d times", n)
	}
	// --allow-private lets the redirect through (the target then serves
	// nothing a package needs, so the update still fails, having asked).
	_, _, code = runInProcess(t, "db", "update", "--allow-private", "--base-url", mirror.URL,
		"--rdap-bootstrap-url", mirror.URL, "--feed", "aws=off", "--feed", "google-cloud=off", "--feed", "oracle=off")
	if code != 3 || reached.Load() == 0 {
		t.Errorf("--allow-private: exit %d, target reached %d times", code, reached.Load())
	}
}
