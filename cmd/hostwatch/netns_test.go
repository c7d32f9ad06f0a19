package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// In the network namespace of TestPrivateAddresses, these addresses are on
// the loopback interface. The namespace has no route out: nothing leaves it.
const (
	// metadataAddr is the cloud metadata service's address (link-local).
	metadataAddr = "169.254.169.254"
	// privateAddr is an address of a private network (RFC 1918).
	privateAddr = "10.255.0.1"
	// globalAddr is a globally reachable address (someone else's on the
	// Internet; here only a stand-in for a hostile domain's web server).
	globalAddr = "11.22.33.44"
)

// netnsEnv marks the test binary running inside the namespace.
const netnsEnv = "HOSTWATCH_TEST_NETNS"

// requireNetnsEnv, set to 1, makes the namespace tests (TestPrivateAddresses,
// TestRTTBounds) fail instead of skip when no network namespace can be made.
const requireNetnsEnv = "HOSTWATCH_REQUIRE_NETNS"

// TestPrivateAddresses runs hostwatch against a hostile zone whose names, a
// redirect, NS records and an RDAP redirect lead to the cloud metadata
// service and a private network, with servers really listening there: in a
// network namespace of the test's own (root, or a user namespace) whose
// loopback holds 169.254.169.254, 10.255.0.1 and a stand-in global address.
// Without --allow-private nothing may reach those servers (their accept and
// query counts stay 0) and each refusal is reported; with it they are asked.
func TestPrivateAddresses(t *testing.T) {
	if os.Getenv(netnsEnv) != "1" {
		runInNetns(t)
		return
	}
	inNetns(t)
}

// runInNetns runs the test t again, by its name, in a new network namespace.
func runInNetns(t *testing.T) {
	skip := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv(requireNetnsEnv) == "1" {
			t.Fatalf("%s (and %s=1)", msg, requireNetnsEnv)
		}
		t.Skipf("%s: %s runs only in a network namespace (needs root or user namespaces, unshare and ip from iproute2)", msg, t.Name())
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		skip("no unshare")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("no ip")
	}
	flags := []string{"--net"}
	if os.Geteuid() != 0 {
		flags = []string{"--user", "--map-root-user", "--net"}
	}
	if out, err := exec.CommandContext(t.Context(), unshare, append(flags, "true")...).CombinedOutput(); err != nil {
		skip("unshare %s: %v: %s", strings.Join(flags, " "), err, bytes.TrimSpace(out))
	}
	args := append(flags, "--", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd := exec.CommandContext(t.Context(), unshare, args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		cmd.Env = append(cmd.Env, k+"=") // nothing but the namespace's own servers
	}
	out, err := cmd.CombinedOutput()
	t.Logf("in the namespace:\n%s", out)
	switch {
	case err != nil:
		t.Fatalf("the test failed in the namespace: %v", err)
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		skip("skipped in the namespace")
	case !bytes.Contains(out, []byte("--- PASS: "+t.Name())):
		t.Fatal("the test did not run in the namespace")
	}
}

// counter counts connections or queries.
type counter struct{ n atomic.Int32 }

func (c *counter) get() int32 { return c.n.Load() }

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	c *counter
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.c.n.Add(1)
	}
	return conn, err
}

// serveHTTP serves h on addr:80, counting connections.
func serveHTTP(t *testing.T, addr string, h http.Handler) *counter {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "80"))
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(countingListener{l, c})
	t.Cleanup(func() { srv.Close() })
	return c
}

// serveDNS serves h on addr:53 over UDP and TCP, counting queries.
func serveDNS(t *testing.T, addr string, h dns.Handler) *counter {
	t.Helper()
	c := &counter{}
	counted := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		c.n.Add(1)
		h.ServeDNS(w, r)
	})
	pc, err := net.ListenPacket("udp", net.JoinHostPort(addr, "53"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "53"))
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: counted}, {Listener: l, Handler: counted}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return c
}

// hostileZone points names at the metadata service and the private network,
// directly and through its NS records.
const hostileZone = `$ORIGIN hostile.test.
@      300 IN SOA ns1 hostmaster 1 3600 900 604800 300
@      300 IN NS  ns1
ns1    300 IN A   ` + privateAddr + `
www    300 IN A   ` + globalAddr + `
hop    300 IN A   ` + globalAddr + `
meta   300 IN A   ` + metadataAddr + `
inside 300 IN A   ` + privateAddr + `
mixed  300 IN A   ` + privateAddr + `
mixed  300 IN A   ` + globalAddr + `
`

