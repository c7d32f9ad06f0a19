package rdap

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"go4.org/netipx"
)

// ipNetwork is the part of an RFC 9083 "ip network" object that hostwatch
// reads, with the cidr0 extension's prefixes.
type ipNetwork struct {
	ObjectClassName string   `json:"objectClassName"`
	Handle          string   `json:"handle"`
	StartAddress    string   `json:"startAddress"`
	EndAddress      string   `json:"endAddress"`
	IPVersion       string   `json:"ipVersion"`
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	Country         string   `json:"country"`
	ParentHandle    string   `json:"parentHandle"`
	Events          []event  `json:"events"`
	Entities        []entity `json:"entities"`
	CIDR0           []cidr0  `json:"cidr0_cidrs"`
	Links           []link   `json:"links"`
	Remarks         []remark `json:"remarks"`
}

// link is an RFC 9083 section 4.2 link.
type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type"`
}

// remark is an RFC 9083 section 4.3 remark.
type remark struct {
	Title       string   `json:"title"`
	Description []string `json:"description"`
}

// event is an RFC 9083 section 4.5 event.
type event struct {
	Action string `json:"eventAction"`
	Date   string `json:"eventDate"`
}

// entity is an RFC 9083 section 5.1 entity, which may hold further entities.
type entity struct {
	Handle   string          `json:"handle"`
	Roles    []string        `json:"roles"`
	VCard    json.RawMessage `json:"vcardArray"`
	Entities []entity        `json:"entities"`
}

// cidr0 is one prefix of the cidr0 extension (cidr0_cidrs), used by most RIRs.
type cidr0 struct {
	V4Prefix string `json:"v4prefix"`
	V6Prefix string `json:"v6prefix"`
	Length   *int   `json:"length"`
}

// errorObject is an RFC 9083 section 6 error response.
type errorObject struct {
	ErrorCode   int      `json:"errorCode"`
	Title       string   `json:"title"`
	Description []string `json:"description"`
}

// maxEntities bounds the entities visited in one response, so a hostile
// response cannot make the search for contacts expensive.
const maxEntities = 1000

// parseNetwork reads an RDAP ip network object into the registry facts of a
// Network. It fails on malformed JSON, on an object of another class, and on
// an object with neither a handle nor a start and end address.
func parseNetwork(data []byte) (Network, error) {
	var obj ipNetwork
	if err := json.Unmarshal(data, &obj); err != nil {
		return Network{}, fmt.Errorf("malformed RDAP JSON: %w", err)
	}
	if obj.ObjectClassName != "" && obj.ObjectClassName != "ip network" {
		return Network{}, fmt.Errorf("RDAP object is an %q, not an \"ip network\"", obj.ObjectClassName)
	}
	var n Network
	n.Handle = strings.TrimSpace(obj.Handle)
	n.Name = strings.TrimSpace(obj.Name)
	n.Type = strings.TrimSpace(obj.Type)
	n.Country = strings.ToUpper(strings.TrimSpace(obj.Country))
	n.ParentHandle = strings.TrimSpace(obj.ParentHandle)

	start, errS := parseRangeEnd(obj.StartAddress)
	end, errE := parseRangeEnd(obj.EndAddress)
	if errS == nil && errE == nil {
		start, end = start.Unmap().WithZone(""), end.Unmap().WithZone("")
		if start.BitLen() != end.BitLen() || end.Less(start) {
			return Network{}, fmt.Errorf("RDAP network has an invalid range %s - %s", start, end)
		}
		n.Start, n.End = start, end
	} else if obj.StartAddress != "" || obj.EndAddress != "" {
		return Network{}, fmt.Errorf("RDAP network has an unreadable range %q - %q", obj.StartAddress, obj.EndAddress)
	}
	if n.Handle == "" && !n.Start.IsValid() {
		return Network{}, errors.New("not an RDAP ip network object: no handle and no address range")
	}

	n.CIDRs = cidrsOf(obj.CIDR0)
	if len(n.CIDRs) == 0 && n.Start.IsValid() {
		n.CIDRs = netipx.IPRangeFrom(n.Start, n.End).Prefixes()
	}

	for _, ev := range obj.Events {
		t, ok := parseEventDate(ev.Date)
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(ev.Action)) {
		case "last changed":
			if t.After(n.LastChanged) {
				n.LastChanged = t
			}
		case "registration":
			if n.Registered.IsZero() || t.Before(n.Registered) {
				n.Registered = t
			}
		}
	}

	n.Registrant, n.AbuseEmail = contacts(obj.Entities)
	n.Geofeed = geofeedOf(obj.Links, obj.Remarks)
	return n, nil
}

