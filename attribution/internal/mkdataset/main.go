// Command mkdataset builds hostwatch's embedded attribution data from the npm
// tarballs of ip-location-db: asn.mmdb, country.mmdb and datasets.json.
//
//	go run ./attribution/internal/mkdataset -out attribution/data \
//	    ip-location-db-asn-VERSION.tgz ip-location-db-geo-whois-asn-country-mmdb-VERSION.tgz
//
// asn.mmdb is built from the asn package's CSV files. country.mmdb is the
// geo-whois-asn-country-mmdb package's file as published, or, given the CSV
// package geo-whois-asn-country instead, built from its CSV files.
//
// The output depends only on the tarballs: the same input gives
// byte-identical files.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkdataset:", err)
		os.Exit(1)
	}
}

func run(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("mkdataset", flag.ContinueOnError)
	fs.SetOutput(log)
	out := fs.String("out", "", "directory to write asn.mmdb, country.mmdb and "+manifest.FileName+" to")
	fs.Usage = func() {
		fmt.Fprintln(log, "usage: mkdataset -out DIR ASN.tgz COUNTRY.tgz")
		fmt.Fprintln(log, "ASN.tgz is "+asnPackage+"; COUNTRY.tgz is "+countryMMDBPackage+
			" (its MMDB is kept as published) or "+countryPackage+" (its CSV is converted)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return errors.New("need -out and the package tarballs")
	}
	if fs.NArg() > 2 {
		return fmt.Errorf("want 2 tarballs, got %d", fs.NArg())
	}

	var asnPkg, countryPkg *npmPackage
	for _, path := range fs.Args() {
		p, err := readPackage(path)
		if err != nil {
			return err
		}
		var slot **npmPackage
		switch p.Name {
		case asnPackage:
			slot = &asnPkg
		case countryPackage, countryMMDBPackage:
			slot = &countryPkg
		default:
			return fmt.Errorf("%s: package %s is not one this tool knows (%s, %s or %s)",
				path, p.Name, asnPackage, countryPackage, countryMMDBPackage)
		}
		if *slot != nil {
			return fmt.Errorf("%s: %s: already have %s from %s", path, p.Name, (*slot).Name, (*slot).Path)
		}
		*slot = p
	}
	if asnPkg == nil || countryPkg == nil {
		return fmt.Errorf("need the %s tarball and one of %s or %s", asnPackage, countryPackage, countryMMDBPackage)
	}
	buildCountry := buildCountryCSV
	if countryPkg.Name == countryMMDBPackage {
		buildCountry = copyCountryMMDB
	}

	var m manifest.Manifest
	for _, b := range []struct {
		pkg   *npmPackage
		build func(*npmPackage, io.Writer) (manifest.Dataset, []byte, error)
	}{
		{asnPkg, buildASN},
		{countryPkg, buildCountry},
	} {
		d, mmdb, err := b.build(b.pkg, log)
		if err != nil {
			return fmt.Errorf("%s: %w", b.pkg.Path, err)
		}
		if err := writeFile(filepath.Join(*out, d.File), mmdb); err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %s: %d bytes\n", filepath.Join(*out, d.File), len(mmdb))
		m.Datasets = append(m.Datasets, d)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	return writeFile(filepath.Join(*out, manifest.FileName), js.Bytes())
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
