package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go4.org/netipx"

	"github.com/hostwatch/hostwatch/attribution/provider"
)

// parseOutput maps every prefix of a ranges.txt to its list's id.
func parseOutput(t *testing.T, data []byte) map[netip.Prefix]string {
	t.Helper()
	out := map[netip.Prefix]string{}
	list := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "source\t") || strings.HasPrefix(line, "input\t"):
		case strings.HasPrefix(line, "list\t"):
			list = strings.Split(line, "\t")[1]
		default:
			out[netip.MustParsePrefix(line)] = list
		}
	}
	return out
}

func TestBuildRangesFixesCDNCheck(t *testing.T) {
	t.Parallel()
	data := sourcesData{
		CDN: map[string][]string{
			"google":     {"34.64.0.0/10", "8.34.208.0/20", "8.8.8.0/24"},
			"cloudfront": {"54.192.0.0/16"},
			"arvancloud": {"185.143.232.0/22"},
			"gocache":    {"3.0.0.7/32"},
		},
		WAF: map[string][]string{
			"arvancloud": {"185.143.232.0/22"},
			"cloudflare": {"1.1.1.0/24"},
		},
		Cloud: map[string][]string{
			"google":     {"34.80.0.0/15", "8.34.208.0/20", "34.64.0.0/11"},
			"aws":        {"54.192.0.0/16", "3.0.0.0/15", "54.0.0.0/8"},
			"arvancloud": {"185.143.232.0/22"},
			"azure":      {"40.96.0.0/16"},
			"office365":  {"40.96.0.0/13"},
		},
	}
	var log bytes.Buffer
	text, err := buildRanges(data, "v9.9.9", nil, &log)
	if err != nil {
		t.Fatal(err)
	}
	got := parseOutput(t, text)
	want := map[string]string{
		"34.64.0.0/11":     "google-cloud", // Google Cloud, more general than a google prefix: it still wins
		"34.96.0.0/11":     "google",       // the rest of goog.json's /10
		"8.34.208.0/20":    "google-cloud", // equal prefixes: cloud, not CDN
		"8.8.8.0/24":       "google",
		"54.192.0.0/16":    "cloudfront", // equal to an AWS prefix: the CDN list is earlier
		"3.0.0.7/32":       "gocache",    // longer than AWS's /15
		"185.143.232.0/22": "arvancloud", // three cdncheck lists, one list
		"1.1.1.0/24":       "cloudflare",
		"40.96.0.0/13":     "microsoft-365", // Azure's longer prefix yields to Microsoft 365
	}
	for p, list := range want {
		if got[netip.MustParsePrefix(p)] != list {
			t.Errorf("%s: in list %q, want %q", p, got[netip.MustParsePrefix(p)], list)
		}
	}
	for p, list := range got {
		if list == "google" && p.Overlaps(netip.MustParsePrefix("34.64.0.0/11")) {
			t.Errorf("%s is in google and Google Cloud's 34.64.0.0/11", p)
		}
		if list == "azure" {
			t.Errorf("%s: azure should have yielded everywhere", p)
		}
	}
	// AWS keeps what no one else has, around CloudFront and GoCache.
	for _, p := range []string{"3.0.0.0/30", "3.0.0.8/29", "3.1.0.0/16", "54.0.0.0/9", "54.193.0.0/16"} {
		if got[netip.MustParsePrefix(p)] != "aws" {
			t.Errorf("%s: in list %q, want aws", p, got[netip.MustParsePrefix(p)])
		}
	}
	if !bytes.Contains(text, []byte("source\tprojectdiscovery/cdncheck\tv9.9.9\tMIT\t")) {
		t.Errorf("no source line:\n%s", text)
	}
	again, err := buildRanges(data, "v9.9.9", nil, io.Discard)
	if err != nil || !bytes.Equal(again, text) {
		t.Errorf("a second run differs (%v)", err)
	}
}

