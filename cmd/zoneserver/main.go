// Command zoneserver serves zone files over DNS (UDP and TCP) on a loopback
// address, answering like a recursive resolver that holds those zones; it is
// used by demos and benchmarks.
//
//	zoneserver -listen 127.0.0.1:5300 -zone testdata/zones/example.zone [-zone FILE ...] [-addr-file PATH]
//
// It prints "listening on 127.0.0.1:PORT" once ready (port 0 picks a free
// port) and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done and returns the exit code: 0 after a clean
// stop, 1 when serving failed, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoneserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:5300", "loopback `IP:PORT` to serve on, UDP and TCP (port 0 picks a free one)")
	addrFile := fs.String("addr-file", "", "write the address served on to `PATH` once ready")
	var zones []string
	fs.Func("zone", "zone `FILE` to serve (repeatable)", func(s string) error {
		zones = append(zones, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoneserver: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if len(zones) == 0 {
		fmt.Fprintln(stderr, "zoneserver: give at least one -zone FILE")
		return 2
	}
	ap, err := netip.ParseAddrPort(*listen)
	if err != nil || !ap.Addr().IsLoopback() {
		fmt.Fprintf(stderr, "zoneserver: -listen %q: want a loopback IP:PORT such as 127.0.0.1:5300\n", *listen)
		return 2
	}

	var rrs []dns.RR
	for _, z := range zones {
		b, err := os.ReadFile(z)
		if err != nil {
			fmt.Fprintf(stderr, "zoneserver: %v\n", err)
			return 1
		}
		zrrs, err := resolverstest.ParseZone(string(b))
		if err != nil {
			fmt.Fprintf(stderr, "zoneserver: %s: %v\n", z, err)
			return 1
		}
		rrs = append(rrs, zrrs...)
	}
	srv, err := resolverstest.Listen(ap.String(), resolverstest.ZoneHandler(rrs))
	if err != nil {
		fmt.Fprintf(stderr, "zoneserver: %v\n", err)
		return 1
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(srv.Addr+"\n"), 0o644); err != nil {
			fmt.Fprintf(stderr, "zoneserver: %v\n", err)
			srv.Close()
			return 1
		}
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.Addr)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "zoneserver: %v\n", err)
		return 1
	}
	return 0
}
