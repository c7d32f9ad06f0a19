package i18n

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Lang
		err  bool
	}{
		{"en", English, false}, {"id", Indonesian, false}, {"ID", Indonesian, false},
		{"id_ID.UTF-8", Indonesian, false}, {"en-GB", English, false},
		{"fr", "", true}, {"", "", true}, {"indonesian", "", true},
	} {
		got, err := Parse(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("Parse(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrUnknownLang) {
			t.Errorf("Parse(%q): %v is not ErrUnknownLang", tc.in, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want Lang
	}{
		{nil, English},
		{map[string]string{"LANG": "id_ID.UTF-8"}, Indonesian},
		{map[string]string{"LANG": "id_ID.UTF-8", "LC_ALL": "C"}, English},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "id_ID"}, Indonesian},
		{map[string]string{"LANG": "de_DE.UTF-8"}, English},
		{map[string]string{"LANG": "C.UTF-8"}, English},
	} {
		if got := FromEnv(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("FromEnv(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestPrinter(t *testing.T) {
	t.Parallel()
	en, err := New(English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := New(Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{en.Number(1234567), "1,234,567"},
		{id.Number(1234567), "1.234.567"},
		{en.Decimal(12.5), "12.5"},
		{id.Decimal(12.5), "12,5"},
		{en.Date(at), "1 December 2026"},
		{id.Date(at), "1 Desember 2026"},
		{id.DateTime(at), "1 Desember 2026, 09.15 UTC"},
		{en.DateTime(at), "1 December 2026, 09:15 UTC"},
		{en.N("audit.count", 1), "1 domain"},
		{en.N("audit.count", 1234), "1,234 domains"},
		{id.N("audit.count", 1234), "1.234 domain"},
		{id.T("no.such.message"), "[no.such.message]"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for cc, want := range map[string]string{"SG": "Singapura", "CN": "Tiongkok", "FR": "Prancis", "US": "Amerika Serikat", "NL": "Belanda", "JP": "Jepang"} {
		if got, ok := id.Country(cc); !ok || got != want {
			t.Errorf("Country(%s) = %q, %v; want %q", cc, got, ok, want)
		}
	}
	if _, ok := id.Country(""); ok {
		t.Error(`Country("") is known`)
	}
}

// TestCatalogues checks that both catalogues hold the same messages and
// that each message takes the same arguments in both languages.
func TestCatalogues(t *testing.T) {
	t.Parallel()
	en, err := load(English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := load(Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(en)) {
		other, ok := id[k]
		if !ok {
			t.Errorf("id lacks %q", k)
			continue
		}
		if a, b := verbs(en[k]), verbs(other); a != b {
			t.Errorf("%q: en takes %q, id takes %q", k, a, b)
		}
	}
	for k := range id {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
}

// verbs is the number of fmt verbs of a format; explicit indexes count
// as their highest index.
func verbs(f string) string {
	n := strings.Count(f, "%") - 2*strings.Count(f, "%%")
	for i := 9; i > 0; i-- {
		if strings.Contains(f, "%["+string(rune('0'+i))+"]") {
			return string(rune('0' + i))
		}
	}
	return string(rune('0' + n))
}

// TestDescribed: a dataset's description is worded by its ID only when the
// data carries the very text the English catalogue has; anything else (a
// user's file's own description, a text the catalogue does not know) stays
// as it came, and English is always the data's own text.
func TestDescribed(t *testing.T) {
	t.Parallel()
	en, err := Messages(English)
	if err != nil {
		t.Fatal(err)
	}
	id, err := Messages(Indonesian)
	if err != nil {
		t.Fatal(err)
	}
	const key = "map.description.world-atlas"
	for _, c := range []struct {
		lang     Lang
		id, text string
		want     string
	}{
		{Indonesian, key, en[key], id[key]},
		{English, key, en[key], en[key]},
		{Indonesian, key, "A shape file of its own.", "A shape file of its own."},
		{Indonesian, "dataset.description.GeoLite2-ASN (user.mmdb)", "MaxMind's own words", "MaxMind's own words"},
		{Indonesian, key, "", ""},
	} {
		p, err := New(c.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Described(c.id, c.text); got != c.want {
			t.Errorf("%s Described(%q, %q) = %q, want %q", c.lang, c.id, c.text, got, c.want)
		}
	}
}

// TestDescribedf: a text made with arguments, such as a notice naming the
// data's version, is worded in the language only when the English
// catalogue's format with the same arguments gives it word for word.
func TestDescribedf(t *testing.T) {
	t.Parallel()
	const key = "dataset.notice.versioned.hostwatch/asn-providers"
	english := "Evidence: AS organisation names as registered in ip-location-db/asn 2026-06-17 (CC BY 4.0)."
	args := []any{"hostwatch/asn-providers", "2026-06-17", "Apache-2.0"}
	for _, c := range []struct {
		lang Lang
		text string
		args []any
		want string
	}{
		{Indonesian, english, args, "Bukti: nama organisasi AS sebagaimana terdaftar di ip-location-db/asn 2026-06-17 (CC BY 4.0)."},
		{English, english, args, english},
		{Indonesian, english, []any{"hostwatch/asn-providers", "2026-07-01", "Apache-2.0"}, english}, // another version: not this text
		{Indonesian, "Evidence: names from somewhere else.", args, "Evidence: names from somewhere else."},
		{Indonesian, "", args, ""},
	} {
		p, err := New(c.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Describedf(key, c.text, c.args...); got != c.want {
			t.Errorf("%s Describedf(%q, %v) = %q, want %q", c.lang, c.text, c.args, got, c.want)
		}
	}
}

// TestPlainMessages checks that a message without a verb, worded once when
// the Printer is built, reads as x/text words it on every call, and that a
// message with a verb is still worded with its arguments.
func TestPlainMessages(t *testing.T) {
	t.Parallel()
	for _, l := range Langs() {
		p, err := New(l)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := Messages(l)
		if err != nil {
			t.Fatal(err)
		}
		plain := 0
		for id, text := range msgs {
			if strings.Contains(text, "%") {
				if _, ok := p.plain[id]; ok {
					t.Errorf("%s: %q has a verb but was worded once", l, id)
				}
				continue
			}
			plain++
			if got, want := p.T(id), p.p.Sprintf(id); got != want {
				t.Errorf("%s: T(%q) = %q, want %q", l, id, got, want)
			}
		}
		if plain == 0 {
			t.Errorf("%s: no message without a verb", l)
		}
	}
	p, err := New(English)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.N("text.changes", 3); !strings.Contains(got, "3") {
		t.Errorf("N(text.changes, 3) = %q, want the number in it", got)
	}
}

// TestStringPieces checks that T's fast path for messages whose only verbs
// are %s words every such message of every language as x/text does, for
// arguments that could trip a formatter (verbs, substitutions, escapes,
// invalid UTF-8), and that it takes the messages the text report words
// for every change.
func TestStringPieces(t *testing.T) {
	t.Parallel()
	args := []string{"", "a", "%d", "%s%!", "${name}", `\n`, "\xff\x1b[31m", "Alibaba Cloud", "Tiongkok · 中国", "\u202e"}
	for _, l := range Langs() {
		p, err := New(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"text.side.after", "text.side.before", "text.via"} {
			if _, ok := p.strs[id]; !ok {
				t.Errorf("%s: %s does not take the fast path", l, id)
			}
		}
		for _, id := range slices.Sorted(maps.Keys(p.strs)) {
			if pieces, ok := p.Pieces(id); !ok || !slices.Equal(pieces, p.strs[id]) {
				t.Errorf("%s: Pieces(%q) = %q, %v; want %q", l, id, pieces, ok, p.strs[id])
			}
			n := len(p.strs[id]) - 1
			for shift := range args {
				a := make([]any, n)
				for i := range a {
					a[i] = args[(shift+i)%len(args)]
				}
				if got, want := p.T(id, a...), p.p.Sprintf(id, a...); got != want {
					t.Errorf("%s: T(%q, %q) = %q, x/text gives %q", l, id, a, got, want)
				}
			}
			// Other arguments than strings, too few or too many, are for x/text.
			for _, a := range [][]any{make([]any, n+1), append(make([]any, 0, n), []any{1, "x", 2.5}[:min(n, 3)]...)} {
				if got, want := p.T(id, a...), p.p.Sprintf(id, a...); got != want {
					t.Errorf("%s: T(%q, %v) = %q, x/text gives %q", l, id, a, got, want)
				}
			}
		}
	}
}

func TestStringPiecesFormats(t *testing.T) {
	t.Parallel()
	var none *Printer
	if _, ok := none.Pieces("text.side.after"); ok {
		t.Error("a nil Printer has pieces")
	}
	if en, _ := New(English); en != nil {
		if _, ok := en.Pieces("no.such.message"); ok {
			t.Error("a message missing from the catalogue has pieces")
		}
	}
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"  after:  %s  (first seen %s)%s", []string{"  after:  ", "  (first seen ", ")", ""}},
		{"%s", []string{"", ""}},
		{"%d of %s", nil},
		{"%[1]s", nil},
		{"100%% %s", nil},
		{"%s ${x}", nil},
		{`%s \n`, nil},
		{"%5s", nil},
		{"%", nil},
	} {
		got, ok := stringPieces(tc.format)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("stringPieces(%q) = %q, %v; want %q", tc.format, got, ok, tc.want)
		}
	}
}
