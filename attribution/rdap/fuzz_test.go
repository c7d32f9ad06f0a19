package rdap

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go4.org/netipx"
)

// fuzzDocuments are RDAP answers of the shapes registries give, for seeds:
// the fixtures, and inline ones with the awkward parts (maintainer entities
// marked registrant before the organisation, as RIPE NCC does; zero-padded
// addresses, as old ARIN records have; nested entities; events with zones).
func fuzzDocuments(tb testing.TB) [][]byte {
	docs := [][]byte{
		readFixture(tb, "apnic-203.0.113.0.json"), readFixture(tb, "arin-192.0.2.0.json"),
		readFixture(tb, "ripe-2001-db8.json"), readFixture(tb, "malformed.json"),
	}
	for _, s := range []string{
		`{"objectClassName": "ip network", "handle": "192.0.2.0 - 192.0.2.255", "startAddress": "192.0.2.0", "endAddress": "192.0.2.255",
		  "ipVersion": "v4", "name": "EXAMPLE-NET", "type": "ASSIGNED PA", "country": "cz", "parentHandle": "192.0.0.0 - 192.0.255.255",
		  "cidr0_cidrs": [{"v4prefix": "192.0.2.0", "length": 24}],
		  "entities": [
		    {"handle": "lir-zz-example-1-MNT", "roles": ["registrant"], "objectClassName": "entity"},
		    {"handle": "ORG-EX1-RIPE", "roles": ["registrant"], "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Example, s.r.o."], ["kind", {}, "text", "org"]]]},
		    {"handle": "AR1-RIPE", "roles": ["abuse"], "vcardArray": ["vcard", [["email", {"type": "abuse"}, "text", "abuse@example.cz"]]]}],
		  "events": [{"eventAction": "registration", "eventDate": "2019-03-01T10:00:00Z"}, {"eventAction": "last changed", "eventDate": "2025-01-02T03:04:05+01:00"}]}`,
		`{"objectClassName": "ip network", "handle": "NET-74-125-0-0-1", "startAddress": "074.125.000.000", "endAddress": "074.125.255.255",
		  "ipVersion": "v4", "name": "GOOGLE", "type": "DIRECT ALLOCATION",
		  "entities": [{"handle": "GOGL", "roles": ["registrant"], "vcardArray": ["vcard", [["org", {}, "text", ["Google LLC", "Unit"]]]],
		    "entities": [{"handle": "ABUSE5250-ARIN", "roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", "network-abuse@google.com"]]]}]}],
		  "events": [{"eventAction": "registration", "eventDate": "2007-03-13"}, {"eventAction": "last changed", "eventDate": "2012-02-24T09:44:34-05:00"}]}`,
		`{"handle": "X", "startAddress": "2001:db8::/128", "endAddress": "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128"}`,
		// Once parsed into years -1 and 10000 in UTC, which JSON cannot hold.
		`{"handle": "Y", "events": [{"eventAction": "registration", "eventDate": "0000-01-01T00:00:00+01:00"},
		  {"eventAction": "last changed", "eventDate": "9999-12-31T23:30:00-01:00"}, {"eventAction": "last changed", "eventDate": "2020-01-01"}]}`,
		`{"errorCode": 404, "title": "Not Found", "description": ["no network", "here"]}`,
	} {
		docs = append(docs, []byte(s))
	}
	return docs
}

// FuzzNetworkJSON checks what parseNetwork accepts against what reports do
// with it: a Network must marshal to JSON (a report that cannot be written
// loses the run), read back to the same, and say consistent things.
func FuzzNetworkJSON(f *testing.F) {
	for _, d := range fuzzDocuments(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseNetwork(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("parsed %+v, which does not marshal: %v", n, err)
		}
		var back Network
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, n) {
			t.Fatalf("%s reads back as %+v (%v), want %+v", out, back, err, n)
		}
		if n.Country != strings.ToUpper(n.Country) || n.Country != strings.TrimSpace(n.Country) {
			t.Fatalf("country %q", n.Country)
		}
		for _, p := range n.CIDRs {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("prefix %s in %v", p, n.CIDRs)
			}
		}
		if n.Start.IsValid() && n.Start.Zone() == "" {
			r := netipx.IPRangeFrom(n.Start, n.End)
			if !r.IsValid() || n.Start.Is4In6() || n.End.Is4In6() {
				t.Fatalf("range %s - %s", n.Start, n.End)
			}
		}
	})
}

