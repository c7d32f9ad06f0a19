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
	os.Exit(runProcess())
}

// runProcess runs hostwatch as the process, with its standard streams and
// arguments: Ctrl-C and SIGTERM stop starting work and let what is in
// flight be written (the tests' binary runs the same).
func runProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Main(ctx, SystemStreams(), os.Args[1:])
}
