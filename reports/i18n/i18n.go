// Package i18n holds the words of hostwatch's reports: a message catalogue
// per language (embedded, en and id), the language a user asked for, and
// numbers and dates written the way that language writes them.
//
// Renderers never hold a sentence of their own: they ask a Printer for a
// message by its ID, with arguments, and the catalogue of the language
// words it (x/text/message, so %d groups digits as the language does:
// 1,234 in English, 1.234 in Indonesian).
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Lang is a language the reports are written in.
type Lang string

// The languages there is a catalogue for.
const (
	English    Lang = "en"
	Indonesian Lang = "id"
)

// Langs lists the languages --lang takes, in the order help shows them.
func Langs() []Lang { return []Lang{English, Indonesian} }

// ErrUnknownLang is returned by Parse for a language with no catalogue.
var ErrUnknownLang = errors.New("unknown language")

// Parse reads a --lang value: "en" or "id", or a locale name such as
// "id_ID.UTF-8" or "en-GB".
func Parse(s string) (Lang, error) {
	switch base(s) {
	case "en":
		return English, nil
	case "id":
		return Indonesian, nil
	}
	return "", fmt.Errorf("%w %q (want en or id)", ErrUnknownLang, s)
}

// FromEnv is the language the environment asks for: LC_ALL, else LANG, as
// POSIX orders them (LC_MESSAGES is not read: the reports are documents,
// not messages). Indonesian for a locale of Indonesian (id_ID.UTF-8),
// English for anything else, unset, C or POSIX included.
func FromEnv(getenv func(string) string) Lang {
	for _, name := range []string{"LC_ALL", "LANG"} {
		if v := getenv(name); v != "" {
			if base(v) == "id" {
				return Indonesian
			}
			return English
		}
	}
	return English
}

// base is the language part of a locale name: "id" of "id_ID.UTF-8@euro".
func base(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "_-.@"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Tag is the BCP 47 tag of the language, for <html lang>.
func (l Lang) Tag() language.Tag {
	if l == Indonesian {
		return language.Indonesian
	}
	return language.English
}

//go:embed catalog/*.json
var catalogFiles embed.FS

// Printer words messages, numbers, dates and country names in one language.
type Printer struct {
	lang    Lang
	p       *message.Printer
	known   map[string]bool
	english map[string]string // the English catalogue and the language's own, for Described
	own     map[string]string
	regions display.Namer
	// plain are the messages without a verb, worded once: a first check
	// of 100,000 names words two or three per change, and x/text's
	// Sprintf took about 1 µs each (0.13 s of the check's 8.6 s of CPU).
	plain map[string]string
	// strs are the messages whose only verbs are plain %s, cut into the
	// text around them: worded with as many string arguments by joining
	// the pieces, as x/text would word them, at a fraction of its cost
	// (the two sides of each change of a check are such messages).
	strs map[string][]string
}

// New is the Printer for l (English for a Lang it does not know). It reads
// the embedded catalogues, so a broken catalogue is an error, not a panic.
func New(l Lang) (*Printer, error) {
	if l != Indonesian {
		l = English
	}
	return printers[l]()
}

// printers builds each language's Printer once: a Printer is made from the
// binary's own catalogues, never changes, and is safe for concurrent use.
// Building one takes milliseconds (parsing and compiling every message),
// and the history of 100,000 domains asked for two per domain: its JSON
// took minutes.
var printers = map[Lang]func() (*Printer, error){
	English:    sync.OnceValues(func() (*Printer, error) { return build(English) }),
	Indonesian: sync.OnceValues(func() (*Printer, error) { return build(Indonesian) }),
}

// build makes the Printer for l.
func build(l Lang) (*Printer, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	known := map[string]bool{}
	var english, own map[string]string
	for _, lang := range Langs() {
		msgs, err := load(lang)
		if err != nil {
			return nil, err
		}
		if lang == English {
			english = msgs
		}
		if lang == l {
			own = msgs
		}
		for id, text := range msgs {
			if err := b.SetString(lang.Tag(), id, text); err != nil {
				return nil, fmt.Errorf("catalogue %s: message %q: %w", lang, id, err)
			}
			if lang == l {
				known[id] = true
			}
		}
	}
	p := &Printer{lang: l, p: message.NewPrinter(l.Tag(), message.Catalog(b)), known: known,
		english: english, own: own, regions: display.Regions(l.Tag()), plain: map[string]string{}, strs: map[string][]string{}}
	for id := range known {
		if !strings.Contains(own[id], "%") {
			p.plain[id] = p.p.Sprintf(id)
		} else if pieces, ok := stringPieces(own[id]); ok {
			p.strs[id] = pieces
		}
	}
	return p, nil
}

// Messages is the catalogue of l: message IDs to their text (fmt formats),
// for tests that read every message.
func Messages(l Lang) (map[string]string, error) { return load(l) }

// load reads one language's catalogue: message IDs to fmt formats.
func load(l Lang) (map[string]string, error) {
	b, err := catalogFiles.ReadFile("catalog/" + string(l) + ".json")
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", l, err)
	}
	var msgs map[string]string
	if err := json.Unmarshal(b, &msgs); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", l, err)
	}
	return msgs, nil
}

// Lang is the language p writes.
func (p *Printer) Lang() Lang { return p.lang }

