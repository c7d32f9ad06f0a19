package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/worldmap"
	"github.com/hostwatch/hostwatch/resolvers"
)

// htmlReport is the sample report with what only the HTML shows in full:
// a vantage placed by its egress address, a CDN edge, resolvers that
// disagree, TXT records and a front page.
func htmlReport(t *testing.T) probe.Report {
	t.Helper()
	r := sampleReport(t)
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	addr := func(s string) probe.Address {
		ip := netip.MustParseAddr(s)
		return probe.Address{IP: ip, TTL: 60, Result: db.Lookup(ip)}
	}
	at := r.GeneratedAt
	r.Vantage = probe.Vantage{Name: "jakarta", TimeZone: "Asia/Jakarta (+07:00)", Egress: []probe.Egress{{
		Resolver: "127.0.0.1:5300", Address: netip.MustParseAddr("36.86.63.182"), Country: "ID", Method: probe.WhoamiName + " A"}}}
	cdn := addr("104.16.1.1")
	cdn.CDN, cdn.CDNName = true, "Cloudflare"
	r.Observations = append(r.Observations,
		probe.Observation{
			Target: probe.ParseTarget("kpu.go.id", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
			Addresses: []probe.Address{addr("36.86.63.182"), addr("51.210.1.10")}, Consistency: "inconsistent",
			OddOnesOut: []string{"127.0.0.1:5301"},
			Answers: []probe.ResolverAnswer{
				{Resolver: "127.0.0.1:5300", Status: resolvers.StatusOK, Addresses: []netip.Addr{netip.MustParseAddr("36.86.63.182")}, ASNs: []uint32{7713}},
				{Resolver: "127.0.0.1:5301", Status: resolvers.StatusOK, Addresses: []netip.Addr{netip.MustParseAddr("51.210.1.10")}, ASNs: []uint32{16276}},
			},
			Records: []probe.RecordSet{{Type: "TXT", Owner: "kpu.go.id", Status: resolvers.StatusOK, Records: []probe.Record{{Value: `v=spf1 -all`}}}},
		},
		probe.Observation{
			Target: probe.ParseTarget("www.example.com", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
			CNAMEChain: []resolvers.Hop{{Name: "www.example.com", Target: "www.example.com.cdn.cloudflare.net", TTL: 60}},
			Addresses:  []probe.Address{cdn},
			HTTP: &probe.FrontDoor{Result: frontdoor.Result{Scheme: "https", Hops: []frontdoor.Hop{{
				URL: "https://www.example.com/", Status: 200, Host: "www.example.com",
				Headers: map[string][]string{"Server": {"cloudflare"}, "Cf-Ray": {"8a1b2c3d4e5f-SIN"}},
				TLS: &frontdoor.TLSInfo{Version: "TLS 1.3", Verified: true, Subject: "CN=www.example.com", Issuer: "CN=Example CA",
					NotAfter: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
			}}}, Connected: []probe.Address{cdn}},
		})
	return r
}

// normaliseHTML shortens what golden files need not repeat: the map's
// country shapes and the embedded JSON (its SHA-256 stays in the page).
func normaliseHTML(b []byte) []byte {
	b = landPath.ReplaceAll(b, []byte(`$1…"`))
	return dataURL.ReplaceAll(b, []byte(`${1}…"`))
}

var (
	landPath = regexp.MustCompile(`(<path class="land[^"]*" d=")[^"]*"`)
	dataURL  = regexp.MustCompile(`(href="data:application/json;base64,)[^"]*"`)
)

// htmlPages renders one page of each kind from the fixed scenarios.
func htmlPages(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	render := func(name string, write func(*bytes.Buffer) error) {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = buf.Bytes()
	}
	render("audit", func(b *bytes.Buffer) error { return WriteHTML(b, htmlReport(t)) })
	render("check", func(b *bytes.Buffer) error { return WriteCheckHTML(b, sampleCheck(t)) })
	render("diff", func(b *bytes.Buffer) error { return WriteDiffHTML(b, sampleDiff(t)) })
	render("history", func(b *bytes.Buffer) error { return WriteHistoryHTML(b, sampleHistory(t)) })
	render("audit.id", func(b *bytes.Buffer) error { return WriteHTMLIn(b, htmlReport(t), i18n.Indonesian) })
	render("check.id", func(b *bytes.Buffer) error { return WriteCheckHTMLIn(b, sampleCheck(t), i18n.Indonesian) })
	render("diff.id", func(b *bytes.Buffer) error { return WriteDiffHTMLIn(b, sampleDiff(t), i18n.Indonesian) })
	render("history.id", func(b *bytes.Buffer) error { return WriteHistoryHTMLIn(b, sampleHistory(t), i18n.Indonesian) })
	return out
}

func TestWriteHTMLGolden(t *testing.T) {
	t.Parallel()
	first, again := htmlPages(t), htmlPages(t)
	for name, page := range first {
		if !bytes.Equal(page, again[name]) {
			t.Errorf("%s: two renderings of one report differ", name)
		}
		golden(t, name+".html.golden", normaliseHTML(page))
	}
}

// TestHTMLNamesItsJSON checks that the page's digest is the SHA-256 of the
// JSON report that -o json writes, and that the page carries that report.
func TestHTMLNamesItsJSON(t *testing.T) {
	t.Parallel()
	r := htmlReport(t)
	var doc, page bytes.Buffer
	if err := WriteJSON(&doc, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc.Bytes())
	if !bytes.Contains(page.Bytes(), []byte(hex.EncodeToString(sum[:]))) {
		t.Error("the page does not name the SHA-256 of its JSON report")
	}
	z := html.NewTokenizer(&page)
	carried := false
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		for _, a := range z.Token().Attr {
			carried = carried || a.Key == "href" && a.Val == "data:application/json;base64,"+base64.StdEncoding.EncodeToString(doc.Bytes())
		}
	}
	if !carried {
		t.Error("the page does not carry its JSON report")
	}
}

// sentences are the plain-language sentences of a page's summary, as text.
func sentences(t *testing.T, page []byte) []string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode && n.Data == "ul" && slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "class" && a.Val == "sentences" }) {
			in = true
		}
		if in && n.Type == html.ElementNode && n.Data == "li" {
			out = append(out, strings.Join(strings.Fields(text(n)), " "))
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, false)
	return out
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}

