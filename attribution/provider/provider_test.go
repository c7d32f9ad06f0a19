package provider_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
	"github.com/hostwatch/hostwatch/attribution/provider"
)

func defaultTable(t testing.TB) *provider.Table {
	t.Helper()
	tb, err := provider.Default()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestEmbeddedFacts checks provider facts about real addresses, with their
// ASN from the real embedded attribution data.
func TestEmbeddedFacts(t *testing.T) {
	t.Parallel()
	tb := defaultTable(t)
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const (
		asnTable = provider.SourceASNTable
		cdncheck = provider.SourceCDNCheck
	)
	tests := []struct {
		ip       string
		asn      uint32 // what attribution must say, as a check of the premise
		provider string
		kind     string
		cdn      string // CDNName; "" means not a CDN edge
		source   string
		why      string
	}{
		{"170.33.13.55", 134963, "Alibaba Cloud", provider.KindCloud, "", asnTable,
			"the Sirekap address: Alibaba Cloud by its AS, as cdncheck has no Alibaba ranges; SG is attribution's"},
		{"8.219.1.1", 45102, "Alibaba Cloud", provider.KindCloud, "", asnTable, "Alibaba (US) Technology"},
		{"47.96.1.10", 37963, "Alibaba Cloud", provider.KindCloud, "", asnTable, "Hangzhou Alibaba Advertising"},
		{"2408:4000::1", 37963, "Alibaba Cloud", provider.KindCloud, "", asnTable, "IPv6"},
		{"8.8.8.8", 15169, "Google", provider.KindService, "", cdncheck,
			"Google's own services (goog.json minus cloud.json), not Google Cloud and not a CDN"},
		{"2001:4860:4860::8888", 15169, "Google", provider.KindService, "", cdncheck, "IPv6"},
		{"34.80.0.1", 396982, "Google Cloud", provider.KindCloud, "", cdncheck,
			"in cloud.json's 34.80.0.0/15 and in cdncheck's google CDN list (34.64.0.0/10): cloud, not CDN"},
		{"8.34.208.1", 396982, "Google Cloud", provider.KindCloud, "", cdncheck,
			"8.34.208.0/20 is in both cdncheck lists with the same length: cloud, not CDN"},
		{"1.1.1.1", 13335, "Cloudflare", provider.KindCDN, "Cloudflare", cdncheck, "Cloudflare's anycast edge"},
		{"54.192.0.1", 16509, "Amazon Web Services", provider.KindCDN, "Amazon CloudFront", cdncheck,
			"54.192.0.0/16 is CloudFront's, inside cdncheck's AWS list too: a CDN edge"},
		{"3.0.0.1", 16509, "Amazon Web Services", provider.KindCloud, "", cdncheck,
			"3.0.0.0/15 is EC2 (ap-southeast-1), in cdncheck's AWS list and not CloudFront's: cloud, not CDN"},
		{"52.74.0.1", 16509, "Amazon Web Services", provider.KindCloud, "", cdncheck, "EC2 ap-southeast-1"},
		{"151.101.1.1", 54113, "Fastly", provider.KindCDN, "Fastly", cdncheck, ""},
		{"20.42.0.1", 8075, "Microsoft Azure", provider.KindCloud, "", cdncheck, ""},
		{"23.0.0.1", 20940, "Akamai", provider.KindCDN, "Akamai", asnTable, "Akamai's edge AS"},
		{"45.79.0.1", 63949, "Akamai Cloud (Linode)", provider.KindCloud, "", asnTable,
			"Linode's AS is registered to Akamai, but it rents servers: cloud, not CDN"},
		{"36.86.63.182", 7713, "Telkom Indonesia", provider.KindISP, "", asnTable, ""},
		{"51.210.1.10", 16276, "OVHcloud", provider.KindHosting, "", asnTable, ""},
		{"2001:41d0:303::1", 16276, "OVHcloud", provider.KindHosting, "", asnTable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.ip)
			res := db.Lookup(ip)
			if res.ASN != tt.asn {
				t.Fatalf("attribution says AS%d, the case assumes AS%d", res.ASN, tt.asn)
			}
			got := tb.Classify(ip, res.ASN)
			want := provider.Info{Provider: tt.provider, Kind: tt.kind, CDN: tt.cdn != "", CDNName: tt.cdn, Source: tt.source}
			if got != want {
				t.Errorf("Classify(%s, AS%d)\n got %+v\nwant %+v (%s)", ip, res.ASN, got, want, tt.why)
			}
		})
	}
}

