// Package pgtest starts a real PostgreSQL server for tests: initdb into a
// temporary directory, listening on a Unix socket there and on 127.0.0.1 at
// a free port, fsync off, stopped when the test ends. PostgreSQL refuses to
// run as root, so as root (CI) the server runs as the postgres user that
// Debian's package creates, in a directory that user owns.
//
// When the server cannot be started (no PostgreSQL installed, no postgres
// user) the test is skipped with the reason, unless HOSTWATCH_POSTGRES is
// "required": then it fails, so that a CI run cannot pass by skipping.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server that trusts local connections of
// the hostwatch role, a superuser.
type Server struct {
	dir  string // holds data/ and the socket
	port int
	n    atomic.Int64 // databases made so far
}

// Start starts a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Try(t)
	if err != nil {
		t.Skipf("skipped: PostgreSQL could not be started (install Debian's postgresql, or `make test` does): %v", err)
	}
	return s
}

// Try starts a server for the test, as Start does, but returns why it could
// not (failing the test instead when HOSTWATCH_POSTGRES is "required"), for
// tests that do other things without one.
func Try(t testing.TB) (*Server, error) {
	t.Helper()
	s, err := start(t)
	if err != nil && os.Getenv("HOSTWATCH_POSTGRES") == "required" {
		t.Fatalf("PostgreSQL is required (HOSTWATCH_POSTGRES=required) and could not be started: %v", err)
	}
	return s, err
}

// ExecErr runs SQL statements in database db as the superuser.
func (s *Server) ExecErr(db, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// NewDatabaseErr creates an empty database and returns its URL, for callers
// without a testing.TB (testscript's Setup).
func (s *Server) NewDatabaseErr() (string, error) {
	name := fmt.Sprintf("t%d", s.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// binDir finds PostgreSQL's programs: on PATH, else in Debian's
// /usr/lib/postgresql/VERSION/bin (the newest).
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("initdb is neither on PATH nor in /usr/lib/postgresql/*/bin")
}

func start(t testing.TB) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parents are private to root, and the server may
	// have to run as another user. A short path, too: a Unix socket's path
	// has at most 107 bytes.
	dir, err := os.MkdirTemp("", "hwpg-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var asPostgres func(*exec.Cmd)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		asPostgres = func(cmd *exec.Cmd) { runAs(cmd, uint32(uid), uint32(gid)) }
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, port: port}
	data := filepath.Join(dir, "data")
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
		if asPostgres != nil {
			asPostgres(cmd)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, out)
		}
		return nil
	}
	if err := run("initdb", "--pgdata", data, "--username", "hostwatch", "--auth", "trust", "--no-sync", "--no-instructions",
		"--encoding", "UTF8", "--locale", "C"); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off"+
		" -c max_connections=200 -c shared_buffers=128MB -c log_min_messages=warning", port, dir)
	// pg_ctl -w waits until the server accepts connections.
	if err := run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts); err != nil {
		if log, rerr := os.ReadFile(filepath.Join(dir, "log")); rerr == nil {
			err = fmt.Errorf("%w\n%s", err, log)
		}
		return nil, err
	}
	t.Cleanup(func() {
		if err := run("pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"); err != nil {
			t.Logf("stop PostgreSQL: %v", err)
		}
	})
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Port is the server's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// Dir is the directory holding the server's Unix socket.
func (s *Server) Dir() string { return s.dir }

// URL is the URL of database db through the server's Unix socket.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://hostwatch@/%s?host=%s&port=%d", db, s.dir, s.port)
}

// TCPURL is the URL of database db over TCP on 127.0.0.1, with sslmode
// disable (the test server has no certificate).
func (s *Server) TCPURL(db string) string {
	return fmt.Sprintf("postgres://hostwatch@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// NewDatabase creates an empty database and returns its URL (through the
// Unix socket).
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", s.n.Add(1))
	s.Exec(t, "postgres", "CREATE DATABASE "+name)
	return s.URL(name)
}

// Exec runs SQL statements in database db as the superuser.
func (s *Server) Exec(t testing.TB, db string, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