// TestHTMLSummary checks the sentences people read first, with each caveat
// next to the sentence it qualifies.
func TestHTMLSummary(t *testing.T) {
	t.Parallel()
	pages := htmlPages(t)
	tests := []struct {
		page string
		want []string
	}{
		{"audit", []string{
			"The address of pemilu2024.kpu.go.id is outside Indonesia: in Singapore (Alibaba Cloud, AS134963).",
			"All 3 addresses of sirekap-web.kpu.go.id are outside Indonesia: 2 in China (Alibaba Cloud, AS37963), 1 in Singapore (Alibaba Cloud, AS45102).",
			"bücher.example did not resolve: the name does not exist (NXDOMAIN). bücher.example: NXDOMAIN",
			"slow.example did not resolve: no resolver answered in time. no reply from 127.0.0.1:5300 within 3s",
			"bad..name did not resolve: it is not a valid domain name, so it was never asked. invalid domain name \"bad..name\": empty label",
			"1 of 2 addresses of kpu.go.id is outside Indonesia: 1 in France (OVHcloud, AS16276); 1 in Indonesia (Telkom Indonesia, AS7713). " +
				"Resolvers disagreed: the resolvers asked side by side gave different answers (127.0.0.1:5301 agreed with no other); the addresses counted are all of their answers together.",
			"The address of www.example.com is an edge of the CDN Cloudflare. CDN edge: the site is served through the CDN; the origin server behind it is not visible, " +
				"and an edge's country says where visitors are served, not where the site is.",
		}},
		{"check", []string{
			"sirekap-web.kpu.go.id: asked another way (other resolvers or client subnets) between 2024-02-16T10:00:00Z and 2024-02-16T11:00:00Z; not a move.",
			"sirekap-web.kpu.go.id moved between 2024-02-16T18:00:00Z and 2024-02-16T19:00:00Z: from Alibaba Cloud in Singapore AS45102 · 8.219.1.1 to OVHcloud in France AS16276 · 51.210.1.10.",
			"sirekap-web.kpu.go.id may have changed (new country, new provider, new network (AS), other addresses in the same networks (rotation)): seen 1 of the 2 times in a row it needs, since 2024-02-17T05:00:00Z; not counted until confirmed.",
		}},
		{"history", []string{
			"sirekap-web.kpu.go.id from jakarta: moved 2 times since 2024-02-14T06:00:00Z: Indonesia → Singapore → France. " +
				"Moves counted by the history's rule: a move is a new provider or country among the domain's addresses (not CDN edges), or a new CDN, confirmed over 2 runs in a row; renumbering, rotation and a change of resolver or vantage are never moves.",
			"sirekap-web.kpu.go.id from singapore: moved 1 time since 2024-02-14T06:30:00Z: Singapore → France. " +
				"Moves counted by the history's rule: a move is a new provider or country among the domain's addresses (not CDN edges), or a new CDN, counted at once; " +
				"renumbering, rotation and a change of resolver or vantage are never moves. " +
				"Vantages disagree: from 2024-02-14T06:30:00Z to 2024-02-15T22:00:00Z jakarta saw Indonesia, singapore saw Singapore.",
		}},
	}
	for _, tc := range tests {
		got := sentences(t, pages[tc.page])
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: no sentence\n  %q\nin\n  %s", tc.page, w, strings.Join(got, "\n  "))
			}
		}
	}
}

