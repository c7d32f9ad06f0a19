package reports

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A first check of 100,000 names reports 100,000 `new` changes, 155 MB of
// JSON. encoding/json spent most of the report's time on them (reflection,
// then a second pass to indent), so they are written here by hand, as the
// bytes encoding/json's Encoder gives with SetIndent(prefix, "  ") and
// SetEscapeHTML(false); TestChangeJSONMatchesEncoder holds the two equal,
// every field filled in.

// appendChangeJSON appends c as an indented JSON object whose lines after
// the first start with prefix.
func appendChangeJSON(b []byte, c ChangeJSON, prefix string) []byte {
	in := prefix + "  "
	b = append(b, '{')
	b = appendKey(b, in, "domain", true)
	b = appendString(b, c.Domain)
	b = appendKey(b, in, "vantage", false)
	b = appendString(b, c.Vantage)
	b = appendKey(b, in, "kind", false)
	b = appendString(b, c.Kind)
	b = appendKey(b, in, "kinds", false)
	b = appendStrings(b, in, c.Kinds)
	b = appendKey(b, in, "counts_as_move", false)
	b = strconv.AppendBool(b, c.CountsAsMove)
	b = appendKey(b, in, "move", false)
	b = strconv.AppendBool(b, c.Move)
	b = appendKey(b, in, "pending", false)
	b = strconv.AppendBool(b, c.Pending)
	b = appendKey(b, in, "seen", false)
	b = strconv.AppendInt(b, int64(c.Seen), 10)
	b = appendKey(b, in, "confirm", false)
	b = strconv.AppendInt(b, int64(c.Confirm), 10)
	b = appendKey(b, in, "before", false)
	b = appendHostingJSON(b, c.Before, in)
	b = appendKey(b, in, "after", false)
	b = appendHostingJSON(b, c.After, in)
	b = appendKey(b, in, "before_view", false)
	b = appendViewJSON(b, c.BeforeView, in)
	b = appendKey(b, in, "after_view", false)
	b = appendViewJSON(b, c.AfterView, in)
	b = appendKey(b, in, "before_at", false)
	b = appendString(b, c.BeforeAt)
	b = appendKey(b, in, "after_at", false)
	b = appendString(b, c.AfterAt)
	b = appendKey(b, in, "confirmed_at", false)
	b = appendString(b, c.ConfirmedAt)
	return appendClose(b, prefix, '}')
}

func appendHostingJSON(b []byte, h HostingJSON, prefix string) []byte {
	in := prefix + "  "
	b = append(b, '{')
	b = appendKey(b, in, "status", true)
	b = appendString(b, h.Status)
	b = appendKey(b, in, "cname", false)
	b = appendStrings(b, in, h.CNAME)
	b = appendKey(b, in, "addresses", false)
	b = appendStrings(b, in, h.Addresses)
	b = appendKey(b, in, "asns", false)
	if len(h.ASNs) == 0 {
		b = appendEmpty(b, h.ASNs == nil, '[', ']')
	} else {
		b = append(b, '[')
		for i, a := range h.ASNs {
			b = appendItem(b, in+"  ", i)
			b = strconv.AppendUint(b, uint64(a), 10)
		}
		b = appendClose(b, in, ']')
	}
	b = appendKey(b, in, "prefixes", false)
	b = appendStrings(b, in, h.Prefixes)
	b = appendKey(b, in, "as_orgs", false)
	b = appendStrings(b, in, h.ASOrgs)
	b = appendKey(b, in, "countries", false)
	b = appendStrings(b, in, h.Countries)
	b = appendKey(b, in, "providers", false)
	b = appendStrings(b, in, h.Providers)
	b = appendKey(b, in, "places", false)
	if len(h.Places) == 0 {
		b = appendEmpty(b, h.Places == nil, '[', ']')
	} else {
		b = append(b, '[')
		for i, p := range h.Places {
			b = appendItem(b, in+"  ", i)
			b = append(b, '{')
			b = appendKey(b, in+"    ", "provider", true)
			b = appendString(b, p.Provider)
			b = appendKey(b, in+"    ", "country", false)
			b = appendString(b, p.Country)
			b = appendClose(b, in+"  ", '}')
		}
		b = appendClose(b, in, ']')
	}
	return appendClose(b, prefix, '}')
}

func appendViewJSON(b []byte, v ViewJSON, prefix string) []byte {
	in := prefix + "  "
	b = append(b, '{')
	b = appendKey(b, in, "resolvers", true)
	b = appendStrings(b, in, v.Resolvers)
	b = appendKey(b, in, "subnets", false)
	b = appendStrings(b, in, v.Subnets)
	return appendClose(b, prefix, '}')
}

// appendKey starts an object's member on its own line.
func appendKey(b []byte, indent, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '\n')
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, key...)
	return append(b, `": `...)
}

// appendItem starts a list's item i on its own line.
func appendItem(b []byte, indent string, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, '\n')
	return append(b, indent...)
}

// appendClose ends a non-empty object or list on a line of its own.
func appendClose(b []byte, indent string, c byte) []byte {
	b = append(b, '\n')
	b = append(b, indent...)
	return append(b, c)
}

// appendEmpty writes an empty list, or null for a nil one (as encoding/json does).
func appendEmpty(b []byte, isNil bool, open, close byte) []byte {
	if isNil {
		return append(b, "null"...)
	}
	return append(b, open, close)
}

// appendStrings writes a list of strings whose lines start with prefix.
func appendStrings(b []byte, prefix string, l []string) []byte {
	if len(l) == 0 {
		return appendEmpty(b, l == nil, '[', ']')
	}
	b = append(b, '[')
	for i, s := range l {
		b = appendItem(b, prefix+"  ", i)
		b = appendString(b, s)
	}
	return appendClose(b, prefix, ']')
}

// appendString writes s as a JSON string. Printable ASCII other than the
// quote and the backslash is written as it is; anything else (rare: a
// Unicode AS name, a hostile CNAME) is left to encoding/json, so that its
// escaping (control characters, invalid UTF-8, U+2028) is exactly the same.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return appendStringSlow(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStringSlow(b []byte, s string) []byte {
	var w sliceWriter
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err) // a string always encodes
	}
	return append(b, w[:len(w)-1]...) // without Encode's newline
}

type sliceWriter []byte

func (w *sliceWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}
