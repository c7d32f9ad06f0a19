package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports"
)

type historyOptions struct {
	db      string
	output  string
	lang    langFlag
	since   string
	until   string
	daily   bool
	confirm int
	vantage *string // nil: every vantage
	bounds  string  // --bounds ADDR
}

func newHistoryCmd(streams IOStreams) *cobra.Command {
	opts := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history [flags] [DOMAIN...]",
		Short: "Show the recorded timeline of domains: periods, moves, and daily rows",
		Long: fmt.Sprintf(`history reads the database that check writes and shows, for each domain (or
the ones named), the periods in which its hosting did not move (from, to,
addresses, networks, organisations, countries) and the moves between them,
summed up in one line such as "moved 3 times since 2024-02-01: ID → SG → FR → SG",
with the rule the count follows next to it: a move is a new (provider,
country) pair among the domain's non-CDN addresses, or a new CDN, confirmed
over --confirm runs (by default the value each check recorded). A change
still waiting for its confirmation shows as "pending (1 of 2)".

Every vantage (check --vantage) has its own timeline; history shows each,
and where two vantages saw different places at the same time: where their
periods overlap, or lie within %d minutes of each other, each the other's
nearest (runs started together reach a domain seconds apart). --vantage
shows one.

--daily writes CSV with one row per day, vantage, domain and address that
was observed that day: when it was first and last seen that day, and how
many times.

--bounds ADDR reads the round trips that check --rtt recorded to the address
from every vantage, keeps each vantage's least, and intersects their disks
(min RTT × 100 km around each --vantage-location): the countries every disk
meets are possible, and when two disks do not meet at all no single place is
within reach of both, so the address answers from more than one place: it
is anycast (the speed-of-light test of anycast studies, Cicalese et al. 2015).

`, int(reports.SameTime/time.Minute)) + exitHelp(exitDone,
			exitDoc{exitUsage, "usage or input error: bad flag or time, a domain the file never recorded, an address --bounds finds no round trips to, a missing, damaged or newer history file"},
			exitWriteFailed),
		Example: `  hostwatch history sirekap-web.kpu.go.id --db history.db
  hostwatch history --db history.db --vantage jakarta -o csv --daily > daily.csv
  hostwatch history --since 2024-02-01 --until 2024-03-01 -o markdown
  hostwatch history --db history.db --bounds 170.33.13.55`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd.Context(), streams, opts, args)
		},
	}
	fs := cmd.Flags()
	bindDB(fs, &opts.db)
	bindLang(fs, &opts.lang)
	fs.StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: "+formatList(outputFormats("history")))
	fs.StringVar(&opts.since, "since", "", "only observations from `TIME` on (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&opts.until, "until", "", "only observations before `TIME` (YYYY-MM-DD or RFC 3339)")
	fs.BoolVar(&opts.daily, "daily", false, "CSV with one row per day, domain and address (implies -o csv)")
	fs.IntVar(&opts.confirm, "confirm", 0, "count a move only after it held for `N` consecutive observations (default: as each check recorded)")
	fs.StringVar(&opts.bounds, "bounds", "", "intersect the disks of every vantage's recorded round trips (check --rtt) to `ADDR`: the countries still possible, and anycast when two disks do not meet (table, json, markdown or html)")
	vantage := fs.String("vantage", "", "show only the timeline seen from vantage `NAME` (as given to check --vantage)")
	cmd.PreRun = func(cmd *cobra.Command, _ []string) {
		if cmd.Flags().Changed("vantage") {
			opts.vantage = vantage
		}
	}
	return cmd
}

// parseWhen reads a --since/--until value: a date (midnight UTC) or an RFC 3339 time.
func parseWhen(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want a date (2024-02-01) or an RFC 3339 time (2024-02-01T08:00:00Z)", flag, s)
	}
	return t.UTC(), nil
}

