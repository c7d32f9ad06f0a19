package cymru_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/resolvers"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
	"github.com/miekg/dns"
)

// cymruZone answers like Team Cymru's service, for documentation addresses
// (RFC 5737, RFC 3849) and ASNs (RFC 5398), with the awkward cases: several
// origin ASNs in one field, several records per query (not in order),
// descriptions holding "|", records split into several strings, non-ASCII
// descriptions, malformed records and ASes without a record.
const cymruZone = `$TTL 60
$ORIGIN origin.asn.cymru.com.
@ IN SOA ns hm 1 60 60 60 60
1.2.0.192    IN TXT "64496 | 192.0.2.0/24 | ZZ | arin | 1998-09-25"
10.2.0.192   IN TXT "64496 | 192.0.0.0/16 | ZZ | arin | 1993-01-01"
10.2.0.192   IN TXT "64497 64498 | 192.0.2.0/24 | ZZ | arin | 2014-07-01"
10.2.0.192   IN TXT "64496 | 192.0.2.0/25 | ZZ | arin | 2014-07-01"
20.2.0.192   IN TXT "64499 | 192.0.2.0/24 | " "ZZ | ripencc" " | 2001-01-01"
30.2.0.192   IN TXT "64496 | 192.0.2.0/24 | ZZ | arin | 1998-09-25"
30.2.0.192   IN TXT "this is not | a record"
30.2.0.192   IN TXT "64497 | 198.51.100.0/24 | ZZ | arin | 1998-09-25"
40.2.0.192   IN TXT "garbage"
50.2.0.192   IN TXT "64510 | 192.0.2.0/24 | ZZ | arin | 1998-09-25"
60.2.0.192   IN A   192.0.2.60
$ORIGIN origin6.asn.cymru.com.
@ IN SOA ns hm 1 60 60 60 60
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 IN TXT "64500 | 2001:db8::/32 | ZZ | ripencc | 2005-01-01"
$ORIGIN asn.cymru.com.
@ IN SOA ns hm 1 60 60 60 60
AS64496 IN TXT "64496 | ZZ | arin | 1998-09-25 | EXAMPLE-NET | Example | Networks, ZZ"
AS64497 IN TXT "64497 | ZZ | arin | 2014-07-01 | DOC-A - Documentation A, ZZ"
AS64498 IN TXT "64498 | ZZ | arin | 2014-07-01 | DOC-B" " - Documentation B, ZZ"
AS64499 IN TXT "64499 | ZZ | ripencc | 2001-01-01 | Telefónica \"Test\" \\ Net, ZZ"
AS64500 IN TXT "64500 | ZZ | ripencc | 2005-01-01 | V6-NET, ZZ"
`