func TestClassifyPrecedence(t *testing.T) {
	t.Parallel()
	tb := defaultTable(t)
	cloudfront := tb.Classify(netip.MustParseAddr("54.192.0.1"), 0)
	tests := []struct {
		name string
		ip   string
		asn  uint32
		want provider.Info
	}{
		{"a range wins over the ASN table", "54.192.0.1", 7713, cloudfront},
		{"the ASN table where no range holds the address", "192.0.2.1", 16509,
			provider.Info{Provider: "Amazon Web Services", Kind: provider.KindCloud, Source: provider.SourceASNTable}},
		{"a CDN AS is a CDN edge", "192.0.2.1", 13335,
			provider.Info{Provider: "Cloudflare", Kind: provider.KindCDN, CDN: true, CDNName: "Cloudflare", Source: provider.SourceASNTable}},
		{"an AS not in the table", "192.0.2.1", 64500, provider.Info{}},
		{"no address, known AS", "", 7713, provider.Info{Provider: "Telkom Indonesia", Kind: provider.KindISP, Source: provider.SourceASNTable}},
		{"nothing", "", 0, provider.Info{}},
		{"private address", "10.0.0.1", 0, provider.Info{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ip netip.Addr
			if tt.ip != "" {
				ip = netip.MustParseAddr(tt.ip)
			}
			if got := tb.Classify(ip, tt.asn); got != tt.want {
				t.Errorf("Classify(%v, %d) = %+v, want %+v", ip, tt.asn, got, tt.want)
			}
		})
	}
	var nilTable *provider.Table
	if got := nilTable.Classify(netip.MustParseAddr("1.1.1.1"), 13335); got != (provider.Info{}) {
		t.Errorf("nil table: %+v", got)
	}
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	tb := defaultTable(t)
	addrs := []netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("2001:4860:4860::8888"), netip.MustParseAddr("192.0.2.1")}
	if n := testing.AllocsPerRun(100, func() {
		for _, a := range addrs {
			tb.Classify(a, 16509)
		}
		tb.CDNByCNAME([]string{"www.example.com", "foo.edgekey.net"})
	}); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

func TestCDNByCNAME(t *testing.T) {
	t.Parallel()
	tb := defaultTable(t)
	tests := []struct {
		chain []string
		want  string // "" means not a CDN
	}{
		{[]string{"x.cloudfront.net"}, "Amazon CloudFront"},
		{[]string{"d111111abcdef8.cloudfront.net."}, "Amazon CloudFront"},
		{[]string{"X.CloudFront.NET"}, "Amazon CloudFront"},
		{[]string{"foo.edgekey.net"}, "Akamai"},
		{[]string{"www.example.com", "www.example.com.edgekey.net", "e1234.a.akamaiedge.net"}, "Akamai"},
		{[]string{"a.w.alikunlun.com"}, "Alibaba Cloud CDN"},
		{[]string{"a.w.kunlunsl.com"}, "Alibaba Cloud CDN"},
		{[]string{"a.w.cdngslb.com"}, "Alibaba Cloud CDN"},
		{[]string{"foo.fastly.net"}, "Fastly"},
		{[]string{"foo.global.fastlylb.net"}, "Fastly"},
		{[]string{"www.example.com.cdn.cloudflare.net"}, "Cloudflare"},
		{[]string{"x.azurefd.net"}, "Azure Front Door"},
		{[]string{"x.y.z.incapdns.net"}, "Imperva Incapsula"},
		// Not CDNs.
		{[]string{"example.azurewebsites.net"}, ""},
		{[]string{"x.trafficmanager.net"}, ""},
		{[]string{"my-lb-123.ap-southeast-1.elb.amazonaws.com"}, ""},
		{[]string{"bucket.s3.amazonaws.com"}, ""},
		{[]string{"ghs.googlehosted.com"}, ""},
		{[]string{"x.akadns.net"}, ""},
		// Lookalikes.
		{[]string{"cloudfront.net.evil.example"}, ""},
		{[]string{"evilcloudfront.net"}, ""},
		{[]string{"cloudfront.net"}, ""},
		{[]string{".cloudfront.net"}, ""},
		{[]string{"..cloudfront.net"}, ""},
		{[]string{"x.cloudfront.net.evil.example."}, ""},
		{[]string{"x.cdngslb.com"}, ""},
		{nil, ""},
		{[]string{"", ".", "com"}, ""},
	}
	for _, tt := range tests {
		got, ok := tb.CDNByCNAME(tt.chain)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("CDNByCNAME(%q) = %q, %v; want %q", tt.chain, got, ok, tt.want)
		}
	}
}

