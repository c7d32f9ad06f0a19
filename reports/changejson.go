package reports

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hostwatch/hostwatch/probe"
)

// A first check of 100,000 names reports 100,000 `new` changes, 155 MB of
// JSON. encoding/json spent most of the report's time on them (reflection,
// then a second pass to indent), so they are written here by hand, as the
// bytes encoding/json's Encoder gives with SetIndent(prefix, "  ") and
// SetEscapeHTML(false); TestChangeJSONMatchesEncoder holds the two equal,
// every field filled in.

// appendChangeJSON appends newChangeJSON(*c) as an indented JSON object
// whose lines after the first start with depth spaces. It reads the change
// itself, not its ChangeJSON, and indents from one string of spaces: the
// 100,000 ChangeJSON values and their address strings, and the indents
// joined per object, were a third of its time.
func appendChangeJSON(b []byte, c *probe.Change, depth int) []byte {
	in := indent(depth + 2)
	b = append(b, '{')
	b = appendKey(b, in, "domain", true)
	b = appendString(b, c.Domain)
	b = appendKey(b, in, "vantage", false)
	b = appendString(b, c.Vantage)
	b = appendKey(b, in, "kind", false)
	b = appendString(b, string(c.Kind()))
	b = appendKey(b, in, "kinds", false)
	b = appendIndentedList(b, in, c.Kinds, func(b []byte, k probe.ChangeKind) []byte { return appendString(b, string(k)) })
	b = appendKey(b, in, "counts_as_move", false)
	b = strconv.AppendBool(b, c.IsMove())
	b = appendKey(b, in, "move", false)
	b = strconv.AppendBool(b, c.IsMove())
	b = appendKey(b, in, "pending", false)
	b = strconv.AppendBool(b, c.Pending())
	b = appendKey(b, in, "seen", false)
	b = strconv.AppendInt(b, int64(c.Seen), 10)
	b = appendKey(b, in, "confirm", false)
	b = strconv.AppendInt(b, int64(c.Confirm), 10)
	b = appendKey(b, in, "before", false)
	b = appendHostingJSON(b, &c.Before, depth+2)
	b = appendKey(b, in, "after", false)
	b = appendHostingJSON(b, &c.After, depth+2)
	b = appendKey(b, in, "before_view", false)
	b = appendViewJSON(b, &c.BeforeView, depth+2)
	b = appendKey(b, in, "after_view", false)
	b = appendViewJSON(b, &c.AfterView, depth+2)
	b = appendKey(b, in, "before_at", false)
	b = appendTimestamp(b, c.BeforeAt)
	b = appendKey(b, in, "after_at", false)
	b = appendTimestamp(b, c.AfterAt)
	b = appendKey(b, in, "confirmed_at", false)
	b = appendTimestamp(b, c.ConfirmedAt)
	return appendClose(b, indent(depth), '}')
}

// appendHostingJSON appends newHostingJSON(*h) (see appendChangeJSON).
func appendHostingJSON(b []byte, h *probe.Hosting, depth int) []byte {
	in := indent(depth + 2)
	b = append(b, '{')
	b = appendKey(b, in, "status", true)
	b = appendString(b, string(h.Status))
	b = appendKey(b, in, "cname", false)
	b = appendIndentedList(b, in, h.CNAME, appendString)
	b = appendKey(b, in, "addresses", false)
	b = appendIndentedList(b, in, h.Addresses, appendAddr)
	b = appendKey(b, in, "asns", false)
	b = appendIndentedList(b, in, h.ASNs, func(b []byte, a uint32) []byte { return strconv.AppendUint(b, uint64(a), 10) })
	b = appendKey(b, in, "prefixes", false)
	b = appendIndentedList(b, in, h.Prefixes, func(b []byte, p netip.Prefix) []byte {
		if !p.IsValid() {
			return appendString(b, p.String())
		}
		// A prefix's text is digits, dots, colons, hex and '/': nothing
		// JSON escapes.
		b = append(b, '"')
		b = p.AppendTo(b)
		return append(b, '"')
	})
	b = appendKey(b, in, "as_orgs", false)
	b = appendIndentedList(b, in, h.Orgs, appendString)
	b = appendKey(b, in, "countries", false)
	b = appendIndentedList(b, in, h.Countries, appendString)
	b = appendKey(b, in, "providers", false)
	b = appendIndentedList(b, in, h.Providers, appendString)
	b = appendKey(b, in, "places", false)
	item := indent(depth + 6)
	b = appendIndentedList(b, in, h.Places, func(b []byte, p probe.Place) []byte {
		b = append(b, '{')
		b = appendKey(b, item, "provider", true)
		b = appendString(b, p.Provider)
		b = appendKey(b, item, "country", false)
		b = appendString(b, p.Country)
		return appendClose(b, indent(depth+4), '}')
	})
	return appendClose(b, indent(depth), '}')
}

// appendAddr appends ip.String() as a JSON string.
func appendAddr(b []byte, ip netip.Addr) []byte {
	if !ip.IsValid() || ip.Zone() != "" {
		// A zone comes from outside: quoted as any string is.
		return appendString(b, ip.String())
	}
	b = append(b, '"')
	b = ip.AppendTo(b)
	return append(b, '"')
}

// appendViewJSON appends newViewJSON(*v) (see appendChangeJSON).
func appendViewJSON(b []byte, v *probe.View, depth int) []byte {
	in := indent(depth + 2)
	b = append(b, '{')
	b = appendKey(b, in, "resolvers", true)
	b = appendIndentedList(b, in, v.Resolvers, appendString)
	b = appendKey(b, in, "subnets", false)
	b = appendIndentedList(b, in, v.Subnets, appendString)
	return appendClose(b, indent(depth), '}')
}

// appendIndentedList writes a list whose lines start with prefix, each item by
// item; an empty or nil list is [] (newChangeJSON gives no nil lists).
func appendIndentedList[E any](b []byte, prefix string, l []E, item func([]byte, E) []byte) []byte {
	if len(l) == 0 {
		return append(b, '[', ']')
	}
	in := indent(len(prefix) + 2)
	b = append(b, '[')
	for i, x := range l {
		b = appendItem(b, in, i)
		b = item(b, x)
	}
	return appendClose(b, prefix, ']')
}

// spaces are the indents of a change, as slices of one string.
const spaces = "                                                                "

// indent is n spaces.
func indent(n int) string {
	if n <= len(spaces) {
		return spaces[:n]
	}
	return strings.Repeat(" ", n)
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
