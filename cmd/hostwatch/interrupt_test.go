package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// streamZone serves ok.x.test (one address) and never answers stall.x.test.
func streamZone(t *testing.T) string {
	t.Helper()
	zone, err := resolverstest.NewZoneHandler("$ORIGIN x.test.\n@ 60 IN SOA ns h 1 60 60 60 60\nok 60 IN A 170.33.13.55\nb 60 IN A 170.33.13.56\n")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	srv := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Name == "stall.x.test." {
			<-stop
			return
		}
		zone.ServeDNS(w, r)
	}))
	t.Cleanup(func() { close(stop) })
	return srv.Addr
}

// An endless stdin (yes ok.x.test | hostwatch audit -f -) is audited as it
// is read: the first result comes while the input is still open, and
// SIGINT while reading stops the run at once, with what finished written,
// the name in flight marked interrupted, and exit code 130.
func TestInterruptWhileReadingStdin(t *testing.T) {
	t.Parallel()
	addr := streamZone(t)
	cmd := exec.Command("hostwatch", "audit", "-o", "jsonl", "--stats", "--resolver", addr, "--timeout", "20s", "--deadline", "60s", "-f", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	// Like yes(1): the same name over and over, never an end.
	feeding := make(chan struct{})
	go func() {
		defer close(feeding)
		line := []byte("ok.x.test\n")
		for {
			if _, err := stdin.Write(line); err != nil {
				return
			}
		}
	}()
	lines := readLines(stdout)
	start := time.Now()
	first, ok := <-lines
	if !ok {
		t.Fatalf("no first line\n%s", stderr.String())
	}
	t.Logf("first result after %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(first, `"domain":"ok.x.test"`) || !strings.Contains(first, `"status":"ok"`) {
		t.Fatalf("first line %s, want ok.x.test ok", first)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if rest := waitExit(t, cmd, lines, 130); rest != "" {
		t.Errorf("more lines after the first: %s", rest)
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "hostwatch: stats: 1 names in ") {
		t.Errorf("stderr:\n%s\nwant the interruption and the stats", stderr.String())
	}
	stdin.Close()
	<-feeding
}

// SIGINT with a name in flight: the names before it are written, it is
// written with status interrupted, and nothing after it is started.
func TestInterruptMarksNameInFlight(t *testing.T) {
	t.Parallel()
	addr := streamZone(t)
	cmd := exec.Command("hostwatch", "audit", "-o", "jsonl", "--concurrency", "1", "--resolver", addr, "--timeout", "20s", "--deadline", "60s", "-f", "-")
	cmd.Stdin = strings.NewReader("ok.x.test\nstall.x.test\nb.x.test\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := readLines(stdout)
	if first := <-lines; !strings.Contains(first, `"domain":"ok.x.test"`) {
		t.Fatalf("first line %q\n%s", first, stderr.String())
	}
	time.Sleep(200 * time.Millisecond) // stall.x.test is asked meanwhile; the server never answers
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest := waitExit(t, cmd, lines, 130)
	var got struct{ Domain, Status, Error string }
	if err := json.Unmarshal([]byte(rest), &got); err != nil {
		t.Fatalf("after the first line, want one: %q: %v", rest, err)
	}
	if got.Domain != "stall.x.test" || got.Status != "interrupted" || got.Error == "" {
		t.Fatalf("second line %+v, want stall.x.test interrupted, with an error", got)
	}
}

// readLines sends the lines of r as they come, and closes at its end.
func readLines(r io.Reader) <-chan string {
	out := make(chan string, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return out
}

// waitExit waits for cmd's output to end and for it to exit with code, and
// returns the lines left, joined.
func waitExit(t *testing.T, cmd *exec.Cmd, lines <-chan string, code int) string {
	t.Helper()
	var rest []string
	timeout := time.After(20 * time.Second)
	for open := true; open; {
		select {
		case l, ok := <-lines:
			if ok {
				rest = append(rest, l)
			}
			open = ok
		case <-timeout:
			t.Fatal("still writing 20s after SIGINT")
		}
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != code {
		t.Fatalf("exit %v, want code %d", err, code)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("killed by %s: the signal was not handled", ws.Signal())
	}
	return strings.Join(rest, "\n")
}
