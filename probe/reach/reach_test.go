package reach

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		want string // the registry entry; "" when allowed
	}{
		{"8.8.8.8", ""},
		{"2001:4860:4860::8888", ""},
		{"169.254.169.254", "link-local (RFC 3927)"},
		{"::ffff:169.254.169.254", "link-local (RFC 3927)"}, // judged as the IPv4 it reaches
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254: link-local (RFC 3927)"}, // through a translator
		{"64:ff9b::808:808", ""},
		{"10.255.0.1", "private-use (RFC 1918)"},
		{"127.0.0.1", "loopback (RFC 1122)"},
		{"100.100.100.200", "shared address space (RFC 6598)"}, // another cloud's metadata service
		{"0.0.0.0", "this network (RFC 791)"},
		{"::1", "loopback (RFC 4291)"},
		{"fd00:ec2::254", "unique-local (RFC 4193)"}, // the IPv6 metadata service
		{"fe80::1%lo", "link-local (RFC 4291)"},
		{"192.0.2.1", "documentation (RFC 5737)"},
	} {
		a := netip.MustParseAddr(tc.addr)
		r, refused := Policy{}.Check(a)
		if refused != (tc.want != "") || r.SpecialUse != tc.want {
			t.Errorf("Check(%s) = %+v, %v; want refused for %q", tc.addr, r, refused, tc.want)
		}
		if r, refused := (Policy{AllowPrivate: true}).Check(a); refused {
			t.Errorf("AllowPrivate: Check(%s) refused: %+v", tc.addr, r)
		}
	}
	if _, refused := (Policy{}).Check(netip.Addr{}); !refused {
		t.Error("the invalid address is not refused")
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	addrs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("169.254.169.254")}
	allowed, refused := Policy{}.Split(addrs)
	if len(allowed) != 1 || allowed[0] != addrs[1] || len(refused) != 2 || refused[0].Addr != addrs[0] || refused[1].Addr != addrs[2] {
		t.Errorf("Split = %v, %v", allowed, refused)
	}
	err := error(&RefusedError{Refusals: refused})
	if msg := err.Error(); msg != "refused to connect to 10.0.0.1 (private-use (RFC 1918)), 169.254.169.254 (link-local (RFC 3927)): not globally reachable (--allow-private allows it)" {
		t.Errorf("Error() = %q", msg)
	}
	var r interface{ Refused() bool }
	if !errors.Is(fmt.Errorf("wrapped: %w", err), ErrRefused) || !errors.As(fmt.Errorf("wrapped: %w", err), &r) || !r.Refused() {
		t.Error("a wrapped RefusedError is not told apart")
	}
}

func TestControl(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		address string
		refused bool
	}{
		{"8.8.8.8:53", false},
		{"[2001:db8::1]:443", true},
		{"169.254.169.254:80", true},
		{"[fe80::1%eth0]:80", true},
		{"not an address", true},
	} {
		err := Policy{}.Control("tcp4", tc.address, nil)
		if (err != nil) != tc.refused || err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("Control(%q) = %v, want refused %v", tc.address, err, tc.refused)
		}
	}
	if err := (Policy{AllowPrivate: true}).Control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("AllowPrivate: Control = %v", err)
	}
}

// countingServer is an HTTP server on 127.0.0.1 that counts requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// The transport refuses whatever a host name resolves to, and redirects,
// unless the connection is to the user's proxy.
func TestTransport(t *testing.T) {
	t.Parallel()
	srv, n := countingServer(t)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	base := &http.Transport{}

	hc := &http.Client{Transport: Policy{}.Transport(base)}
	for _, u := range []string{srv.URL + "/", "http://localhost:" + port + "/"} {
		resp, err := hc.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		var ne *net.OpError
		if !errors.Is(err, ErrRefused) || !errors.As(err, &ne) {
			t.Errorf("GET %s: %v, want a refused dial", u, err)
		}
	}
	if got := n.Load(); got != 0 {
		t.Errorf("the server got %d requests, want none", got)
	}

	hc = &http.Client{Transport: Policy{AllowPrivate: true}.Transport(base)}
	resp, err := hc.Get(srv.URL + "/")
	if err != nil {
		t.Fatalf("AllowPrivate: %v", err)
	}
	resp.Body.Close()

	// Through a proxy on loopback: the proxy is the user's, so it is used;
	// what it is asked for is its business (here it answers itself).
	proxy, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	hc = &http.Client{Transport: Policy{}.Transport(&http.Transport{Proxy: http.ProxyURL(proxy)})}
	resp, err = hc.Get("http://registry.test/ip/8.8.8.8")
	if err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	resp.Body.Close()
	if got := n.Load(); got != 2 {
		t.Errorf("the server got %d requests, want 2", got)
	}
	if base.DialContext != nil || base.Proxy != nil {
		t.Error("Transport changed its base")
	}
}

// A host the user named is connected to; a redirect from it to another
// host that is not globally reachable is refused.
func TestTransportNamed(t *testing.T) {
	t.Parallel()
	target, n := countingServer(t)
	port := target.URL[strings.LastIndexByte(target.URL, ':')+1:]
	mirror := http.NewServeMux()
	mirror.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+port+"/", http.StatusFound)
	})
	mirror.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/", http.StatusFound)
	})
	srv := httptest.NewServer(mirror)
	defer srv.Close()
	hc := &http.Client{Transport: Policy{Named: []string{"127.0.0.1"}}.Transport(&http.Transport{})}
	if _, err := hc.Get(srv.URL + "/elsewhere"); !errors.Is(err, ErrRefused) {
		t.Errorf("redirect to localhost: %v, want refused", err)
	}
	if got := n.Load(); got != 0 {
		t.Errorf("the redirect's target got %d requests, want none", got)
	}
	resp, err := hc.Get(srv.URL + "/same")
	if err != nil {
		t.Fatalf("redirect to the named host: %v", err)
	}
	resp.Body.Close()
	if got := n.Load(); got != 1 {
		t.Errorf("the named host got %d requests, want 1", got)
	}
}
