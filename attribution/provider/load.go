package provider

import (
	"bufio"
	"bytes"
	_ "embed" // the data files below
	"encoding/csv"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hostwatch/hostwatch/attribution/provider/internal/spans"
)

// The embedded data. These bytes are only read.
var (
	//go:embed data/ranges.txt
	embeddedRanges []byte
	//go:embed data/asn-providers.csv
	embeddedASNs []byte
	//go:embed data/cdn-cnames.csv
	embeddedCNAMEs []byte
)

// Default returns a table of the data embedded in hostwatch: cdncheck's
// ranges, the ASN table and the CNAME suffixes. It parses them on each
// call (a few milliseconds), so callers keep the table they get.
func Default() (*Table, error) {
	t := &Table{}
	asnSrc, asns, err := parseASNTable(embeddedASNs)
	if err != nil {
		return nil, fmt.Errorf("embedded asn-providers.csv: %w", err)
	}
	cnameSrc, cnames, err := parseCNAMEs(embeddedCNAMEs)
	if err != nil {
		return nil, fmt.Errorf("embedded cdn-cnames.csv: %w", err)
	}
	rangeSrc, infos, items, err := parseRanges(embeddedRanges)
	if err != nil {
		return nil, fmt.Errorf("embedded ranges.txt: %w", err)
	}
	t.asns, t.cnames, t.infos = asns, cnames, infos
	t.spans = spans.Resolve(items, nil)
	t.index = spans.NewIndex(t.spans)
	t.sources = []Source{asnSrc, cnameSrc, rangeSrc}
	return t, nil
}

// parseASNTable reads asn-providers.csv: comment lines, one of them
// "# evidence-dataset: ID VERSION", then the header asn,provider,kind,evidence.
func parseASNTable(data []byte) (Source, map[uint32]Info, error) {
	src := Source{
		Name:    SourceASNTable,
		License: "Apache-2.0 (curated by hostwatch)",
		URL:     "https://github.com/hostwatch/hostwatch/blob/main/attribution/provider/data/asn-providers.csv",
	}
	dsID, version := "", ""
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("# evidence-dataset:")); ok {
			dsID, version, _ = strings.Cut(strings.TrimSpace(string(v)), " ")
		}
	}
	if version == "" {
		return src, nil, errors.New(`no "# evidence-dataset: ID VERSION" line`)
	}
	src.Version = version
	src.Attribution = "Evidence: AS organisation names as registered in " + dsID + " " + version + " (CC BY 4.0)."

	recs, err := readCSV(data, []string{"asn", "provider", "kind", "evidence"})
	if err != nil {
		return src, nil, err
	}
	asns := make(map[uint32]Info, len(recs))
	for i, rec := range recs {
		n, err := strconv.ParseUint(rec[0], 10, 32)
		if err != nil || n == 0 {
			return src, nil, fmt.Errorf("row %d: bad ASN %q", i+2, rec[0])
		}
		if _, dup := asns[uint32(n)]; dup {
			return src, nil, fmt.Errorf("row %d: AS%d listed twice", i+2, n)
		}
		if rec[1] == "" || !slices.Contains(Kinds(), rec[2]) || rec[3] == "" {
			return src, nil, fmt.Errorf("row %d: want a provider, a kind of %v and evidence, got %q", i+2, Kinds(), rec)
		}
		in := Info{Provider: rec[1], Kind: rec[2], Source: SourceASNTable}
		if in.Kind == KindCDN {
			in.CDN, in.CDNName = true, in.Provider
		}
		asns[uint32(n)] = in
	}
	return src, asns, nil
}

