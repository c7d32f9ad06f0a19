package main

import (
	"context"
	"fmt"
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
	since   string
	until   string
	daily   bool
	confirm int
}

func newHistoryCmd(streams IOStreams) *cobra.Command {
	opts := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history [flags] [DOMAIN...]",
		Short: "Show the recorded timeline of domains: periods, moves, and daily rows",
		Long: `history reads the database that check writes and shows, for each domain (or
the ones named), the periods in which its hosting did not move (from, to,
addresses, networks, organisations, countries) and the moves between them,
summed up in one line such as "moved 3 times since 2024-02-01: ID → SG → FR → SG".

--daily writes CSV with one row per day, domain and address.

` + exitCodesHelp,
		Example: `  hostwatch history sirekap-web.kpu.go.id --db history.db
  hostwatch history --db history.db -o csv --daily > daily.csv
  hostwatch history --since 2024-02-01 --until 2024-03-01 -o markdown`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd.Context(), streams, opts, args)
		},
	}
	fs := cmd.Flags()
	bindDB(fs, &opts.db)
	fs.StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: table, json, csv or markdown")
	fs.StringVar(&opts.since, "since", "", "only observations from `TIME` on (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&opts.until, "until", "", "only observations before `TIME` (YYYY-MM-DD or RFC 3339)")
	fs.BoolVar(&opts.daily, "daily", false, "CSV with one row per day, domain and address (implies -o csv)")
	fs.IntVar(&opts.confirm, "confirm", 1, "count a move only after it held for `N` consecutive observations")
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
	if err := checkFormat(opts.output, "table", "json", "csv", "markdown"); err != nil {
		return err
	}
	if opts.confirm < 1 {
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
	if len(domains) == 0 {
		if domains, err = store.Domains(ctx); err != nil {
			return runError{err}
		}
	}
	h := reports.History{GeneratedAt: streams.Now().UTC(), ToolVersion: streams.Version, Database: path, Since: since, Until: until}
	var all []history.Span
	var unknown []string
	for _, d := range domains {
		spans, err := store.Spans(ctx, d, since, until)
		if err != nil {
			return runError{fmt.Errorf("read the history of %s: %w", d, err)}
		}
		if len(spans) == 0 {
			unknown = append(unknown, d)
			continue
		}
		if opts.daily {
			all = append(all, spans...)
			continue
		}
		periods, changes := history.Timeline(spans, history.Options{Confirm: opts.confirm})
		h.Domains = append(h.Domains, reports.DomainHistory{Domain: d, Periods: periods, Changes: changes})
	}
	if len(unknown) > 0 && len(args) > 0 {
		fmt.Fprintf(streams.ErrOut, "hostwatch: no observations of %s in %s\n", strings.Join(unknown, ", "), path)
	}
	if opts.daily {
		err = reports.WriteDailyCSV(streams.Out, all)
	} else {
		err = reports.WriteHistory(streams.Out, opts.output, h)
	}
	if err != nil {
		return runError{err}
	}
	return nil
}