// T words the message id with args. A message missing from the catalogue
// shows as its ID in brackets, so a test (and a reader) sees it; so does
// every message of a nil Printer.
func (p *Printer) T(id string, args ...any) string {
	if p == nil || !p.known[id] {
		return "[" + id + "]"
	}
	if len(args) == 0 {
		if s, ok := p.plain[id]; ok {
			return s
		}
	}
	if pieces, ok := p.strs[id]; ok && len(args) == len(pieces)-1 {
		if args, ok := allStrings(args); ok {
			return joinPieces(pieces, args)
		}
	}
	return p.p.Sprintf(id, args...)
}

// Pieces is the text of the message id around its verbs, one piece more
// than verbs, when its only verbs are %s: the message worded with string
// arguments is the pieces with an argument between each two, which a
// renderer can append where they go without making strings of them. The
// pieces are the Printer's own: not to be changed. ok is false for any
// other message (T words it).
func (p *Printer) Pieces(id string) (pieces []string, ok bool) {
	if p == nil || !p.known[id] {
		return nil, false
	}
	pieces, ok = p.strs[id]
	return pieces, ok
}

// stringPieces cuts a format whose only verbs are plain %s into the text
// around them (one piece more than verbs). ok is false for a format with
// any other verb, a %% or an explicit index, and for one that x/text might
// read otherwise than fmt (a "$" could start a ${name} substitution, a
// backslash an escape): T words those with x/text.
func stringPieces(format string) (pieces []string, ok bool) {
	if strings.ContainsAny(format, "$\\") {
		return nil, false
	}
	pieces = strings.Split(format, "%s")
	for _, piece := range pieces {
		if strings.Contains(piece, "%") {
			return nil, false
		}
	}
	return pieces, true
}

// allStrings is args as strings, when every one is a string.
func allStrings(args []any) ([]string, bool) {
	out := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// joinPieces is the pieces of a format joined by args, one between each
// two (len(pieces) is len(args)+1).
func joinPieces(pieces, args []string) string {
	n := len(pieces[len(args)])
	for i, a := range args {
		n += len(pieces[i]) + len(a)
	}
	var b strings.Builder
	b.Grow(n)
	for i, a := range args {
		b.WriteString(pieces[i])
		b.WriteString(a)
	}
	b.WriteString(pieces[len(args)])
	return b.String()
}

// Described words a text the data carries in English, such as a dataset's
// description, keyed by message id: the language's text of id when the
// English catalogue's text of id is english word for word, else english as
// it came. So a text hostwatch did not write (a user's MMDB file's own
// description) or wrote otherwise than the catalogue knows stays as it is,
// and English always shows the data's own text. The catalogue's text is
// used as it is, not as a format.
func (p *Printer) Described(id, english string) string {
	if p == nil || p.lang == English || english == "" || p.english[id] != english {
		return english
	}
	if t, ok := p.own[id]; ok {
		return t
	}
	return english
}

// Describedf is Described for a text made from a format and arguments,
// such as a licence notice that names the data's version: the language's
// text of id with args when the English catalogue's text of id, with the
// same args, is english word for word; else english as it came. Every
// format of such an id takes the same arguments, by explicit index where
// it uses only some of them.
func (p *Printer) Describedf(id, english string, args ...any) string {
	if p == nil || p.lang == English || english == "" {
		return english
	}
	format, ok := p.english[id]
	if !ok || fmt.Sprintf(format, args...) != english {
		return english
	}
	if _, ok := p.own[id]; !ok {
		return english
	}
	return p.p.Sprintf(id, args...)
}

// Number writes n with the language's digit grouping: 1,234 or 1.234.
func (p *Printer) Number(n int) string { return p.p.Sprintf("%d", n) }

// Decimal writes f with one decimal: 12.5 or 12,5.
func (p *Printer) Decimal(f float64) string { return p.p.Sprintf("%.1f", f) }

// Date writes the day of t (in UTC) as a sentence says it: "1 December
// 2026", "1 Desember 2026".
func (p *Printer) Date(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d %s %d", t.Day(), p.month(t.Month()), t.Year())
}

// DateTime writes t (in UTC) as a sentence says it: "1 December 2026,
// 09:15 UTC", "1 Desember 2026, 09.15 UTC" (Indonesian writes the time
// with a dot).
func (p *Printer) DateTime(t time.Time) string {
	t = t.UTC()
	sep := ":"
	if p.lang == Indonesian {
		sep = "."
	}
	return fmt.Sprintf("%s, %02d%s%02d UTC", p.Date(t), t.Hour(), sep, t.Minute())
}

func (p *Printer) month(m time.Month) string {
	if p.lang == Indonesian {
		return [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
			"Agustus", "September", "Oktober", "November", "Desember"}[m-1]
	}
	return m.String()
}

// Country is the name of the country with ISO 3166-1 code cc in the
// language, from CLDR ("Tiongkok", "Prancis"), and false when CLDR has none.
func (p *Printer) Country(cc string) (string, bool) {
	r, err := language.ParseRegion(cc)
	if err != nil || cc == "" {
		return "", false
	}
	name := p.regions.Name(r)
	return name, name != ""
}

// N words the message id for a count n: the catalogue holds id.one and
// id.other (English says "1 domain", "2 domains"; Indonesian has no plural
// and gives both the same words), and n is the first argument.
func (p *Printer) N(id string, n int, args ...any) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	return p.T(id+form, append([]any{n}, args...)...)
}
