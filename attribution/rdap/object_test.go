package rdap

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseNetworkFixtures(t *testing.T) {
	for file, want := range map[string]Network{
		"apnic-203.0.113.0.json": {
			Handle: "203.0.113.0 - 203.0.113.255", Name: "EXAMPLE-DOC-NET3", Type: "ASSIGNED PORTABLE",
			Country: "ZZ", ParentHandle: "203.0.0.0 - 203.0.255.255",
			Start: netip.MustParseAddr("203.0.113.0"), End: netip.MustParseAddr("203.0.113.255"),
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
			Registrant:  "Example Documentation Network Pty Ltd",
			AbuseEmail:  "abuse@example.net", // the first of the abuse entity's two
			Registered:  mustTime("2010-01-26T05:34:23Z"),
			LastChanged: mustTime("2023-11-29T01:19:47Z"),
		},
		"arin-192.0.2.0.json": {
			Handle: "NET-192-0-2-0-EXAMPLE", Name: "EXAMPLE-DOC-NET1", Type: "DIRECT ASSIGNMENT",
			ParentHandle: "NET-192-0-0-0-EXAMPLE", // no country: ARIN often leaves it out
			Start:        netip.MustParseAddr("192.0.2.0"), End: netip.MustParseAddr("192.0.2.255"),
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
			Registrant:  "Example Documentation Org", // fn: the entity has no org property
			AbuseEmail:  "abuse@example.com",         // nested in the registrant entity
			Registered:  mustTime("2009-07-14T19:08:11Z"),
			LastChanged: mustTime("2023-04-12T14:21:07Z"), // the later of two, in UTC
		},
		"ripe-2001-db8.json": {
			Handle: "2001:db8::/32", Name: "EXAMPLE-DOC-NET6", Type: "ALLOCATED-BY-RIR",
			Country: "ZZ", ParentHandle: "::/0",
			Start: netip.MustParseAddr("2001:db8::"), End: netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}, // computed
			Registrant:  "Example Documentation B.V.",                           // structured org, first component
			AbuseEmail:  "abuse@example.org",
			Registered:  mustTime("2019-03-04T10:11:12Z"),
			LastChanged: mustTime("2024-08-09T12:13:14Z"),
		},
		// RIPE NCC lists maintainers as registrant too, sorted by handle,
		// so the mntner (a vCard of kind individual) comes before the
		// organisation: the organisation is the holder (issue 9).
		"ripe-198.51.100.0-mntner-first.json": {
			Handle: "198.51.100.0 - 198.51.100.255", Name: "EXAMPLE-RESOLVERS-NET", Type: "ASSIGNED PA",
			Country: "ZZ", ParentHandle: "198.51.0.0 - 198.51.255.255",
			Start: netip.MustParseAddr("198.51.100.0"), End: netip.MustParseAddr("198.51.100.255"),
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
			Registrant:  "Example DNS, s.r.o.",
			AbuseEmail:  "abuse@example.net",
			Registered:  mustTime("2024-06-03T08:10:11Z"),
			LastChanged: mustTime("2025-03-17T12:13:14Z"),
		},
		// The same with an organisation entity that has no vCard (RIPE's
		// server writes none when the referenced object is missing): its
		// handle names the holder, not the maintainer's vCard.
		"ripe-198.51.100.0-org-without-vcard.json": {
			Handle: "198.51.100.0 - 198.51.100.255", Name: "EXAMPLE-RESOLVERS-NET", Type: "ASSIGNED PA",
			Country: "ZZ", ParentHandle: "198.51.0.0 - 198.51.255.255",
			Start: netip.MustParseAddr("198.51.100.0"), End: netip.MustParseAddr("198.51.100.255"),
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
			Registrant:  "ORG-EDNS1-TEST",
			AbuseEmail:  "abuse@example.net",
			Registered:  mustTime("2024-06-03T08:10:11Z"),
			LastChanged: mustTime("2025-03-17T12:13:14Z"),
		},
		// ARIN's 2015 shape: addresses padded with zeros, no cidr0_cidrs.
		"arin-2015-zero-padded.json": {
			Handle: "NET-192-0-2-0-1", Name: "EXAMPLE-DOC", ParentHandle: "NET-192-0-0-0-0",
			Start: netip.MustParseAddr("192.0.2.0"), End: netip.MustParseAddr("192.0.2.255"),
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
			Registrant:  "Example Documentation Inc.",
			AbuseEmail:  "abuse@example.com",
			Registered:  mustTime("2007-03-13T16:09:54Z"),
			LastChanged: mustTime("2012-02-24T14:44:34Z"),
		},
	} {
		t.Run(file, func(t *testing.T) {
			got, err := parseNetwork(readFixture(t, file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parseNetwork:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseNetworkRejects(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"malformed":     {string(readFixture(t, "malformed.json")), "malformed RDAP JSON"},
		"not an object": {`[1, 2]`, "malformed RDAP JSON"},
		"other class":   {`{"objectClassName": "entity", "handle": "X"}`, `"entity"`},
		"empty object":  {`{}`, "no handle and no address range"},
		"reversed":      {`{"handle": "X", "startAddress": "192.0.2.9", "endAddress": "192.0.2.1"}`, "invalid range"},
		"mixed family":  {`{"handle": "X", "startAddress": "192.0.2.0", "endAddress": "2001:db8::"}`, "invalid range"},
		"unreadable":    {`{"handle": "X", "startAddress": "192.0.2.x", "endAddress": "192.0.2.1"}`, "unreadable range"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseNetwork([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParseNetworkLenient checks what is tolerated: no range but a handle,
// unreadable cidr0 entries and events, and odd jCards.
func TestParseNetworkLenient(t *testing.T) {
	body := `{
	  "handle": "H", "startAddress": "198.51.100.0", "endAddress": "198.51.100.127",
	  "cidr0_cidrs": [{"v4prefix": "198.51.100.0"}, {"v4prefix": "nonsense", "length": 8}],
	  "events": [{"eventAction": "registration", "eventDate": "yesterday"},
	             {"eventAction": "Last Changed", "eventDate": "2020-02-03"}],
	  "entities": [
	    {"roles": ["registrant"], "vcardArray": "not a jcard"},
	    {"roles": ["REGISTRANT"], "vcardArray": ["vcard", [["fn", {}, "text"], ["fn", {}, "text", 42], ["fn", {}, "text", " Example Holder "]]]},
	    {"roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", ""]]],
	     "entities": [{"roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", "deep@example.com"]]]}]}
	  ]}`
	got, err := parseNetwork([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/25")}; !reflect.DeepEqual(got.CIDRs, want) {
		t.Errorf("CIDRs = %v, want %v (computed, since no cidr0 entry was readable)", got.CIDRs, want)
	}
	if !got.Registered.IsZero() || !got.LastChanged.Equal(mustTime("2020-02-03T00:00:00Z")) {
		t.Errorf("Registered = %v, LastChanged = %v", got.Registered, got.LastChanged)
	}
	if got.Registrant != "Example Holder" || got.AbuseEmail != "deep@example.com" {
		t.Errorf("Registrant = %q, AbuseEmail = %q", got.Registrant, got.AbuseEmail)
	}

	// A range that is not one prefix becomes several.
	got, err = parseNetwork([]byte(`{"startAddress": "192.0.2.1", "endAddress": "192.0.2.6"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/31"),
		netip.MustParsePrefix("192.0.2.4/31"), netip.MustParsePrefix("192.0.2.6/32")}
	if !reflect.DeepEqual(got.CIDRs, want) {
		t.Errorf("CIDRs = %v, want %v", got.CIDRs, want)
	}
}

func TestNetworkJSON(t *testing.T) {
	n, err := parseNetwork(readFixture(t, "arin-192.0.2.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	n.Status = StatusOK
	data, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status":"ok"`, `"start":"192.0.2.0"`, `"cidrs":["192.0.2.0/24"]`,
		`"abuse_email":"abuse@example.com"`, `"last_changed":"2023-04-12T14:21:07Z"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s: %s", want, data)
		}
	}
	for _, absent := range []string{`"country"`, `"fetched_at"`, `"from_cache"`, `"error"`} {
		if strings.Contains(string(data), absent) {
			t.Errorf("JSON has empty %s: %s", absent, data)
		}
	}
	empty, _ := json.Marshal(Network{Status: StatusTimeout})
	if string(empty) != `{"status":"timeout"}` {
		t.Errorf("empty Network = %s", empty)
	}
}

// FuzzParseNetwork checks that no response makes the parser panic, and that
// what it accepts is consistent.
func FuzzParseNetwork(f *testing.F) {
	for _, name := range []string{"apnic-203.0.113.0.json", "arin-192.0.2.0.json", "ripe-2001-db8.json", "malformed.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"handle": "H", "entities": [{"roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", ["a@b"]]]], "entities": [{}]}]}`))
	f.Add([]byte(`{"startAddress": "::", "endAddress": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseNetwork(data)
		if err != nil {
			return
		}
		if n.Handle == "" && !n.Start.IsValid() {
			t.Fatal("accepted an object with neither handle nor range")
		}
		if n.Start.IsValid() && (n.End.Less(n.Start) || n.Start.BitLen() != n.End.BitLen()) {
			t.Fatalf("bad range %s - %s", n.Start, n.End)
		}
		for _, p := range n.CIDRs {
			if !p.IsValid() {
				t.Fatalf("invalid prefix in %v", n.CIDRs)
			}
		}
	})
}

// TestGeofeedLink: a network's geofeed URL, from an RFC 9877 link or an
// RFC 9632 remark, only over https.
func TestGeofeedLink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"rfc 9877 link", `"links":[{"value":"https://rdap.example/ip/192.0.2.0/24","rel":"self","href":"https://rdap.example/ip/192.0.2.0/24","type":"application/rdap+json"},
			{"value":"https://rdap.example/ip/192.0.2.0/24","rel":"geo","href":"https://feeds.example.net/geofeed.csv","type":"application/geofeed+csv"}]`,
			"https://feeds.example.net/geofeed.csv"},
		{"rfc 9632 remark", `"remarks":[{"description":["Addresses of Example Net"]},{"title":"remarks","description":["Geofeed https://feeds.example.net/g.csv"]}]`,
			"https://feeds.example.net/g.csv"},
		{"the link before a remark", `"links":[{"rel":"geo","href":"https://a.example/1.csv","type":"application/geofeed+csv"}],"remarks":[{"description":["geofeed https://b.example/2.csv"]}]`,
			"https://a.example/1.csv"},
		{"http is not taken", `"links":[{"rel":"geo","href":"http://feeds.example.net/geofeed.csv","type":"application/geofeed+csv"}],"remarks":[{"description":["Geofeed http://feeds.example.net/g.csv"]}]`, ""},
		{"credentials are not taken", `"remarks":[{"description":["Geofeed https://u:p@feeds.example.net/g.csv"]}]`, ""},
		{"control characters are not taken", `"remarks":[{"description":["Geofeed https://feeds.example.net/\u001b[31m"]}]`, ""},
		{"a remark with more words is not a geofeed line", `"remarks":[{"description":["Geofeed is at https://feeds.example.net/g.csv"]}]`, ""},
		{"none", `"links":[{"rel":"self","href":"https://rdap.example/ip/192.0.2.0/24"}]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseNetwork([]byte(`{"objectClassName":"ip network","handle":"TEST-1","startAddress":"192.0.2.0","endAddress":"192.0.2.255",` + tc.extra + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if n.Geofeed != tc.want {
				t.Errorf("geofeed %q, want %q", n.Geofeed, tc.want)
			}
		})
	}
}