func runHistory(ctx context.Context, streams IOStreams, opts *historyOptions, args []string) error {
	if opts.daily {
		if opts.output != "table" && opts.output != "csv" {
			return fmt.Errorf("--daily writes CSV; it cannot be combined with -o %s", opts.output)
		}
		opts.output = "csv"
	}
	if err := checkFormat(opts.output, outputFormats("history")...); err != nil {
		return err
	}
	if opts.confirm < 0 {
		return fmt.Errorf("--confirm must be 1 or more, got %d", opts.confirm)
	}
	since, err := parseWhen("--since", opts.since)
	if err != nil {
		return err
	}
	until, err := parseWhen("--until", opts.until)
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		return fmt.Errorf("--until %s is not after --since %s", opts.until, opts.since)
	}
	if opts.bounds != "" {
		return runBounds(ctx, streams, opts, args, since, until)
	}
	domains := make([]string, 0, len(args))
	for _, a := range args {
		t := probe.ParseTarget(a, "args", 0)
		if t.Err != nil {
			return t.Err
		}
		domains = append(domains, t.Domain)
	}
	store, path, err := openStore(ctx, opts.db, false)
	if err != nil {
		return err
	}
	defer store.Close()
	q := history.Query{Domains: domains, Since: since, Until: until, AllVantages: opts.vantage == nil}
	if opts.vantage != nil {
		q.Vantage = strings.TrimSpace(*opts.vantage)
	}
	h := reports.History{GeneratedAt: streams.Now().UTC(), ToolVersion: streams.Version, Database: path,
		Since: since, Until: until, Confirm: opts.confirm, Width: streams.Width}
	if opts.vantage != nil {
		h.Vantages = []string{q.Vantage}
	} else if h.Vantages, err = store.Vantages(ctx); err != nil {
		return runError{err}
	}
	switch {
	case len(domains) == 0 && opts.daily:
		return streamDaily(ctx, streams, store, q)
	case len(domains) == 0 && opts.output != "html":
		return streamHistory(ctx, streams, store, q, h, opts)
	}
	spans, err := store.Spans(ctx, q)
	if err != nil {
		return runError{fmt.Errorf("read the history: %w", err)}
	}
	found := map[string]bool{}
	for _, sp := range spans {
		found[sp.Domain] = true
	}
	var unknown []string
	for _, d := range domains {
		if !found[d] {
			unknown = append(unknown, d)
		}
	}
	// A name the file has never seen is an error (a typo must not read as
	// "no move"); one seen, but not in the time or vantage asked, is a note.
	var never []string
	if len(unknown) > 0 {
		all, err := store.Domains(ctx)
		if err != nil {
			return runError{err}
		}
		for _, d := range unknown {
			if !slices.Contains(all, d) {
				never = append(never, d)
			}
		}
		if len(never) < len(unknown) {
			where := path
			if opts.vantage != nil {
				where = fmt.Sprintf("%s from vantage %q", path, q.Vantage)
			}
			fmt.Fprintf(streams.ErrOut, "hostwatch: no observations of %s in %s (recorded, but not from the vantage or in the time asked)\n",
				strings.Join(slices.DeleteFunc(slices.Clone(unknown), func(d string) bool { return slices.Contains(never, d) }), ", "), where)
		}
	}
	if !opts.daily {
		h.Domains = timelines(spans, history.Options{Confirm: opts.confirm})
	}
	switch {
	case opts.daily:
		err = reports.WriteDailyCSV(streams.Out, spans)
	case opts.output == "html":
		err = reports.WriteHistoryHTMLIn(streams.Out, h, opts.lang.resolve(streams.Getenv))
	default:
		err = reports.WriteHistoryIn(streams.Out, opts.output, h, opts.lang.resolve(streams.Getenv))
	}
	if err != nil {
		return runError{err}
	}
	if len(never) > 0 {
		return fmt.Errorf("%s never recorded %s (hostwatch check records a domain)", path, strings.Join(never, ", "))
	}
	return nil
}

// timelines replays spans (ordered by domain and vantage, as Spans returns
// them) into one timeline per domain and vantage, in that order.
func timelines(spans []history.Span, opts history.Options) []reports.DomainHistory {
	var out []reports.DomainHistory
	for i := 0; i < len(spans); {
		j := i
		for j < len(spans) && spans[j].Domain == spans[i].Domain && spans[j].Vantage == spans[i].Vantage {
			j++
		}
		periods, changes := history.Timeline(spans[i:j], opts)
		out = append(out, reports.DomainHistory{Domain: spans[i].Domain, Vantage: spans[i].Vantage,
			Confirm: history.ConfirmOf(spans[i:j], opts), Periods: periods, Changes: changes})
		i = j
	}
	return out
}

// historyBatch is how many domains streamHistory reads in one query, and
// dailyBatch how many streamDaily does: the daily CSV keeps every span of
// the domains it reads, across all of the history's days, until it has
// made their rows.
const (
	historyBatch = 1000
	dailyBatch   = 100
)

// streamHistory writes the history of every domain q selects (q.Domains is
// not read) a batch of domains at a time: a page of their names, then their
// spans in one query, replayed, written and dropped, so memory does not grow
// with the database. The HTML page, which needs every domain at once, does
// not come here.
func streamHistory(ctx context.Context, streams IOStreams, store history.Store, q history.Query, h reports.History, opts *historyOptions) error {
	hw, err := reports.NewHistoryWriter(streams.Out, opts.output, h, opts.lang.resolve(streams.Getenv))
	if err != nil {
		return runError{err}
	}
	defer hw.Close()
	err = eachDomainPage(ctx, store, q, historyBatch, func(spans []history.Span) error {
		return hw.Add(timelines(spans, history.Options{Confirm: opts.confirm}))
	})
	if err != nil {
		return err
	}
	if err := hw.Finish(); err != nil {
		return runError{err}
	}
	return nil
}

// streamDaily writes the daily CSV of every domain q selects (q.Domains is
// not read) a batch of domains at a time: their rows are made and kept,
// sorted into a temporary file when there are many (reports.DailyWriter),
// and merged in the CSV's order at the end, so that a long history of many
// domains is written in bounded memory.
func streamDaily(ctx context.Context, streams IOStreams, store history.Store, q history.Query) error {
	d := reports.NewDailyWriter(streams.Out)
	defer d.Close()
	if err := eachDomainPage(ctx, store, q, dailyBatch, d.Add); err != nil {
		return err
	}
	if err := d.Finish(); err != nil {
		return runError{err}
	}
	return nil
}

// eachDomainPage reads the spans q selects for every domain of the store
// (q.Domains is not read), size domains at a time, and gives each page's
// spans to add. Each page is its own query: a run committed meanwhile
// shows in the pages read after it.
func eachDomainPage(ctx context.Context, store history.Store, q history.Query, size int, add func([]history.Span) error) error {
	for after := ""; ; {
		batch, err := store.DomainsAfter(ctx, after, size)
		if err != nil {
			return runError{err}
		}
		if len(batch) == 0 {
			return nil
		}
		after = batch[len(batch)-1]
		q.Domains = batch
		spans, err := store.Spans(ctx, q)
		if err != nil {
			return runError{fmt.Errorf("read the history: %w", err)}
		}
		if err := add(spans); err != nil {
			return runError{err}
		}
	}
}
