package main

import (
	"bytes"
	"database/sql"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	_ "modernc.org/sqlite"
)

// TestHistoryOfReadOnlyFile reads a history that the reader may not write:
// the file and its directory are read-only to it, as on a read-only mount or
// a file published by another user. history must read it, and write nothing.
func TestHistoryOfReadOnlyFile(t *testing.T) {
	t.Parallel()
	srv := resolverstest.StartZone(t, "$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\nweb 300 IN A 170.33.13.55\n")
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	if out, err := exec.Command("hostwatch", "check", "--db", db, "--resolver", srv.Addr, "web.kpu.go.id").CombinedOutput(); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	cmd := readOnlyCommand(t, dir, "history", "--db", db, "-o", "csv", "web.kpu.go.id")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("history of a read-only file: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "170.33.13.55") {
		t.Errorf("history does not show the recorded address:\n%s", stdout.String())
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("reading the history changed the file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "h.db" {
			t.Errorf("reading the history left %s behind", e.Name())
		}
	}
}

// readOnlyCommand returns a hostwatch command for which dir and everything in
// it are read-only: run as nobody when the test runs as root (to whom no
// permission applies), else with dir's write permissions taken away.
func readOnlyCommand(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		chmodTree(t, dir, 0o555, 0o444)
		return exec.Command("hostwatch", args...)
	}
	// nobody must be able to reach the binary and the files, not write them.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	copyFile(t, exe, filepath.Join(bin, "hostwatch"), 0o755)
	for _, d := range []string{bin, filepath.Dir(bin), dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	chmodTree(t, dir, 0o755, 0o644)
	cmd := exec.Command(filepath.Join(bin, "hostwatch"), args...)
	asNobody(cmd)
	cmd.Env = append(os.Environ(), "HOME="+bin, "XDG_DATA_HOME="+bin)
	return cmd
}

func chmodTree(t *testing.T, dir string, dirMode, fileMode os.FileMode) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Chmod(filepath.Join(dir, e.Name()), fileMode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		t.Fatal(err)
	}
}

// TestDamagedHistoryFile damages a page of a history and checks that
// check refuses to write to it and history refuses to read it, both with
// exit code 2 and an error naming the file, and that the file is unchanged.
func TestDamagedHistoryFile(t *testing.T) {
	t.Parallel()
	var zone strings.Builder
	zone.WriteString("$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\n")
	var names []string
	for i := range 200 {
		zone.WriteString("h" + strconv.Itoa(i) + " 300 IN A 170.33.13." + strconv.Itoa(i%250+1) + "\n")
		names = append(names, "h"+strconv.Itoa(i)+".kpu.go.id")
	}
	srv := resolverstest.StartZone(t, zone.String())
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	args := append([]string{"check", "--db", db, "--resolver", srv.Addr}, names...)
	if out, err := exec.Command("hostwatch", args...).CombinedOutput(); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	// Overwrite the start of a page (its b-tree page header: a damage
	// quick_check always sees), one that history reads too, since it runs no
	// quick_check of its own: the root page of the spans. (The middle page
	// of the file, damaged before, was an index history never reads once
	// schema 6 moved the pages.)
	root := rootPage(t, db, "observations")
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 4*4096 || root < 2 || root*4096 > len(b) {
		t.Fatalf("the history is only %d bytes, the spans' root page %d", len(b), root)
	}
	copy(b[(root-1)*4096:], bytes.Repeat([]byte{0xff}, 1000))
	if err := os.WriteFile(db, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, run := range [][]string{args, {"history", "--db", db}} {
		out, err := exec.Command("hostwatch", run...).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitUsage {
			t.Errorf("%s on a damaged file: %v, want exit code %d\n%s", run[0], err, exitUsage, out)
		}
		if !strings.Contains(string(out), db+": damaged") {
			t.Errorf("%s on a damaged file does not say so:\n%s", run[0], out)
		}
		after, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after, b) {
			t.Errorf("%s changed the damaged file", run[0])
		}
	}
}

// rootPage is the number of the first page of table in the SQLite file at
// path, read without writing to it.
func rootPage(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var root int
	if err := db.QueryRow("SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&root); err != nil {
		t.Fatal(err)
	}
	return root
}
