package resolvers_test

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/resolvers"
)

func TestParseServerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string // err: a part of the error message
	}{
		// DNS over TLS.
		{in: "tls://9.9.9.9", want: "tls://9.9.9.9:853"},
		{in: "tls://9.9.9.9:8853", want: "tls://9.9.9.9:8853"},
		{in: " TLS://Dns.Quad9.NET. ", want: "tls://dns.quad9.net:853"},
		{in: "tls://dns.example:853", want: "tls://dns.example:853"},
		{in: "tls://[2001:db8::1]", want: "tls://[2001:db8::1]:853"},
		{in: "tls://[2001:db8::1]:8853", want: "tls://[2001:db8::1]:8853"},
		{in: "tls://2001:db8::1", want: "tls://[2001:db8::1]:853"},
		{in: "tls://localhost", want: "tls://localhost:853"},
		{in: "tls://", err: "missing host"},
		{in: "tls://:853", err: "missing host"},
		{in: "tls://9.9.9.9:0", err: "port"},
		{in: "tls://9.9.9.9:65536", err: "port"},
		{in: "tls://9.9.9.9:dot", err: "port"},
		{in: "tls://9.9.9.9:", err: "port"},
		{in: "tls://9.9.9.9/dns", err: "without path"},
		{in: "tls://user@9.9.9.9", err: "without path, query or user"},
		{in: "tls://[9.9.9.9]:853", err: "brackets are only for IPv6"},
		{in: "tls://[dns.example]:853", err: "not an IPv6 address"},
		{in: "tls://[fe80::1%eth0]:853", err: "zone"},
		{in: "tls://bad_name", err: "not an IP address or host name"},
		{in: "tls://a..b", err: "not an IP address or host name"},
		{in: "tls://a0..", err: "not an IP address or host name"},
		{in: "tls://1.2.3", err: "not an IP address or host name"},
		{in: "tls://" + strings.Repeat("a", 64) + ".test", err: "longer than 63"},

		// DNS over HTTPS.
		{in: "https://dns.example/dns-query", want: "https://dns.example/dns-query"},
		{in: "https://dns.example", want: "https://dns.example/dns-query"},
		{in: "https://dns.example/", want: "https://dns.example/"},
		{in: "HTTPS://DNS.Example:8443/Resolve", want: "https://dns.example:8443/Resolve"},
		{in: "https://1.1.1.1/dns-query", want: "https://1.1.1.1/dns-query"},
		{in: "https://[2001:db8::1]:443/q", want: "https://[2001:db8::1]:443/q"},
		{in: "https://[2001:db8::1]/q", want: "https://[2001:db8::1]/q"},
		{in: "https://dns.example/q?b=2&a=1", want: "https://dns.example/q?a=1&b=2"},
		{in: "https://dns.example/a%20b", want: "https://dns.example/a%20b"},
		{in: "https+get://dns.example/dns-query", want: "https+get://dns.example/dns-query"},
		{in: "HTTPS+GET://dns.example", want: "https+get://dns.example/dns-query"},
		{in: "https://", err: "missing host"},
		{in: "https:///dns-query", err: "missing host"},
		{in: "https://:443/dns-query", err: "missing host"},
		{in: "https://dns.example:0/", err: "port"},
		{in: "https://dns.example:70000/", err: "port"},
		{in: "https://dns.example:/", err: "port"},
		{in: "https://dns.example:x/", err: "URL"},
		{in: "https://user:secret@dns.example/", err: "password is not accepted"},
		{in: "https://dns.example/#frag", err: "fragment"},
		{in: "https://dns.example/?dns=AAAB", err: "dns= parameter"},
		{in: "https://dns.example/?a=%zz", err: "query"},
		{in: "https://2001:db8::1/dns-query", err: "not a valid URL"},
		{in: "https://[1.1.1.1]/", err: "not a valid URL"},
		{in: "https://[fe80::1%25eth0]/", err: "zone"},
		{in: "https://dns_example/", err: "not an IP address or host name"},

		// Other schemes.
		{in: "http://dns.example/dns-query", err: "https://"},
		{in: "udp://1.1.1.1", err: `scheme "udp" is not supported`},
		{in: "quic://dns.example", err: "not supported"},
		{in: "://1.1.1.1", err: "missing scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := resolvers.ParseServer(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("ParseServer(%q) = %q, %v; want an error about %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				return
			}
			if again, err := resolvers.ParseServer(got); err != nil || again != got {
				t.Errorf("ParseServer(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestLookupServerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		// Host names in URLs are kept: they are looked up when connecting,
		// and certificates are checked against them.
		{in: "tls://localhost", want: "tls://localhost:853"},
		{in: "https://localhost:8443/dns-query", want: "https://localhost:8443/dns-query"},
		{in: "tls://localhost:0", err: "port"},
		{in: "ftp://localhost", err: "not supported"},
	}
	for _, tt := range tests {
		got, err := resolvers.LookupServer(t.Context(), tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("LookupServer(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("LookupServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseResolverURL(f *testing.F) {
	for _, s := range []string{
		"tls://9.9.9.9", "tls://dns.example:853", "tls://[2001:db8::1]:853", "tls://2001:db8::1",
		"https://dns.example/dns-query", "https://dns.example", "https+get://[::1]:8443/q?a=1",
		"https://dns.example/a%2Fb", "https://dns.example/q?x=1&x=2", "HTTPS://A.B/%41", "tls://", "https://:1/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := resolvers.ParseServer(s)
		if err != nil || !strings.Contains(s, "://") {
			return
		}
		again, err := resolvers.ParseServer(got)
		if err != nil || again != got {
			t.Fatalf("ParseServer(%q) = %q, but ParseServer(%q) = %q, %v", s, got, got, again, err)
		}
		scheme, rest, _ := strings.Cut(got, "://")
		switch scheme {
		case "tls":
			host, port, err := net.SplitHostPort(rest)
			if err != nil || host == "" || port == "" || port == "0" {
				t.Fatalf("ParseServer(%q) = %q, not tls://HOST:PORT", s, got)
			}
		case "https", "https+get":
			u, err := url.Parse("https://" + rest)
			if err != nil || u.Hostname() == "" || u.User != nil || u.Fragment != "" ||
				!strings.HasPrefix(u.EscapedPath(), "/") || u.Query().Has("dns") {
				t.Fatalf("ParseServer(%q) = %q, not a DNS-over-HTTPS URL (%v)", s, got, err)
			}
		default:
			t.Fatalf("ParseServer(%q) = %q, with scheme %q", s, got, scheme)
		}
	})
}
