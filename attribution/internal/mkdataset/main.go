// Command mkdataset builds hostwatch's embedded attribution data from the npm
// tarballs of ip-location-db: asn.mmdb, country.mmdb and datasets.json.
//
//	go run ./attribution/internal/mkdataset -out attribution/data \
//	    ip-location-db-asn-VERSION.tgz ip-location-db-geo-whois-asn-country-mmdb-VERSION.tgz \
//	    ip-location-db-asn-country-VERSION.tgz
//
// asn.mmdb is built from the asn package's CSV files. country.mmdb is the
// geo-whois-asn-country-mmdb package's file as published, or, given the CSV
// package geo-whois-asn-country instead, built from its CSV files.
//
// The output depends only on the tarballs: the same input gives
// byte-identical files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hostwatch/hostwatch/attribution/internal/dataset"
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
		fmt.Fprintln(log, "usage: mkdataset -out DIR ASN.tgz COUNTRY.tgz [ASN-COUNTRY.tgz]")
		fmt.Fprintln(log, "ASN.tgz is "+dataset.ASNPackage+"; COUNTRY.tgz is "+dataset.CountryMMDBPackage+
			" (its MMDB is kept as published) or "+dataset.CountryPackage+" (its CSV is converted)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return errors.New("need -out and the package tarballs")
	}
	if fs.NArg() > 3 {
		return fmt.Errorf("want 2 or 3 tarballs, got %d", fs.NArg())
	}

	var pkgs []*dataset.Package
	for _, path := range fs.Args() {
		p, err := dataset.ReadPackage(path)
		if err != nil {
			return err
		}
		pkgs = append(pkgs, p)
	}
	return dataset.Build(pkgs, *out, log)
}
