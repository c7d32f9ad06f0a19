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
	r := htmlReport(t)
	r.Warnings = probe.DataWarnings(testWarnings())
	data := func(b *bytes.Buffer) error { return WriteJSON(b, r) }
	add("audit.table", func(b *bytes.Buffer) error { return WriteTableIn(b, r, 80, lang) }, data)
	add("audit.md", func(b *bytes.Buffer) error { return WriteMarkdownIn(b, r, lang) }, data)
	add("audit.html", func(b *bytes.Buffer) error { return WriteHTMLIn(b, r, lang) }, data)
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
	var mapText []string // the map's sources, described as datasets are
	for _, s := range sources {
		mapText = append(mapText, s.Attribution, s.License) // descriptions are in the catalogue
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
// descriptions included, when the catalogue words them).
func outsideStrings(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	en, err := i18n.Messages(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{} // the datasets' descriptions the catalogue words
	for id, text := range en {
		if strings.HasPrefix(id, "dataset.description.") {
			known[text] = true
		}
	}
	seen := map[string]bool{}
	// in is the key of the object or list holding v: a dataset's
	// description (in "datasets") is hostwatch's text, an AS's is not.
	var walk func(in, key string, v any)
	// A failed reverse lookup's words (ptr_error) are hostwatch's English,
	// which another language words from the lookup's status instead.
	walk = func(in, key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(key, k, x)
			}
		case []any:
			for _, x := range v {
				walk(in, key, x)
			}
		case string:
			switch key {
			case "warnings", "message", "move_rule", "summary", "rule", "ptr_error":
				return
			case "description":
				if in == "datasets" && known[v] {
					return
				}
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
// asked, or as it came when a report read back has the words alone.
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
		{id, &probe.Extra{PTRError: words}, words},
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

// TestPTRFailureHTML: the page words a failed reverse lookup the same way.
func TestPTRFailureHTML(t *testing.T) {
	t.Parallel()
	r := htmlReport(t)
	r.Observations[0].Addresses[0].Extra = &probe.Extra{PTRAsked: true, PTRError: "PTR from 127.0.0.1:5300: timeout: no reply within 3s",
		PTRStatus: resolvers.StatusTimeout, PTRResolver: "127.0.0.1:5300"}
	for lang, want := range map[i18n.Lang]string{
		i18n.Indonesian: "PTR: pencarian gagal (resolver tidak menjawab tepat waktu; server 127.0.0.1:5300)",
		i18n.English:    "PTR: lookup failed (PTR from 127.0.0.1:5300: timeout: no reply within 3s)",
	} {
		var b bytes.Buffer
		if err := WriteHTMLIn(&b, r, lang); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s: no %q in the page", lang, want)
		}
	}
}
