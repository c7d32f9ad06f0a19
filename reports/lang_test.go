package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/probe/rtt"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/worldmap"
	"github.com/hostwatch/hostwatch/resolvers"
)

// output is one rendering people read, with the JSON document of the same
// data: its strings are the outside text the rendering may show as it came.
type output struct {
	text, data []byte
}

// langOutputs renders every output people read in lang from the fixed
// scenarios: the table, Markdown and HTML of audit (with a warning of each
// code), check, diff and history, and lookup's table.
func langOutputs(t *testing.T, lang i18n.Lang) map[string]output {
	t.Helper()
	out := map[string]output{}
	add := func(name string, text, data func(*bytes.Buffer) error) {
		t.Helper()
		var b, d bytes.Buffer
		if err := text(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := data(&d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = output{b.Bytes(), d.Bytes()}
	}
	r := withFailures(htmlReport(t))
	r.Warnings = probe.DataWarnings(testWarnings())
	r.Datasets = append(r.Datasets, readDatasets()...)
	data := func(b *bytes.Buffer) error { return WriteJSON(b, r) }
	add("audit.table", func(b *bytes.Buffer) error { return WriteTableIn(b, r, 80, lang) }, data)
	add("audit.md", func(b *bytes.Buffer) error { return WriteMarkdownIn(b, r, lang) }, data)
	add("audit.html", func(b *bytes.Buffer) error { return WriteHTMLIn(b, r, lang) }, data)
	// The same report read back from its JSON, as a later report is made.
	var saved bytes.Buffer
	if err := WriteJSON(&saved, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(&saved)
	if err != nil {
		t.Fatal(err)
	}
	add("audit.read.table", func(b *bytes.Buffer) error { return WriteTableIn(b, back, 80, lang) }, data)
	add("audit.read.html", func(b *bytes.Buffer) error { return WriteHTMLIn(b, back, lang) }, data)
	c := sampleCheck(t)
	checkData := func(b *bytes.Buffer) error { return WriteCheck(b, "json", c) }
	add("check.table", func(b *bytes.Buffer) error { return WriteCheckIn(b, "table", c, lang) }, checkData)
	add("check.md", func(b *bytes.Buffer) error { return WriteCheckIn(b, "markdown", c, lang) }, checkData)
	add("check.html", func(b *bytes.Buffer) error { return WriteCheckHTMLIn(b, c, lang) }, checkData)
	d := sampleDiff(t)
	diffData := func(b *bytes.Buffer) error { return WriteDiff(b, "json", d) }
	add("diff.table", func(b *bytes.Buffer) error { return WriteDiffIn(b, "table", d, lang) }, diffData)
	add("diff.md", func(b *bytes.Buffer) error { return WriteDiffIn(b, "markdown", d, lang) }, diffData)
	add("diff.html", func(b *bytes.Buffer) error { return WriteDiffHTMLIn(b, d, lang) }, diffData)
	h := sampleHistory(t)
	historyData := func(b *bytes.Buffer) error { return WriteHistory(b, "json", h) }
	add("history.table", func(b *bytes.Buffer) error { return WriteHistoryIn(b, "table", h, lang) }, historyData)
	add("history.md", func(b *bytes.Buffer) error { return WriteHistoryIn(b, "markdown", h, lang) }, historyData)
	add("history.html", func(b *bytes.Buffer) error { return WriteHistoryHTMLIn(b, h, lang) }, historyData)
	for name, together := range map[string]bool{"bounds": false, "bounds-together": true} {
		bd := sampleBounds(t, together)
		boundsData := func(b *bytes.Buffer) error { return WriteBoundsIn(b, "json", bd, lang) }
		add(name+".table", func(b *bytes.Buffer) error { return WriteBoundsIn(b, "table", bd, lang) }, boundsData)
		add(name+".md", func(b *bytes.Buffer) error { return WriteBoundsIn(b, "markdown", bd, lang) }, boundsData)
		add(name+".html", func(b *bytes.Buffer) error { return WriteBoundsHTMLIn(b, bd, lang) }, boundsData)
	}
	l := sampleLookup(t)
	l.Lang = lang
	add("lookup.table", func(b *bytes.Buffer) error { return WriteLookup(b, "table", l) },
		func(b *bytes.Buffer) error { return WriteLookup(b, "json", l) })
	return out
}

// withFailures adds to r the failures of the opt-in lookups, each with the
// English words it was made with next to its code: a resolver's failed
// answers among several (--resolvers), failed --records types, a failed
// front-page fetch with an untrusted certificate and one that never
// started (--http), round trips without an answer (--rtt), and egress
// checks that found no address.
func withFailures(r probe.Report) probe.Report {
	at := r.GeneratedAt
	r.Vantage.Egress = append(r.Vantage.Egress,
		probe.Egress{Resolver: "127.0.0.1:5301", Method: probe.WhoamiName + " A", Status: resolvers.StatusTimeout,
			Error: "whoami.akamai.net A from 127.0.0.1:5301: timeout: no reply within 3s"},
		probe.Egress{Resolver: "127.0.0.1:5302", Method: probe.WhoamiName + " A", Status: resolvers.StatusError, Rcode: "REFUSED", Error: "REFUSED"},
		probe.Egress{Resolver: "127.0.0.1:5303", Method: probe.WhoamiName + " A", Status: resolvers.StatusNoData, Error: "no address in the answer"})
	ip := netip.MustParseAddr("192.0.2.10")
	timedOut := probe.Address{IP: ip, TTL: 60, Extra: &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: "tcp-connect",
		Error: "port 80: dial tcp 192.0.2.10:80: i/o timeout", Failure: "timeout",
		ICMPError:   "unprivileged ICMP echo (ping sockets) is not permitted here: the process's group is outside net.ipv4.ping_group_range (socket: permission denied)",
		ICMPFailure: "not_permitted"}},
		GeofeedFailure: &probe.GeofeedFailure{URL: "https://geofeed.example/gagal.csv", Kind: "untrusted",
			Error: "tls: failed to verify certificate: x509: certificate signed by unknown authority"}}}
	hop := func(url, failure, words string) frontdoor.Hop {
		return frontdoor.Hop{URL: url, Host: "gagal.kpu.go.id", Failure: failure, Error: words, StartedAt: at}
	}
	first := hop("https://gagal.kpu.go.id/", "", "")
	first.Status = 302
	first.TLS = &frontdoor.TLSInfo{Version: "TLS 1.3", Subject: "CN=gagal.kpu.go.id", Issuer: "CN=Test CA", VerifyFailure: "expired",
		VerifyError: "x509: certificate has expired or is not yet valid: current time 2024-02-15T08:30:00Z is after 2024-01-01T00:00:00Z"}
	r.Observations = append(r.Observations,
		probe.Observation{
			Target: probe.ParseTarget("gagal.kpu.go.id", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
			Addresses: []probe.Address{timedOut}, Consistency: "inconsistent", OddOnesOut: []string{"127.0.0.1:5302"},
			Answers: []probe.ResolverAnswer{
				{Resolver: "127.0.0.1:5300", Status: resolvers.StatusOK, Addresses: []netip.Addr{ip}},
				{Resolver: "127.0.0.1:5301", Status: resolvers.StatusTimeout, ErrorKind: probe.ErrorTimeout,
					Error: "no reply from 127.0.0.1:5301 within 3s"},
				{Resolver: "127.0.0.1:5302", Status: resolvers.StatusError, ErrorKind: probe.ErrorCNAMELoop,
					CNAMEChain: []resolvers.Hop{{Name: "gagal.kpu.go.id", Target: "putar.kpu.go.id"}, {Name: "putar.kpu.go.id", Target: "gagal.kpu.go.id"}},
					Error:      "gagal.kpu.go.id: CNAME loop: putar.kpu.go.id is an alias for gagal.kpu.go.id, which the chain already holds"},
				{Resolver: "127.0.0.1:5303", Status: resolvers.StatusServFail, Error: "127.0.0.1:5303 answered SERVFAIL"},
			},
			Records: []probe.RecordSet{
				{Type: "MX", Owner: "gagal.kpu.go.id", Status: resolvers.StatusTimeout, Error: "MX from 127.0.0.1:5300: timeout: no reply within 3s"},
				{Type: "CAA", Owner: "gagal.kpu.go.id", Status: resolvers.StatusError, ErrorKind: probe.ErrorConnRefused,
					Error: "CAA from 127.0.0.1:5300: connection refused by the resolver"},
			},
			HTTP: &probe.FrontDoor{Result: frontdoor.Result{Scheme: "https", Failure: "connection_refused",
				Error: "request https://www.gagal.kpu.go.id/: dial tcp 192.0.2.11:443: connect: connection refused",
				Hops: []frontdoor.Hop{first, hop("https://www.gagal.kpu.go.id/", "connection_refused",
					"request https://www.gagal.kpu.go.id/: dial tcp 192.0.2.11:443: connect: connection refused")}}},
		},
		probe.Observation{
			// --rtt-icmp: echoes next to the connects, and echoes alone.
			Target: probe.ParseTarget("gema.kpu.go.id", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
			Addresses: []probe.Address{
				{IP: netip.MustParseAddr("192.0.2.13"), TTL: 60, Extra: &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: rtt.MethodTCPAndICMP,
					Samples: []rtt.Sample{{At: at, Port: 443, RTT: 2 * time.Millisecond, Reply: rtt.ReplySYNACK}, {At: at, RTT: time.Millisecond, Reply: rtt.ReplyEcho}},
					Min:     time.Millisecond}}}},
				{IP: netip.MustParseAddr("192.0.2.14"), TTL: 60, Extra: &probe.Extra{RTT: &probe.RTT{Result: rtt.Result{Method: rtt.MethodTCPAndICMP,
					Samples: []rtt.Sample{{At: at, RTT: time.Millisecond, Reply: rtt.ReplyEcho}}, Min: time.Millisecond,
					Error: "port 80: dial tcp 192.0.2.14:80: i/o timeout", Failure: "timeout", ICMPError: "icmp echo: i/o timeout", ICMPFailure: "timeout"}}}},
			},
		},
		probe.Observation{
			Target: probe.ParseTarget("putar.kpu.go.id", "args", 0), Status: resolvers.StatusOK, StartedAt: at,
			Addresses: []probe.Address{{IP: netip.MustParseAddr("192.0.2.12"), TTL: 60}},
			HTTP: &probe.FrontDoor{Result: frontdoor.Result{Scheme: "https", Failure: "too_many_redirects",
				Error: "too many redirects: more than 10 (next: https://putar.kpu.go.id/11)"}},
		})
	return r
}

