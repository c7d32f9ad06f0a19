package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/resolvers"
)

type checkOptions struct {
	audit   auditOptions
	db      string
	output  string
	failOn  []string
	allowCC []string
	denyCC  []string
	allowAS []string
	confirm int
}

const checkExitHelp = `Exit codes:
  0    nothing matched: no change named by --fail-on, no policy violation
  1    a change named by --fail-on, or a policy violation, was found (the output says which)
  2    usage or input error (bad flag or name, missing file, unreadable or newer database)
  3    the run itself failed (no resolver answered at all); nothing was recorded
  130  interrupted (Ctrl-C); nothing was recorded`

func newCheckCmd(streams IOStreams) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [flags] DOMAIN...",
		Short: "Audit, record the observation, and report what changed since last time (for CI)",
		Long: `check runs an audit (it takes every audit flag), records each observation in
the history database, compares it with the domain's history and prints the
changes: moves of country, provider or network, rotations, CNAME and status
changes. With --fail-on it fails when a change of those kinds is found; with
--allow-country, --deny-country and --allow-asn it checks a hosting policy on
every run, changed or not.

Moves are decided on the sets of networks and countries, not on single
addresses, so a round-robin pool answering different subsets is no move, and a
resolver that times out (unresolved) never reads as a move.

` + checkExitHelp,
		Example: `  hostwatch check -f watch.txt --db history.db
  hostwatch check -f watch.txt --fail-on country,asn
  hostwatch check -f watch.txt --allow-country ID
  hostwatch check -f watch.txt --fail-on move -o markdown >> "$GITHUB_STEP_SUMMARY"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.Context(), streams, opts, args)
		},
	}
	fs := cmd.Flags()
	opts.audit.bindResolution(fs)
	bindDB(fs, &opts.db)
	fs.StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: table, json or markdown")
	fs.StringArrayVar(&opts.failOn, "fail-on", nil, failOnHelp)
	fs.StringArrayVar(&opts.allowCC, "allow-country", nil, "policy: every address must be in one of these `CC` codes (comma-separated, repeatable)")
	fs.StringArrayVar(&opts.denyCC, "deny-country", nil, "policy: no address may be in these `CC` codes (comma-separated, repeatable)")
	fs.StringArrayVar(&opts.allowAS, "allow-asn", nil, "policy: every address must be in one of these `ASN`s (7713 or AS7713; comma-separated, repeatable)")
	fs.IntVar(&opts.confirm, "confirm", 1, "report a move only after it held for `N` consecutive observations")
	return cmd
}

func runCheck(ctx context.Context, streams IOStreams, opts *checkOptions, args []string) error {
	if err := checkFormat(opts.output, "table", "json", "markdown"); err != nil {
		return err
	}
	if opts.confirm < 1 {
		return fmt.Errorf("--confirm must be 1 or more, got %d", opts.confirm)
	}
	failOn, err := parseFailOn(opts.failOn)
	if err != nil {
		return err
	}
	var pol policy
	if pol.allowCountries, err = parseCountries("--allow-country", opts.allowCC); err != nil {
		return err
	}
	if pol.denyCountries, err = parseCountries("--deny-country", opts.denyCC); err != nil {
		return err
	}
	if pol.allowASNs, err = parseASNs("--allow-asn", opts.allowAS); err != nil {
		return err
	}
	run, err := prepareAudit(ctx, streams, &opts.audit, args)
	if err != nil {
		return err
	}
	defer run.Close()
	store, path, err := openStore(ctx, opts.db, true)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := sameVantage(ctx, store, path, run.vantageName); err != nil {
		return err
	}

	started := streams.Now().UTC()
	var obs []probe.Observation
	err = probe.Run(ctx, run.targets, run.options, func(o probe.Observation) error {
		obs = append(obs, o)
		return nil
	})
	if errors.Is(err, context.Canceled) {
		// A partial run is not recorded, so it can never read as "nothing changed".
		return fmt.Errorf("interrupted; nothing was recorded: %w", err)
	}
	if err != nil {
		return runError{err}
	}
	result := reports.Check{
		GeneratedAt: started, ToolVersion: streams.Version, Database: path,
		Datasets: run.db.Datasets(), Resolvers: run.resolvers,
		Warnings: attribution.StaleWarnings(run.db.Datasets(), streams.Now()),
		Domains:  len(run.targets) - run.invalid,
	}
	if why := runFailure(obs); why != "" {
		result.RunFailed = why
		if err := reports.WriteCheck(streams.Out, opts.output, result); err != nil {
			return runError{err}
		}
		return runError{errors.New("the run failed: " + why + "; nothing was recorded")}
	}
	info := history.RunInfo{
		StartedAt: started, FinishedAt: streams.Now().UTC(), ToolVersion: streams.Version,
		Datasets: run.db.Datasets(), Resolvers: run.resolvers, Vantage: run.vantageName,
	}
	if _, err := store.Record(ctx, info, obs); err != nil {
		return runError{fmt.Errorf("record the run in %s: %w", path, err)}
	}
	checked := map[string]bool{}
	for _, o := range obs {
		if o.Status == resolvers.StatusInvalid || checked[o.Target.Domain] {
			continue
		}
		checked[o.Target.Domain] = true
		spans, err := store.Spans(ctx, o.Target.Domain, time.Time{}, time.Time{})
		if err != nil {
			return runError{fmt.Errorf("read the history of %s: %w", o.Target.Domain, err)}
		}
		// Only what this run's observation brought: a change confirmed
		// earlier is not reported again.
		for _, c := range history.Latest(spans, history.Options{Confirm: opts.confirm}) {
			result.Changes = append(result.Changes, c)
			if matched := slices.ContainsFunc(c.Kinds, func(k probe.ChangeKind) bool { return slices.Contains(failOn, k) }); matched {
				result.Matched = append(result.Matched, fmt.Sprintf("%s (%s)", c.Kind(), c.Domain))
			}
		}
	}
	result.Violations = pol.violations(obs)
	for _, v := range result.Violations {
		result.Matched = append(result.Matched, fmt.Sprintf("policy (%s %s)", v.Domain, v.Address))
	}
	if err := reports.WriteCheck(streams.Out, opts.output, result); err != nil {
		return runError{err}
	}
	switch {
	case run.invalid > 0:
		return errInputRejected
	case len(result.Matched) > 0:
		fmt.Fprintf(streams.ErrOut, "hostwatch: check failed on %s\n", strings.Join(result.Matched, ", "))
		return errCheckFailed
	}
	return nil
}

// errCheckFailed is returned when a change named by --fail-on or a policy
// violation was found; the output says which.
var errCheckFailed = errors.New("check failed")

// runFailure says why a run told nothing at all: no resolver gave a single
// reply for any domain. Such a run is not recorded.
func runFailure(obs []probe.Observation) string {
	asked := 0
	for _, o := range obs {
		if o.Status == resolvers.StatusInvalid {
			continue
		}
		asked++
		for _, q := range o.Queries {
			if q.Rcode != "" {
				return ""
			}
		}
	}
	if asked == 0 {
		return ""
	}
	return "no resolver answered any query"
}

// sameVantage refuses to record a run from one vantage in a database that
// holds runs from another: geo-DNS and CDNs answer differently by place, so
// comparing them would report moves that are only a change of viewpoint.
func sameVantage(ctx context.Context, store *history.Store, path, vantage string) error {
	vs, err := store.Vantages(ctx)
	if err != nil {
		return runError{err}
	}
	for _, v := range vs {
		if v != vantage {
			return fmt.Errorf("%s holds runs taken from vantage %q, and this run is from %q: answers from two places would be compared as if from one; use one --db per vantage", path, v, vantage)
		}
	}
	return nil
}
