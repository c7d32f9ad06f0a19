// Command hostwatch shows, with evidence, where the servers behind a domain are
// hosted: addresses, networks (ASN), organisations and countries.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
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
	tuneGC(os.Args[1:], os.Getenv)
	stopProfile := startCPUProfile(os.Getenv(cpuProfileEnv))
	defer stopProfile()
	return Main(ctx, SystemStreams(), os.Args[1:])
}

// checkGC is the garbage collector's setting for a check: at Go's default
// (GOGC=100) a first check of 100,000 names collected the short-lived
// values of its two pipelines (resolving, and classifying and writing to
// the history) often, on a machine whose two cores it shares with the
// resolver. Collecting when the heap has grown fourfold, within a soft limit
// of 96 MiB, took about a tenth less CPU (median of 3 alternating runs:
// 10.9 s against 12.2 s), for a peak RSS of 118 MB instead of 74 MB: bounded
// either way, since a check's memory does not grow with its list.
const (
	checkGCPercent  = 400
	checkGCMemLimit = 96 << 20
)

// tuneGC sets the collector for the command args run (see collectLess).
func tuneGC(args []string, getenv func(string) string) {
	if collectLess(args, getenv) {
		debug.SetGCPercent(checkGCPercent)
		debug.SetMemoryLimit(checkGCMemLimit)
	}
}

// collectLess reports whether the command args run collects less often
// than Go's default: a check does (checkGC), unless the user set GOGC or
// GOMEMLIMIT; the other commands keep the default, which measured as fast
// for an audit, whose memory stays flat at a million names.
func collectLess(args []string, getenv func(string) string) bool {
	return getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "" && len(args) > 0 && args[0] == "check"
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
