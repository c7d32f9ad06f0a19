package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// hostileText is what a stranger puts where hostwatch shows text: a screen
// clear, an OSC 8 hyperlink, a newline that would forge a row, a C1 CSI and
// a right-to-left override.
const hostileText = "\x1b[2J\x1b]8;;https://evil.example\x07x\x1b]8;;\x07\nFORGED\u009b31m\u202e"

// runInProcess runs hostwatch with args and returns what it wrote and its code.
func runInProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := IOStreams{
		In:      strings.NewReader(""),
		Out:     &out,
		ErrOut:  &errOut,
		Now:     func() time.Time { return time.Date(2024, 2, 16, 10, 0, 0, 0, time.UTC) },
		Version: "test",
	}
	code = Main(context.Background(), streams, args)
	return out.String(), errOut.String(), code
}

// assertInert fails when text output holds anything that drives a terminal.
func assertInert(t *testing.T, what, s string) {
	t.Helper()
	for i, r := range s {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e {
			t.Errorf("%s holds %U at byte %d:\n%s", what, r, i, s)
			return
		}
	}
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8:\n%q", what, s)
	}
	if strings.Contains(s, "\nFORGED") {
		t.Errorf("%s has a forged line:\n%s", what, s)
	}
}

// TestHostileTextIsInert feeds outside text into every text renderer and
// checks that it reaches the terminal as visible escapes.
func TestHostileTextIsInert(t *testing.T) {
	dir := t.TempDir()
	zone := resolverstest.StartZone(t, "$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\nweb 300 IN A 127.0.0.1\n")

	// A web server whose certificate and headers carry the hostile text.
	cert := hostileCertificate(t)
	web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "fixture")
		w.WriteHeader(http.StatusOK)
	}))
	web.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	web.StartTLS()
	t.Cleanup(web.Close)
	_, port, _ := net.SplitHostPort(web.Listener.Addr().String())

	// A saved report whose domain names and AS names are hostile.
	report := map[string]any{
		"schema": "hostwatch.report/v1", "generated_at": "2024-02-16T10:00:00Z",
		"targets": []any{map[string]any{
			"domain": "web.kpu.go.id" + hostileText, "status": "ok",
			"addresses": []any{map[string]any{"ip": "170.33.13.55", "asn": 45102, "as_org": "Alibaba" + hostileText, "country": "SG"}},
		}},
	}
	before := filepath.Join(dir, "before.json")
	writeJSON(t, before, report)
	report["targets"].([]any)[0].(map[string]any)["addresses"] = []any{map[string]any{"ip": "51.210.1.10", "asn": 16276, "as_org": "OVH" + hostileText, "country": "FR"}}
	after := filepath.Join(dir, "after.json")
	writeJSON(t, after, report)

	names := filepath.Join(dir, "names.txt")
	if err := os.WriteFile(names, []byte("web.kpu.go.id\nbad"+strings.ReplaceAll(hostileText, "\n", "")+".example\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		// want is a visible escape the output must show.
		want string
	}{
		{"invalid name as argument", []string{"audit", "-o", "table", "--resolver", zone.Addr, "--timeout", "1s", "bad" + hostileText + ".example"}, `\x1b[2J`},
		{"invalid name in a file", []string{"audit", "-o", "table", "--resolver", zone.Addr, "--timeout", "1s", "-f", names}, `\x1b[2J`},
		{"certificate subject and SAN", []string{"audit", "-o", "table", "--resolver", zone.Addr, "--timeout", "2s", "--http", "--allow-private", "--https-port", port, "--http-port", "1", "web.kpu.go.id"}, `\x1b`},
		{"names inside a saved report", []string{"diff", before, after}, `\x1b[2J`},
		{"markdown of a saved report", []string{"diff", "-o", "markdown", before, after}, ""},

		{"invalid address", []string{"lookup", "-o", "table", "8.8.8.8" + hostileText}, ""},
	}
	// In HTML a line break of outside text is a space, not a row: only the
	// characters that drive a terminal are checked.
	t.Run("html of a saved report", func(t *testing.T) {
		stdout, _, _ := runInProcess(t, "diff", "-o", "html", before, after)
		assertInert(t, "stdout", strings.ReplaceAll(stdout, "\nFORGED", " FORGED"))
		if !strings.Contains(stdout, `\x1b[2J`) {
			t.Errorf("the page does not show the escape \\x1b[2J:\n%s", stdout)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, _ := runInProcess(t, tt.args...)
			if testing.Verbose() {
				t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			assertInert(t, "stdout", stdout)
			assertInert(t, "stderr", stderr)
			if tt.want != "" && !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("output does not show %q:\nstdout:\n%s\nstderr:\n%s", tt.want, stdout, stderr)
			}
		})
	}
}

// TestHostileTextStaysExactInJSON checks that JSON keeps outside text as it
// was: only terminals get escapes.
func TestHostileTextStaysExactInJSON(t *testing.T) {
	zone := resolverstest.StartZone(t, "$ORIGIN kpu.go.id.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 604800 300\nweb 300 IN A 127.0.0.1\n")
	stdout, _, _ := runInProcess(t, "audit", "-o", "json", "--resolver", zone.Addr, "--timeout", "1s", "web.kpu.go.id", "bad"+hostileText+".example")
	var rep struct {
		Targets []struct {
			Input  string `json:"input"`
			Domain string `json:"domain"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rep.Targets) != 2 || rep.Targets[1].Input != "bad"+hostileText+".example" {
		t.Errorf("JSON does not keep the name exactly: %s", stdout)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostileCertificate is a self-signed certificate whose subject and SAN
// carry hostileText.
func hostileCertificate(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := resolverstest.NewCertificateFor(func(tmpl *x509.Certificate) {
		tmpl.Subject = pkix.Name{CommonName: "web.kpu.go.id" + hostileText, Organization: []string{"Evil" + hostileText}}
		tmpl.DNSNames = []string{"web.kpu.go.id", "evil\x1b[2J.example"}
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.TLS
}