// parseCNAMEs reads cdn-cnames.csv: comment lines, one of them
// "# version: V", then the header suffix,cdn,from.
func parseCNAMEs(data []byte) (Source, map[string]string, error) {
	src := Source{
		Name:    SourceCNAMEs,
		License: "Apache-2.0 (curated by hostwatch; some suffixes also in projectdiscovery/cdncheck, MIT)",
		URL:     "https://github.com/hostwatch/hostwatch/blob/main/attribution/provider/data/cdn-cnames.csv",
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("# version:")); ok {
			src.Version = strings.TrimSpace(string(v))
		}
	}
	if src.Version == "" {
		return src, nil, errors.New(`no "# version: V" line`)
	}
	recs, err := readCSV(data, []string{"suffix", "cdn", "from"})
	if err != nil {
		return src, nil, err
	}
	cnames := make(map[string]string, len(recs))
	for i, rec := range recs {
		suffix := rec[0]
		if suffix == "" || suffix != strings.ToLower(suffix) || strings.HasPrefix(suffix, ".") ||
			strings.HasSuffix(suffix, ".") || !strings.Contains(suffix, ".") || rec[1] == "" {
			return src, nil, fmt.Errorf("row %d: want a lower-case suffix of two labels or more and a CDN, got %q", i+2, rec)
		}
		if _, dup := cnames[suffix]; dup {
			return src, nil, fmt.Errorf("row %d: suffix %s listed twice", i+2, suffix)
		}
		cnames[suffix] = rec[1]
	}
	return src, cnames, nil
}

// readCSV reads a CSV file with # comments and the given header, and
// returns the records after the header.
func readCSV(data []byte, header []string) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = len(header)
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || !slices.Equal(recs[0], header) {
		return nil, fmt.Errorf("want the header %s", strings.Join(header, ","))
	}
	return recs[1:], nil
}

// parseRanges reads ranges.txt, written by mkproviders: # comments, one
// "source" line (name, version, licence, URL), at most one "input" line
// (InputAWS, createDate, syncToken, terms, where the copy came from,
// SHA-256) when AWS's ip-ranges.json went into the lists, then "list" lines
// (id, provider, kind, CDN name or "-", cdncheck lists), each followed by its
// prefixes, one a line. Fields are separated by tabs.
func parseRanges(data []byte) (Source, []Info, []spans.Item, error) {
	var (
		src   Source
		infos []Info
		items []spans.Item
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		switch f[0] {
		case "source":
			if len(f) != 5 || src.Name != "" {
				return src, nil, nil, fmt.Errorf("line %d: want one source line of 5 fields", n)
			}
			src = Source{Name: f[1], Version: f[2], License: f[3], URL: f[4],
				Attribution: "Cloud and CDN ranges from " + f[1] + " " + f[2] + " (sources_data.json), Copyright (c) 2021 ProjectDiscovery, Inc., " +
					f[3] + " licence; modified by hostwatch: overlaps resolved, lists relabelled, prefixes merged."}
		case "input":
			if len(f) != 7 || f[1] != InputAWS || src.Name == "" || len(infos) > 0 || strings.Contains(src.Attribution, InputAWS) {
				return src, nil, nil, fmt.Errorf("line %d: want one input line of 7 fields naming %s, after the source line", n, InputAWS)
			}
			date, _, _ := strings.Cut(f[2], "T")
			src.Attribution += " CloudFront's edges, IPv6 included, by AWS's service names in " + f[1] + " of " + date +
				" (syncToken " + f[3] + "; " + f[4] + "), copied from " + f[5] + "."
		case "list":
			if len(f) != 6 || !slices.Contains(Kinds(), f[3]) || f[2] == "" || src.Name == "" {
				return src, nil, nil, fmt.Errorf("line %d: bad list line %q", n, line)
			}
			in := Info{Provider: f[2], Kind: f[3], Source: src.Name}
			if f[4] != "-" {
				in.CDN, in.CDNName = true, f[4]
			}
			if in.CDN != (in.Kind == KindCDN) {
				return src, nil, nil, fmt.Errorf("line %d: kind %s with CDN name %q", n, in.Kind, f[4])
			}
			infos = append(infos, in)
		default:
			p, err := netip.ParsePrefix(line)
			if err != nil || len(infos) == 0 || p != p.Masked() {
				return src, nil, nil, fmt.Errorf("line %d: want a list's prefix, got %q", n, line)
			}
			items = append(items, spans.Item{Prefix: p, Value: int32(len(infos) - 1)})
		}
	}
	if err := sc.Err(); err != nil {
		return src, nil, nil, err
	}
	if src.Name == "" || len(items) == 0 {
		return src, nil, nil, errors.New("no source line or no prefixes")
	}
	return src, infos, items, nil
}
