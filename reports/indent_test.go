package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAppendIndented: the golden JSON documents, made compact and indented
// again, come out as json.Indent makes them.
func TestAppendIndented(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*.json*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if json.Compact(&compact, doc) != nil {
			continue // not one JSON document (JSON lines)
		}
		checkIndented(t, compact.Bytes())
		n++
	}
	if n < 3 {
		t.Fatalf("only %d JSON documents in testdata", n)
	}
	for _, s := range []string{`{}`, `[]`, `[{}]`, `{"a":[],"b":{},"c":[[]]}`, `"\"{[,:]}\\"`, `{"\\":"\\\"x"}`, `[1,2.5e-3,true,null,"é"]`} {
		checkIndented(t, []byte(s))
	}
}

// FuzzAppendIndented: any JSON value encoding/json writes compactly is
// indented as json.Indent indents it.
func FuzzAppendIndented(f *testing.F) {
	f.Add("kpu.go.id", int64(5), true)
	f.Add("a\"b\\c{[,:]}\u2028<>&", int64(-1), false)
	f.Fuzz(func(t *testing.T, s string, n int64, b bool) {
		v := map[string]any{s: []any{s, n, b, map[string]any{}, []any{}, map[string]any{"k": s, s: []any{n}}}, "x": nil}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Skip()
		}
		checkIndented(t, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	})
}

func checkIndented(t *testing.T, compact []byte) {
	t.Helper()
	for _, p := range [][2]string{{"", "  "}, {"    ", "  "}} {
		var want bytes.Buffer
		if err := json.Indent(&want, compact, p[0], p[1]); err != nil {
			t.Fatalf("%s: %v", compact, err)
		}
		if got := appendIndented(nil, compact, p[0], p[1]); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("indenting %s with %q, %q:\n%s\nwant\n%s", compact, p[0], p[1], got, want.Bytes())
		}
	}
}
