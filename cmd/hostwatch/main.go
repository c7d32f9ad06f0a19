// Command hostwatch shows, with evidence, where the servers behind a domain are
// hosted: addresses, networks (ASN), organisations and countries.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// cpuProfileEnv names a file to write a CPU profile of the whole run to
// (go tool pprof reads it): for profiling a bulk run as it really runs, as
// docs/bench/audit-knot.sh does with CPUPROFILE.
const cpuProfileEnv = "HOSTWATCH_CPUPROFILE"

func main() {
	os.Exit(runProcess())
}

// runProcess runs hostwatch as the process, with its standard streams and
// arguments: Ctrl-C and SIGTERM stop starting work and let what is in
// flight be written (the tests' binary runs the same).
func runProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := startCPUProfile(os.Getenv(cpuProfileEnv))
	defer stopProfile()
	return Main(ctx, SystemStreams(), os.Args[1:])
}

// startCPUProfile starts profiling into path (nothing when path is empty)
// and returns the function that ends the profile.
func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hostwatch: %s: %v\n", cpuProfileEnv, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
