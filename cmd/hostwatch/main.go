// Command hostwatch shows, with evidence, where the servers behind a domain are
// hosted: addresses, networks (ASN), organisations and countries.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, SystemStreams(), os.Args[1:])
	stop()
	os.Exit(code)
}
