package main

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
	"github.com/hostwatch/hostwatch/reports/schema"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hostwatch": func() {
			os.Exit(runProcess())
		},
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// hostwatch binary. Each script gets its own loopback DNS servers:
// $DNS and $DNS2 serve testdata/demo/kpu.go.id.zone, $SILENT never answers, and
// $MOVING serves whatever zone the script last set with "zone FILE", so that
// answers can change between runs; $MOVING2 is a second server answering
// from the same zone (another resolver, the same answers).
func TestScripts(t *testing.T) {
	t.Parallel()
	zone, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "kpu.go.id.zone"))
	if err != nil {
		t.Fatal(err)
	}
	// One PostgreSQL server for the scripts ($HW_PG_SOCKET, $HW_PG_PORT on
	// 127.0.0.1); "pgdb NAME" makes a database and sets $NAME to its URL.
	// Scripts that need it start with [!postgres] skip.
	pg, pgErr := pgtest.Try(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return pgErr == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			if pgErr == nil {
				env.Values[pgKey{}] = pg
				env.Setenv("HW_PG_SOCKET", pg.Dir())
				env.Setenv("HW_PG_PORT", strconv.Itoa(pg.Port()))
			}
			h, err := resolverstest.NewZoneHandler(string(zone))
			if err != nil {
				return err
			}
			srv, err := resolverstest.Listen("127.0.0.1:0", h)
			if err != nil {
				return err
			}
			env.Defer(func() { srv.Close() })
			silent, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			env.Defer(func() { silent.Close() })
			moving := &movingZone{}
			msrv, err := resolverstest.Listen("127.0.0.1:0", moving)
			if err != nil {
				return err
			}
			env.Defer(func() { msrv.Close() })
			env.Values[movingKey{}] = moving
			env.Setenv("MOVING", msrv.Addr)
			msrv2, err := resolverstest.Listen("127.0.0.1:0", moving)
			if err != nil {
				return err
			}
			env.Defer(func() { msrv2.Close() })
			env.Setenv("MOVING2", msrv2.Addr)
			web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/" {
					http.Redirect(w, r, "/home", http.StatusMovedPermanently)
					return
				}
				w.Header().Set("Server", "fixture-web")
				w.Header().Set("X-Cache", "MISS")
				w.Header().Set("Set-Cookie", "not=kept")
				fmt.Fprint(w, "hello")
			}))
			web.StartTLS()
			env.Defer(web.Close)
			env.Setenv("HTTPS_PORT", web.URL[strings.LastIndexByte(web.URL, ':')+1:])
			// The geofeed the RDAP fixture links to, over TLS: scripts
			// trust it with SSL_CERT_FILE=$GEOFEED_CERT.
			feed := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/geofeed.csv" {
					http.NotFound(w, r)
					return
				}
				fmt.Fprint(w, "36.86.63.0/24,SG,SG-01,Singapore,\n170.33.13.0/24,SG,,Singapore,\n")
			}))
			env.Defer(feed.Close)
			certFile := filepath.Join(env.WorkDir, "geofeed-cert.pem")
			if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: feed.Certificate().Raw}), 0o644); err != nil {
				return err
			}
			env.Setenv("GEOFEED_CERT", certFile)
			rdapSrv := httptest.NewServer(rdapFixture(feed.URL + "/geofeed.csv"))
			env.Defer(rdapSrv.Close)
			env.Setenv("RDAP", rdapSrv.URL)
			ecs, err := resolverstest.Listen("127.0.0.1:0", ecsAware())
			if err != nil {
				return err
			}
			env.Defer(func() { ecs.Close() })
			env.Setenv("ECS", ecs.Addr)
			port, err := authoritativePair(env)
			if err != nil {
				return err
			}
			env.Setenv("AUTH_PORT", port)
			srv2, err := resolverstest.Listen("127.0.0.1:0", h)
			if err != nil {
				return err
			}
			env.Defer(func() { srv2.Close() })
			env.Setenv("DNS2", srv2.Addr)
			env.Setenv("DNS", srv.Addr)
			env.Setenv("DNS_PORT", srv.Addr[strings.LastIndexByte(srv.Addr, ':')+1:])
			env.Setenv("SILENT", silent.LocalAddr().String())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"zone":     cmdZone,
			"validate": cmdValidate,
			"pgdb":     cmdPGDB,
			"pgsql":    cmdPGSQL,
		},
	})
}