// asnOrgs reads the organisation of every AS from the embedded ASN data,
// and that dataset's name and version.
func asnOrgs(t testing.TB) (orgs map[uint32]string, id, version string) {
	t.Helper()
	raw, err := os.ReadFile("../data/" + manifest.FileName)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(m.Datasets, func(d manifest.Dataset) bool { return slices.Contains(d.Fields, "as_org") })
	if i < 0 {
		t.Fatal("no ASN dataset in datasets.json")
	}
	ds := m.Datasets[i]
	r, err := maxminddb.Open("../data/" + ds.File)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	orgs = map[uint32]string{}
	done := map[uintptr]bool{}
	for res := range r.Networks() {
		if done[res.Offset()] {
			continue
		}
		done[res.Offset()] = true
		var rec struct {
			ASN uint32 `maxminddb:"autonomous_system_number"`
			Org string `maxminddb:"autonomous_system_organization"`
		}
		if err := res.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		if rec.ASN != 0 {
			orgs[rec.ASN] = rec.Org
		}
	}
	return orgs, ds.ID, ds.Version
}

// TestASNTableEvidence checks every row of asn-providers.csv against the
// embedded ASN data: its evidence is exactly the organisation the data
// gives that AS, so no row was typed to pass.
func TestASNTableEvidence(t *testing.T) {
	t.Parallel()
	orgs, id, version := asnOrgs(t)
	raw, err := os.ReadFile("data/asn-providers.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 50 {
		t.Fatalf("only %d rows", len(recs))
	}
	tb := defaultTable(t)
	prev := uint64(0)
	providers := map[string]bool{}
	for _, rec := range recs[1:] {
		n, err := strconv.ParseUint(rec[0], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		if n <= prev {
			t.Errorf("AS%d: rows are not sorted by ASN", n)
		}
		prev = n
		org, ok := orgs[uint32(n)]
		if !ok {
			t.Errorf("AS%d (%s): %s has no address of it; drop the row", n, rec[1], id)
		} else if rec[3] != org {
			t.Errorf("AS%d (%s): evidence %q, but %s says %q", n, rec[1], rec[3], id, org)
		}
		got := tb.Classify(netip.Addr{}, uint32(n))
		if got.Provider != rec[1] || got.Kind != rec[2] || got.CDN != (rec[2] == provider.KindCDN) {
			t.Errorf("AS%d: Classify = %+v, want the row %q", n, got, rec)
		}
		providers[rec[1]] = true
	}
	if src := tb.Sources()[0]; src.Name != provider.SourceASNTable || src.Version != version {
		t.Errorf("Sources()[0] = %+v, want %s with the version of %s, %s", src, provider.SourceASNTable, id, version)
	}
	// The providers the issue names must be there.
	for _, p := range []string{"Alibaba Cloud", "Amazon Web Services", "Google", "Google Cloud", "Microsoft", "Oracle Cloud",
		"Tencent Cloud", "Huawei Cloud", "Cloudflare", "Akamai", "Fastly", "OVHcloud", "DigitalOcean", "Hetzner",
		"Akamai Cloud (Linode)", "Vultr", "Telkom Indonesia", "Indosat Ooredoo Hutchison", "XL Axiata", "Biznet", "Lintasarta"} {
		if !providers[p] {
			t.Errorf("no row for %s", p)
		}
	}
}

// rangeList is one prefix of ranges.txt and the id of its list.
type rangeList struct {
	p    netip.Prefix
	list string
}

// embeddedLists reads data/ranges.txt's prefixes, sorted, with their lists;
// it checks each list line's kind and CDN name on the way.
func embeddedLists(t *testing.T) ([]byte, []rangeList) {
	t.Helper()
	raw, err := os.ReadFile("data/ranges.txt")
	if err != nil {
		t.Fatal(err)
	}
	var ps []rangeList
	list := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "source\t") || strings.HasPrefix(line, "input\t"):
		case strings.HasPrefix(line, "list\t"):
			f := strings.Split(line, "\t")
			list = f[1]
			if !slices.Contains(provider.Kinds(), f[3]) || (f[3] == provider.KindCDN) != (f[4] != "-") {
				t.Errorf("list %s: kind %q, CDN name %q", f[1], f[3], f[4])
			}
		default:
			ps = append(ps, rangeList{netip.MustParsePrefix(line), list})
		}
	}
	slices.SortFunc(ps, func(a, b rangeList) int { return a.p.Addr().Compare(b.p.Addr()) })
	return raw, ps
}

