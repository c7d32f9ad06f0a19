// Package knottest runs Knot DNS (knotd) on 127.0.0.1 for benchmarks.
//
// The figures that compare hostwatch with a real server's ceiling, or one
// command of hostwatch with another against the same server, need a server
// that is not hostwatch's own test server: Knot, as Debian packages it
// (apt-get install knot). A benchmark that calls Start is skipped where knotd
// is not installed.
package knottest

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

	"github.com/miekg/dns"
)

// Server is a knotd serving the zone bench.test.
type Server struct {
	Addr string // host:port on 127.0.0.1
	Pid  int
}

// Start runs knotd serving zone, the records of bench.test (its NS and the
// NS's address are added), on a free port of 127.0.0.1, and returns once it
// answers. It is stopped when tb ends; tb is skipped when knotd is missing.
func Start(tb testing.TB, zone string) Server {
	tb.Helper()
	knotd, err := exec.LookPath("knotd")
	if err != nil {
		if knotd, err = exec.LookPath("/usr/sbin/knotd"); err != nil {
			tb.Skip("knotd not installed (Debian: apt-get install knot)")
		}
	}
	dir := tb.TempDir()
	port := FreePort(tb)
	zone += "@ IN NS ns\nns IN A 127.0.0.1\n"
	if err := os.WriteFile(filepath.Join(dir, "bench.test.zone"), []byte(zone), 0o644); err != nil {
		tb.Fatal(err)
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
		tb.Fatal(err)
	}
	cmd := exec.Command(knotd, "-c", confPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
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
			tb.Fatalf("knotd exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("knotd did not answer: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling an outside process, not a test server
	}
	return Server{Addr: addr, Pid: cmd.Process.Pid}
}

// CPU returns the user+system CPU time knotd has used so far.
func (s Server) CPU(tb testing.TB) time.Duration {
	tb.Helper()
	d, err := ProcCPU(s.Pid)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// ProcCPU returns the user+system CPU time of process pid (Linux /proc).
func ProcCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 || i+2 > len(data) {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(data[i+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: CPU times %q %q", pid, f[11], f[12])
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck, nil
}

// FreePort returns a port that was free on 127.0.0.1 for both UDP and TCP.
func FreePort(tb testing.TB) int {
	tb.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	tb.Fatal("no free port")
	return 0
}

// ProviderZone returns the records of n names h0 … h(n-1), each with an A
// and an AAAA record of its own in real provider ranges (Alibaba Cloud,
// Google, OVH, Telkom Indonesia, in turn), so that attribution does real
// work; docs/bench/knot-zone.sh writes the same zone.
func ProviderZone(n int) string {
	v4 := [4]string{"170.33.%d.%d", "8.8.%d.%d", "51.210.%d.%d", "36.86.%d.%d"}
	v6 := [4]string{"2404:2280:100::%x:%x", "2001:4860:4860::%x:%x", "2001:41d0:303::%x:%x", "2408:4000::%x:%x"}
	var b strings.Builder
	b.WriteString("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns h 1 3600 900 604800 300\n")
	for i := range n {
		fmt.Fprintf(&b, "h%d IN A "+v4[i%4]+"\n", i, i>>8&255, i&255)
		fmt.Fprintf(&b, "h%d IN AAAA "+v6[i%4]+"\n", i, i>>16, i&0xffff)
	}
	return b.String()
}
