package attribution

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// A GeoLite2 download is checked against MaxMind's published digest and
// used only when it is a database that knows 8.8.8.8; the key never shows.
func TestUpdateLicensed(t *testing.T) {
	t.Parallel()
	// A GeoLite2-ASN-layout fixture (AS64500 is a documentation ASN).
	mmdb, err := os.ReadFile(fixture{dbType: "GeoLite2-ASN", records: map[string]mmdbtype.DataType{
		"8.8.8.0/24": geoASN(64500, "Fixture Org")}}.write(t, t.TempDir(), "GeoLite2-ASN.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "GeoLite2-ASN_20261120/GeoLite2-ASN.mmdb", Mode: 0o644, Size: int64(len(mmdb))})
	tw.Write(mmdb)
	tw.Close()
	zw.Close()
	sum := sha256.Sum256(tgz.Bytes())
	digest := hex.EncodeToString(sum[:]) + "  GeoLite2-ASN_20261120.tar.gz\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("license_key") != "s3cret" {
			http.Error(w, "Invalid license key", http.StatusUnauthorized)
			return
		}
		switch r.URL.Query().Get("suffix") {
		case "tar.gz":
			w.Write(tgz.Bytes())
		case "tar.gz.sha256":
			w.Write([]byte(digest))
		}
	}))
	t.Cleanup(srv.Close)
	env := func(key string) func(string) string {
		return func(k string) string {
			if k == "MAXMIND_LICENSE_KEY" {
				return key
			}
			return ""
		}
	}
	dir := t.TempDir()
	o := updateOpts(t, dir, srv.URL)
	dbs := DefaultLicensed(env("s3cret"), srv.URL, "")[:1]
	if err := UpdateLicensed(t.Context(), dir, dbs, o.HTTP); err != nil {
		t.Fatal(err)
	}
	db, err := OpenWith(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Lookup(netip.MustParseAddr("8.8.8.8")); got.ASN != 64500 || !strings.Contains(got.Sources.ASN, "GeoLite2-ASN") {
		t.Errorf("with the downloaded GeoLite2-ASN: %+v", got)
	}
	db.Close()

	// A wrong key: an error that does not show the key, and the copy stays.
	err = UpdateLicensed(t.Context(), dir, DefaultLicensed(env("wrong-key"), srv.URL, "")[:1], o.HTTP)
	if !errors.Is(err, ErrUpdate) || strings.Contains(err.Error(), "wrong-key") {
		t.Fatalf("wrong key: %v", err)
	}
	// A digest that does not match: refused.
	digest = strings.Repeat("0", 64) + "\n"
	if err := UpdateLicensed(t.Context(), dir, dbs, o.HTTP); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("bad digest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "licensed", "GeoLite2-ASN.mmdb")); err != nil {
		t.Fatalf("the good copy is gone: %v", err)
	}
}