type pgKey struct{}

// cmdPGDB runs "pgdb NAME": a new, empty database on the scripts'
// PostgreSQL server, its URL (through the Unix socket) in $NAME and its
// name in $NAME_NAME.
func cmdPGDB(ts *testscript.TestScript, neg bool, args []string) {
	pg, ok := ts.Value(pgKey{}).(*pgtest.Server)
	if neg || len(args) != 1 || !ok {
		ts.Fatalf("usage: pgdb NAME (with [postgres])")
	}
	url, err := pg.NewDatabaseErr()
	ts.Check(err)
	ts.Setenv(args[0], url)
	ts.Setenv(args[0]+"_NAME", url[strings.Index(url, "@/")+2:strings.IndexByte(url, '?')])
}

// cmdPGSQL runs "pgsql NAME SQL": SQL in the database pgdb NAME made, as
// its superuser.
func cmdPGSQL(ts *testscript.TestScript, neg bool, args []string) {
	pg, ok := ts.Value(pgKey{}).(*pgtest.Server)
	if neg || len(args) != 2 || !ok {
		ts.Fatalf("usage: pgsql NAME SQL (with [postgres])")
	}
	ts.Check(pg.ExecErr(ts.Getenv(args[0]+"_NAME"), args[1]))
}

// cmdExitCode runs "exitcode N prog args..." and checks that prog exits with N;
// stdout and stderr are kept for the commands that follow.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	// A custom command's output is what it writes to ts.Stdout and ts.Stderr.
	fmt.Fprint(ts.Stdout(), ts.ReadFile("stdout"))
	fmt.Fprint(ts.Stderr(), ts.ReadFile("stderr"))
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdValidate runs "validate [-lines] SCHEMA FILE [REF]": FILE (each of its
// lines, with -lines) must match the published schema
// reports/schema/SCHEMA.schema.json, or its part at the JSON pointer REF.
func cmdValidate(ts *testscript.TestScript, neg bool, args []string) {
	lines := len(args) > 0 && args[0] == "-lines"
	if lines {
		args = args[1:]
	}
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: validate [-lines] SCHEMA FILE [REF]")
	}
	ref := ""
	if len(args) == 3 {
		ref = args[2]
	}
	docs := []string{ts.ReadFile(args[1])}
	if lines {
		docs = strings.Split(strings.TrimSuffix(docs[0], "\n"), "\n")
	}
	for i, doc := range docs {
		if err := schema.Validate([]byte(doc), args[0]+".schema.json", ref); err != nil {
			ts.Fatalf("%s (document %d) does not match %s%s: %v", args[1], i+1, args[0], ref, err)
		}
	}
}

type movingKey struct{}

// movingZone is a DNS handler whose zone a script swaps between runs. Names
// listed as silent get no reply at all (a resolver timeout).
type movingZone struct {
	mu      sync.Mutex
	handler dns.Handler
	silent  map[string]bool
}

func (m *movingZone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m.mu.Lock()
	h, silent := m.handler, len(r.Question) == 1 && m.silent[strings.ToLower(r.Question[0].Name)]
	m.mu.Unlock()
	if h == nil || silent {
		return
	}
	h.ServeDNS(w, r)
}

// cmdZone runs "zone FILE [SILENT-NAME...]": $MOVING answers from FILE from
// now on, and never answers for the SILENT-NAMEs.
func cmdZone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: zone FILE [SILENT-NAME...]")
	}
	h, err := resolverstest.NewZoneHandler(ts.ReadFile(args[0]))
	if err != nil {
		ts.Fatalf("zone %s: %v", args[0], err)
	}
	silent := map[string]bool{}
	for _, n := range args[1:] {
		silent[dns.Fqdn(strings.ToLower(n))] = true
	}
	m := ts.Value(movingKey{}).(*movingZone)
	m.mu.Lock()
	m.handler, m.silent = h, silent
	m.mu.Unlock()
}

