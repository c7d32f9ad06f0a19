// Command mkproviders writes the data of package provider:
//
//   - ranges.txt, the cloud and CDN ranges of projectdiscovery/cdncheck's
//     sources_data.json in hostwatch's terms, with the overlaps between its
//     lists resolved by the rules of lists.go and each list's prefixes
//     collapsed, plus cdncheck-LICENSE.md, the notice its MIT licence asks for;
//   - the evidence column of asn-providers.csv, the curated ASN table: for
//     each AS the organisation name exactly as the embedded ASN dataset
//     gives it. Rows of ASNs the dataset does not have are dropped.
//
// `make providers` runs it from the repository root with the pinned
// modules, as
//
//	go mod download github.com/projectdiscovery/cdncheck@v1.2.19 github.com/yl2chen/cidranger@v1.0.2
//	cp "$(go env GOMODCACHE)/github.com/yl2chen/cidranger@v1.0.2/testdata/aws_ip_ranges.json" \
//	    attribution/provider/data/aws-ip-ranges.json
//	go run ./attribution/provider/internal/mkproviders \
//	    -cdncheck "$(go env GOMODCACHE)/github.com/projectdiscovery/cdncheck@v1.2.19" \
//	    -aws attribution/provider/data/aws-ip-ranges.json \
//	    -aws-from github.com/yl2chen/cidranger@v1.0.2/testdata/aws_ip_ranges.json \
//	    -dataset attribution/data -out attribution/provider/data
//
// With -aws ip-ranges.json, AWS's own document decides which of its
// prefixes are CloudFront edges, by service name: cdncheck's CloudFront
// list holds CloudFront's IPv4 edges alone, so without it CloudFront's IPv6
// edges would be AWS cloud. -aws-from says where that copy of the document
// was taken from; ranges.txt's input line records it with the document's
// createDate and syncToken and the copy's SHA-256. The copy used is AWS's
// document of 2017-08-07, which cidranger keeps as test data: the newest
// one a package registry reachable from the build holds.
//
// The output depends only on the inputs: the same input gives
// byte-identical files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkproviders:", err)
		os.Exit(1)
	}
}

func run(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("mkproviders", flag.ContinueOnError)
	fs.SetOutput(log)
	cdncheck := fs.String("cdncheck", "", "the cdncheck module directory (NAME@VERSION, holding sources_data.json and LICENSE.md); \"\" leaves ranges.txt alone")
	version := fs.String("cdncheck-version", "", "cdncheck's version, if the directory name does not end in @VERSION")
	aws := fs.String("aws", "", "AWS's ip-ranges.json: every prefix it lists as CLOUDFRONT (IPv4 and IPv6) is a CloudFront edge, the others AWS cloud; \"\" leaves CloudFront to cdncheck's IPv4-only list")
	awsFrom := fs.String("aws-from", "", "where the -aws copy of ip-ranges.json was taken from (e.g. MODULE@VERSION/FILE), recorded in ranges.txt")
	datasetDir := fs.String("dataset", "", "the embedded attribution data directory (datasets.json, asn.mmdb); \"\" leaves asn-providers.csv alone")
	out := fs.String("out", "", "the provider data directory to write to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 || *cdncheck == "" && *datasetDir == "" || *aws != "" && (*cdncheck == "" || *awsFrom == "") || *awsFrom != "" && *aws == "" {
		fs.Usage()
		return errors.New("need -out and -cdncheck or -dataset (-aws goes with -cdncheck and -aws-from), and no arguments")
	}
	if *cdncheck != "" {
		if err := writeRanges(*cdncheck, *version, *aws, *awsFrom, *out, log); err != nil {
			return err
		}
	}
	if *datasetDir != "" {
		if err := fillEvidence(*datasetDir, filepath.Join(*out, asnTableFile), log); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes data to path through a temporary file, so that a failed
// run leaves the old file as it was.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
