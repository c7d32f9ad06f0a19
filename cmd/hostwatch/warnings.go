package main

import (
	"fmt"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
)

// dataWarnings prints what went wrong reading the attribution data during
// the run (lookups that failed in a --mmdb file, country codes dropped) to
// stderr, and returns the warnings for the report, so that no fallback to
// other data is silent.
func dataWarnings(streams IOStreams, db *attribution.DB) []probe.Warning {
	ws := db.Problems()
	for _, w := range ws {
		fmt.Fprintf(streams.ErrOut, "hostwatch: warning: %s\n", w)
	}
	return probe.DataWarnings(ws)
}
