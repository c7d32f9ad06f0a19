package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
)

// Build builds asn.mmdb, country.mmdb and the manifest from the packages (the
// asn package and one of the country packages) and writes them into out,
// each file replaced atomically. It checks the packages' licence terms first.
func Build(pkgs []*Package, out string, log io.Writer) error {
	if len(pkgs) > 3 {
		return fmt.Errorf("want 2 or 3 packages, got %d", len(pkgs))
	}
	var asnPkg, countryPkg, regPkg *Package
	for _, p := range pkgs {
		path := p.Path
		var slot **Package
		switch p.Name {
		case ASNPackage:
			slot = &asnPkg
		case CountryPackage, CountryMMDBPackage:
			slot = &countryPkg
		case ASNCountryPackage:
			slot = &regPkg
		default:
			return fmt.Errorf("%s: package %s is not one this tool knows (%s, %s, %s or %s)",
				path, p.Name, ASNPackage, CountryPackage, CountryMMDBPackage, ASNCountryPackage)
		}
		if *slot != nil {
			return fmt.Errorf("%s: %s: already have %s from %s", path, p.Name, (*slot).Name, (*slot).Path)
		}
		*slot = p
	}
	if asnPkg == nil || countryPkg == nil {
		return fmt.Errorf("need the %s tarball and one of %s or %s", ASNPackage, CountryPackage, CountryMMDBPackage)
	}
	buildCountry := buildCountryCSV
	if countryPkg.Name == CountryMMDBPackage {
		buildCountry = copyCountryMMDB
	}

	var m manifest.Manifest
	for _, b := range []struct {
		pkg   *Package
		build func(*Package, io.Writer) (manifest.Dataset, []byte, error)
	}{
		{asnPkg, func(p *Package, log io.Writer) (manifest.Dataset, []byte, error) { return buildASN(p, regPkg, log) }},
		{countryPkg, buildCountry},
	} {
		d, mmdb, err := b.build(b.pkg, log)
		if err != nil {
			return fmt.Errorf("%s: %w", b.pkg.Path, err)
		}
		if err := writeFile(filepath.Join(out, d.File), mmdb); err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %s: %d bytes\n", filepath.Join(out, d.File), len(mmdb))
		m.Datasets = append(m.Datasets, d)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	return writeFile(filepath.Join(out, manifest.FileName), js.Bytes())
}

// writeFile replaces path with data, never leaving a half-written file.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// eachLine calls fn with every non-empty line of data and its 1-based number.
// It stops at the first error, which names the file and line.
func eachLine(file string, data []byte, fn func(line string) error) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n, rows := 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := fn(line); err != nil {
			return rows, fmt.Errorf("%s:%d: %w", file, n, err)
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		return rows, fmt.Errorf("%s: %w", file, err)
	}
	return rows, nil
}
