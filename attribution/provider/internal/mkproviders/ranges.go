package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"go4.org/netipx"

	"github.com/hostwatch/hostwatch/attribution/provider"
	"github.com/hostwatch/hostwatch/attribution/provider/internal/spans"
)

// The lists of lists.go that AWS's own ip-ranges.json feeds, when given.
const (
	awsEdges = "cloudfront"
	awsCloud = "aws"
)

const (
	rangesFile     = "ranges.txt"
	licenseFile    = "cdncheck-LICENSE.md"
	cdncheckSource = "projectdiscovery/cdncheck"
	cdncheckURL    = "https://github.com/projectdiscovery/cdncheck"
)

// sourcesData is the part of cdncheck's sources_data.json read here: per
// category (cdn, waf, cloud), lists of CIDR prefixes by provider name. Its
// "common" category (CNAME suffixes) is not used: hostwatch keeps its own
// list, cdn-cnames.csv.
type sourcesData struct {
	CDN   map[string][]string `json:"cdn"`
	WAF   map[string][]string `json:"waf"`
	Cloud map[string][]string `json:"cloud"`
}

// awsInput is AWS's ip-ranges.json as mkproviders was given it: the
// document, and where it came from, for ranges.txt's input line.
type awsInput struct {
	doc       provider.Document
	syncToken string // the document's own syncToken
	from      string // where the copy was taken from, e.g. a module's file
	sha256    string // of the file read, hex
}

// awsTerms is what ranges.txt's input line says of the terms of AWS's
// document: AWS publishes it for anyone to read, and states no licence.
const awsTerms = "published by Amazon Web Services; no licence stated"