// geofeedOf finds the network's geofeed (RFC 8805) URL: a link of media
// type application/geofeed+csv (RFC 9877's "geo" link), else the first
// remark line "Geofeed URL" (RFC 9632 §3, as whois remarks carry it into
// RDAP). Only an https URL is taken (RFC 9632 §5 asks for TLS); "" when
// there is none.
func geofeedOf(links []link, remarks []remark) string {
	for _, l := range links {
		if strings.EqualFold(strings.TrimSpace(l.Type), "application/geofeed+csv") || strings.EqualFold(strings.TrimSpace(l.Rel), "geo") {
			if u := httpsURL(l.Href); u != "" {
				return u
			}
		}
	}
	for _, r := range remarks {
		for _, d := range r.Description {
			f := strings.Fields(d)
			if len(f) == 2 && strings.EqualFold(f[0], "geofeed") {
				if u := httpsURL(f[1]); u != "" {
					return u
				}
			}
		}
	}
	return ""
}

// maxGeofeedURL bounds a geofeed URL taken from a record.
const maxGeofeedURL = 2048

// httpsURL returns s when it is an https URL with a host, without
// credentials, and printable; else "".
func httpsURL(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxGeofeedURL || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// parseRangeEnd reads a startAddress or endAddress. RIPE NCC's server has
// been seen to write IPv6 ones with a "/128" suffix, which is dropped.
func parseRangeEnd(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return parseAddr(s)
}

// parseAddr reads an address as RDAP servers write it. ARIN's records were
// long written with every IPv4 octet padded to three digits
// ("074.125.000.000"), which netip refuses as possibly octal; in RDAP they
// are decimal, so such an address is read digit group by digit group.
func parseAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err == nil || strings.Contains(s, ":") {
		return ip, err
	}
	var b [4]byte
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, err
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > 3 {
			return netip.Addr{}, err
		}
		n := 0
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				return netip.Addr{}, err
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return netip.Addr{}, err
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), nil
}

// cidrsOf turns cidr0_cidrs into prefixes, skipping entries it cannot read.
func cidrsOf(list []cidr0) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range list {
		s := c.V4Prefix
		if s == "" {
			s = c.V6Prefix
		}
		if s == "" || c.Length == nil {
			continue
		}
		a, err := parseAddr(strings.TrimSpace(s))
		if err != nil {
			continue
		}
		p, err := a.Prefix(*c.Length)
		if err != nil {
			continue
		}
		out = append(out, p)
	}
	return out
}

// parseEventDate reads an RFC 3339 event date, tolerating the date-only and
// zone-less forms some servers write; times are returned in UTC. A date
// that falls outside the years 0 to 9999 in UTC ("0000-01-01T00:00:00+01:00")
// is unreadable: JSON, and so every report, cannot hold it.
func parseEventDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return t, t.Year() >= 0 && t.Year() <= 9999
		}
	}
	return time.Time{}, false
}

