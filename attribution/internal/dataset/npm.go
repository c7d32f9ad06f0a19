package dataset

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Package is what mkdataset keeps of one npm package tarball.
type Package struct {
	Path    string // the tarball as given on the command line
	SHA256  string // hex digest of the tarball
	Name    string // from package.json
	Version string // from package.json, e.g. 2.3.2026061719
	License string // package.json's license field
	// Date is the data date encoded in Version (2.3.YYYYMMDDHH), at 00:00 UTC.
	Date  time.Time
	Files map[string][]byte // base name → content, for the files in package/
}

// maxEntry bounds one file read from a tarball.
const maxEntry = 512 << 20

// ReadPackage reads an npm package tarball (gzip-compressed tar with
// everything under package/) and keeps its top-level files.
func ReadPackage(file string) (*Package, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	p := &Package{Path: file, SHA256: hex.EncodeToString(sum[:]), Files: map[string][]byte{}}

	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		dir, base := path.Split(path.Clean(h.Name))
		if dir != "package/" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxEntry+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, h.Name, err)
		}
		if len(data) > maxEntry {
			return nil, fmt.Errorf("%s: %s is larger than %d bytes", file, h.Name, maxEntry)
		}
		p.Files[base] = data
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}

	if err := p.readManifest(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// readManifest fills in Name, Version, License and Date from package.json.
func (p *Package) readManifest() error {
	var pj struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		License string `json:"license"`
	}
	js, ok := p.Files["package.json"]
	if !ok {
		return errors.New("no package/package.json: not an npm package")
	}
	if err := json.Unmarshal(js, &pj); err != nil {
		return fmt.Errorf("package.json: %w", err)
	}
	p.Name, p.Version, p.License = pj.Name, pj.Version, pj.License
	var err error
	if p.Date, err = DataDate(p.Version); err != nil {
		return err
	}
	return nil
}

// RequiredFiles lists the files of a package that Build reads.
func RequiredFiles(name string) []string {
	switch name {
	case ASNPackage:
		return []string{"package.json", "ROUTEVIEWS-LICENSE", "DBIP-LICENSE", "NRO_LICENSE", "asn-ipv4.csv", "asn-ipv6.csv"}
	case CountryMMDBPackage:
		return []string{"package.json", "NRO_LICENSE", PublishedCountryMMDB}
	case CountryPackage:
		return []string{"package.json", "NRO_LICENSE", "geo-whois-asn-country-ipv4.csv", "geo-whois-asn-country-ipv6.csv"}
	case ASNCountryPackage:
		return []string{"package.json", "NRO_LICENSE", "asn-country-ipv4.csv", "asn-country-ipv6.csv"}
	}
	return nil
}

// PackageFromFiles makes a Package of files fetched one by one from where the
// publisher serves them (origin names that place). SHA256 is the digest of
// the files in name order, each preceded by its name.
func PackageFromFiles(origin string, files map[string][]byte) (*Package, error) {
	p := &Package{Path: origin, Files: files}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\n", n)
		h.Write(files[n])
	}
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	if err := p.readManifest(); err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	return p, nil
}

// DataDate returns the day an ip-location-db version was built: versions
// look like 2.3.2026061719, the last part being YYYYMMDDHH in UTC.
func DataDate(version string) (time.Time, error) {
	i := strings.LastIndexByte(version, '.')
	stamp := version[i+1:]
	t, err := time.Parse("2006010215", stamp)
	if err != nil || len(stamp) != len("2006010215") {
		return time.Time{}, fmt.Errorf("version %q does not end in a YYYYMMDDHH date", version)
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// file returns a file of package/, or an error naming it.
func (p *Package) file(name string) ([]byte, error) {
	b, ok := p.Files[name]
	if !ok {
		return nil, fmt.Errorf("package %s@%s has no %s", p.Name, p.Version, name)
	}
	return b, nil
}

// ccBy4 is the phrase every CC BY 4.0 notice file of ip-location-db contains.
const ccBy4 = "Creative Commons Attribution 4.0 International License"

// checkTerms makes sure the licence facts mkdataset records are still what
// the package says: the package.json licence field and, for each notice
// file, that it still grants CC BY 4.0. A new version that changed its terms
// stops the build instead of shipping a wrong notice.
func (p *Package) checkTerms(license string, noticeFiles ...string) error {
	if p.License != license {
		return fmt.Errorf("package %s@%s: license is %q, mkdataset records %q: review the terms and update mkdataset",
			p.Name, p.Version, p.License, license)
	}
	for _, name := range noticeFiles {
		b, err := p.file(name)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte(ccBy4)) {
			return fmt.Errorf("package %s@%s: %s no longer says %q: review the terms and update mkdataset",
				p.Name, p.Version, name, ccBy4)
		}
	}
	return nil
}