// htmlHostile are what a stranger puts where a report shows text.
var htmlHostile = []string{
	`<script>alert(1)</script>`,
	`](javascript:alert(1))`,
	`=HYPERLINK("http://evil.example","x")`,
	`EVIL | AS, ZZ`,
	`"><img src=x onerror=alert(1)>`,
	`</title></svg><style>*{display:none}</style>`,
}

// TestHTMLHostileData puts hostile strings in every outside field a page
// shows and proves them inert: the page has only the elements and
// attributes the template writes, no link but its own, and every string
// comes back as the same text.
func TestHTMLHostileData(t *testing.T) {
	t.Parallel()
	evil := strings.Join(htmlHostile, " ") + " \x1b[2J\u202e\xff"
	r := htmlReport(t)
	for i := range r.Observations {
		o := &r.Observations[i]
		o.Error += evil
		o.Target.Unicode += evil
		for j := range o.Addresses {
			a := &o.Addresses[j]
			a.ASOrg, a.Provider, a.CDNName = "Org "+evil, "Provider "+evil, "CDN "+evil
			a.Extra = &probe.Extra{PTRAsked: true, PTR: []string{"ptr." + evil}}
		}
		for j := range o.Records {
			o.Records[j].Records[0].Value = `"` + evil + `"`
		}
		if o.HTTP != nil {
			h := &o.HTTP.Hops[0]
			h.URL += evil
			h.Headers["Server"] = []string{evil}
			h.TLS.Subject, h.TLS.Issuer = "CN="+evil, "O="+evil
		}
		o.CNAMEChain = append(o.CNAMEChain, resolvers.Hop{Target: "cname." + evil})
	}
	r.Vantage.Name = evil
	r.Resolvers = append(r.Resolvers, evil)
	var audit bytes.Buffer
	if err := WriteHTML(&audit, r); err != nil {
		t.Fatal(err)
	}
	c := sampleCheck(t)
	c.Database, c.Vantage, c.RunFailed = evil, evil, evil
	c.Matched = []string{evil}
	c.Violations[0].Country, c.Violations[0].Values, c.Violations[0].Domain = evil, []string{evil}, evil
	var check bytes.Buffer
	if err := WriteCheckHTML(&check, c); err != nil {
		t.Fatal(err)
	}
	h := sampleHistory(t)
	h.Database = evil
	for i := range h.Domains {
		h.Domains[i].Vantage += evil
		for j := range h.Domains[i].Periods {
			p := &h.Domains[i].Periods[j]
			p.Hosting.Orgs = []string{evil}
			for k := range p.Hosting.Places {
				p.Hosting.Places[k].Provider += evil
			}
		}
	}
	var hist bytes.Buffer
	if err := WriteHistoryHTML(&hist, h); err != nil {
		t.Fatal(err)
	}
	for name, page := range map[string][]byte{"audit": audit.Bytes(), "check": check.Bytes(), "history": hist.Bytes()} {
		inert(t, name, page)
		if bytes.ContainsAny(page, "\x1b\u202e") || !bytes.Contains(page, []byte(`\x1b[2J\u202e\xff`)) {
			t.Errorf("%s: control characters are not shown as visible escapes", name)
		}
		texts := allText(t, page)
		for _, s := range htmlHostile {
			if !strings.Contains(texts, s) {
				t.Errorf("%s: %q is not in the page's text as it was", name, s)
			}
		}
	}
}

