package rdap

import (
	"net/netip"
	"strings"
	"testing"
)

// TestDefaultBootstrap checks the embedded IANA files against facts of the
// real registries: which RIR's service answers for which address.
func TestDefaultBootstrap(t *testing.T) {
	b := DefaultBootstrap()
	if b.empty() {
		t.Fatal("embedded bootstrap is empty")
	}
	if got, want := b.Published(), "2024-11-01T22:00:01Z"; got != want {
		t.Errorf("Published() = %q, want %q", got, want)
	}
	if v4, v6 := b.Publications(); v4 != "2019-06-07T19:00:02Z" || v6 != "2024-11-01T22:00:01Z" {
		t.Errorf("Publications() = %q, %q", v4, v6)
	}
	const (
		arin    = "https://rdap.arin.net/registry/"
		apnic   = "https://rdap.apnic.net/"
		ripe    = "https://rdap.db.ripe.net/"
		lacnic  = "https://rdap.lacnic.net/rdap/"
		afrinic = "https://rdap.afrinic.net/rdap/"
	)
	for ip, want := range map[string]string{
		"170.33.13.55":         arin, // 170.0.0.0/8; ARIN redirects for what it does not hold
		"8.8.8.8":              arin,
		"::ffff:8.8.8.8":       arin, // IPv4-mapped is looked up as IPv4
		"36.86.63.182":         apnic,
		"47.96.1.10":           arin,
		"51.210.1.10":          ripe,
		"200.160.2.3":          lacnic,
		"41.0.0.1":             afrinic,
		"2001:41d0:303::1":     ripe,
		"2408:4000::1":         apnic,
		"2001:4860:4860::8888": arin,
		"2800::1":              lacnic,
		"fe80::1%eth0":         "",
		"10.0.0.1":             "", // private use: no registry
		"127.0.0.1":            "",
	} {
		got, ok := b.Find(netip.MustParseAddr(ip))
		if got != want || ok != (want != "") {
			t.Errorf("Find(%s) = %q, %v; want %q", ip, got, ok, want)
		}
	}
}

// TestFindLongestPrefix checks that the longest matching prefix wins whatever
// the order of the services, and that https is preferred.
func TestFindLongestPrefix(t *testing.T) {
	wide := `[["192.0.0.0/8", "2.0.0.0/8"], ["http://wide.example/rdap", "https://wide.example/rdap"]]`
	narrow := `[["192.0.2.0/24"], ["https://narrow.example/"]]`
	narrower := `[["192.0.2.128/25"], ["http://narrower.example/only-http/"]]`
	for _, order := range [][]string{{wide, narrow, narrower}, {narrower, narrow, wide}, {narrow, narrower, wide}} {
		v4 := `{"version": "1.0", "publication": "2026-01-02T03:04:05Z", "services": [` + strings.Join(order, ",") + `]}`
		b, err := ParseBootstrap([]byte(v4), nil)
		if err != nil {
			t.Fatal(err)
		}
		for ip, want := range map[string]string{
			"192.0.2.1":   "https://narrow.example/",
			"192.0.2.200": "http://narrower.example/only-http/",
			"192.0.3.1":   "https://wide.example/rdap/", // https chosen, slash added
			"2.3.4.5":     "https://wide.example/rdap/",
			"193.0.0.1":   "",
		} {
			got, _ := b.Find(netip.MustParseAddr(ip))
			if got != want {
				t.Errorf("order %d: Find(%s) = %q, want %q", len(order[0]), ip, got, want)
			}
		}
		if b.Published() != "2026-01-02T03:04:05Z" {
			t.Errorf("Published() = %q", b.Published())
		}
	}
}

func TestParseBootstrapErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		v4, v6 string
		want   string
	}{
		"malformed":      {v4: `{"services": [`, want: "malformed JSON"},
		"no services":    {v4: `{"version": "1.0"}`, want: `no "services"`},
		"arity":          {v4: `{"services": [[["1.0.0.0/8"]]]}`, want: "want [[prefixes], [urls]]"},
		"prefix type":    {v4: `{"services": [[[1], ["https://a.example/"]]]}`, want: "prefixes"},
		"bad prefix":     {v4: `{"services": [[["1.0.0.0/33"], ["https://a.example/"]]]}`, want: "1.0.0.0/33"},
		"bare number":    {v4: `{"services": [[["8"], ["https://a.example/"]]]}`, want: "service 0"},
		"wrong family":   {v4: `{"services": [[["2001:db8::/32"], ["https://a.example/"]]]}`, want: "wrong address family"},
		"wrong family 6": {v6: `{"services": [[["1.0.0.0/8"], ["https://a.example/"]]]}`, want: "ipv6 bootstrap"},
		"no usable url":  {v4: `{"services": [[["1.0.0.0/8"], ["ftp://a.example/", "not a url"]]]}`, want: "no usable"},
		"no urls":        {v4: `{"services": [[["1.0.0.0/8"], []]]}`, want: "no usable"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseBootstrap([]byte(tc.v4), []byte(tc.v6))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseBootstrapEmpty(t *testing.T) {
	b, err := ParseBootstrap(nil, []byte("  \n"))
	if err != nil {
		t.Fatal(err)
	}
	if !b.empty() || b.Published() != "" {
		t.Errorf("want an empty bootstrap, got %+v", b)
	}
	var zero *Bootstrap
	if _, ok := zero.Find(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("nil bootstrap found a registry")
	}
}

// FuzzParseBootstrap checks that no bootstrap file makes ParseBootstrap or
// Find panic, and that what it accepts only ever gives http(s) URLs.
func FuzzParseBootstrap(f *testing.F) {
	v4, _ := bootstrapFiles.ReadFile("bootstrap/ipv4.json")
	v6, _ := bootstrapFiles.ReadFile("bootstrap/ipv6.json")
	f.Add(v4, v6)
	f.Add([]byte(`{"services": [[["192.0.2.0/24"], ["http://a.example", "https://b.example/x/"]]]}`), []byte(`{"services": []}`))
	f.Add([]byte(`{"services": [[["0.0.0.0/0"], ["https://a.example/"]]]}`), []byte(`{"services": [[["::/0"], ["https://b.example/"]]]}`))
	probes := []netip.Addr{
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("::"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("ffff::1"),
	}
	f.Fuzz(func(t *testing.T, v4, v6 []byte) {
		b, err := ParseBootstrap(v4, v6)
		if err != nil {
			return
		}
		_ = b.Published()
		for _, ip := range probes {
			if u, ok := b.Find(ip); ok && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("Find(%s) = %q", ip, u)
			}
		}
	})
}