// inNetns sets the namespace up and runs hostwatch in it.
func inNetns(t *testing.T) {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", metadataAddr + "/32", "dev", "lo"},
		{"addr", "add", privateAddr + "/32", "dev", "lo"},
		{"addr", "add", globalAddr + "/32", "dev", "lo"},
	} {
		if out, err := exec.CommandContext(t.Context(), "ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	zone, err := resolverstest.NewZoneHandler(hostileZone)
	if err != nil {
		t.Fatal(err)
	}
	// The resolver the user names, on 127.0.0.1: always asked.
	resolver, err := resolverstest.Listen("127.0.0.1:0", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resolver.Close() })
	// The hostile domain's web server, at a global address: its front page
	// and its "RDAP service" redirect to the metadata service, hop's to a
	// private name.
	web := serveHTTP(t, globalAddr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/ip/"):
			http.Redirect(w, r, "http://"+metadataAddr+"/rdap"+r.URL.Path, http.StatusFound)
		case r.Host == "www.hostile.test":
			http.Redirect(w, r, "http://"+metadataAddr+"/latest/meta-data/", http.StatusFound)
		case r.Host == "hop.hostile.test":
			http.Redirect(w, r, "http://inside.hostile.test/admin", http.StatusFound)
		default:
			fmt.Fprint(w, "public")
		}
	}))
	metadata := serveHTTP(t, metadataAddr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ami-id\ninstance-id\niam/security-credentials/\n")
	}))
	private := serveHTTP(t, privateAddr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "internal")
	}))
	nameServer := serveDNS(t, privateAddr, zone)

	dir := t.TempDir()
	rdapDir := filepath.Join(dir, "data", "hostwatch", "data", "rdap")
	if err := os.MkdirAll(rdapDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"ipv4.json": `{"version":"1.0","publication":"2024-01-01T00:00:00Z","services":[[["11.0.0.0/8"],["http://` + globalAddr + `/"]]]}`,
		"ipv6.json": `{"version":"1.0","publication":"2024-01-01T00:00:00Z","services":[]}`,
	} {
		if err := os.WriteFile(filepath.Join(rdapDir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))

	run := func(t *testing.T, cache string, args ...string) map[string]reports.Target {
		t.Helper()
		os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, cache)) // no answer from another run
		var out, errOut bytes.Buffer
		streams := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Now: time.Now, Version: "test"}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		args = append([]string{"audit", "-o", "jsonl", "--resolver", resolver.Addr, "--timeout", "2s"}, args...)
		if code := Main(ctx, streams, args); code != 0 {
			t.Fatalf("hostwatch %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		got := map[string]reports.Target{}
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var tg reports.Target
			if err := json.Unmarshal(sc.Bytes(), &tg); err != nil {
				t.Fatalf("%v: %s", err, sc.Bytes())
			}
			got[tg.Domain] = tg
		}
		return got
	}
	names := []string{"www.hostile.test", "hop.hostile.test", "meta.hostile.test", "mixed.hostile.test"}
	// lastHop is the domain's last hop, and the one before it.
	lastHop := func(t *testing.T, tg reports.Target) (reports.HopJSON, reports.HopJSON) {
		t.Helper()
		if tg.HTTP == nil || len(tg.HTTP.Hops) == 0 {
			t.Fatalf("%s: no hops: %+v", tg.Domain, tg.HTTP)
		}
		h := tg.HTTP.Hops
		if len(h) == 1 {
			return h[0], reports.HopJSON{}
		}
		return h[len(h)-1], h[len(h)-2]
	}
	refusal := func(addr, use string) []reports.RefusalJSON {
		return []reports.RefusalJSON{{Address: addr, SpecialUse: use}}
	}
	const linkLocal, privateUse = "link-local (RFC 3927)", "private-use (RFC 1918)"

	t.Run("refused", func(t *testing.T) {
		got := run(t, "cache-refused", append([]string{"--http"}, names...)...)
		for name, want := range map[string]struct {
			url     string
			refused []reports.RefusalJSON
		}{
			// A redirect to the metadata service by address, and to a private name.
			"www.hostile.test": {"http://" + metadataAddr + "/latest/meta-data/", refusal(metadataAddr, linkLocal)},
			"hop.hostile.test": {"http://inside.hostile.test/admin", refusal(privateAddr, privateUse)},
			// A name that resolves to the metadata service: not even HTTPS is tried.
			"meta.hostile.test": {"https://meta.hostile.test/", refusal(metadataAddr, linkLocal)},
		} {
			last, before := lastHop(t, got[name])
			if last.URL != want.url || last.Failure != "refused" || last.ConnectedTo != nil || last.Status != 0 ||
				fmt.Sprint(last.Refused) != fmt.Sprint(want.refused) ||
				!strings.Contains(last.Error, want.refused[0].Address+" ("+want.refused[0].SpecialUse+")") {
				t.Errorf("%s: last hop %+v, want %s refused as %v", name, last, want.url, want.refused)
			}
			if name == "meta.hostile.test" {
				if n := len(got[name].HTTP.Hops); n != 1 {
					t.Errorf("%s: %d hops, want 1 (no plain HTTP after a refusal)", name, n)
				}
			} else if before.Status != http.StatusFound || before.ConnectedTo == nil || before.ConnectedTo.IP != globalAddr {
				t.Errorf("%s: the redirect did not come from %s: %+v", name, globalAddr, before)
			}
		}
		// A name with a private and a global address: only the global one is
		// connected to; the other is listed as refused.
		last, _ := lastHop(t, got["mixed.hostile.test"])
		if last.Status != http.StatusOK || last.ConnectedTo == nil || last.ConnectedTo.IP != globalAddr ||
			fmt.Sprint(last.Refused) != fmt.Sprint(refusal(privateAddr, privateUse)) {
			t.Errorf("mixed.hostile.test: last hop %+v", last)
		}

		got = run(t, "cache-refused", "--authoritative", "--rdap", "www.hostile.test")
		tg := got["www.hostile.test"]
		if tg.Authoritative == nil || len(tg.Authoritative.Answers) != 1 || tg.Authoritative.Answers[0].Status != "refused" ||
			tg.Authoritative.Answers[0].Refused == nil || *tg.Authoritative.Answers[0].Refused != refusal(privateAddr, privateUse)[0] {
			t.Errorf("authoritative: %+v", tg.Authoritative)
		}
		if len(tg.Addresses) != 1 || tg.Addresses[0].RDAP == nil || tg.Addresses[0].RDAP.Status != "refused" ||
			!strings.Contains(tg.Addresses[0].RDAP.Error, metadataAddr+" ("+linkLocal+")") {
			t.Errorf("rdap: %+v", tg.Addresses)
		}

		if web.get() == 0 {
			t.Error("the global web server was never connected to")
		}
		for what, c := range map[string]*counter{
			"the metadata service (" + metadataAddr + ":80)":   metadata,
			"the private web server (" + privateAddr + ":80)":  private,
			"the private name server (" + privateAddr + ":53)": nameServer,
		} {
			if n := c.get(); n != 0 {
				t.Errorf("%s was reached %d times without --allow-private", what, n)
			}
		}
	})

	t.Run("allowed", func(t *testing.T) {
		got := run(t, "cache-allowed", append([]string{"--http", "--allow-private"}, names...)...)
		for _, name := range names {
			last, _ := lastHop(t, got[name])
			if last.Status != http.StatusOK || last.ConnectedTo == nil || len(last.Refused) != 0 || last.Failure != "" {
				t.Errorf("%s with --allow-private: last hop %+v", name, last)
			}
		}
		got = run(t, "cache-allowed", "--authoritative", "--rdap", "--allow-private", "www.hostile.test")
		tg := got["www.hostile.test"]
		if tg.Authoritative == nil || len(tg.Authoritative.Answers) != 1 || tg.Authoritative.Answers[0].Status != "ok" {
			t.Errorf("authoritative with --allow-private: %+v", tg.Authoritative)
		}
		if len(tg.Addresses) != 1 || tg.Addresses[0].RDAP == nil || tg.Addresses[0].RDAP.Status == "refused" {
			t.Errorf("rdap with --allow-private: %+v", tg.Addresses)
		}
		for what, c := range map[string]*counter{"the metadata service": metadata, "the private web server": private, "the private name server": nameServer} {
			if c.get() == 0 {
				t.Errorf("%s was not reached with --allow-private", what)
			}
		}
	})
}
