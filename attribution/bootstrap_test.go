package attribution

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// bootstrapDoc is a bootstrap file in IANA's format with the given
// publication date and one service, for a test's publisher.
func bootstrapDoc(published, prefix, url string) string {
	return `{"version": "1.0", "publication": "` + published + `", "description": "test", "services": [[["` + prefix + `"], ["` + url + `"]]]}`
}

// db update never installs an RDAP bootstrap file older than the one in
// use, embedded or installed before: each file's publication is compared
// (issue 9, part 12).
func TestUpdateBootstrapNeverOlder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	files := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(b))
	}))
	t.Cleanup(srv.Close)
	serve := func(v4, v6 string) {
		mu.Lock()
		files["/ipv4.json"], files["/ipv6.json"] = v4, v6
		mu.Unlock()
	}
	dir := t.TempDir()
	c := updateOpts(t, dir, srv.URL).HTTP
	embV4, embV6 := Bootstrap("").Publications()

	// An IPv4 file older than the embedded one, an IPv6 file newer.
	serve(bootstrapDoc("2015-01-01T00:00:00Z", "192.0.2.0/24", "https://old.example/"),
		bootstrapDoc("2030-01-01T00:00:00Z", "2001:db8::/32", "https://new.example/"))
	res, err := UpdateBootstrap(t.Context(), dir, srv.URL, c)
	if err != nil {
		t.Fatal(err)
	}
	v4, v6 := Bootstrap(dir).Publications()
	if v4 != embV4 || v6 != "2030-01-01T00:00:00Z" {
		t.Errorf("in use: ipv4 %s, ipv6 %s; want the embedded ipv4 (%s) and the fetched ipv6", v4, v6, embV4)
	}
	if res.Published != "2030-01-01T00:00:00Z" || len(res.Kept) != 1 || !strings.Contains(res.Kept[0], "ipv4.json") {
		t.Errorf("UpdateBootstrap = %+v, want ipv4.json kept and 2030 in use", res)
	}

	// Now an IPv6 file older than the installed one, newer than the embedded.
	if embV6 >= "2029" {
		t.Fatalf("embedded ipv6 bootstrap from %s: the test needs an older one", embV6)
	}
	serve(bootstrapDoc("2030-01-01T00:00:00Z", "192.0.2.0/24", "https://v4.example/"),
		bootstrapDoc("2029-06-01T00:00:00Z", "2001:db8::/32", "https://older.example/"))
	if res, err = UpdateBootstrap(t.Context(), dir, srv.URL, c); err != nil {
		t.Fatal(err)
	}
	bs := Bootstrap(dir)
	v4, v6 = bs.Publications()
	if v4 != "2030-01-01T00:00:00Z" || v6 != "2030-01-01T00:00:00Z" {
		t.Errorf("in use: ipv4 %s, ipv6 %s; want both of 2030", v4, v6)
	}
	if len(res.Kept) != 1 || !strings.Contains(res.Kept[0], "ipv6.json") {
		t.Errorf("Kept = %q, want ipv6.json", res.Kept)
	}
	if u, _ := bs.Find(netip.MustParseAddr("2001:db8::1")); u != "https://new.example/" {
		t.Errorf("2001:db8::1 is answered by %q, want the newer file's service", u)
	}
}