// TestEmbeddedRanges checks ranges.txt: known sources, kinds of the
// vocabulary, CDN exactly for the cdn kind, and no address in two lists.
func TestEmbeddedRanges(t *testing.T) {
	t.Parallel()
	raw, ps := embeddedLists(t)
	if len(raw) > 2<<20 {
		t.Errorf("ranges.txt is %d bytes; keep it under 2 MB", len(raw))
	}
	for i := 1; i < len(ps); i++ {
		if ps[i-1].p.Overlaps(ps[i].p) {
			t.Errorf("%s (%s) and %s (%s) overlap", ps[i-1].p, ps[i-1].list, ps[i].p, ps[i].list)
		}
	}
}

// TestEmbeddedCloudFrontEdges: every prefix that AWS's ip-ranges.json behind
// the embedded data (the copy data/aws-ip-ranges.json, which ranges.txt's
// input line names by its SHA-256) publishes as CLOUDFRONT, IPv4 and IPv6,
// is a CloudFront edge in the embedded data (issue 9, part 8). The prefixes
// are the document's, not a list written here. Each one's first and last
// addresses classify as Amazon CloudFront, and ranges.txt's lists cover it
// whole: with CloudFront's list, or where AWS lists a more specific block of
// its own (origin-facing and the like), with AWS's cloud list; no other
// provider's range and no gap.
func TestEmbeddedCloudFrontEdges(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("data/aws-ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, lists := embeddedLists(t)
	sum := sha256.Sum256(doc)
	if !bytes.Contains(raw, []byte("\ninput\t"+provider.InputAWS+"\t")) || !bytes.Contains(raw, []byte("\tsha256:"+hex.EncodeToString(sum[:])+"\n")) {
		t.Fatal("ranges.txt's input line does not name data/aws-ip-ranges.json by its SHA-256: run make providers")
	}
	var aws struct {
		Prefixes []struct {
			Prefix  string `json:"ip_prefix"`
			Service string `json:"service"`
		} `json:"prefixes"`
		IPv6Prefixes []struct {
			Prefix  string `json:"ipv6_prefix"`
			Service string `json:"service"`
		} `json:"ipv6_prefixes"`
	}
	if err := json.Unmarshal(doc, &aws); err != nil {
		t.Fatal(err)
	}
	var edges []netip.Prefix
	for _, p := range aws.Prefixes {
		if p.Service == "CLOUDFRONT" {
			edges = append(edges, netip.MustParsePrefix(p.Prefix))
		}
	}
	for _, p := range aws.IPv6Prefixes {
		if p.Service == "CLOUDFRONT" {
			edges = append(edges, netip.MustParsePrefix(p.Prefix))
		}
	}
	if !slices.Contains(edges, netip.MustParsePrefix("2600:9000::/28")) || !slices.ContainsFunc(edges, func(p netip.Prefix) bool { return p.Addr().Is4() }) {
		t.Fatalf("the document's CLOUDFRONT prefixes %v lack 2600:9000::/28 or IPv4: not the document the test is about", edges)
	}

	tb := defaultTable(t)
	edge := provider.Info{Provider: "Amazon Web Services", Kind: provider.KindCDN, CDN: true, CDNName: "Amazon CloudFront", Source: provider.SourceCDNCheck}
	cloud := provider.Info{Provider: "Amazon Web Services", Kind: provider.KindCloud, Source: provider.SourceCDNCheck}
	for _, ip := range []string{"2600:9000::", "2600:9000::1", "2600:900f:ffff:ffff:ffff:ffff:ffff:ffff"} {
		if got := tb.Classify(netip.MustParseAddr(ip), 16509); got != edge {
			t.Errorf("%s (in CLOUDFRONT 2600:9000::/28): %+v, want a CloudFront edge", ip, got)
		}
	}
	for _, e := range edges {
		// The prefixes of ranges.txt that overlap e, in order: one that
		// holds all of e, or ones inside e that tile it.
		var in []rangeList
		for _, l := range lists {
			if l.p.Overlaps(e) {
				in = append(in, l)
			}
		}
		if len(in) == 1 && in[0].p.Bits() <= e.Bits() {
			if in[0].list != "cloudfront" {
				t.Errorf("CLOUDFRONT %s is inside %s of list %s", e, in[0].p, in[0].list)
			}
			for _, ip := range []netip.Addr{e.Addr(), lastAddr(e)} {
				if got := tb.Classify(ip, 0); got != edge {
					t.Errorf("%s (in CLOUDFRONT %s): %+v, want a CloudFront edge", ip, e, got)
				}
			}
			continue
		}
		next, share := e.Addr(), 0.0
		for _, l := range in {
			if l.p.Addr() != next {
				t.Errorf("CLOUDFRONT %s: no list holds %s", e, next)
			}
			want := edge
			switch {
			case l.list == "cloudfront":
				share += math.Ldexp(1, e.Bits()-l.p.Bits())
			case l.list == "aws" && l.p.Bits() > e.Bits():
				want = cloud
			default:
				t.Errorf("CLOUDFRONT %s: %s is in list %s", e, l.p, l.list)
			}
			for _, ip := range []netip.Addr{l.p.Addr(), lastAddr(l.p)} {
				if got := tb.Classify(ip, 0); got != want {
					t.Errorf("%s (in %s of list %s, inside CLOUDFRONT %s): %+v, want %+v", ip, l.p, l.list, e, got, want)
				}
			}
			next = lastAddr(l.p).Next()
		}
		t.Logf("CLOUDFRONT %s: %.1f%% CloudFront's list, the rest AWS's more specific blocks", e, 100*share)
		if len(in) == 0 || lastAddr(in[len(in)-1].p) != lastAddr(e) {
			t.Errorf("CLOUDFRONT %s: the lists do not reach its end", e)
		}
	}
}

func TestSources(t *testing.T) {
	t.Parallel()
	tb := defaultTable(t)
	srcs := tb.Sources()
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name)
		if s.Version == "" || s.License == "" || s.URL == "" {
			t.Errorf("source %+v lacks a version, licence or URL", s)
		}
	}
	if want := []string{provider.SourceASNTable, provider.SourceCNAMEs, provider.SourceCDNCheck}; !slices.Equal(names, want) {
		t.Errorf("sources %v, want %v", names, want)
	}
	if c := srcs[2]; c.Version != "v1.2.19" || c.License != "MIT" || !strings.Contains(c.Attribution, "ProjectDiscovery") {
		t.Errorf("cdncheck source %+v", c)
	}
	// The notice names AWS's document behind CloudFront's edges, by its own
	// date and syncToken, and where the copy came from.
	if c := srcs[2]; !strings.Contains(c.Attribution, provider.InputAWS+" of 2017-08-07 (syncToken 1502143334; ") ||
		!strings.Contains(c.Attribution, "github.com/yl2chen/cidranger@v1.0.2") {
		t.Errorf("cdncheck source's notice does not name AWS's document: %q", c.Attribution)
	}
	srcs[0].Name = "changed"
	if tb.Sources()[0].Name != provider.SourceASNTable {
		t.Error("Sources returned the table's own slice")
	}
}

