package main

import (
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/reports/schema"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// In TestRTTBounds's namespace these are on the loopback interface: a web
// server (listening on 443) and a host with nothing listening (it answers
// with RST), both claimed for France by the test's MMDB; and a private one.
const (
	rttListening = "11.22.33.45"
	rttClosed    = "11.22.33.46"
	rttPrivate   = "10.255.0.2"
)

const rttZone = `$ORIGIN rtt.test.
@       300 IN SOA ns1 hostmaster 1 3600 900 604800 300
www     300 IN A   ` + rttListening + `
closed  300 IN A   ` + rttClosed + `
inside  300 IN A   ` + rttPrivate + `
`

// TestRTTBounds measures real round trips (loopback ones, some tens of
// microseconds: a bound of a few km) in a network namespace of its own, to
// addresses an MMDB fixture places in France, from vantages said to be at
// Jakarta, at Paris and nowhere (issue 13, parts 1, 2, 5 and 6).
func TestRTTBounds(t *testing.T) {
	if os.Getenv(netnsEnv) != "1" {
		runInNetns(t)
		return
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", rttListening + "/32", "dev", "lo"},
		{"addr", "add", rttClosed + "/32", "dev", "lo"},
		{"addr", "add", rttPrivate + "/32", "dev", "lo"},
	} {
		if out, err := exec.CommandContext(t.Context(), "ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	zone, err := resolverstest.NewZoneHandler(rttZone)
	if err != nil {
		t.Fatal(err)
	}
	resolver, err := resolverstest.Listen("127.0.0.1:0", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resolver.Close() })
	var listening, privateAccepted counter
	for addr, c := range map[string]*counter{rttListening: &listening, rttPrivate: &privateAccepted} {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, "443"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				c.n.Add(1)
				conn.Close()
			}
		}()
	}
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	mmdb := writeMMDB(t, dir, "city.mmdb", "test", map[string]mmdbtype.Map{"11.22.33.0/24": city("FR")})

	audit := func(t *testing.T, args ...string) reports.Document {
		t.Helper()
		args = append([]string{"audit", "-o", "json", "--resolver", resolver.Addr, "--timeout", "2s", "--mmdb", mmdb, "--rtt"}, args...)
		code, stdout, stderr := runHostwatch(t, args...)
		if code != 0 {
			t.Fatalf("hostwatch %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		if err := schema.Validate([]byte(stdout), "report.v1.schema.json", ""); err != nil {
			t.Errorf("the report does not follow its schema: %v", err)
		}
		var doc reports.Document
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	addr := func(t *testing.T, doc reports.Document, domain string) reports.Address {
		t.Helper()
		for _, tg := range doc.Targets {
			if tg.Domain == domain && len(tg.Addresses) == 1 {
				return tg.Addresses[0]
			}
		}
		t.Fatalf("%s: no single address in %+v", domain, doc.Targets)
		return reports.Address{}
	}
	measured := func(t *testing.T, a reports.Address, reply string) {
		t.Helper()
		r := a.RTT
		if r == nil || len(r.Samples) != 3 || r.MinMillis == nil || r.Refused != nil || r.Error != "" {
			t.Fatalf("%s: rtt %+v, want 3 samples", a.IP, r)
		}
		least := r.Samples[0].Millis
		for _, s := range r.Samples {
			if s.Reply != reply || s.Port != 443 || s.At == "" {
				t.Errorf("%s: sample %+v, want %s on 443", a.IP, s, reply)
			}
			least = min(least, s.Millis)
		}
		if *r.MinMillis != least || least > 20 {
			t.Errorf("%s: min %v ms of %+v: want the least, a loopback round trip", a.IP, *r.MinMillis, r.Samples)
		}
	}

	t.Run("jakarta", func(t *testing.T) {
		doc := audit(t, "--vantage", "jakarta", "--vantage-location", "-6.2,106.8", "www.rtt.test", "closed.rtt.test")
		if l := doc.Vantage.Location; l == nil || l.Lat != -6.2 || l.Lon != 106.8 {
			t.Errorf("vantage location %+v", doc.Vantage.Location)
		}
		if !slices.ContainsFunc(doc.Datasets, func(d attribution.Dataset) bool { return d.ID == "natural-earth/countries" && d.License != "" }) {
			t.Errorf("datasets %+v: the country shapes are not listed with their licence", doc.Datasets)
		}
		for domain, reply := range map[string]string{"www.rtt.test": "syn-ack", "closed.rtt.test": "rst"} {
			a := addr(t, doc, domain)
			measured(t, a, reply)
			b := a.RTT.Bound
			if a.Country != "FR" || b == nil || !b.Contradicted || b.ClaimedCountry != "FR" ||
				!slices.Equal(b.PossibleCountries, []string{"ID"}) || b.MaxDistanceKm > 2000 || b.From.Lat != -6.2 {
				t.Errorf("%s: country %s, bound %+v: want FR contradicted, only ID possible", domain, a.Country, b)
			}
		}
		// Every format says so, in both languages.
		for _, args := range [][]string{{"-o", "table", "--lang", "en"}, {"-o", "table", "--lang", "id"}, {"-o", "markdown"}, {"-o", "html", "--lang", "id"}} {
			args = append([]string{"audit", "--resolver", resolver.Addr, "--mmdb", mmdb, "--rtt", "--vantage-location", "-6.2,106.8"}, append(args, "www.rtt.test")...)
			code, stdout, stderr := runHostwatch(t, args...)
			// Markdown escapes the underscore; it renders the same.
			if code != 0 || !strings.Contains(strings.ReplaceAll(stdout, `\_`, "_"), "geolocation_contradicted") {
				t.Errorf("%s: exit %d, no geolocation_contradicted in:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
			}
			if slices.Contains(args, "html") && !strings.Contains(stdout, `class="disk"`) {
				t.Errorf("the HTML map draws no disk")
			}
		}
		// CSV too: the bound's columns after ptr.
		code, stdout, stderr := runHostwatch(t, "audit", "-o", "csv", "--resolver", resolver.Addr, "--mmdb", mmdb, "--rtt", "--vantage-location", "-6.2,106.8", "www.rtt.test")
		if rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll(); code != 0 || err != nil || len(rows) != 2 ||
			!slices.Equal(rows[0][len(rows[0])-4:], []string{"rtt_ms", "max_distance_km", "possible_countries", "geolocation_contradicted"}) ||
			!slices.Equal(rows[1][len(rows[1])-2:], []string{"ID", "true"}) {
			t.Errorf("-o csv: exit %d, %v:\n%s%s", code, err, stdout, stderr)
		}
	})

	t.Run("paris", func(t *testing.T) {
		doc := audit(t, "--vantage", "paris", "--vantage-location", "48.86,2.35", "www.rtt.test")
		a := addr(t, doc, "www.rtt.test")
		measured(t, a, "syn-ack")
		if b := a.RTT.Bound; b == nil || b.Contradicted || !slices.Equal(b.PossibleCountries, []string{"FR"}) {
			t.Errorf("bound %+v: want FR possible, not contradicted", b)
		}
	})

	t.Run("no location", func(t *testing.T) {
		code, stdout, stderr := runHostwatch(t, "audit", "-o", "json", "--resolver", resolver.Addr, "--mmdb", mmdb, "--rtt", "www.rtt.test")
		if code != 0 || !strings.Contains(stderr, "--vantage-location") {
			t.Fatalf("exit %d, stderr %q: want a warning that nothing is bounded", code, stderr)
		}
		var doc reports.Document
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		a := addr(t, doc, "www.rtt.test")
		measured(t, a, "syn-ack")
		if a.RTT.Bound != nil || doc.Vantage.Location != nil {
			t.Errorf("a vantage without a location bounded %+v", a.RTT.Bound)
		}
	})

	// The same address measured from Jakarta and from Paris into one
	// history: two disks of a few km, 11,600 km apart, cannot both hold
	// it, so history --bounds says anycast (issue 13, part 3).
	t.Run("history bounds", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "history.db")
		for _, v := range [][]string{{"--vantage", "jakarta", "--vantage-location", "-6.2,106.8"}, {"--vantage", "paris", "--vantage-location", "48.86,2.35"}, {"--vantage", "laptop"}} {
			args := append([]string{"check", "--db", db, "--resolver", resolver.Addr, "--mmdb", mmdb, "--rtt", "-o", "json"}, append(v, "www.rtt.test")...)
			if code, _, stderr := runHostwatch(t, args...); code != 0 {
				t.Fatalf("hostwatch %s: exit %d: %s", strings.Join(args, " "), code, stderr)
			}
		}
		code, stdout, stderr := runHostwatch(t, "history", "--db", db, "--bounds", rttListening, "-o", "json")
		if code != 0 {
			t.Fatalf("history --bounds: exit %d: %s", code, stderr)
		}
		if err := schema.Validate([]byte(stdout), "bounds.v1.schema.json", ""); err != nil {
			t.Errorf("the bounds report does not follow its schema: %v\n%s", err, stdout)
		}
		var doc reports.BoundsDocument
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if !doc.Anycast || len(doc.Disjoint) != 1 || doc.Disjoint[0][0] != "jakarta" || doc.Disjoint[0][1] != "paris" ||
			len(doc.PossibleCountries) != 0 || doc.ClaimedCountry != "FR" || !slices.Equal(doc.ContradictedBy, []string{"jakarta"}) {
			t.Errorf("bounds %+v: want anycast between jakarta and paris, FR ruled out by jakarta", doc)
		}
		var labels []string
		for _, v := range doc.Vantages {
			labels = append(labels, v.Label)
			if v.Domain != "www.rtt.test" || v.Measurements != 1 || v.RTT == nil || len(v.RTT.Samples) != 3 || (v.Location == nil) != (v.RTT.Bound == nil) {
				t.Errorf("vantage %+v", v)
			}
		}
		if !slices.Equal(labels, []string{"jakarta", "laptop", "paris"}) {
			t.Errorf("vantages %q", labels)
		}
		for lang, want := range map[string]string{"en": "anycast: the disks of jakarta and paris do not meet", "id": "anycast: lingkaran jakarta dan paris tidak bersinggungan"} {
			for _, format := range []string{"table", "markdown", "html"} {
				code, stdout, stderr := runHostwatch(t, "history", "--db", db, "--bounds", rttListening, "--lang", lang, "-o", format)
				if code != 0 || !strings.Contains(stdout, want) {
					t.Errorf("history --bounds --lang %s -o %s: exit %d, %q not in:\n%s%s", lang, format, code, want, stdout, stderr)
				}
				if format == "html" && strings.Count(stdout, `class="disk"`) != 2 {
					t.Errorf("the HTML map does not draw the two disks")
				}
			}
		}
		// db copy keeps the round trips: the copy bounds the same.
		copied := filepath.Join(t.TempDir(), "copy.db")
		if code, _, stderr := runHostwatch(t, "db", "copy", "--from", db, "--to", copied); code != 0 {
			t.Fatalf("db copy: exit %d: %s", code, stderr)
		}
		code, again, stderr := runHostwatch(t, "history", "--db", copied, "--bounds", rttListening, "-o", "json")
		var doc2 reports.BoundsDocument
		if code != 0 || json.Unmarshal([]byte(again), &doc2) != nil {
			t.Fatalf("history --bounds of the copy: exit %d: %s", code, stderr)
		}
		doc2.Database, doc2.GeneratedAt = doc.Database, doc.GeneratedAt
		if !reflect.DeepEqual(doc2, doc) {
			t.Errorf("the copy bounds differently:\n%s\nwant\n%s", again, stdout)
		}

		// An address never measured, and a bad one, are errors naming it.
		if code, _, stderr := runHostwatch(t, "history", "--db", db, "--bounds", rttClosed); code != 2 || !strings.Contains(stderr, "no round trips to "+rttClosed) {
			t.Errorf("an address never measured: exit %d, %s", code, stderr)
		}
		if code, _, stderr := runHostwatch(t, "history", "--db", db, "--bounds", "not-an-ip"); code != 2 || !strings.Contains(stderr, `--bounds "not-an-ip": not an IP address`) {
			t.Errorf("a bad address: exit %d, %s", code, stderr)
		}
	})

	// --rtt-icmp: where the namespace's net.ipv4.ping_group_range forbids
	// ping sockets, a note and the TCP samples; where it allows them, the
	// echoes next to the connects, each sample with its method, kept by
	// the history through its reply.
	t.Run("icmp", func(t *testing.T) {
		const sysctl = "/proc/sys/net/ipv4/ping_group_range"
		old, err := os.ReadFile(sysctl)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.WriteFile(sysctl, old, 0o644) })
		set := func(v string) {
			t.Helper()
			if err := os.WriteFile(sysctl, []byte(v), 0o644); err != nil {
				t.Fatalf("set %s to %q in the test's own namespace: %v", sysctl, v, err)
			}
		}
		icmpAudit := func(t *testing.T, args ...string) (reports.Address, string) {
			t.Helper()
			args = append([]string{"audit", "-o", "json", "--resolver", resolver.Addr, "--mmdb", mmdb, "--rtt", "--rtt-icmp",
				"--vantage-location", "-6.2,106.8"}, append(args, "www.rtt.test")...)
			code, stdout, stderr := runHostwatch(t, args...)
			if code != 0 {
				t.Fatalf("hostwatch %s: exit %d: %s", strings.Join(args, " "), code, stderr)
			}
			if err := schema.Validate([]byte(stdout), "report.v1.schema.json", ""); err != nil {
				t.Errorf("the report does not follow its schema: %v", err)
			}
			var doc reports.Document
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			return addr(t, doc, "www.rtt.test"), stderr
		}
		count := func(r *reports.RTTJSON) (tcp, echoes int) {
			for _, s := range r.Samples {
				if s.Method == "icmp-echo" {
					echoes++
					if s.Reply != "echo-reply" || s.Port != 0 || s.Millis > 20 {
						t.Errorf("echo sample %+v", s)
					}
				} else if s.Reply == "syn-ack" && s.Port == 443 {
					tcp++
				}
			}
			return tcp, echoes
		}

		set("1\t0") // nobody may
		a, stderr := icmpAudit(t)
		r := a.RTT
		if tcp, echoes := count(r); tcp != 3 || echoes != 0 || r.Method != "tcp-connect+icmp-echo" || r.ICMPFailure != "not_permitted" ||
			!strings.Contains(r.ICMPError, "ping_group_range") || r.Error != "" {
			t.Errorf("ping sockets forbidden: rtt %+v", r)
		}
		if r.Bound == nil || !r.Bound.Contradicted {
			t.Errorf("the TCP samples no longer bound: %+v", r.Bound)
		}
		if !strings.Contains(stderr, "--rtt-icmp: unprivileged ping sockets are not permitted here") {
			t.Errorf("no note on stderr: %q", stderr)
		}
		for lang, want := range map[string]string{"en": "ICMP echoes missing: unprivileged ICMP echo (ping sockets) is not permitted here",
			"id": "ICMP echo tidak didapat: soket ping tidak diizinkan di sini (net.ipv4.ping_group_range)"} {
			// Markdown, whose notes are not wrapped; it escapes the underscore.
			code, stdout, stderr := runHostwatch(t, "audit", "-o", "markdown", "--lang", lang, "--resolver", resolver.Addr, "--mmdb", mmdb,
				"--rtt", "--rtt-icmp", "www.rtt.test")
			if code != 0 || !strings.Contains(strings.ReplaceAll(stdout, `\_`, "_"), want) {
				t.Errorf("--lang %s: exit %d, %q not in:\n%s%s", lang, code, want, stdout, stderr)
			}
		}

		set("0\t2147483647") // everyone may
		a, stderr = icmpAudit(t)
		r = a.RTT
		if tcp, echoes := count(r); tcp != 3 || echoes != 3 || r.ICMPError != "" || r.ICMPFailure != "" || r.Bound == nil || !r.Bound.Contradicted {
			t.Errorf("ping sockets allowed: rtt %+v", r)
		}
		least := r.Samples[0].Millis
		for _, s := range r.Samples {
			least = min(least, s.Millis)
		}
		if *r.MinMillis != least {
			t.Errorf("min %v ms, want the least of all samples %v", *r.MinMillis, least)
		}
		if strings.Contains(stderr, "ping sockets") {
			t.Errorf("a note where ping sockets are allowed: %q", stderr)
		}
		for lang, want := range map[string]string{"en": "; ICMP echo ", "id": "; ICMP echo "} {
			code, stdout, _ := runHostwatch(t, "audit", "-o", "table", "--lang", lang, "--resolver", resolver.Addr, "--mmdb", mmdb,
				"--rtt", "--rtt-icmp", "www.rtt.test")
			if code != 0 || !strings.Contains(stdout, want) {
				t.Errorf("--lang %s: exit %d, %q not in:\n%s", lang, code, want, stdout)
			}
		}
		// The history keeps each sample's method (through its reply).
		db := filepath.Join(t.TempDir(), "history.db")
		if code, _, stderr := runHostwatch(t, "check", "--db", db, "--resolver", resolver.Addr, "--mmdb", mmdb, "--rtt", "--rtt-icmp",
			"--vantage", "jakarta", "--vantage-location", "-6.2,106.8", "www.rtt.test"); code != 0 {
			t.Fatalf("check: exit %d: %s", code, stderr)
		}
		code, stdout, stderr := runHostwatch(t, "history", "--db", db, "--bounds", rttListening, "-o", "json")
		var bd reports.BoundsDocument
		if code != 0 || json.Unmarshal([]byte(stdout), &bd) != nil || len(bd.Vantages) != 1 {
			t.Fatalf("history --bounds: exit %d: %s%s", code, stdout, stderr)
		}
		if tcp, echoes := count(bd.Vantages[0].RTT); tcp != 3 || echoes != 3 || bd.Vantages[0].RTT.Method != "tcp-connect+icmp-echo" {
			t.Errorf("recorded rtt %+v", bd.Vantages[0].RTT)
		}
		if code, _, stderr := runHostwatch(t, "audit", "--resolver", resolver.Addr, "--rtt-icmp", "www.rtt.test"); code != exitUsage || !strings.Contains(stderr, "--rtt-icmp goes with --rtt") {
			t.Errorf("--rtt-icmp without --rtt: exit %d, %s", code, stderr)
		}
	})

	t.Run("private refused", func(t *testing.T) {
		doc := audit(t, "--vantage-location", "-6.2,106.8", "inside.rtt.test")
		a := addr(t, doc, "inside.rtt.test")
		if a.RTT == nil || a.RTT.Refused == nil || a.RTT.Refused.Address != rttPrivate || len(a.RTT.Samples) != 0 {
			t.Errorf("rtt %+v: want refused", a.RTT)
		}
		if n := privateAccepted.get(); n != 0 {
			t.Errorf("the private address was connected to %d times without --allow-private", n)
		}
		// With --allow-private the handshakes complete (SYN-ACK, from the
		// listener: its accept count may lag behind the kernel's handshake).
		doc = audit(t, "--vantage-location", "-6.2,106.8", "--allow-private", "inside.rtt.test")
		measured(t, addr(t, doc, "inside.rtt.test"), "syn-ack")
	})
}