// contacts walks the entities breadth first, outermost first, and returns the
// holder's name and the first e-mail address of an entity with role abuse.
//
// The holder is an entity with role registrant, the best of them by what
// its vCard says it is (the first of equals): of kind "org" (its org
// property, else its fn, else its handle); then one whose vCard names no
// kind or another kind than "individual"; then one with no vCard at all
// (its handle); then an individual. RIPE NCC marks the maintainers of an
// object as registrant too, each with a vCard of kind individual, and lists
// them before the organisation when their handles sort first; an
// organisation whose object it could not find comes with no vCard.
func contacts(top []entity) (registrant, abuse string) {
	queue := append([]entity(nil), top...)
	best := -1
	for seen := 0; len(queue) > 0 && seen < maxEntities; seen++ {
		e := queue[0]
		queue = queue[1:]
		queue = append(queue, e.Entities...)
		var isRegistrant, isAbuse bool
		for _, r := range e.Roles {
			switch strings.ToLower(strings.TrimSpace(r)) {
			case "registrant":
				isRegistrant = true
			case "abuse":
				isAbuse = true
			}
		}
		if !isRegistrant && !isAbuse {
			continue
		}
		vc := parseVCard(e.VCard)
		if isRegistrant {
			if name, rank := holder(e, vc); name != "" && rank > best {
				registrant, best = name, rank
			}
		}
		if isAbuse && abuse == "" {
			abuse = vc.email
		}
		if best == rankOrg && abuse != "" {
			break
		}
	}
	return registrant, abuse
}

// How well a registrant entity names the holder; higher is better.
const (
	rankIndividual = iota
	rankHandleOnly
	rankOther
	rankOrg
)

// holder names a registrant entity and ranks it (see contacts).
func holder(e entity, vc vcard) (string, int) {
	handle := strings.TrimSpace(e.Handle)
	if !vc.present {
		return handle, rankHandleOnly
	}
	name := cmp.Or(vc.org, vc.fn, handle)
	switch strings.ToLower(vc.kind) {
	case "org", "organization":
		return name, rankOrg
	case "individual":
		return name, rankIndividual
	}
	return name, rankOther
}

// vcard holds the jCard properties hostwatch reads.
type vcard struct {
	present              bool // a readable jCard, whatever it holds
	fn, org, email, kind string
}

// parseVCard reads a jCard (RFC 7095) vcardArray: ["vcard", [[name, params,
// type, value...], ...]]. It keeps the first fn, org, email and kind; org's value
// may be structured, and then its first component (the organisation's name)
// is kept. Anything it cannot read is skipped.
func parseVCard(raw json.RawMessage) vcard {
	var v vcard
	var outer []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &outer) != nil || len(outer) < 2 {
		return v
	}
	var kind string
	if json.Unmarshal(outer[0], &kind) != nil || kind != "vcard" {
		return v
	}
	var props [][]json.RawMessage
	if json.Unmarshal(outer[1], &props) != nil {
		return v
	}
	v.present = true
	for _, p := range props {
		if len(p) < 4 {
			continue
		}
		var name string
		if json.Unmarshal(p[0], &name) != nil {
			continue
		}
		value := textValue(p[3])
		if value == "" {
			continue
		}
		switch strings.ToLower(name) {
		case "fn":
			if v.fn == "" {
				v.fn = value
			}
		case "org":
			if v.org == "" {
				v.org = value
			}
		case "email":
			if v.email == "" {
				v.email = value
			}
		case "kind":
			if v.kind == "" {
				v.kind = value
			}
		}
	}
	return v
}

// textValue returns a jCard value as text: a string as it is, a structured
// value (array) by its first non-empty string component.
func textValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	for _, part := range parts {
		if json.Unmarshal(part, &s) == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// errorTitle returns the title and description of an RDAP error response, or
// "" when body is not one.
func errorTitle(body []byte) string {
	var e errorObject
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	text := strings.TrimSpace(e.Title)
	if len(e.Description) > 0 {
		d := strings.TrimSpace(strings.Join(e.Description, " "))
		if text != "" && d != "" {
			text += ": "
		}
		text += d
	}
	return truncate(text, 200)
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