// FuzzResponseHelpers checks the small readers of a registry's HTTP answer:
// where a redirect may go, how long a Retry-After makes a lookup wait,
// which media types pass, and the error title kept.
func FuzzResponseHelpers(f *testing.F) {
	f.Add("https://rdap.example/ip/192.0.2.1", "https://rdap.other.example/ip/192.0.2.1", "120", "application/rdap+json; charset=utf-8", []byte(`{"errorCode": 400, "title": "Bad Request", "description": ["malformed"]}`))
	f.Add("https://rdap.example/ip/192.0.2.1", "http://rdap.other.example/ip/192.0.2.1", "Wed, 21 Oct 2015 07:28:00 GMT", "text/html", []byte(`{"title": "`+strings.Repeat("é", 150)+`"}`))
	f.Add("http://rdap.example/ip/192.0.2.1", "/ip/192.0.2.1?x=1", "-5", "application/json", []byte(`null`))
	f.Add("http://rdap.example/ip/192.0.2.1", "file:///etc/passwd", "99999999999999999999", "", []byte(`{"description": ["\u001b[2J"]}`))
	f.Add("https://rdap.example/ip/192.0.2.1", "//169.254.169.254/latest", "", "application/rdap+json;;", []byte(`[]`))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, location, retry, ctype string, body []byte) {
		u, err := url.Parse(from)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return
		}
		if next, err := redirectTarget(u, location); err == nil {
			if (next.Scheme != "http" && next.Scheme != "https") || next.Host == "" || (u.Scheme == "https" && next.Scheme != "https") {
				t.Fatalf("redirect from %s to %q followed, to %s", u, location, next)
			}
		}
		if d := retryAfter(retry, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("Retry-After %q: wait %s", retry, d)
		}
		_ = checkContentType(ctype)
		title := errorTitle(body)
		if len(title) > 200+len("…") || !utf8.ValidString(title) {
			t.Fatalf("title %q", title)
		}
	})
}

// fuzzRegistry is a loopback RDAP server answering the first request of a
// lookup with a response the fuzzer made (status, Location, Content-Type,
// body) and every later one (after a redirect) with that body as a network.
type fuzzRegistry struct {
	mu              sync.Mutex
	status          int
	location, ctype string
	body            []byte
	requests        int
}

func (r *fuzzRegistry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.requests == 1 {
		if r.location != "" {
			w.Header().Set("Location", r.location)
		}
		if r.ctype != "" {
			w.Header().Set("Content-Type", r.ctype)
		}
		w.WriteHeader(r.status)
		_, _ = w.Write(r.body)
		return
	}
	w.Header().Set("Content-Type", "application/rdap+json")
	_, _ = w.Write(r.body)
}

