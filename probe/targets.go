package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits from RFC 1035 (section 2.3.4), applied to the ASCII form of a name.
const (
	maxLabelLen = 63
	maxNameLen  = 253
	// maxLineLen bounds one line of a target list; longer lines are an input error.
	maxLineLen = 64 * 1024
)

// ErrInvalidName is wrapped by every error about a name that is not a domain.
var ErrInvalidName = errors.New("invalid domain name")

// NameError says why one input is not a domain name, and where it came from.
type NameError struct {
	Input  string
	Reason string
	// Source and Line locate the input in a file; Line is 0 for command-line arguments.
	Source string
	Line   int
}

func (e *NameError) Error() string {
	loc := ""
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d: ", e.Source, e.Line)
	}
	return fmt.Sprintf("%s%s %q: %s", loc, ErrInvalidName, e.Input, e.Reason)
}

func (e *NameError) Unwrap() error { return ErrInvalidName }

// idnaProfile maps Unicode names for lookup (UTS #46, non-transitional) but leaves
// the ASCII rules to checkASCII, so that service labels such as "_dmarc" pass.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.VerifyDNSLength(false),
)

// ParseTarget turns one name as a user gave it into a Target. An invalid name
// gives a Target whose Err is a *NameError; nothing is looked up.
func ParseTarget(input, source string, line int) Target {
	t := Target{Input: strings.TrimSpace(input), Source: source, Line: line}
	ascii, uni, reason := normalizeName(t.Input)
	if reason != "" {
		t.Err = &NameError{Input: t.Input, Reason: reason, Source: source, Line: line}
		t.Domain = t.Input
		t.Unicode = t.Input
		return t
	}
	t.Domain, t.Unicode = ascii, uni
	return t
}

// normalizeName returns the ASCII and Unicode forms of name, or why it is not a domain.
func normalizeName(name string) (ascii, uni, reason string) {
	if name == "" {
		return "", "", "empty name"
	}
	if _, err := netip.ParseAddr(strings.Trim(strings.TrimSuffix(name, "."), "[]")); err == nil {
		return "", "", `is an IP address, not a domain name (use "hostwatch lookup" for addresses)`
	}
	if strings.Contains(name, "://") {
		return "", "", "looks like a URL; give the host name only"
	}
	trimmed := strings.TrimSuffix(name, ".")
	if trimmed == "" {
		return "", "", "the root is not a domain name"
	}
	if !utf8.ValidString(trimmed) {
		return "", "", "not valid UTF-8"
	}
	for _, r := range trimmed {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return "", "", "contains a space or control character"
		}
	}
	if isASCII(trimmed) {
		// Check the plain DNS rules first: their messages are clearer than IDNA's.
		lower := strings.ToLower(trimmed)
		if reason := checkASCII(lower); reason != "" {
			return "", "", reason
		}
		if plainLDH(lower) {
			// What IDNA would return, at a fraction of its cost: a bulk
			// run spent a twentieth of its CPU time here.
			return lower, lower, ""
		}
	}
	return normalizeIDNA(trimmed)
}

// plainLDH reports whether name, lower case and passing checkASCII, is made
// of letters, digits and hyphens only, with no label holding hyphens in its
// third and fourth places (as the "xn--" of an A-label does): IDNA maps
// such a name to itself, both ways.
func plainLDH(name string) bool {
	label := 0 // position in the current label
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '.':
			label = 0
			continue
		case c == '_':
			return false
		case c == '-' && label == 3 && name[i-1] == '-':
			return false
		}
		label++
	}
	return true
}

// normalizeIDNA is normalizeName's work for a name that is not plainLDH.
func normalizeIDNA(trimmed string) (ascii, uni, reason string) {
	a, err := idnaProfile.ToASCII(trimmed)
	if err != nil {
		return "", "", "not a valid internationalised name: " + idnaReason(err)
	}
	a = strings.ToLower(a)
	if reason := checkASCII(a); reason != "" {
		return "", "", reason
	}
	u, err := idnaProfile.ToUnicode(a)
	if err != nil {
		return "", "", "not a valid internationalised name: " + idnaReason(err)
	}
	return a, u, ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// idnaReason strips the package prefix from an idna error.
func idnaReason(err error) string {
	return strings.TrimPrefix(err.Error(), "idna: ")
}

// checkASCII applies the DNS length rules and the host-name character rules
// (letters, digits, hyphen, and underscore for service labels).
func checkASCII(name string) string {
	if len(name) > maxNameLen {
		return fmt.Sprintf("name is %d bytes long; the limit is %d", len(name), maxNameLen)
	}
	for label := range strings.SplitSeq(name, ".") {
		switch {
		case label == "":
			return "empty label (two dots in a row, or a leading dot)"
		case len(label) > maxLabelLen:
			return fmt.Sprintf("label %q is %d bytes long; the limit is %d", shorten(label, 20), len(label), maxLabelLen)
		case label[0] == '-' || label[len(label)-1] == '-':
			return fmt.Sprintf("label %q starts or ends with a hyphen", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Sprintf("illegal character %q in label %q", c, shorten(label, 20))
			}
		}
	}
	return ""
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ReadTargets reads a whole target list: ScanTargets, collected.
func ReadTargets(r io.Reader, source string) ([]Target, error) {
	var targets []Target
	for t, err := range ScanTargets(r, source) {
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// ScanTargets reads a target list as it comes: one name per line; blank
// lines and text after "#" are ignored. source names the input in errors
// ("-" for stdin). Invalid names come as Targets with Err set; a reading
// failure (or a line longer than 64 KiB) comes as the last pair's error.
// Each name is yielded as soon as its line is read, so that a list of any
// length, or one that never ends, is worked on as it is read.
func ScanTargets(r io.Reader, source string) iter.Seq2[Target, error] {
	return func(yield func(Target, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), maxLineLen)
		line := 0
		for sc.Scan() {
			line++
			text := sc.Text()
			if i := strings.IndexByte(text, '#'); i >= 0 {
				text = text[:i]
			}
			text = strings.TrimSpace(strings.TrimPrefix(text, "\ufeff"))
			if text == "" {
				continue
			}
			if !yield(ParseTarget(text, source, line), nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("%s:%d: line longer than %d bytes", source, line+1, maxLineLen)
			} else {
				err = fmt.Errorf("read %s: %w", source, err)
			}
			yield(Target{}, err)
		}
	}
}

// Dedupe returns the targets that are First of their canonical name, in their
// order, and how many later duplicates it dropped. It reuses the array of
// targets, as slices.DeleteFunc does.
func Dedupe(targets []Target) (kept []Target, dropped int) {
	var seen Seen
	kept = targets[:0]
	for _, t := range targets {
		if seen.First(t) {
			kept = append(kept, t)
		}
	}
	clear(targets[len(kept):])
	return kept, len(targets) - len(kept)
}
