package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/reports"
)

// runBounds is history --bounds ADDR: every vantage's recorded round trips
// to the address, intersected.
func runBounds(ctx context.Context, streams IOStreams, opts *historyOptions, args []string, since, until time.Time) error {
	switch {
	case len(args) > 0:
		return fmt.Errorf("--bounds reads the round trips to one address; it takes no domains (got %s)", strings.Join(args, " "))
	case opts.daily:
		return errors.New("--bounds and --daily do not go together")
	case !slices.Contains([]string{"table", "json", "markdown", "html"}, opts.output):
		return fmt.Errorf("--bounds writes table, json, markdown or html, not -o %s", opts.output)
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(opts.bounds))
	if err != nil || addr.Zone() != "" {
		return fmt.Errorf("--bounds %q: not an IP address", opts.bounds)
	}
	addr = addr.Unmap()
	store, path, err := openStore(ctx, opts.db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	ms, err := store.Measurements(ctx, addr)
	if err != nil {
		return runError{fmt.Errorf("read the history: %w", err)}
	}
	ms = slices.DeleteFunc(ms, func(m history.Measurement) bool {
		return (!since.IsZero() && m.MeasuredAt.Before(since)) || (!until.IsZero() && !m.MeasuredAt.Before(until)) ||
			(opts.vantage != nil && m.Vantage != strings.TrimSpace(*opts.vantage))
	})
	if len(ms) == 0 {
		return fmt.Errorf("%s holds no round trips to %s from the vantage or in the time asked (check --rtt records them, with --vantage-location to bound them)", path, addr)
	}
	shapes, err := geo.LoadShapes()
	if err != nil {
		return runError{err}
	}
	vs, combined := history.Bounds(ms, shapes)
	b := reports.Bounds{GeneratedAt: streams.Now().UTC(), ToolVersion: streams.Version, Database: path, Address: addr,
		Vantages: vs, Combined: combined}
	lang := opts.lang.resolve(streams.Getenv)
	if opts.output == "html" {
		err = reports.WriteBoundsHTMLIn(streams.Out, b, lang)
	} else {
		err = reports.WriteBoundsIn(streams.Out, opts.output, b, lang)
	}
	if err != nil {
		return runError{err}
	}
	return nil
}
