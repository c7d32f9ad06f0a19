package headless

import (
	"os"
	"testing"
)

// RequiredEnv is the variable that makes a missing Chromium a test failure
// rather than a skip: the Makefile sets it to "required" for `make test`,
// which installs Chromium first.
const RequiredEnv = "HOSTWATCH_CHROMIUM"

// Chromium returns the browser for a test. Without one the test fails
// when RequiredEnv says "required", and is skipped otherwise (a plain `go
// test` on a machine without Chromium).
func Chromium(t testing.TB) string {
	t.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv(RequiredEnv) == "required" {
			t.Fatalf("%v: %s=required (make test runs `make chromium`, which installs it)", err, RequiredEnv)
		}
		t.Skipf("%v: `make chromium` installs it, and `make test` runs this test", err)
	}
	return path
}