func TestBuildRangesErrors(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]sourcesData{
		"unmapped list": {CDN: map[string][]string{"newcdn": {"192.0.2.0/24"}}},
		"bad prefix":    {Cloud: map[string][]string{"aws": {"192.0.2.0/33"}}},
	} {
		if _, err := buildRanges(data, "v1", nil, io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLists(t *testing.T) {
	t.Parallel()
	for _, l := range lists() {
		if !slices.Contains(provider.Kinds(), l.kind) || (l.kind == "cdn") != (l.cdnName != "") || l.provider == "" || len(l.from) == 0 {
			t.Errorf("list %s: kind %q, CDN name %q", l.id, l.kind, l.cdnName)
		}
	}
}

// cdncheckDir is the cdncheck module in the module cache, if it is there.
func cdncheckDir(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				t.Skip(err)
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
	}
	dir := filepath.Join(cache, "github.com", "projectdiscovery", "cdncheck@v1.2.19")
	if _, err := os.Stat(filepath.Join(dir, "sources_data.json")); err != nil {
		t.Skipf("cdncheck v1.2.19 is not in the module cache: %v", err)
	}
	return dir
}

// committedAWSFrom is where the committed copy of AWS's ip-ranges.json,
// data/aws-ip-ranges.json, was taken from: the Makefile's AWS_RANGES_MOD and
// AWS_RANGES_FILE.
const committedAWSFrom = "github.com/yl2chen/cidranger@v1.0.2/testdata/aws_ip_ranges.json"

// TestCommittedDataIsReproducible runs the generator as `make providers`
// does and compares its output with the committed files.
func TestCommittedDataIsReproducible(t *testing.T) {
	t.Parallel()
	dir := cdncheckDir(t)
	out := t.TempDir()
	table, err := os.ReadFile("../../data/" + asnTableFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, asnTableFile), table, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	args := []string{"-cdncheck", dir, "-aws", "../../data/aws-ip-ranges.json", "-aws-from", committedAWSFrom,
		"-dataset", "../../../data", "-out", out}
	if err := run(args, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, f := range []string{rangesFile, licenseFile, asnTableFile} {
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("../../data", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed file: run the generator (see its doc comment)", f)
		}
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"-out", t.TempDir()}, {"-cdncheck", "x"}, {"-out", "x", "-dataset", "y", "extra"},
		{"-out", "x", "-dataset", "y", "-aws", awsFixture},
		{"-out", "x", "-cdncheck", "y", "-aws", awsFixture},
		{"-out", "x", "-cdncheck", "y", "-aws-from", "z"}} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("run(%q): no error", args)
		}
	}
	if err := run([]string{"-cdncheck", t.TempDir(), "-out", t.TempDir()}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "-cdncheck-version") {
		t.Errorf("a directory without @VERSION: %v", err)
	}
}

// awsFixture is the provider package's fixture in the shape of AWS's
// ip-ranges.json, IPv6 prefixes included.
const awsFixture = "../../testdata/aws-ip-ranges.json"

// listOf is the list of a ranges.txt (parsed by parseOutput) that holds ip.
func listOf(out map[netip.Prefix]string, ip netip.Addr) string {
	for p, list := range out {
		if p.Contains(ip) {
			return list // the lists are disjoint
		}
	}
	return ""
}