// pageElements are every element the template writes.
var pageElements = []string{"html", "head", "meta", "link", "title", "style", "body", "header", "main", "section", "p", "h1", "h2", "h3",
	"a", "time", "ul", "ol", "li", "strong", "span", "code", "br", "div", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
	"svg", "path", "circle", "g", "text", "rect", "line"}

// inert fails when a page holds an element, attribute or link the
// template does not write, or a style sheet other than its own.
func inert(t *testing.T, name string, page []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	styles := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !slices.Contains(pageElements, tok.Data) {
			t.Errorf("%s: element <%s> is not one the template writes", name, tok.Data)
		}
		if tok.Data == "style" {
			styles++
		}
		for _, a := range tok.Attr {
			switch {
			case strings.HasPrefix(a.Key, "on"), a.Key == "src", a.Key == "srcdoc", a.Key == "xlink:href", a.Key == "formaction":
				t.Errorf("%s: attribute %s=%q", name, a.Key, a.Val)
			case a.Key == "href" && a.Val != "#method" && a.Val != "data:," && !dataHref.MatchString(a.Val):
				t.Errorf("%s: link to %q", name, a.Val)
			case a.Key == "style":
				t.Errorf("%s: style attribute %q", name, a.Val)
			}
		}
	}
	if styles != 1 {
		t.Errorf("%s: %d style elements, want the template's one", name, styles)
	}
}

var dataHref = regexp.MustCompile(`^data:application/json;base64,[A-Za-z0-9+/=]*$`)

// allText is the page's text as a browser reads it (entities decoded).
func allText(t *testing.T, page []byte) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return text(doc)
}

// TestHTMLSize checks that a report of 100 domains stays under 1 MB, the
// embedded JSON report and the map included.
func TestHTMLSize(t *testing.T) {
	t.Parallel()
	r := bigReport(t, 100)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("100 domains, 3 addresses each: %d bytes of HTML", buf.Len())
	if buf.Len() >= 1<<20 {
		t.Errorf("the HTML for 100 domains is %d bytes, want under 1 MB", buf.Len())
	}
}

// bigReport is n domains with three attributed addresses and two queries each.
func bigReport(t *testing.T, n int) probe.Report {
	t.Helper()
	r := sampleReport(t)
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.Observations = nil
	ips := []string{"170.33.13.55", "8.219.1.1", "51.210.1.10", "36.86.63.182", "47.96.1.10", "2001:41d0:303::1"}
	for i := range n {
		o := probe.Observation{Target: probe.ParseTarget(fmt.Sprintf("service-%03d.kpu.go.id", i), "args", 0), Status: resolvers.StatusOK, StartedAt: r.GeneratedAt}
		for j := range 3 {
			ip := netip.MustParseAddr(ips[(i+j)%len(ips)])
			o.Addresses = append(o.Addresses, probe.Address{IP: ip, TTL: 300, Result: db.Lookup(ip)})
		}
		for _, typ := range []string{"A", "AAAA"} {
			o.Queries = append(o.Queries, resolvers.Exchange{Resolver: "127.0.0.1:5300", Transport: "udp", Name: o.Target.Domain, Type: typ,
				Rcode: "NOERROR", Status: resolvers.StatusOK, AskedAt: r.GeneratedAt, RTT: time.Millisecond})
		}
		r.Observations = append(r.Observations, o)
	}
	return r
}

