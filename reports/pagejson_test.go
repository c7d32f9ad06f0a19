package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

// TestSplice: the JSON's link goes where its marker is, however the page is
// cut into writes, and nothing else of the page changes (text that looks
// like a marker, from outside, stays as it is).
func TestSplice(t *testing.T) {
	t.Parallel()
	doc := `{"targets": []}` + "\n"
	j, err := spoolJSON(func(w io.Writer) error { _, err := io.WriteString(w, doc); return err })
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.size != int64(len(doc)) {
		t.Errorf("size %d, want %d", j.size, len(doc))
	}
	page := `<p>hostwatch-json-FORGED h hostwatch-json</p><a href="` + j.marker + `">save</a>` + "\nhost"
	want := strings.Replace(page, j.marker, "data:application/json;base64,"+base64.StdEncoding.EncodeToString([]byte(doc)), 1)
	for step := 1; step <= len(page); step++ {
		var out bytes.Buffer
		s := newSplice(&out, j)
		for i := 0; i < len(page); i += step {
			if _, err := s.Write([]byte(page[i:min(i+step, len(page))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want || s.count != 1 {
			t.Fatalf("writes of %d bytes: %d links, wrote\n%q\nwant\n%q", step, s.count, out.String(), want)
		}
	}
}

// TestPageJSONInFile: a document larger than a spool keeps in memory goes
// into the link whole from its temporary file, with its digest and size.
func TestPageJSONInFile(t *testing.T) {
	t.Parallel()
	doc := strings.Repeat(`{"name": "h0.bench.test"},`, spoolMemory/8)
	j, err := spoolJSON(func(w io.Writer) error { _, err := io.WriteString(w, doc); return err })
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.doc.f == nil {
		t.Fatal("the document stayed in memory")
	}
	if sum := sha256.Sum256([]byte(doc)); j.sum != sum || j.size != int64(len(doc)) {
		t.Errorf("digest %x, size %d; want %x, %d", j.sum, j.size, sum, len(doc))
	}
	var link bytes.Buffer
	if err := j.writeDataURL(&link); err != nil {
		t.Fatal(err)
	}
	if want := "data:application/json;base64," + base64.StdEncoding.EncodeToString([]byte(doc)); link.String() != want {
		t.Errorf("link of %d bytes, want %d", link.Len(), len(want))
	}
}