// TestBuildRangesAWSServiceNames: given AWS's ip-ranges.json, every prefix it
// publishes as CLOUDFRONT, IPv4 and IPv6, is in the CloudFront list, except
// where a more specific prefix of other services holds the address. The
// service names come from the document, not from a list of prefixes here
// (issue 9, part 8). Without the document CloudFront's IPv6 edges are not
// CDN: cdncheck's CloudFront list has no IPv6.
func TestBuildRangesAWSServiceNames(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(awsFixture)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Prefixes []struct {
			Prefix  string `json:"ip_prefix"`
			Service string `json:"service"`
		} `json:"prefixes"`
		IPv6Prefixes []struct {
			Prefix  string `json:"ipv6_prefix"`
			Service string `json:"service"`
		} `json:"ipv6_prefixes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	services := map[netip.Prefix][]string{}
	for _, p := range doc.Prefixes {
		services[netip.MustParsePrefix(p.Prefix)] = append(services[netip.MustParsePrefix(p.Prefix)], p.Service)
	}
	for _, p := range doc.IPv6Prefixes {
		services[netip.MustParsePrefix(p.Prefix)] = append(services[netip.MustParsePrefix(p.Prefix)], p.Service)
	}
	// What the document says of ip: the services of the most specific
	// prefix holding it include CLOUDFRONT.
	edge := func(ip netip.Addr) bool {
		best := netip.Prefix{}
		for p := range services {
			if p.Contains(ip) && (!best.IsValid() || p.Bits() > best.Bits()) {
				best = p
			}
		}
		return slices.Contains(services[best], "CLOUDFRONT")
	}

	// cdncheck's lists as they are: CloudFront's IPv4 edges; AWS's
	// prefixes with no service names, IPv6 ones included.
	data := sourcesData{
		CDN:   map[string][]string{"cloudfront": {"13.32.0.0/15"}},
		Cloud: map[string][]string{"aws": {"3.5.140.0/22", "2600:9000:1000::/36", "2600:9000:2000::/35", "2406:da18::/32"}},
	}
	awsDoc, err := readAWS(awsFixture, "the provider package's fixture")
	if err != nil {
		t.Fatal(err)
	}
	without, err := buildRanges(data, "v9.9.9", nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := listOf(parseOutput(t, without), netip.MustParseAddr("2600:9000:2000::1")); got == awsEdges {
		t.Errorf("without AWS's document 2600:9000:2000::1 is in %s: the test no longer shows the gap", got)
	}
	with, err := buildRanges(data, "v9.9.9", awsDoc, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out := parseOutput(t, with)
	edges := 0
	for p, svc := range services {
		for _, ip := range []netip.Addr{p.Addr(), netipx.PrefixLastIP(p)} {
			want := edge(ip)
			if got := listOf(out, ip); (got == awsEdges) != want {
				t.Errorf("%s (in %s, %v): in list %q, want a CloudFront edge: %v", ip, p, svc, got, want)
			}
			if want && ip.Is6() {
				edges++
			}
		}
	}
	if edges == 0 {
		t.Fatal("the fixture has no IPv6 CloudFront edge")
	}
	if !bytes.Contains(with, []byte("# With AWS's ip-ranges.json of 2024-11-20T12:00:00Z")) ||
		!bytes.Contains(with, []byte("cdn.cloudfront+aws:ip-ranges.json")) ||
		!bytes.Contains(with, []byte("\ninput\taws/ip-ranges.json\t2024-11-20T12:00:00Z\t")) {
		t.Errorf("ranges.txt does not say AWS's document was used:\n%.1000s", with)
	}
}

// TestReadAWSRefuses: a document without its own syncToken or createDate is
// not AWS's document as published, and where the copy came from must be
// one line, for ranges.txt's input line.
func TestReadAWSRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct{ name, doc, from string }{
		{"no syncToken", `{"createDate": "2024-11-20-12-00-00", "prefixes": [{"ip_prefix": "13.32.0.0/15", "service": "CLOUDFRONT"}]}`, "x"},
		{"no createDate", `{"syncToken": "1", "prefixes": [{"ip_prefix": "13.32.0.0/15", "service": "CLOUDFRONT"}]}`, "x"},
		{"from with a tab", `{"syncToken": "1", "createDate": "2024-11-20-12-00-00", "prefixes": [{"ip_prefix": "13.32.0.0/15", "service": "CLOUDFRONT"}]}`, "a\tb"},
		{"no from", `{"syncToken": "1", "createDate": "2024-11-20-12-00-00", "prefixes": [{"ip_prefix": "13.32.0.0/15", "service": "CLOUDFRONT"}]}`, ""},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readAWS(path, tt.from); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if in, err := readAWS(awsFixture, "the fixture"); err != nil || in.syncToken != "1732104000" || len(in.sha256) != 64 {
		t.Errorf("the fixture: %+v, %v", in, err)
	}
}