// TestConcurrentUse runs lookups from many goroutines (go test -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	tb := defaultTable(t)
	want := tb.Classify(netip.MustParseAddr("1.1.1.1"), 13335)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if got := tb.Classify(netip.MustParseAddr("1.1.1.1"), 13335); got != want {
					t.Errorf("got %+v", got)
					return
				}
				tb.CDNByCNAME([]string{"a.cloudfront.net"})
			}
		})
	}
	wg.Wait()
}

// sample returns real addresses and their ASNs: per stride, one address
// inside a network of the embedded ASN data, IPv4 and IPv6, in a fixed order.
func sample(b testing.TB, stride int) ([]netip.Addr, []uint32) {
	b.Helper()
	r, err := maxminddb.Open("../data/asn.mmdb")
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var addrs []netip.Addr
	var asns []uint32
	i := 0
	for res := range r.Networks() {
		if i++; i%stride != 0 {
			continue
		}
		var rec struct {
			ASN uint32 `maxminddb:"autonomous_system_number"`
		}
		if err := res.Decode(&rec); err != nil {
			b.Fatal(err)
		}
		p := res.Prefix()
		a := p.Addr().As16()
		if p.Addr().Is4() {
			a4 := p.Addr().As4()
			if p.Bits() < 32 {
				a4[3] |= 1
			}
			addrs = append(addrs, netip.AddrFrom4(a4))
		} else {
			if p.Bits() < 128 {
				a[15] |= 1
			}
			addrs = append(addrs, netip.AddrFrom16(a))
		}
		asns = append(asns, rec.ASN)
	}
	return addrs, asns
}

