package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

const zoneFile = "../../testdata/zones/example.test.zone"

func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrFile := filepath.Join(t.TempDir(), "addr")
	other := filepath.Join(t.TempDir(), "other.zone")
	if err := os.WriteFile(other, []byte("$ORIGIN other.test.\n@ 60 IN SOA ns hm 1 60 60 60 60\nwww 60 IN A 192.0.2.99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-listen", "127.0.0.1:0", "-zone", zoneFile, "-zone", other, "-addr-file", addrFile}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading stdout: %v (stderr: %s)", err, stderr.String())
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("stdout %q", line)
	}
	if b, err := os.ReadFile(addrFile); err != nil || strings.TrimSpace(string(b)) != addr {
		t.Errorf("addr file: %q, %v; want %q", b, err, addr)
	}
	for _, tc := range []struct{ net, name string }{{"udp", "example.test."}, {"tcp", "www.other.test."}} {
		m := new(dns.Msg)
		m.SetQuestion(tc.name, dns.TypeA)
		r, _, err := (&dns.Client{Net: tc.net}).Exchange(m, addr)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("%s %s: %v %v", tc.net, tc.name, r, err)
		}
	}
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit code %d, stderr: %s", c, stderr.String())
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"not loopback", []string{"-listen", "0.0.0.0:5300", "-zone", zoneFile}, 2, "loopback"},
		{"all interfaces", []string{"-listen", ":5300", "-zone", zoneFile}, 2, "loopback"},
		{"host name", []string{"-listen", "localhost:5300", "-zone", zoneFile}, 2, "loopback"},
		{"no zone", []string{"-listen", "127.0.0.1:0"}, 2, "-zone"},
		{"missing zone file", []string{"-listen", "127.0.0.1:0", "-zone", "nope.zone"}, 1, "nope.zone"},
		{"extra argument", []string{"-zone", zoneFile, "extra"}, 2, "extra"},
		{"bad flag", []string{"-nope"}, 2, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			if code := run(t.Context(), tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.err) {
				t.Errorf("code %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.err)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
}
