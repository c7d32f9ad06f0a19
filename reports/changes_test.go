package reports

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// sampleCheck is what a check run from jakarta reports at each of the
// sample's telling runs: the change of resolver, the move to FR, and the
// last run's change awaiting confirmation.
func sampleCheck(t *testing.T) Check {
	t.Helper()
	_, changes := history.Timeline(sampleSpans(t), history.Options{})
	var picked []probe.Change
	for _, c := range changes {
		if c.Vantage != "jakarta" {
			continue
		}
		if c.Kind() == probe.ChangeView || c.Pending() || c.IsMove() && c.After.Countries[0] == "FR" {
			picked = append(picked, c)
		}
	}
	if len(picked) != 3 {
		t.Fatalf("picked %d changes, want 3: %+v", len(picked), picked)
	}
	return Check{
		GeneratedAt: time.Date(2024, 2, 18, 0, 0, 0, 0, time.UTC), ToolVersion: "v0.1.0-test", Database: "history.db",
		Recorded: true, Vantage: "jakarta", Confirm: 2,
		Resolvers: []string{"192.0.2.54:53"}, Domains: 1, Changes: slices.Values(picked),
		Violations: []probe.Violation{{Domain: "sirekap-web.kpu.go.id", Address: netip.MustParseAddr("51.210.1.10"), ASN: 16276, Country: "FR", Policy: probe.PolicyAllowCountry, Values: []string{"ID"}}},
		Matched:    []string{"country_changed (sirekap-web.kpu.go.id)", "policy (sirekap-web.kpu.go.id 51.210.1.10)"},
	}
}

func TestWriteCheck(t *testing.T) {
	t.Parallel()
	c := sampleCheck(t)
	for format, name := range map[string]string{"table": "check.txt.golden", "markdown": "check.md.golden", "json": "check.json.golden"} {
		var buf bytes.Buffer
		if err := WriteCheck(&buf, format, c); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
		if format == "json" {
			validateAs(t, buf.Bytes(), "check.v1.schema.json", "")
		}
	}
	// A run that failed records nothing, and says why.
	c.RunFailed, c.Recorded, c.Changes = "no resolver answered any query", false, nil
	var buf bytes.Buffer
	if err := WriteCheck(&buf, "json", c); err != nil {
		t.Fatal(err)
	}
	validateAs(t, buf.Bytes(), "check.v1.schema.json", "")
}

// sampleDiff is a diff of two saved reports: the sample's moves as diff
// finds them, one domain new.
func sampleDiff(t *testing.T) Diff {
	t.Helper()
	c := sampleCheck(t)
	var changes []probe.Change
	for ch := range c.Changes {
		if !ch.Pending() {
			ch.Confirm, ch.Seen = 1, 1
			changes = append(changes, ch)
		}
	}
	changes = append(changes, probe.Change{Domain: "new.kpu.go.id", Kinds: []probe.ChangeKind{probe.ChangeNew}, Seen: 1, Confirm: 1,
		After: probe.Hosting{Status: "ok", Countries: []string{"ID"}}, AfterAt: c.GeneratedAt, ConfirmedAt: c.GeneratedAt})
	side := func(file string, at time.Time, n int) DiffSide {
		r := probe.Report{GeneratedAt: at, ToolVersion: "v0.1.0-test", Resolvers: []string{"192.0.2.54:53"},
			Vantage: probe.Vantage{Name: "jakarta", TimeZone: "Asia/Jakarta (+07:00)"}, Observations: make([]probe.Observation, n)}
		return DiffSide{File: file, SHA256: strings.Repeat("ab", 32), Report: r}
	}
	return Diff{GeneratedAt: c.GeneratedAt.Add(time.Hour), ToolVersion: "v0.2.0-test",
		Before:  side("before.json", time.Date(2024, 2, 16, 10, 0, 0, 0, time.UTC), 1),
		After:   side("after.json", time.Date(2024, 2, 16, 19, 0, 0, 0, time.UTC), 2),
		Domains: 2, Changes: changes, Matched: []string{"country_changed (sirekap-web.kpu.go.id)"}}
}