// listed returns one address inside every stride-th prefix of ranges.txt.
func listed(b testing.TB, stride int) []netip.Addr {
	b.Helper()
	raw, err := os.ReadFile("data/ranges.txt")
	if err != nil {
		b.Fatal(err)
	}
	var out []netip.Addr
	i := 0
	for line := range strings.Lines(string(raw)) {
		p, err := netip.ParsePrefix(strings.TrimSpace(line))
		if err != nil {
			continue
		}
		if i++; i%stride == 0 {
			out = append(out, p.Addr().Next())
		}
	}
	return out
}

// BenchmarkClassify classifies real addresses with their real ASNs, spread
// over the whole address space ("real", mostly in no list), and addresses
// inside the lists ("listed"):
// go test -run '^$' -bench Classify -benchmem ./attribution/provider/
func BenchmarkClassify(b *testing.B) {
	tb := defaultTable(b)
	b.Run("real", func(b *testing.B) {
		addrs, asns := sample(b, 97)
		var ranges, table int
		for i, a := range addrs {
			switch tb.Classify(a, asns[i]).Source {
			case provider.SourceCDNCheck:
				ranges++
			case provider.SourceASNTable:
				table++
			}
		}
		b.Logf("%d addresses: %d by range, %d by the ASN table", len(addrs), ranges, table)
		i := 0
		for b.Loop() {
			j := i % len(addrs)
			tb.Classify(addrs[j], asns[j])
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("listed", func(b *testing.B) {
		addrs := listed(b, 3)
		i := 0
		for b.Loop() {
			tb.Classify(addrs[i%len(addrs)], 0)
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
	})
}

// BenchmarkDefault is the cost of loading the embedded data.
func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		if _, err := provider.Default(); err != nil {
			b.Fatal(err)
		}
	}
}