// readAWS reads AWS's ip-ranges.json at path.
func readAWS(path, from string) (*awsInput, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := provider.ParseAWS(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var meta struct {
		SyncToken string `json:"syncToken"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if meta.SyncToken == "" || doc.Published.IsZero() {
		return nil, fmt.Errorf("%s: no syncToken or createDate: not AWS's document as published", path)
	}
	if strings.ContainsAny(from, "\t\n") || from == "" {
		return nil, fmt.Errorf("-aws-from %q: say in one line where the document came from", from)
	}
	sum := sha256.Sum256(raw)
	return &awsInput{doc: doc, syncToken: meta.SyncToken, from: from, sha256: hex.EncodeToString(sum[:])}, nil
}

// writeRanges reads cdncheck's data from dir (and, when awsPath is set,
// AWS's ip-ranges.json, taken from awsFrom) and writes ranges.txt and
// cdncheck-LICENSE.md to out.
func writeRanges(dir, version, awsPath, awsFrom, out string, log io.Writer) error {
	if version == "" {
		_, v, ok := strings.Cut(filepath.Base(filepath.Clean(dir)), "@")
		if !ok || v == "" {
			return fmt.Errorf("cannot tell cdncheck's version from %q: give -cdncheck-version", dir)
		}
		version = v
	}
	raw, err := os.ReadFile(filepath.Join(dir, "sources_data.json"))
	if err != nil {
		return err
	}
	license, err := os.ReadFile(filepath.Join(dir, "LICENSE.md"))
	if err != nil {
		return fmt.Errorf("cdncheck's licence notice must go with its data: %w", err)
	}
	var data sourcesData
	if err := json.Unmarshal(raw, &data); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, "sources_data.json"), err)
	}
	var aws *awsInput
	if awsPath != "" {
		if aws, err = readAWS(awsPath, awsFrom); err != nil {
			return err
		}
	}
	text, err := buildRanges(data, version, aws, log)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(out, rangesFile), text); err != nil {
		return err
	}
	notice := "The ranges in ranges.txt are derived from sources_data.json of\n" +
		cdncheckURL + " " + version + ",\nwhich is distributed under this licence:\n\n" + string(license)
	return writeFile(filepath.Join(out, licenseFile), []byte(notice))
}

// buildRanges resolves cdncheck's lists by the rules of lists() and
// renders ranges.txt.
//
// cdncheck's CloudFront list is CloudFront's IPv4 edge list alone, and its
// AWS list has no service names, so CloudFront's IPv6 edges
// (2600:9000::/28) came out as AWS cloud. Given AWS's own ip-ranges.json
// (aws, else nil), the service names decide, as provider.ParseAWS reads
// them: every prefix AWS publishes as CLOUDFRONT, IPv4 and IPv6, joins the
// list of awsEdges, and every other prefix of the document the list of
// awsCloud, so that a more specific origin-facing block inside an edge
// range stays cloud.
func buildRanges(data sourcesData, version string, aws *awsInput, log io.Writer) ([]byte, error) {
	ls := lists()
	byKey := map[string]int{}
	byID := map[string]int{}
	for i, l := range ls {
		if _, dup := byID[l.id]; dup {
			return nil, fmt.Errorf("list %s named twice", l.id)
		}
		byID[l.id] = i
		for _, k := range l.from {
			if _, dup := byKey[k]; dup {
				return nil, fmt.Errorf("cdncheck list %s mapped twice", k)
			}
			byKey[k] = i
		}
	}
	yields := make([][]int32, len(ls))
	for i, l := range ls {
		for _, y := range l.yields {
			j, ok := byID[y]
			if !ok {
				return nil, fmt.Errorf("list %s yields to unknown list %s", l.id, y)
			}
			yields[i] = append(yields[i], int32(j))
		}
	}

	var items []spans.Item
	in := make([]int, len(ls))
	seen := map[string]bool{}
	for _, cat := range []struct {
		name  string
		lists map[string][]string
	}{{"cdn", data.CDN}, {"waf", data.WAF}, {"cloud", data.Cloud}} {
		names := make([]string, 0, len(cat.lists))
		for n := range cat.lists {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			key := cat.name + "." + n
			i, ok := byKey[key]
			if !ok {
				return nil, fmt.Errorf("cdncheck list %s is not mapped: add it to lists.go", key)
			}
			seen[key] = true
			for _, s := range cat.lists[n] {
				p, err := netip.ParsePrefix(strings.TrimSpace(s))
				if err != nil {
					return nil, fmt.Errorf("cdncheck list %s: %w", key, err)
				}
				items = append(items, spans.Item{Prefix: p.Masked(), Value: int32(i), Rank: int32(i)})
				in[i]++
			}
		}
	}
	for k := range byKey {
		if !seen[k] {
			fmt.Fprintf(log, "mkproviders: cdncheck has no list %s\n", k)
		}
	}
	awsFrom, awsLine := "", ""
	if aws != nil {
		edges, okE := byID[awsEdges]
		cloud, okC := byID[awsCloud]
		if !okE || !okC {
			return nil, fmt.Errorf("lists.go has no list %s or %s for AWS's ranges", awsEdges, awsCloud)
		}
		for _, r := range aws.doc.Ranges {
			i := cloud
			if r.CDN {
				i = edges
			}
			items = append(items, spans.Item{Prefix: r.Prefix, Value: int32(i), Rank: int32(i)})
			in[i]++
		}
		published := aws.doc.Published.UTC().Format(time.RFC3339)
		awsFrom = fmt.Sprintf("# With AWS's ip-ranges.json of %s: every prefix it lists as CLOUDFRONT\n# is a CloudFront edge, the others are AWS cloud.\n", published)
		awsLine = fmt.Sprintf("# The \"input\" line gives AWS's document: name, its createDate, its\n"+
			"# syncToken, its terms, where the copy read was taken from, and the\n# copy's SHA-256.\n"+
			"input\t%s\t%s\t%s\t%s\t%s\tsha256:%s\n", provider.InputAWS, published, aws.syncToken, awsTerms, aws.from, aws.sha256)
	}

	resolved := spans.Resolve(items, func(v, over int32) bool { return slices.Contains(yields[v], over) })
	sets := make([]netipx.IPSetBuilder, len(ls))
	for _, s := range resolved {
		sets[s.Value].AddRange(netipx.IPRangeFrom(s.From, s.To))
	}

	var buf bytes.Buffer
	fmt.Fprintf(&buf, `# Cloud and CDN ranges for hostwatch's provider package, generated by
# attribution/provider/internal/mkproviders from sources_data.json of
# %s %s
# (MIT; the notice is in %s). Do not edit: change the
# generator's lists.go and run it again.
%s#
# A "list" line gives: id, provider, kind, CDN name ("-" when the addresses
# are not CDN or WAF edges), and the cdncheck lists it is made of. Its
# prefixes follow, one a line. Where cdncheck's lists overlap, the longest
# prefix won, at equal length the list written earlier here, and a list
# never won over one it yields to. So no address is in two lists below.
source	%s	%s	MIT	%s
%s`, cdncheckURL, version, licenseFile, awsFrom, cdncheckSource, version, cdncheckURL, awsLine)
	for i, l := range ls {
		set, err := sets[i].IPSet()
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", l.id, err)
		}
		ps := set.Prefixes()
		cdn := l.cdnName
		if cdn == "" {
			cdn = "-"
		}
		fmt.Fprintln(&buf)
		if l.note != "" {
			for _, line := range wrap(l.id+": "+l.note+".", 76) {
				fmt.Fprintf(&buf, "# %s\n", line)
			}
		}
		if len(l.yields) > 0 {
			fmt.Fprintf(&buf, "# %s yields to %s.\n", l.id, strings.Join(l.yields, ", "))
		}
		from := strings.Join(l.from, "+")
		if aws != nil && (l.id == awsEdges || l.id == awsCloud) {
			from += "+aws:ip-ranges.json"
		}
		fmt.Fprintf(&buf, "list\t%s\t%s\t%s\t%s\t%s\n", l.id, l.provider, l.kind, cdn, from)
		for _, p := range ps {
			fmt.Fprintln(&buf, p)
		}
		fmt.Fprintf(log, "mkproviders: %-16s %6d prefixes in, %5d out\n", l.id, in[i], len(ps))
	}
	return buf.Bytes(), nil
}

// wrap breaks s into lines of at most width bytes where it can, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