func TestWriteDiff(t *testing.T) {
	t.Parallel()
	d := sampleDiff(t)
	for format, name := range map[string]string{"table": "diff.txt.golden", "markdown": "diff.md.golden", "json": "diff.json.golden"} {
		var buf bytes.Buffer
		if err := WriteDiff(&buf, format, d); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
		out := buf.String()
		// A diff has its own words; it checks nothing and records nothing.
		nots := []string{"checked", "check", "database", "Recorded", "policy"}
		if format != "json" {
			nots = append(nots, "pending") // a field of every change in JSON
		}
		for _, not := range nots {
			if strings.Contains(out, not) {
				t.Errorf("%s: the diff says %q:\n%s", format, not, out)
			}
		}
		switch format {
		case "json":
			validateAs(t, buf.Bytes(), "diff.v1.schema.json", "")
		case "markdown":
			doc := renderGFM(t, buf.Bytes())
			checkTables(t, doc, buf.Bytes())
			if !strings.Contains(textOf(doc), "Before: before.json, taken 2024-02-16T10:00:00Z from vantage jakarta") {
				t.Errorf("the diff does not name the report before:\n%s", out)
			}
		}
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	base := sampleCheck(t)
	tests := []struct {
		name      string
		edit      func(c *Check)
		want, not []string
	}{{
		name: "recorded",
		want: []string{
			"1 domain checked: 2 changes (1 move), 1 pending, 1 policy violation; failing on",
			"\nMoves: a move is a new provider or country, confirmed over 2 runs\n",
			"sirekap-web.kpu.go.id: country_changed, provider_changed, asn_changed, addresses_changed (moved)\n",
			"sirekap-web.kpu.go.id: view_changed\n",
			"(last seen 2024-02-16T10:00:00Z) via 192.0.2.53:53\n",
			"(first seen 2024-02-16T11:00:00Z) via 192.0.2.54:53\n",
			"sirekap-web.kpu.go.id: pending (1 of 2): country_changed, provider_changed, asn_changed, addresses_changed\n",
			"  after:  SG  AS45102  Alibaba Cloud  8.219.1.1  (first seen 2024-02-17T05:00:00Z)\n",
			"Vantage: jakarta\n", "Recorded in: history.db\n",
		},
		not: []string{"Nothing was recorded", "pending (1 of 2): country_changed, provider_changed, asn_changed, addresses_changed (moved)"},
	}, {
		name: "nothing recorded",
		edit: func(c *Check) {
			c.Recorded, c.Changes, c.Violations, c.Matched, c.RunFailed = false, nil, nil, nil, "no resolver answered"
		},
		want: []string{"1 domain checked: 0 changes (0 moves), 0 policy violations; the run failed: no resolver answered\n",
			"Nothing was recorded in history.db\n"},
		not: []string{"Recorded in", "pending"},
	}, {
		name: "no database",
		edit: func(c *Check) { c.Recorded, c.Database, c.Vantage, c.Confirm = false, "", "", 1 },
		want: []string{"Moves: a move is a new provider or country, counted at once (--confirm 1)\n"},
		not:  []string{"Recorded in", "Nothing was recorded", "Vantage:"},
	}, {
		name: "diff of two reports",
		edit: func(c *Check) { c.Recorded, c.Database, c.Vantage, c.Confirm = false, "", "", 0 },
		want: []string{"\nMoves: a move is a new provider or country\n"},
		not:  []string{"--confirm", "Recorded in", "Nothing was recorded"},
	}, {
		name: "control characters from outside",
		edit: func(c *Check) {
			c.Violations[0].Country = "FR \x1b[2J\x1b]0;pwned\x07\u202e"
		},
		want: []string{`country FR \x1b[2J\x1b]0;pwned\x07\u202e is not allowed (--allow-country ID)` + "\n"},
		not:  []string{"\x1b", "\x07", "\u202e"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := base
			c.Violations = append([]probe.Violation(nil), base.Violations...)
			if tt.edit != nil {
				tt.edit(&c)
			}
			// Wide enough for every sentence to be one line.
			c.Width = 1000
			var buf bytes.Buffer
			if err := WriteCheck(&buf, "table", c); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("the check does not say %q:\n%s", w, buf.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(buf.String(), n) {
					t.Errorf("the check says %q:\n%s", n, buf.String())
				}
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteCheck(&buf, "json", sampleCheck(t)); err != nil {
		t.Fatal(err)
	}
	var doc CheckDocument
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Recorded || doc.Vantage != "jakarta" || doc.Confirm != 2 || doc.Moves != 1 || doc.Pending != 1 ||
		!strings.HasPrefix(doc.MoveRule, probe.MoveRule) {
		t.Errorf("document: recorded %v, vantage %q, confirm %d, moves %d, pending %d", doc.Recorded, doc.Vantage, doc.Confirm, doc.Moves, doc.Pending)
	}
	for _, c := range doc.Changes {
		if c.Vantage != "jakarta" || c.Move != c.CountsAsMove || c.Pending && c.CountsAsMove {
			t.Errorf("change %s: vantage %q, move %v, counts_as_move %v, pending %v", c.Kind, c.Vantage, c.Move, c.CountsAsMove, c.Pending)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a|b":                 `a\|b`,
		"[x](javascript:1)":   `\[x\](javascript:1)`,
		"<script>":            "&lt;script&gt;",
		"+Net & Telecom":      "+Net &amp; Telecom",
		"two\nlines":          "two lines",
		`back\|slash`:         `back\\\|slash`,
		"_dmarc.*example*`x`": "\\_dmarc.\\*example\\*\\`x\\`",
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckEncoded: a check's changes spooled as CheckEncoder words them
// make the same report, byte for byte, as the changes themselves, in every
// format that has an encoder, in both languages, at any width, whatever
// the order they came in (those awaiting confirmation first or last).
func TestCheckEncoded(t *testing.T) {
	t.Parallel()
	c := sampleCheck(t)
	picked := slices.Collect(c.Changes)
	reversed := slices.Clone(picked)
	slices.Reverse(reversed)
	for _, changes := range [][]probe.Change{picked, reversed} {
		for _, format := range []string{"json", "table", "markdown", "html"} {
			for _, lang := range []i18n.Lang{i18n.English, i18n.Indonesian} {
				for _, width := range []int{0, 50} {
					c.Width, c.Changes = width, slices.Values(changes)
					var want bytes.Buffer
					if err := WriteCheckIn(&want, format, c, lang); err != nil && format != "html" {
						t.Fatal(err)
					}
					encode, ok, err := CheckEncoder(format, c, lang)
					if err != nil {
						t.Fatal(err)
					}
					if format == "html" {
						if ok {
							t.Errorf("html has an encoder")
						}
						continue
					}
					if !ok {
						t.Fatalf("%s has no encoder", format)
					}
					var encoded []EncodedChange
					var tally ChangeTally
					for _, ch := range changes {
						encoded = append(encoded, EncodedChange{Pending: ch.Pending(), Bytes: encode(nil, ch)})
						tally.Add(ch)
					}
					e := c
					e.Changes, e.Encoded, e.Tally = nil, slices.Values(encoded), &tally
					var got bytes.Buffer
					if err := WriteCheckIn(&got, format, e, lang); err != nil {
						t.Fatal(err)
					}
					if got.String() != want.String() {
						t.Errorf("%s, %s, width %d: encoded changes wrote\n%s\nwant\n%s", format, lang, width, got.String(), want.String())
					}
				}
			}
		}
	}
}