// readDatasets are datasets of each kind hostwatch reads but does not
// ship, as attribution describes them: --mmdb files (one whose own
// description names its licence), a provider's feed and an operator's
// geofeed.
func readDatasets() []attribution.Dataset {
	const geofeedURL = "https://geofeed.example/as64500.csv"
	return []attribution.Dataset{
		{ID: "GeoLite2-ASN (asn.mmdb)", Version: "2026-11-20", License: "see the file's provider terms", Path: "/data/asn.mmdb",
			Fields: []string{"asn", "as_org", "prefix"}, Description: "GeoLite2 ASN database", DatabaseType: "GeoLite2-ASN", Kind: attribution.KindMMDB},
		{ID: "mmdb (x.mmdb)", License: "Licensed under CC BY 4.0", Path: "/data/x.mmdb",
			Fields: []string{"country"}, Description: "Licensed under CC BY 4.0", Kind: attribution.KindMMDB},
		{ID: "aws feed", Version: "2026-11-30", License: "the provider's terms", Path: "/data/feeds/aws.json", URL: "https://ranges.example/ip-ranges.json",
			Fields:      []string{"provider", "provider_kind", "cdn", "region"},
			Description: "the provider's own ranges with regions; published 2026-11-30T00:00:00Z (the document's own date) (https://ranges.example/ip-ranges.json)",
			Kind:        attribution.KindProviderFeed},
		{ID: "azure feed", License: "the provider's terms", Path: "/data/feeds/azure.json", URL: "https://ranges.example/ServiceTags_Public.json",
			Fields:      []string{"provider", "provider_kind", "cdn", "region"},
			Description: "the provider's own ranges with regions; the document gives no date (https://ranges.example/ServiceTags_Public.json)",
			Kind:        attribution.KindProviderFeed},
		{ID: "as64500", Version: "2026-11-29", License: "the operator's own publication (RFC 8805)", Fields: []string{"geofeed"}, URL: geofeedURL,
			Description: "An operator's geofeed (RFC 8805), fetched from " + geofeedURL + "; its country, region and city are the operator's own claim, shown next to the databases' and never merged into them.",
			Kind:        attribution.KindGeofeed},
		{ID: "https://geofeed.example/linked.csv", Version: "2026-12-01", License: "the operator's own publication (RFC 8805)", Fields: []string{"geofeed"},
			URL: "https://geofeed.example/linked.csv", Kind: attribution.KindLinkedGeofeed,
			Description: "An operator's geofeed (RFC 8805) that the registry's record links to (RFC 9632), fetched from https://geofeed.example/linked.csv on 2026-12-01; its country, region and city are the operator's own claim, shown next to the databases' and never merged into them."},
	}
}

