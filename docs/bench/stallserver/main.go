// Command stallserver is a loopback DNS server for the stalled-first-name
// benchmark (docs/bench/stalled-first.sh): every name under its zone has
// -records A records, which come over TCP (a UDP reply says truncated), and
// the -stall name is never answered, so that a client's first name hangs
// while the rest finish.
//
//	stallserver -listen 127.0.0.1:0 -zone bench.test -records 4000 -stall h0.bench.test -addr-file PATH
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stallserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "loopback `IP:PORT` to serve on, UDP and TCP")
	zone := fs.String("zone", "bench.test", "the `ZONE` whose every name is answered")
	records := fs.Int("records", 4000, "A records per answer (`N`, at most 4000: an answer must fit in 64 KiB)")
	stall := fs.String("stall", "h0.bench.test", "the `NAME` never answered")
	addrFile := fs.String("addr-file", "", "write the address served on to `PATH` once ready")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *records < 1 || *records > 4000 {
		fmt.Fprintf(stderr, "stallserver: -records %d: want 1 to 4000\n", *records)
		return 2
	}
	suffix := "." + dns.Fqdn(strings.ToLower(*zone))
	stalled := dns.Fqdn(strings.ToLower(*stall))
	// The answers' addresses lie in real provider ranges, in turn (Alibaba
	// Cloud, Google, OVH, Telkom Indonesia), so that attribution does real work.
	prefixes := [4][2]byte{{170, 33}, {8, 8}, {51, 210}, {36, 86}}
	addrs := make([]net.IP, *records)
	for j := range addrs {
		p, k := prefixes[j%4], j/4
		addrs[j] = netip.AddrFrom4([4]byte{p[0], p[1], byte(k >> 8), byte(k)}).AsSlice()
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if len(r.Question) != 1 {
			return
		}
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		if name == stalled {
			return
		}
		m := new(dns.Msg)
		m.SetReply(r)
		switch {
		case !strings.HasSuffix(name, suffix):
			m.Rcode = dns.RcodeRefused
		case q.Qtype == dns.TypeA:
			if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
				m.Truncated = true
				break
			}
			for _, ip := range addrs {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: ip})
			}
			m.Compress = true
		}
		w.WriteMsg(m)
	})
	srv, err := resolverstest.Listen(*listen, h)
	if err != nil {
		fmt.Fprintf(stderr, "stallserver: %v\n", err)
		return 1
	}
	defer srv.Close()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(srv.Addr+"\n"), 0o644); err != nil {
			fmt.Fprintf(stderr, "stallserver: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.Addr)
	<-ctx.Done()
	return 0
}
