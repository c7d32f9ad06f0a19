package main

import (
	"testing"

	"github.com/hostwatch/hostwatch/probe"
)

// TestFailOnMatch checks that a failing change is named by what --fail-on
// asked for, not by the change's own first kind.
func TestFailOnMatch(t *testing.T) {
	moved := probe.Change{Domain: "web.kpu.go.id", Kinds: []probe.ChangeKind{probe.ChangeCountry, probe.ChangeProvider, probe.ChangeASN}, Move: true}
	renumbered := probe.Change{Domain: "web.kpu.go.id", Kinds: []probe.ChangeKind{probe.ChangeNetwork, probe.ChangeASN}}
	pending := moved
	pending.Confirm, pending.Seen = 2, 1
	for _, tc := range []struct {
		name    string
		failOn  string
		change  probe.Change
		want    string
		matched bool
	}{
		{"move named as a move", "move", moved, "move", true},
		{"move before its kinds", "country,move", moved, "move", true},
		{"the kind asked for, not the first", "asn", moved, "asn_changed", true},
		{"the first kind asked for", "asn,country", moved, "country_changed", true},
		{"renumbering is no move", "move", renumbered, "", false},
		{"renumbering by kind", "network", renumbered, "network_changed", true},
		{"pending never fails", "move,country", pending, "", false},
		{"nothing asked", "gone", moved, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFailOn([]string{tc.failOn})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := f.match(tc.change)
			if got != tc.want || ok != tc.matched {
				t.Errorf("match = %q, %v; want %q, %v", got, ok, tc.want, tc.matched)
			}
		})
	}
}