func TestHomeCountry(t *testing.T) {
	t.Parallel()
	for domain, want := range map[string]string{
		"sirekap-web.kpu.go.id": "ID", "bbc.co.uk": "GB", "example.com": "", "github.io": "", "europa.eu": "",
		"example.de.": "DE", "xn--p1ai": "", "localhost": "", "a.b.tv": "", "DOMAIN.FR": "FR",
	} {
		if got := HomeCountry(domain); got != want {
			t.Errorf("HomeCountry(%q) = %q, want %q", domain, got, want)
		}
	}
}

// TestHTMLSentences words crafted observations: each case of the sentence,
// and the caveats that go with it.
func TestHTMLSentences(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ad := func(ip string, r attribution.Result) probe.Address {
		return probe.Address{IP: netip.MustParseAddr(ip), Result: r}
	}
	ovh := attribution.Result{ASN: 16276, ASOrg: "OVH SAS", Provider: "OVHcloud", Country: "FR"}
	ali := attribution.Result{ASN: 45102, ASOrg: "Alibaba (US) Technology Co., Ltd.", Provider: "Alibaba Cloud", Country: "SG"}
	tests := []struct {
		name, domain string
		addrs        []probe.Address
		want         string
	}{
		{"registration only", "x.go.id", []probe.Address{ad("51.210.1.10", attribution.Result{ASN: 16276, ASOrg: "OVH SAS", RegisteredCountry: "FR"})},
			"The address of x.go.id is outside Indonesia: in France (OVH SAS, AS16276). Registration country only: for France the datasets know only where the network's holder is registered, not where the address is."},
		{"no home country", "example.com", []probe.Address{ad("8.219.1.1", ali), ad("8.219.1.2", ali), ad("51.210.1.10", ovh)},
			"example.com has 3 addresses: 2 in Singapore (Alibaba Cloud, AS45102), 1 in France (OVHcloud, AS16276)."},
		{"one address, no home", "example.org", []probe.Address{ad("51.210.1.10", ovh)},
			"The address of example.org is in France (OVHcloud, AS16276)."},
		{"some at home", "a.example.fr", []probe.Address{ad("51.210.1.10", ovh), ad("51.210.1.11", ovh), ad("8.219.1.1", ali)},
			"1 of 3 addresses of a.example.fr is outside France: 1 in Singapore (Alibaba Cloud, AS45102); 2 in France (OVHcloud, AS16276)."},
		{"all at home", "b.example.fr", []probe.Address{ad("51.210.1.10", ovh), ad("51.210.1.11", ovh)},
			"All 2 addresses of b.example.fr are in France (OVHcloud, AS16276)."},
		{"a CDN edge beside a server", "c.example.fr", []probe.Address{ad("51.210.1.10", ovh), ad("104.16.1.1", attribution.Result{ASN: 13335, Provider: "Cloudflare", CDN: true, CDNName: "Cloudflare", Country: "US"})},
			"1 of 2 addresses of c.example.fr is in France (OVHcloud, AS16276). 1 is an edge of the CDN Cloudflare. CDN edge: the site is served through the CDN; the origin server behind it is not visible, and an edge's country says where visitors are served, not where the site is."},
		{"special-purpose", "d.example.com", []probe.Address{ad("10.1.2.3", attribution.Result{SpecialUse: "private-use (RFC 1918)"})},
			"d.example.com has 1 address. 1 address has no known country (special-purpose, or unknown to the datasets)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := probe.Report{GeneratedAt: at, ToolVersion: "test", Observations: []probe.Observation{
				{Target: probe.ParseTarget(tc.domain, "args", 0), Status: resolvers.StatusOK, Addresses: tc.addrs}}}
			var buf bytes.Buffer
			if err := WriteHTML(&buf, r); err != nil {
				t.Fatal(err)
			}
			if got := sentences(t, buf.Bytes()); len(got) != 1 || got[0] != tc.want {
				t.Errorf("got\n  %q\nwant\n  %q", got, tc.want)
			}
		})
	}
}

