package resolvers_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/resolvers"
)

func TestParseServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string // err: a part of the error message
	}{
		{in: "1.1.1.1", want: "1.1.1.1:53"},
		{in: "8.8.8.8:53", want: "8.8.8.8:53"},
		{in: " 9.9.9.9:5353 ", want: "9.9.9.9:5353"},
		{in: "2001:db8::1", want: "[2001:db8::1]:53"},
		{in: "[2001:db8::1]", want: "[2001:db8::1]:53"},
		{in: "[2001:db8::1]:5353", want: "[2001:db8::1]:5353"},
		{in: "::1", want: "[::1]:53"},
		{in: "", err: "empty"},
		{in: "   ", err: "empty"},
		{in: "dns.example", err: "host names are not accepted"},
		{in: "localhost:53", err: "host names are not accepted"},
		{in: "1.1.1.1:0", err: "port"},
		{in: "1.1.1.1:65536", err: "port"},
		{in: "1.1.1.1:dns", err: "port"},
		{in: "1.1.1.1:", err: "port"},
		{in: "1.1.1.1:-1", err: "port"},
		{in: "[1.1.1.1]:53", err: "IPv6"},
		{in: "2001:db8::1:53:", err: "IP"},
		{in: "[2001:db8::1]:", err: "port"},
		{in: "[dns.example]", err: "host names are not accepted"},
		{in: "1.1.1", err: "host names are not accepted"},
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
			}
		})
	}
}

func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"1.1.1.1", "8.8.8.8:53", "2001:db8::1", "[2001:db8::1]:5353", "", "x:1", "[::1]", "fe80::1%eth0",
		"::%]", // once accepted, rendered "[::%]]:53", which did not parse again (issue 9)
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := resolvers.ParseServer(s)
		if err != nil || strings.Contains(s, "://") { // URLs: FuzzParseResolverURL
			return
		}
		ap, err := netip.ParseAddrPort(got)
		if err != nil || ap.Port() == 0 {
			t.Fatalf("ParseServer(%q) = %q, not an IP:port", s, got)
		}
		again, err := resolvers.ParseServer(got)
		if err != nil || again != got {
			t.Fatalf("ParseServer(%q) = %q, but ParseServer(%q) = %q, %v", s, got, got, again, err)
		}
	})
}

func TestSystemServers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		want       []string
		wantErr    bool
	}{
		{"two servers", write("two", "# comment\nsearch example.test\nnameserver 127.0.0.53\nnameserver 2001:db8::53\noptions edns0\n"),
			[]string{"127.0.0.53:53", "[2001:db8::53]:53"}, false},
		{"no nameserver", write("none", "search example.test\n"), nil, true},
		{"a host name", write("host", "nameserver dns.example\n"), nil, true},
		{"missing file", filepath.Join(dir, "nope"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolvers.SystemServers(tt.path)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Errorf("SystemServers = %q, %v; want %q (error: %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestLookupServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		{in: "192.0.2.1", want: "192.0.2.1:53"},
		{in: "localhost:5353", want: "127.0.0.1:5353"},
		{in: "localhost", want: "127.0.0.1:53"},
		{in: "localhost:0", err: "port"},
		{in: "localhost:x", err: "port"},
		{in: "bad name!", err: "not an IP"},
		{in: "", err: "empty"},
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