// rdapFixture answers RDAP queries for 36.86.63.182 with an IP network
// object shaped like an APNIC answer; its contents are a fixture (TEST-*
// handles, example.net addresses), not facts about the network. Other
// addresses get 404, and 36.86.63.183 gets 429. Its record links to the
// geofeed at geofeedURL (RFC 9877).
func rdapFixture(geofeedURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ip/36.86.63.182":
			w.Header().Set("Content-Type", "application/rdap+json")
			fmt.Fprintf(w, `{"objectClassName":"ip network","handle":"TEST-36-86","startAddress":"36.86.0.0",
"endAddress":"36.86.255.255","ipVersion":"v4","name":"TEST-NET-FIXTURE","type":"ALLOCATED PORTABLE","country":"ZZ",
"links":[{"value":"https://rdap.example/ip/36.86.0.0/16","rel":"geo","href":%q,"type":"application/geofeed+csv"}],
"events":[{"eventAction":"registration","eventDate":"2012-01-10T00:00:00Z"},{"eventAction":"last changed","eventDate":"2024-02-14T08:00:00Z"}],
"entities":[{"objectClassName":"entity","handle":"TEST-ORG","roles":["registrant"],
  "vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Fixture Holder"],["org",{},"text","Fixture Holder Org"]]],
  "entities":[{"objectClassName":"entity","handle":"TEST-ABUSE","roles":["abuse"],
    "vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Abuse"],["email",{},"text","abuse@example.net"]]]}]}]}`, geofeedURL)
		case "/ip/36.86.63.183":
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			http.NotFound(w, r)
		}
	})
}

// ecsAware answers geo.kpu.go.id by client subnet, as a CDN would: clients
// in 36.0.0.0/8 get 36.86.63.182, others 170.33.13.55, with scope /16;
// plain.kpu.go.id ignores the subnet (no option in the reply).
func ecsAware() dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		var sub *dns.EDNS0_SUBNET
		if opt := r.IsEdns0(); opt != nil {
			for _, o := range opt.Option {
				if s, ok := o.(*dns.EDNS0_SUBNET); ok {
					sub = s
				}
			}
		}
		if q.Qtype == dns.TypeA && (q.Name == "geo.kpu.go.id." || q.Name == "plain.kpu.go.id.") {
			ip := "170.33.13.55"
			if q.Name == "geo.kpu.go.id." && sub != nil && sub.Address.To4() != nil && sub.Address.To4()[0] == 36 {
				ip = "36.86.63.182"
			}
			rr, _ := dns.NewRR(q.Name + " 60 IN A " + ip)
			m.Answer = append(m.Answer, rr)
		}
		m.SetEdns0(1232, false)
		if sub != nil && q.Name == "geo.kpu.go.id." {
			echo := *sub
			echo.SourceScope = 16
			m.IsEdns0().Option = append(m.IsEdns0().Option, &echo)
		}
		w.WriteMsg(m)
	})
}

// authoritativePair starts two name servers for kpu.go.id on one port, at
// 127.0.0.1 (up to date) and 127.0.0.2 (stale: an older answer), and returns
// the port.
func authoritativePair(env *testscript.Env) (string, error) {
	zone := func(web string) string {
		return "$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 2 3600 900 604800 300\n" +
			"@ 300 IN NS ns1\n@ 300 IN NS ns2\nns1 300 IN A 127.0.0.1\nns2 300 IN A 127.0.0.2\nweb 300 IN A " + web + "\n"
	}
	fresh, err := resolverstest.NewZoneHandler(zone("36.86.63.182"))
	if err != nil {
		return "", err
	}
	stale, err := resolverstest.NewZoneHandler(zone("170.33.13.55"))
	if err != nil {
		return "", err
	}
	for range 20 {
		a, err := resolverstest.Listen("127.0.0.1:0", fresh)
		if err != nil {
			return "", err
		}
		port := a.Addr[strings.LastIndexByte(a.Addr, ':')+1:]
		b, err := resolverstest.Listen("127.0.0.2:"+port, stale)
		if err != nil {
			a.Close()
			continue // the port is taken at 127.0.0.2: try another
		}
		env.Defer(func() { a.Close(); b.Close() })
		return port, nil
	}
	return "", fmt.Errorf("no port free at both 127.0.0.1 and 127.0.0.2")
}
