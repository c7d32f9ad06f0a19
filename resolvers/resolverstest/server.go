// Package resolverstest starts real DNS servers on loopback, answering from zone data or from handler closures, for tests, benchmarks and demos.
package resolverstest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Server is a DNS server answering over UDP and TCP on the same loopback address.
type Server struct {
	// Addr is where it listens, as "127.0.0.1:port".
	Addr string

	udp, tcp *dns.Server
}

// Listen starts a server for h on addr, which must be a loopback IP address
// with a port; port 0 picks a free port that is free for both UDP and TCP.
// It returns once both transports are serving.
func Listen(addr string, h dns.Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("resolverstest: nil handler")
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("resolverstest: listen address %q: want IP:port: %w", addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("resolverstest: listen address %q is not a loopback address", addr)
	}
	var (
		pc net.PacketConn
		l  net.Listener
	)
	for try := 0; ; try++ {
		pc, err = net.ListenPacket("udp", ap.String())
		if err != nil {
			return nil, fmt.Errorf("resolverstest: %w", err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err = net.Listen("tcp", net.JoinHostPort(ap.Addr().String(), strconv.Itoa(port)))
		if err == nil {
			break
		}
		pc.Close()
		// With port 0, the port the kernel gave for UDP may be taken for TCP: try another.
		if ap.Port() != 0 || try == 20 {
			return nil, fmt.Errorf("resolverstest: %w", err)
		}
	}
	// Room for the bursts of queries benchmarks send; capped by net.core.rmem_max.
	_ = pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	s := &Server{Addr: l.Addr().String()}
	s.udp = &dns.Server{PacketConn: pc, Handler: h, UDPSize: 65535}
	s.tcp = &dns.Server{Listener: l, Handler: h}
	if err := start(s.udp); err != nil {
		pc.Close()
		l.Close()
		return nil, err
	}
	if err := start(s.tcp); err != nil {
		s.udp.Shutdown()
		l.Close()
		return nil, err
	}
	return s, nil
}

// start runs srv in a goroutine and returns once it serves, or failed to.
func start(srv *dns.Server) error {
	started := make(chan struct{})
	failed := make(chan error, 1)
	srv.NotifyStartedFunc = func() { close(started) }
	go func() {
		if err := srv.ActivateAndServe(); err != nil {
			failed <- err
		}
	}()
	select {
	case <-started:
		return nil
	case err := <-failed:
		return fmt.Errorf("resolverstest: serve: %w", err)
	}
}

// Close stops the server and waits for its handlers to return.
func (s *Server) Close() error {
	return errors.Join(s.udp.Shutdown(), s.tcp.Shutdown())
}

// Start starts a server for h on 127.0.0.1 with a free port and closes it when
// the test ends.
func Start(t testing.TB, h dns.Handler) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close DNS server %s: %v", s.Addr, err)
		}
	})
	return s
}

// StartZone starts a server answering from zone, which is either zone-file
// text or the path of a zone file (a relative path is looked for from the
// working directory up to the module root, so "testdata/zones/x.zone" works
// from any package).
func StartZone(t testing.TB, zone string) *Server {
	t.Helper()
	text, err := zoneText(zone)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewZoneHandler(text)
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, h)
}

// zoneText returns zone itself when it looks like zone-file text, else the
// content of the file it names.
func zoneText(zone string) (string, error) {
	if strings.ContainsAny(zone, "\n\t ") {
		return zone, nil
	}
	path, err := findFile(zone)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	return string(b), err
}

// findFile looks for path as given and, if relative, in each parent directory
// up to the one holding go.mod.
func findFile(path string) (string, error) {
	if _, err := os.Stat(path); err == nil || filepath.IsAbs(path) {
		return path, err
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, path)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("resolverstest: zone file %s not found", path)
}
