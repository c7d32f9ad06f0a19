package attribution

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"
)

// Licensed is a database that needs a key or token of the user's own:
// GeoLite2 (MAXMIND_LICENSE_KEY) or IPinfo Lite (IPINFO_TOKEN). db update
// keeps the files in DIR/licensed, and every command uses them like --mmdb
// files given after the user's own.
type Licensed struct {
	// Name is the file name kept, e.g. "GeoLite2-ASN.mmdb".
	Name string
	// URL is where it is fetched, with the key in it; SHA256URL, when set,
	// is where the provider publishes the digest of what URL serves.
	URL, SHA256URL string
	// TarGz says URL serves a .tar.gz holding the .mmdb.
	TarGz bool
}

const licensedDir = "licensed"

// DefaultLicensed lists the databases db update fetches for the keys set in
// env (MAXMIND_LICENSE_KEY, IPINFO_TOKEN); base URLs may be replaced for a
// mirror.
func DefaultLicensed(getenv func(string) string, maxmindBase, ipinfoBase string) []Licensed {
	var out []Licensed
	if key := getenv("MAXMIND_LICENSE_KEY"); key != "" {
		if maxmindBase == "" {
			maxmindBase = "https://download.maxmind.com/app/geoip_download"
		}
		for _, edition := range []string{"GeoLite2-ASN", "GeoLite2-City"} {
			q := url.Values{"edition_id": {edition}, "license_key": {key}, "suffix": {"tar.gz"}}
			sq := url.Values{"edition_id": {edition}, "license_key": {key}, "suffix": {"tar.gz.sha256"}}
			out = append(out, Licensed{Name: edition + ".mmdb", URL: maxmindBase + "?" + q.Encode(), SHA256URL: maxmindBase + "?" + sq.Encode(), TarGz: true})
		}
	}
	if token := getenv("IPINFO_TOKEN"); token != "" {
		if ipinfoBase == "" {
			ipinfoBase = "https://ipinfo.io/data/ipinfo_lite.mmdb"
		}
		out = append(out, Licensed{Name: "ipinfo_lite.mmdb", URL: ipinfoBase + "?" + url.Values{"token": {token}}.Encode()})
	}
	return out
}

// UpdateLicensed fetches each database, checks the published digest where
// there is one, that it is an MMDB hostwatch can read and that it knows
// 8.8.8.8, and only then replaces the copy in DIR/licensed.
func UpdateLicensed(ctx context.Context, dir string, dbs []Licensed, c *retryablehttp.Client) error {
	if c == nil {
		c = NewHTTPClient(nil, 5*time.Minute, 2)
	}
	out := filepath.Join(dir, licensedDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var failed []string
	for _, l := range dbs {
		if err := updateLicensed(ctx, out, l, c); err != nil {
			// The key is in the URL: never print it.
			failed = append(failed, fmt.Sprintf("%s: %s", l.Name, redact(err.Error(), l.URL, l.SHA256URL)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrUpdate, strings.Join(failed, "; "))
	}
	return nil
}

func updateLicensed(ctx context.Context, out string, l Licensed, c *retryablehttp.Client) error {
	b, err := fetch(ctx, c, l.URL)
	if err != nil {
		return err
	}
	if l.SHA256URL != "" {
		sum, err := fetch(ctx, c, l.SHA256URL)
		if err != nil {
			return err
		}
		want, _, _ := strings.Cut(strings.TrimSpace(string(sum)), " ")
		got := sha256.Sum256(b)
		if !strings.EqualFold(want, hex.EncodeToString(got[:])) {
			return fmt.Errorf("checksum mismatch: the download is not what the provider published")
		}
	}
	if l.TarGz {
		if b, err = mmdbFromTarGz(b); err != nil {
			return err
		}
	}
	tmp := filepath.Join(out, "."+l.Name+".new")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	defer os.Remove(tmp)
	db, err := Open(tmp)
	if err != nil {
		return err
	}
	r := db.Lookup(netip.MustParseAddr("8.8.8.8"))
	fromFile := r.Sources.ASN == db.datasets[0].ID || r.Sources.Country == db.datasets[0].ID
	db.Close()
	if !fromFile {
		return errors.New("the database knows nothing of 8.8.8.8: not the file expected")
	}
	return os.Rename(tmp, filepath.Join(out, l.Name))
}

// mmdbFromTarGz returns the .mmdb file inside a MaxMind .tar.gz.
func mmdbFromTarGz(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a .tar.gz: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no .mmdb file in the archive")
		}
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		if strings.HasSuffix(h.Name, ".mmdb") {
			return io.ReadAll(io.LimitReader(tr, maxDownload))
		}
	}
}

// licensedFiles lists the databases db update installed, in a fixed order.
func licensedFiles(dir string) []string {
	if dir == "" {
		return nil
	}
	var out []string
	for _, name := range []string{"GeoLite2-ASN.mmdb", "GeoLite2-City.mmdb", "ipinfo_lite.mmdb"} {
		p := filepath.Join(dir, licensedDir, name)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// redact removes the keys in urls from s.
func redact(s string, urls ...string) string {
	for _, u := range urls {
		if p, err := url.Parse(u); err == nil {
			for _, k := range []string{"license_key", "token"} {
				if v := p.Query().Get(k); v != "" {
					s = strings.ReplaceAll(s, v, "REDACTED")
					s = strings.ReplaceAll(s, url.QueryEscape(v), "REDACTED")
				}
			}
		}
	}
	return s
}