func newClient(t *testing.T, server string, timeout time.Duration) *cymru.Client {
	t.Helper()
	rc, err := resolvers.New(resolvers.Config{Servers: []string{server}, Timeout: timeout, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return cymru.New(rc)
}

func TestLookup(t *testing.T) {
	t.Parallel()
	srv := resolverstest.StartZone(t, cymruZone)
	pfx := netip.MustParsePrefix
	as := map[uint32]cymru.AS{
		64496: {64496, "ZZ", "arin", "1998-09-25", "EXAMPLE-NET | Example | Networks, ZZ"},
		64497: {64497, "ZZ", "arin", "2014-07-01", "DOC-A - Documentation A, ZZ"},
		64498: {64498, "ZZ", "arin", "2014-07-01", "DOC-B - Documentation B, ZZ"},
		64499: {64499, "ZZ", "ripencc", "2001-01-01", `Telefónica "Test" \ Net, ZZ`},
		64500: {64500, "ZZ", "ripencc", "2005-01-01", "V6-NET, ZZ"},
	}
	tests := []struct {
		name    string
		ip      string
		status  string
		err     string // a part of Error; "" when it must be empty
		origins []cymru.Origin
		asns    []uint32 // of ASNames
		queries []string // names asked, in order
	}{
		{
			name: "one record", ip: "192.0.2.1", status: "ok",
			origins: []cymru.Origin{{[]uint32{64496}, pfx("192.0.2.0/24"), "ZZ", "arin", "1998-09-25"}},
			asns:    []uint32{64496},
			queries: []string{"1.2.0.192.origin.asn.cymru.com", "AS64496.asn.cymru.com"},
		},
		{
			name: "IPv4-mapped", ip: "::ffff:192.0.2.1", status: "ok",
			origins: []cymru.Origin{{[]uint32{64496}, pfx("192.0.2.0/24"), "ZZ", "arin", "1998-09-25"}},
			asns:    []uint32{64496},
			queries: []string{"1.2.0.192.origin.asn.cymru.com", "AS64496.asn.cymru.com"},
		},
		{
			name: "several records and ASNs", ip: "192.0.2.10", status: "ok",
			origins: []cymru.Origin{
				{[]uint32{64496}, pfx("192.0.2.0/25"), "ZZ", "arin", "2014-07-01"},
				{[]uint32{64497, 64498}, pfx("192.0.2.0/24"), "ZZ", "arin", "2014-07-01"},
				{[]uint32{64496}, pfx("192.0.0.0/16"), "ZZ", "arin", "1993-01-01"},
			},
			asns: []uint32{64496, 64497, 64498},
			queries: []string{"10.2.0.192.origin.asn.cymru.com",
				"AS64496.asn.cymru.com", "AS64497.asn.cymru.com", "AS64498.asn.cymru.com"},
		},
		{
			name: "split into strings", ip: "192.0.2.20", status: "ok",
			origins: []cymru.Origin{{[]uint32{64499}, pfx("192.0.2.0/24"), "ZZ", "ripencc", "2001-01-01"}},
			asns:    []uint32{64499},
			queries: []string{"20.2.0.192.origin.asn.cymru.com", "AS64499.asn.cymru.com"},
		},
		{
			name: "bad records skipped", ip: "192.0.2.30", status: "ok",
			err:     `origin record "this is not | a record": ASN "this" is not a number; origin record "64497 | 198.51.100.0/24 | ZZ | arin | 1998-09-25": prefix does not hold 192.0.2.30`,
			origins: []cymru.Origin{{[]uint32{64496}, pfx("192.0.2.0/24"), "ZZ", "arin", "1998-09-25"}},
			asns:    []uint32{64496},
			queries: []string{"30.2.0.192.origin.asn.cymru.com", "AS64496.asn.cymru.com"},
		},
		{
			name: "only a bad record", ip: "192.0.2.40", status: "error",
			err:     `origin record "garbage": want at least ASN | prefix`,
			queries: []string{"40.2.0.192.origin.asn.cymru.com"},
		},
		{
			name: "AS without a record", ip: "192.0.2.50", status: "ok",
			err:     "AS64510 name: not found",
			origins: []cymru.Origin{{[]uint32{64510}, pfx("192.0.2.0/24"), "ZZ", "arin", "1998-09-25"}},
			queries: []string{"50.2.0.192.origin.asn.cymru.com", "AS64510.asn.cymru.com"},
		},
		{
			name: "IPv6", ip: "2001:db8::1", status: "ok",
			origins: []cymru.Origin{{[]uint32{64500}, pfx("2001:db8::/32"), "ZZ", "ripencc", "2005-01-01"}},
			asns:    []uint32{64500},
			queries: []string{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com", "AS64500.asn.cymru.com"},
		},
		{
			name: "NXDOMAIN", ip: "192.0.2.99", status: "not_found",
			queries: []string{"99.2.0.192.origin.asn.cymru.com"},
		},
		{
			name: "NXDOMAIN IPv6", ip: "2001:db8::2", status: "not_found",
			queries: []string{"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com"},
		},
		{
			name: "no TXT record", ip: "192.0.2.60", status: "not_found",
			queries: []string{"60.2.0.192.origin.asn.cymru.com"},
		},
	}
	c := newClient(t, srv.Addr, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := c.Lookup(t.Context(), netip.MustParseAddr(tt.ip))
			if got.Status != tt.status {
				t.Errorf("Status %q, want %q (Error %q)", got.Status, tt.status, got.Error)
			}
			if tt.err == "" && got.Error != "" || !strings.Contains(got.Error, tt.err) {
				t.Errorf("Error %q, want %q", got.Error, tt.err)
			}
			if !reflect.DeepEqual(got.Origins, tt.origins) {
				t.Errorf("Origins\n%+v\nwant\n%+v", got.Origins, tt.origins)
			}
			var want []cymru.AS
			for _, n := range tt.asns {
				want = append(want, as[n])
			}
			if !reflect.DeepEqual(got.ASNames, want) {
				t.Errorf("ASNames\n%+v\nwant\n%+v", got.ASNames, want)
			}
			var names []string
			for _, q := range got.Queries {
				names = append(names, q.Name)
				if q.Type != "TXT" || q.Resolver != srv.Addr || q.AskedAt.IsZero() {
					t.Errorf("query %+v", q)
				}
			}
			if !reflect.DeepEqual(names, tt.queries) {
				t.Errorf("asked for\n%q\nwant\n%q", names, tt.queries)
			}
		})
	}
}

func TestLookupFailures(t *testing.T) {
	t.Parallel()
	silent := resolverstest.Start(t, dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {}))
	servfail := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(m)
	}))
	// Answers origin queries from the zone and is silent for AS queries.
	zh, err := resolverstest.NewZoneHandler(cymruZone)
	if err != nil {
		t.Fatal(err)
	}
	originOnly := resolverstest.Start(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if len(r.Question) == 1 && strings.Contains(strings.ToLower(r.Question[0].Name), ".origin") {
			zh.ServeDNS(w, r)
		}
	}))
	tests := []struct {
		name    string
		server  string
		status  string
		err     string
		origins int
		queries int
	}{
		{"silence", silent.Addr, "timeout", "timeout", 0, 1},
		{"SERVFAIL", servfail.Addr, "error", "SERVFAIL", 0, 1},
		{"AS query times out", originOnly.Addr, "ok", "AS64496.asn.cymru.com TXT from", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Only what must time out gets a short timeout: on a loaded
			// machine, an answer must not arrive too late to be seen.
			timeout := 10 * time.Second
			switch tt.name {
			case "silence":
				timeout = 100 * time.Millisecond
			case "AS query times out":
				timeout = time.Second // the origin query is answered in time
			}
			c := newClient(t, tt.server, timeout)
			got := c.Lookup(t.Context(), netip.MustParseAddr("192.0.2.1"))
			if got.Status != tt.status || !strings.Contains(got.Error, tt.err) {
				t.Errorf("Status %q, Error %q; want %q, %q", got.Status, got.Error, tt.status, tt.err)
			}
			if len(got.Origins) != tt.origins || len(got.ASNames) != 0 || len(got.Queries) != tt.queries {
				t.Errorf("%d origins, %d AS names, %d queries; want %d, 0, %d",
					len(got.Origins), len(got.ASNames), len(got.Queries), tt.origins, tt.queries)
			}
		})
	}
	t.Run("invalid address", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, silent.Addr, 100*time.Millisecond)
		if got := c.Lookup(t.Context(), netip.Addr{}); got.Status != "error" || len(got.Queries) != 0 {
			t.Errorf("Lookup(zero Addr) = %+v", got)
		}
	})
}

