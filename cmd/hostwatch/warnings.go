package main

import (
	"fmt"

	"github.com/hostwatch/hostwatch/attribution"
)

// dataWarnings prints what went wrong reading the attribution data during
// the run (lookups that failed in a --mmdb file, country codes dropped) to
// stderr, and returns the lines for the report, so that no fallback to
// other data is silent.
func dataWarnings(streams IOStreams, db *attribution.DB) []string {
	ws := db.Warnings()
	for _, w := range ws {
		fmt.Fprintf(streams.ErrOut, "hostwatch: warning: %s\n", w)
	}
	return ws
}