// TestHTMLStale puts the caveat on old data above the sentences it qualifies.
func TestHTMLStale(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	r.GeneratedAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r.Interrupted = true
	var buf, id bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLIn(&id, r, i18n.Indonesian); err != nil {
		t.Fatal(err)
	}
	page := strings.Join(strings.Fields(allText(t, buf.Bytes())), " ")
	for _, want := range []string{
		"Data older than 90 days: ip-location-db/asn is from 17 June 2026 (167 days before this report), ip-location-db/geo-whois-asn-country is from 17 June 2026 (167 days before this report)",
		"so every sentence below may be out of date",
		"Interrupted: the run was stopped before every domain was done",
		"ip-location-db/asn 2026-06-17 (167 days old: older than 90 days), licence CC BY 4.0",
		"Made 1 December 2026, 00:00 UTC by hostwatch",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	idPage := strings.Join(strings.Fields(allText(t, id.Bytes())), " ")
	for _, want := range []string{
		"Data berusia lebih dari 90 hari: ip-location-db/asn berasal dari 17 Juni 2026 (167 hari sebelum laporan ini)",
		"Terhenti: pemeriksaan dihentikan sebelum semua domain selesai",
		"ip-location-db/asn 2026-06-17 (berusia 167 hari: lebih dari 90 hari), lisensi CC BY 4.0",
		"Dibuat 1 Desember 2026, 00.00 UTC dengan hostwatch",
	} {
		if !strings.Contains(idPage, want) {
			t.Errorf("the Indonesian page does not say %q", want)
		}
	}
	if i, j := strings.Index(page, "Data older than 90 days"), strings.Index(page, "The address of pemilu2024"); i < 0 || j < i {
		t.Error("the caveat on old data does not come before the sentences")
	}
}

// TestMapMarksLeaveCountriesShaded checks that a count's mark does not
// hide the country it counts: France's mark once covered mainland France,
// so that only French Guiana looked shaded.
func TestMapMarksLeaveCountriesShaded(t *testing.T) {
	t.Parallel()
	m, err := worldmap.Load()
	if err != nil {
		t.Fatal(err)
	}
	const r = 14 // the largest mark
	for _, c := range m.Countries {
		if c.Path == "" || c.Code == "" {
			continue
		}
		x, y, leader := placeMark(c, r, m.Width)
		box := c.Part
		// The disc covers at most a quarter of the part's box, or stands clear of the box.
		cx, cy := max(box.Min.X, min(x, box.Max.X)), max(box.Min.Y, min(y, box.Max.Y))
		clear := math.Hypot(x-cx, y-cy) >= r
		if !clear && math.Pi*r*r > box.Width()*box.Height()/4 {
			t.Errorf("%s: a mark at (%v, %v) covers its part %+v", c.Code, x, y, box)
		}
		if clear != (leader != nil) {
			t.Errorf("%s: mark clear of the country %v, leader %v", c.Code, clear, leader)
		}
		if x-r < 0 || x+r > m.Width {
			t.Errorf("%s: mark at (%v, %v) is off the map", c.Code, x, y)
		}
	}
	fr, _ := m.Country("FR")
	if _, _, leader := placeMark(fr, r, m.Width); leader == nil {
		t.Error("France's mark stands on mainland France, hiding its shading")
	}
	cn, _ := m.Country("CN")
	if x, y, leader := placeMark(cn, r, m.Width); leader != nil || x != cn.Label.X || y != cn.Label.Y {
		t.Error("China's mark is not on China")
	}
}