func TestZones(t *testing.T) {
	t.Parallel()
	srv := resolverstest.StartZone(t, `$TTL 60
$ORIGIN v4.cymru.test.
@ IN SOA ns hm 1 60 60 60 60
1.2.0.192 IN TXT "64496 | 192.0.2.0/24 | ZZ | arin | 1998-09-25"
$ORIGIN as.cymru.test.
@ IN SOA ns hm 1 60 60 60 60
AS64496 IN TXT "64496 | ZZ | arin | 1998-09-25 | EXAMPLE-NET, ZZ"
`)
	c := newClient(t, srv.Addr, 0)
	c.Zones = cymru.Zones{Origin: "v4.cymru.test.", Origin6: "v6.cymru.test", ASN: "as.cymru.test"}
	if got := c.OriginName(netip.MustParseAddr("2001:db8::1")); got != "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.v6.cymru.test." {
		t.Errorf("OriginName = %q", got)
	}
	got := c.Lookup(t.Context(), netip.MustParseAddr("192.0.2.1"))
	if got.Status != "ok" || got.Error != "" || len(got.ASNames) != 1 || got.ASNames[0].Description != "EXAMPLE-NET, ZZ" {
		t.Errorf("Lookup = %+v", got)
	}
}

func TestDefaultNames(t *testing.T) {
	t.Parallel()
	c := cymru.New(nil)
	tests := []struct{ got, want string }{
		{c.OriginName(netip.MustParseAddr("216.90.108.31")), "31.108.90.216.origin.asn.cymru.com."},
		{c.OriginName(netip.MustParseAddr("2001:4860:b002::68")), "8.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.b.0.6.8.4.1.0.0.2.origin6.asn.cymru.com."},
		{c.OriginName(netip.Addr{}), ""},
		{c.ASName(23028), "AS23028.asn.cymru.com."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
