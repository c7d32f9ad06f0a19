package resolvers_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/miekg/dns"
)

// BenchmarkResolveKnot resolves 100,000 names (A and AAAA) per op, 100 at a
// time, against Knot DNS (knotd) started on 127.0.0.1 for the benchmark. It is
// skipped when knotd is not installed (Debian: apt-get install knot). It
// reports names/s and the CPU time of the client (this process) and of knotd.
func BenchmarkResolveKnot(b *testing.B) {
	knotd, err := exec.LookPath("knotd")
	if err != nil {
		if knotd, err = exec.LookPath("/usr/sbin/knotd"); err != nil {
			b.Skip("knotd not installed")
		}
	}
	const n = 100000
	addr, pid := startKnot(b, knotd, numberedZone(n))
	c, err := resolvers.New(resolvers.Config{Servers: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	names := benchNames(n)
	resolveAll(b.Context(), c, names[:2000], 100) // warm up

	cpu0, knot0 := cpuTime(), procCPU(b, pid)
	start := time.Now()
	ops := 0
	for b.Loop() {
		if failed := resolveAll(b.Context(), c, names, 100); failed > 0 {
			b.Fatalf("%d of %d names failed", failed, n)
		}
		ops++
	}
	elapsed := time.Since(start)
	total := float64(ops * n)
	b.ReportMetric(total/elapsed.Seconds(), "names/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/total, "client-cpu-µs/name")
	b.ReportMetric(float64((procCPU(b, pid)-knot0).Microseconds())/total, "knot-cpu-µs/name")
	b.ReportMetric(elapsed.Seconds()/float64(ops), "s/100k-names")
}

// startKnot runs knotd serving zone (for bench.test) on 127.0.0.1 and returns
// its address and process id once it answers; it is stopped when b ends.
func startKnot(b *testing.B, knotd, zone string) (string, int) {
	b.Helper()
	dir := b.TempDir()
	port := freePort(b)
	zone += "@ IN NS ns\nns IN A 127.0.0.1\n"
	if err := os.WriteFile(filepath.Join(dir, "bench.test.zone"), []byte(zone), 0o644); err != nil {
		b.Fatal(err)
	}
	conf := fmt.Sprintf(`server:
    rundir: "%[1]s"
    listen: 127.0.0.1@%[2]d
log:
  - target: stderr
    any: warning
database:
    storage: "%[1]s"
template:
  - id: default
    storage: "%[1]s"
    semantic-checks: off
zone:
  - domain: bench.test
    file: bench.test.zone
`, dir, port)
	confPath := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(knotd, "-c", confPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	b.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Ask for the SOA until Knot has loaded the zone (bounded).
	m := new(dns.Msg)
	m.SetQuestion("bench.test.", dns.TypeSOA)
	cl := &dns.Client{Timeout: 200 * time.Millisecond}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if r, _, err := cl.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			break
		}
		select {
		case <-exited:
			b.Fatalf("knotd exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			b.Fatalf("knotd did not answer: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling an external process, not a test server
	}
	return addr, cmd.Process.Pid
}

// freePort returns a port that was free on 127.0.0.1 for both UDP and TCP.
func freePort(b *testing.B) int {
	b.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	b.Fatal("no free port")
	return 0
}

// procCPU returns the user+system CPU time of process pid (Linux /proc).
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck
}