// TestIndonesianHasNoEnglish walks every output in Bahasa Indonesia and
// looks for hostwatch's English words in it: the words of the English
// catalogue that no Indonesian message uses. Outside text is taken out
// first (every string of the same data's JSON, except the English ones
// hostwatch writes there: warnings, rules, summaries), and so are codes
// (status and change kinds, flags, field names), which read the same in
// every language.
func TestIndonesianHasNoEnglish(t *testing.T) {
	t.Parallel()
	en, err := i18n.Messages(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := i18n.Messages(i18n.Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	indonesian := map[string]bool{}
	for _, s := range id {
		for _, w := range words(s) {
			indonesian[w] = true
		}
	}
	english := map[string]bool{}
	for _, s := range en {
		for _, w := range words(s) {
			if !indonesian[w] && len(w) > 2 {
				english[w] = true
			}
		}
	}
	for _, w := range []string{"timeout", "invalid", "error", "refused"} { // status codes
		delete(english, w)
	}
	if len(english) < 100 {
		t.Fatalf("only %d English words to look for: %v", len(english), slices.Sorted(maps.Keys(english)))
	}
	sources, err := worldmap.Sources()
	if err != nil {
		t.Fatal(err)
	}
	var mapText []string // the map's sources' names; their licences, notices and descriptions are in the catalogue
	for _, s := range sources {
		mapText = append(mapText, s.ID, s.Version, s.Package)
	}
	// The same walk finds English in every English output: it can see.
	for _, lang := range []i18n.Lang{i18n.Indonesian, i18n.English} {
		for name, o := range langOutputs(t, lang) {
			found := englishIn(t, name, o, english, mapText)
			switch {
			case lang == i18n.Indonesian && len(found) > 0:
				t.Errorf("%s in Bahasa Indonesia has English words %q", name, found)
			case lang == i18n.English && len(found) == 0:
				t.Errorf("%s in English: no English word found; the walk sees nothing", name)
			}
		}
	}
}

// englishIn lists the words of english in an output, outside text taken out.
func englishIn(t *testing.T, name string, o output, english map[string]bool, mapText []string) []string {
	t.Helper()
	text := string(o.text)
	if strings.HasSuffix(name, ".html") {
		text = pageText(text)
	}
	text = strings.ReplaceAll(text, `\_`, "_") // Markdown's escape of codes
	text = commandRE.ReplaceAllString(text, " ")
	outside := outsideStrings(t, o.data)
	if strings.HasSuffix(name, ".html") {
		outside = append(outside, mapText...)
	}
	slices.SortFunc(outside, func(a, b string) int { return len(b) - len(a) })
	for _, s := range outside {
		text = replaceWhole(text, s)
	}
	var found []string
	for _, w := range words(text) {
		if english[w] && !slices.Contains(found, w) {
			found = append(found, w)
		}
	}
	return found
}

// sampleLookup is the lookup of TestWriteLookup.
func sampleLookup(t *testing.T) Lookup {
	t.Helper()
	db, err := attribution.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := Lookup{GeneratedAt: time.Date(2024, 2, 15, 8, 30, 0, 0, time.UTC), ToolVersion: "v0.1.0-test", Datasets: db.Datasets()}
	for _, s := range []string{"170.33.13.55", "2001:4860:4860::8888", "10.1.2.3"} {
		ip := netip.MustParseAddr(s)
		l.Addresses = append(l.Addresses, Attributed{IP: ip, Result: db.Lookup(ip)})
	}
	return l
}

// commandRE matches hostwatch's command names, which headings use as they are.
var commandRE = regexp.MustCompile(`hostwatch (audit|check|diff|history)`)

// replaceWhole blanks every occurrence of s in text that is not part of a
// longer word ("ok" in "Lokasi" stays).
func replaceWhole(text, s string) string {
	if len(s) < 2 {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, s)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		before, after := text[:i], text[i+len(s):]
		if endsInLetter(before) && startsInLetter(s) || startsInLetter(after) && endsInLetter(s) {
			b.WriteString(text[:i+1])
			text = text[i+1:]
			continue
		}
		b.WriteString(before + " ")
		text = after
	}
}

func startsInLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func endsInLetter(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsLetter(r)
}

// wordRE finds words; tokens with "_" or a leading "-" are codes and flags.
var wordRE = regexp.MustCompile(`-*[\pL][\pL_'-]*`)

// words are the lower-case words of s that are not codes, flags or fmt verbs.
func words(s string) []string {
	s = verbRE.ReplaceAllString(s, " ")
	var out []string
	for _, w := range wordRE.FindAllString(s, -1) {
		if strings.HasPrefix(w, "-") || strings.Contains(w, "_") {
			continue
		}
		out = append(out, strings.ToLower(strings.Trim(w, "'-")))
	}
	return out
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)

// pageText is the text of an HTML page a reader sees: no styles, no
// markup, no embedded report, entities decoded.
func pageText(page string) string {
	page = regexp.MustCompile(`(?s)<style.*?</style>`).ReplaceAllString(page, " ")
	page = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(page, " ")
	return html.UnescapeString(page)
}

// outsideStrings are the strings of a JSON document, longest first, but
// for the English that hostwatch itself writes there (the datasets'
// licences, notices and descriptions included: see datasetOutside).
func outsideStrings(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	// in is the key of the object or list holding v: a dataset's
	// description (in "datasets") is hostwatch's text, an AS's is not.
	var walk func(in, key string, v any)
	// A failure's words (error, ptr_error, verify_error) are hostwatch's
	// English, or a resolver's, which another language words from the
	// failure's status and codes instead.
	walk = func(in, key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if key == "datasets" {
				v = datasetOutside(v)
			}
			for k, x := range v {
				walk(key, k, x)
			}
		case []any:
			for _, x := range v {
				walk(in, key, x)
			}
		case string:
			switch key {
			case "warnings", "message", "move_rule", "summary", "rule", "ptr_error", "error", "verify_error":
				return
			}
			if v != "" {
				seen[v] = true
			}
		}
	}
	walk("", "", v)
	out := slices.Collect(maps.Keys(seen))
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// TestIndonesianGoldens keeps the text and Markdown of check, diff and
// history in Bahasa Indonesia as golden files, for a reader to review.
func TestIndonesianGoldens(t *testing.T) {
	t.Parallel()
	outs := langOutputs(t, i18n.Indonesian)
	for name, file := range map[string]string{
		"check.table": "check.id.txt.golden", "check.md": "check.id.md.golden",
		"diff.table": "diff.id.txt.golden", "diff.md": "diff.id.md.golden",
		"history.table": "history.id.table.golden", "history.md": "history.id.md.golden",
	} {
		golden(t, file, outs[name].text)
	}
}

// TestIndonesianReasons: a failed domain's reason in Bahasa Indonesia keeps
// the details the model holds apart from the resolver's English words (the
// names of a loop, where a chain stopped, the resolver and its rcode), and
// falls back to the kind alone when it holds none.
func TestIndonesianReasons(t *testing.T) {
	t.Parallel()
	pr, err := i18n.New(i18n.Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	loop := []resolvers.Hop{{Name: "loop-a.kpu.go.id", Target: "loop-b.kpu.go.id"}, {Name: "loop-b.kpu.go.id", Target: "loop-a.kpu.go.id"}}
	failed := func(resolver string, st resolvers.Status, rcode string) []resolvers.Exchange {
		return []resolvers.Exchange{{Resolver: "127.0.0.1:5300", Status: resolvers.StatusOK, Rcode: "NOERROR"},
			{Resolver: resolver, Status: st, Rcode: rcode}}
	}
	for _, c := range []struct {
		name string
		o    probe.Observation
		want string
	}{
		{"loop", probe.Observation{ErrorKind: probe.ErrorCNAMELoop, CNAMEChain: loop},
			"rantai CNAME berputar (CNAME loop): loop-b.kpu.go.id adalah alias untuk loop-a.kpu.go.id, yang sudah ada dalam rantai"},
		{"loop without its chain", probe.Observation{ErrorKind: probe.ErrorCNAMELoop}, "rantai CNAME berputar (CNAME loop)"},
		{"too long", probe.Observation{ErrorKind: probe.ErrorCNAMETooLong, CNAMEChain: loop},
			"rantai CNAME terlalu panjang: berhenti di loop-a.kpu.go.id setelah 2 langkah"},
		{"rcode", probe.Observation{ErrorKind: probe.ErrorBadRcode, Queries: failed("127.0.0.1:5301", resolvers.StatusError, "NOTIMP")},
			"resolver 127.0.0.1:5301 memberikan kode jawaban yang tidak terduga (NOTIMP)"},
		{"refused", probe.Observation{ErrorKind: probe.ErrorConnRefused, Queries: failed("127.0.0.1:5302", resolvers.StatusError, "")},
			"koneksi ke resolver 127.0.0.1:5302 ditolak"},
		{"timeout", probe.Observation{ErrorKind: probe.ErrorTimeout, Queries: failed("tls://127.0.0.1:8853", resolvers.StatusTimeout, "")},
			"resolver tls://127.0.0.1:8853 tidak menjawab tepat waktu"},
		{"timeout, no evidence", probe.Observation{ErrorKind: probe.ErrorTimeout}, "resolver tidak menjawab tepat waktu"},
		{"deadline", probe.Observation{ErrorKind: probe.ErrorDeadline, Queries: failed("127.0.0.1:5301", resolvers.StatusTimeout, "")},
			"batas waktu untuk domain ini habis sebelum pencarian selesai"},
	} {
		if got := reasonDetail(pr, c.o); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestLookupFailure: a --cymru or --rdap lookup that found nothing says so
// in English as the JSON has it, and in Bahasa Indonesia by its status from
// the catalogue, with where it asked.
func TestLookupFailure(t *testing.T) {
	t.Parallel()
	en, err := i18n.New(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := i18n.New(i18n.Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pr                    *i18n.Printer
		status, detail, where string
		want                  string
	}{
		{en, "timeout", "no reply", "127.0.0.1:5300", "timeout no reply"},
		{id, "timeout", "no reply", "127.0.0.1:5300", "tidak ada jawaban tepat waktu; server 127.0.0.1:5300"},
		{id, "rate_limited", "rdap.example answered 429", "https://rdap.example/ip/192.0.2.1", "dibatasi oleh registri karena terlalu banyak permintaan; server https://rdap.example/ip/192.0.2.1"},
		{id, "error", "invalid IP address", "", "gagal"},
		{id, "odd_status", "", "", "odd_status"},
	} {
		if got := lookupFailure(c.pr, c.status, c.detail, c.where); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.pr.Lang(), c.status, got, c.want)
		}
	}
}

// TestPTRFailure: a failed reverse lookup says why in English as the
// resolver put it, and in Bahasa Indonesia by its status and the resolver
// asked, or as a plain failure when a report older than ptr_status has
// the words alone.
func TestPTRFailure(t *testing.T) {
	t.Parallel()
	en, err := i18n.New(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := i18n.New(i18n.Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	const words = "PTR from 127.0.0.1:5300: timeout: no reply within 3s"
	timedOut := &probe.Extra{PTRAsked: true, PTRError: words, PTRStatus: resolvers.StatusTimeout, PTRResolver: "127.0.0.1:5300"}
	for _, c := range []struct {
		pr   *i18n.Printer
		x    *probe.Extra
		want string
	}{
		{en, timedOut, words},
		{id, timedOut, "resolver tidak menjawab tepat waktu; server 127.0.0.1:5300"},
		{id, &probe.Extra{PTRError: words, PTRStatus: resolvers.StatusServFail}, "resolver menjawab SERVFAIL"},
		{id, &probe.Extra{PTRError: words}, "galat"},
	} {
		if got := ptrFailure(c.pr, c.x); got != c.want {
			t.Errorf("%s: %q, want %q", c.pr.Lang(), got, c.want)
		}
	}
}

// TestPTRStatusOf tells a reverse lookup's failures apart with errors.Is.
func TestPTRStatusOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want resolvers.Status
	}{
		{nil, ""},
		{fmt.Errorf("PTR from 127.0.0.1:5300: %w: no reply within 3s", resolvers.ErrTimeout), resolvers.StatusTimeout},
		{fmt.Errorf("x: %w", resolvers.ErrServFail), resolvers.StatusServFail},
		{fmt.Errorf("x: %w", resolvers.ErrRefused), resolvers.StatusRefused},
		{fmt.Errorf("x: %w: a is an alias for b", resolvers.ErrCNAMELoop), resolvers.StatusError},
	} {
		if got := probe.PTRStatusOf(c.err); got != c.want {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}

// TestPTRFailureHTML: the page words a failed reverse lookup the same way,
// made from the run or from its saved JSON.
func TestPTRFailureHTML(t *testing.T) {
	t.Parallel()
	r := htmlReport(t)
	r.Observations[0].Addresses[0].Extra = &probe.Extra{PTRAsked: true, PTRError: "PTR from 127.0.0.1:5300: timeout: no reply within 3s",
		PTRStatus: resolvers.StatusTimeout, PTRResolver: "127.0.0.1:5300"}
	// A page made later from the saved JSON says the same: ptr_status and
	// ptr_resolver are in it.
	var saved bytes.Buffer
	if err := WriteJSON(&saved, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(&saved)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[i18n.Lang]string{
		i18n.Indonesian: "PTR: pencarian gagal (resolver tidak menjawab tepat waktu; server 127.0.0.1:5300)",
		i18n.English:    "PTR: lookup failed (PTR from 127.0.0.1:5300: timeout: no reply within 3s)",
	} {
		for name, r := range map[string]probe.Report{"run": r, "read back": back} {
			var b bytes.Buffer
			if err := WriteHTMLIn(&b, r, lang); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s, %s: no %q in the page", lang, name, want)
			}
		}
	}
}

// TestOptInFailures: a failed opt-in lookup says why in English as the
// error was made, and in Bahasa Indonesia from its codes, a report older
// than the codes included.
func TestOptInFailures(t *testing.T) {
	t.Parallel()
	en, err := i18n.New(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := i18n.New(i18n.Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	loop := []resolvers.Hop{{Name: "a.test", Target: "b.test"}, {Name: "b.test", Target: "a.test"}}
	for _, c := range []struct {
		name    string
		got     func(pr *i18n.Printer) string
		english string
		want    string
	}{
		{"answer timeout", func(pr *i18n.Printer) string {
			return answerFailure(pr, probe.ResolverAnswer{Status: resolvers.StatusTimeout, ErrorKind: probe.ErrorTimeout, Error: "no reply"})
		}, "no reply", "resolver tidak menjawab tepat waktu"},
		{"answer loop", func(pr *i18n.Printer) string {
			return answerFailure(pr, probe.ResolverAnswer{Status: resolvers.StatusError, ErrorKind: probe.ErrorCNAMELoop, CNAMEChain: loop, Error: "loop"})
		}, "loop", "rantai CNAME berputar (CNAME loop): b.test adalah alias untuk a.test, yang sudah ada dalam rantai"},
		{"answer servfail", func(pr *i18n.Printer) string {
			return answerFailure(pr, probe.ResolverAnswer{Status: resolvers.StatusServFail, Error: "SERVFAIL"})
		}, "SERVFAIL", "resolver menjawab SERVFAIL"},
		{"answer read back, no kind", func(pr *i18n.Printer) string {
			return answerFailure(pr, probe.ResolverAnswer{Status: resolvers.StatusError, Error: "broken"})
		}, "broken", "kueri gagal"},
		{"record refused", func(pr *i18n.Printer) string {
			return recordFailure(pr, probe.RecordSet{Status: resolvers.StatusError, ErrorKind: probe.ErrorConnRefused, Error: "refused"})
		}, "refused", "koneksi ke resolver ditolak"},
		{"record nxdomain", func(pr *i18n.Printer) string {
			return recordFailure(pr, probe.RecordSet{Status: resolvers.StatusNXDomain, Error: "NXDOMAIN"})
		}, "NXDOMAIN", "nama tersebut tidak ada (NXDOMAIN)"},
		{"http loop", func(pr *i18n.Printer) string { return fetchFailure(pr, "redirect loop: …", "redirect_loop") },
			"redirect loop: …", "pengalihan berputar (redirect loop)"},
		{"http hop timeout", func(pr *i18n.Printer) string { return fetchFailure(pr, "i/o timeout", "generic_timeout_error") },
			"i/o timeout", "tidak ada jawaban tepat waktu"},
		{"http read back, no code", func(pr *i18n.Printer) string { return fetchFailure(pr, "odd", "") }, "odd", "permintaan gagal"},
		{"certificate", func(pr *i18n.Printer) string {
			return certFailure(pr, &frontdoor.TLSInfo{VerifyError: "x509: certificate is valid for b.test, not a.test", VerifyFailure: "wrong_name"})
		}, "x509: certificate is valid for b.test, not a.test", "sertifikat diterbitkan untuk nama lain"},
		{"egress timeout", func(pr *i18n.Printer) string {
			return egressFailure(pr, probe.Egress{Status: resolvers.StatusTimeout, Error: "timeout: no reply"})
		}, "timeout: no reply", "resolver tidak menjawab tepat waktu"},
		{"egress rcode", func(pr *i18n.Printer) string {
			return egressFailure(pr, probe.Egress{Status: resolvers.StatusError, Rcode: "REFUSED", Error: "REFUSED"})
		}, "REFUSED", "resolver memberikan kode jawaban yang tidak terduga (REFUSED)"},
		{"egress no address", func(pr *i18n.Printer) string {
			return egressFailure(pr, probe.Egress{Status: resolvers.StatusNoData, Error: "no address in the answer"})
		}, "no address in the answer", "jawaban tidak memuat alamat"},
		{"rtt timeout", func(pr *i18n.Printer) string {
			return rttFailure(pr, &probe.RTT{Result: rtt.Result{Error: "port 443: i/o timeout", Failure: "timeout"}})
		}, "port 443: i/o timeout", "tidak ada port yang menjawab tepat waktu"},
		{"rtt read back, no code", func(pr *i18n.Printer) string { return rttFailure(pr, &probe.RTT{Result: rtt.Result{Error: "odd"}}) },
			"odd", "koneksi gagal"},
	} {
		if got := c.got(en); got != c.english {
			t.Errorf("%s, en: %q, want %q", c.name, got, c.english)
		}
		if got := c.got(id); got != c.want {
			t.Errorf("%s, id: %q, want %q", c.name, got, c.want)
		}
	}
}

// datasetOutside is a dataset of a JSON document without the texts
// hostwatch writes of it (its licence, notice and description), which
// another language words from the catalogue: what is left is outside text
// (its name, version, path and URL, a --mmdb file's own description, and
// its licence when that is the file's own words too).
func datasetOutside(d map[string]any) map[string]any {
	out := maps.Clone(d)
	own := d["kind"] == string(attribution.KindMMDB)
	if !own || d["license"] != d["description"] {
		delete(out, "license")
	}
	if !own && d["description"] != d["url"] { // a provider list is described by its URL
		delete(out, "description")
	}
	delete(out, "attribution")
	return out
}