// FuzzLookup runs Client.Lookup against a registry on loopback that answers
// as the fuzzer says, and then again from the cache. Whatever the registry
// says, Lookup ends with a known status, never by a recovered panic, and a
// cached answer gives the same network as the fresh one. Every request,
// whatever host a redirect names, is sent to the loopback server.
func FuzzLookup(f *testing.F) {
	// The address each document is about (fuzzDocuments' order); the
	// 2001:db8::/32 network answered for 192.0.2.1 is a wrong answer.
	addrs := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("203.0.113.1"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("74.125.0.1")}
	about := []uint8{1, 0, 2, 0, 0, 3, 0, 0, 0}
	for i, d := range fuzzDocuments(f) {
		which := about[i%len(about)]
		f.Add(uint16(200), "", "application/rdap+json", d, which)
		if i%3 == 0 {
			f.Add(uint16(301), "https://rdap.other.fuzz/ip/192.0.2.1", "", d, which)
		}
	}
	f.Add(uint16(404), "", "application/rdap+json", []byte(`{"errorCode": 404, "title": "Not Found"}`), uint8(0))
	f.Add(uint16(429), "", "", []byte(""), uint8(0))
	f.Add(uint16(503), "", "text/html", []byte("<html>busy</html>"), uint8(0))
	f.Add(uint16(302), "http://rdap.other.fuzz/ip/192.0.2.1", "", []byte(""), uint8(0))
	f.Add(uint16(302), "/elsewhere", "", []byte(`{"handle": "H"}`), uint8(0))
	f.Add(uint16(200), "", "text/html; charset=utf-8", []byte(`{"handle": "H"}`), uint8(0))

	reg := &fuzzRegistry{}
	srv := httptest.NewServer(reg)
	f.Cleanup(srv.Close)
	// Every connection goes to the loopback server, whatever the URL says.
	dialer := &net.Dialer{Timeout: time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	f.Cleanup(tr.CloseIdleConnections)
	boot, err := ParseBootstrap([]byte(`{"services": [[["0.0.0.0/0"], ["http://rdap.fuzz/"]]]}`), []byte(`{"services": [[["::/0"], ["http://rdap.fuzz/"]]]}`))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	statuses := []string{StatusOK, StatusNotFound, StatusRateLimited, StatusTimeout, StatusError}

	f.Fuzz(func(t *testing.T, status uint16, location, ctype string, body []byte, which uint8) {
		ip := addrs[int(which)%len(addrs)]
		code := int(status)
		if code < 100 || code > 999 || code == 101 || strings.ContainsAny(location+ctype, "\r\n\x00") {
			return // net/http cannot send these
		}
		reg.mu.Lock()
		reg.status, reg.location, reg.ctype, reg.body, reg.requests = code, location, ctype, body, 0
		reg.mu.Unlock()
		c, err := New(Config{
			Bootstrap: boot, CacheDir: t.TempDir(), Timeout: 5 * time.Second, MaxRetries: -1,
			HTTPClient: &http.Client{Transport: tr}, Now: func() time.Time { return now },
		})
		if err != nil {
			t.Fatal(err)
		}
		// No waiting between requests: every host unlimited.
		c.limits = newLimiter(nil, -1)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		n := c.Lookup(ctx, ip)
		if ctx.Err() != nil {
			t.Fatalf("Lookup did not end: %+v", n)
		}
		if !slices.Contains(statuses, n.Status) || strings.Contains(n.Error, "internal error") {
			t.Fatalf("status %q: %s", n.Status, n.Error)
		}
		if n.Status == StatusOK && (n.Error != "" || (n.Handle == "" && !n.Start.IsValid())) {
			t.Fatalf("ok with %+v", n)
		}
		// A network that says where it is holds the address.
		if n.Status == StatusOK && n.Start.IsValid() && !netipx.IPRangeFrom(n.Start, n.End).Contains(ip) {
			t.Fatalf("network %s - %s for %s", n.Start, n.End, ip)
		}
		if n.Status == StatusOK && !n.Start.IsValid() && len(n.CIDRs) > 0 && !slices.ContainsFunc(n.CIDRs, func(p netip.Prefix) bool { return p.Contains(ip) }) {
			t.Fatalf("network %v for %s", n.CIDRs, ip)
		}
		reg.mu.Lock()
		requests := reg.requests
		reg.mu.Unlock()
		if requests > MaxRedirects+1 {
			t.Fatalf("%d requests", requests)
		}
		if _, err := json.Marshal(n); err != nil {
			t.Fatalf("%+v does not marshal: %v", n, err)
		}
		if n.Status == StatusRateLimited {
			return // asked again, it would wait for the Retry-After
		}
		// Asked again, an answer worth keeping comes from the cache, the same.
		again := c.Lookup(ctx, ip)
		reg.mu.Lock()
		requestsAgain := reg.requests
		reg.mu.Unlock()
		switch n.Status {
		case StatusOK, StatusNotFound:
			if !again.FromCache || requestsAgain != requests {
				t.Fatalf("not from the cache: %+v", again)
			}
			again.FromCache = false
			if !reflect.DeepEqual(again, n) {
				t.Fatalf("from the cache %+v, fresh %+v", again, n)
			}
		default:
			if again.FromCache {
				t.Fatalf("a %s answer was cached: %+v", n.Status, again)
			}
		}
	})
}
