package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/reports/i18n"
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
	shard   string
	shards  int
	group   string
}

const checkExitHelp = `Exit codes:
  0    nothing matched: no change named by --fail-on, no policy violation
  1    a change named by --fail-on, or a policy violation, was found (the output says which)
  2    usage or input error (bad flag or name, missing file, damaged, unreadable or newer
       history file: nothing is written to it)
  3    the run itself failed (no resolver answered at all, the database stayed locked or
       its server could not be reached); nothing was recorded
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

One rule decides what is a move: a new (provider, country) pair among the
domain's non-CDN addresses, or a new CDN, confirmed over --confirm runs. The
provider is the attribution's provider, else the AS organisation, so a
provider renumbering inside one country (network_changed), a round-robin pool
answering different subsets, a resolver that times out (unresolved) and a
change of resolvers or client subnets (view_changed) are never moves.

Each run is compared only with earlier runs from the same --vantage: runs
from many places share one database and keep a timeline each. Two checks on
one database at once serialise their writes, and each reports exactly the
changes it brought. --confirm is recorded with the run, and history reads the
record with it.

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
	bindLang(fs, &opts.audit.lang)
	bindDB(fs, &opts.db)
	fs.StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: "+formatList(outputFormats("check")))
	fs.StringArrayVar(&opts.failOn, "fail-on", nil, failOnHelp)
	fs.StringArrayVar(&opts.allowCC, "allow-country", nil, "policy: every address must be in one of these `CC` codes (comma-separated, repeatable)")
	fs.StringArrayVar(&opts.denyCC, "deny-country", nil, "policy: no address may be in these `CC` codes (comma-separated, repeatable)")
	fs.StringArrayVar(&opts.allowAS, "allow-asn", nil, "policy: every address must be in one of these `ASN`s (7713 or AS7713; comma-separated, repeatable)")
	fs.IntVar(&opts.confirm, "confirm", 1, "report a move or status change only after it held for `N` consecutive observations (recorded with the run)")
	fs.StringVar(&opts.shard, "shard", "", "check only shard `I/N` of the names (I from 0): FNV-1a-64 of the name's ASCII form, mod N")
	fs.IntVar(&opts.shards, "shards", 0, "split the names into `N` shards and check the one $JOB_COMPLETION_INDEX names (a Kubernetes Indexed Job)")
	fs.StringVar(&opts.group, "run-group", "", "tie this run to the other shards of one scheduled run, `ID` (default: $HOSTWATCH_RUN_GROUP, else $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT): history then counts one observation per domain per group")
	return cmd
}

// shardOf reads --shard I/N, or --shards N with the index from
// $JOB_COMPLETION_INDEX.
func shardOf(opts *checkOptions, getenv func(string) string) (probe.Shard, error) {
	switch {
	case opts.shard != "" && opts.shards != 0:
		return probe.Shard{}, errors.New("--shard and --shards do not go together: --shard I/N names the shard, --shards N takes I from $JOB_COMPLETION_INDEX")
	case opts.shard != "":
		sh, err := probe.ParseShard(opts.shard)
		if err != nil {
			return sh, fmt.Errorf("--shard: %w", err)
		}
		return sh, nil
	case opts.shards != 0:
		env := strings.TrimSpace(getenv("JOB_COMPLETION_INDEX"))
		if env == "" {
			return probe.Shard{}, errors.New("--shards N takes the shard from $JOB_COMPLETION_INDEX, which is not set (outside an Indexed Job, give --shard I/N)")
		}
		i, err := strconv.Atoi(env)
		if err != nil {
			return probe.Shard{}, fmt.Errorf("--shards: $JOB_COMPLETION_INDEX %q is not a number", env)
		}
		sh, err := probe.NewShard(i, opts.shards)
		if err != nil {
			return sh, fmt.Errorf("--shards with $JOB_COMPLETION_INDEX: %w", err)
		}
		return sh, nil
	}
	return probe.Shard{}, nil
}

// runGroup is --run-group, else $HOSTWATCH_RUN_GROUP, else GitHub Actions'
// run ID and attempt (a re-run is a new group).
func runGroup(opts *checkOptions, getenv func(string) string) string {
	if g := strings.TrimSpace(opts.group); g != "" {
		return g
	}
	if g := strings.TrimSpace(getenv("HOSTWATCH_RUN_GROUP")); g != "" {
		return g
	}
	id := strings.TrimSpace(getenv("GITHUB_RUN_ID"))
	if id == "" {
		return ""
	}
	if attempt := strings.TrimSpace(getenv("GITHUB_RUN_ATTEMPT")); attempt != "" {
		id += "-" + attempt
	}
	return id
}

func runCheck(ctx context.Context, streams IOStreams, opts *checkOptions, args []string) error {
	if err := checkFormat(opts.output, outputFormats("check")...); err != nil {
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
	if opts.audit.shard, err = shardOf(opts, streams.Getenv); err != nil {
		return err
	}
	group := runGroup(opts, streams.Getenv)
	run, err := prepareAudit(ctx, streams, &opts.audit, args)
	if err != nil {
		return err
	}
	defer run.Close()
	icmpWarning(streams.ErrOut, run.options.RTT)
	store, path, err := openStore(ctx, opts.db, true)
	if err != nil {
		return err
	}
	defer store.Close()

	started := streams.Now().UTC()
	result := reports.Check{
		GeneratedAt: started, ToolVersion: streams.Version, Database: path,
		Datasets: run.db.Datasets(), Resolvers: run.resolvers, Vantage: run.vantageName, Confirm: opts.confirm,
		Warnings: probe.DataWarnings(attribution.Stale(run.db.Datasets(), streams.Now())),
		Width:    streams.Width,
	}
	// Changes are computed inside the write, against what is committed, and
	// published only once the run is; they wait in a file meanwhile. The
	// store may compare observations as they come (emit is then called
	// during the run, never at the same time as another emit).
	spool, err := newChangeSpool()
	if err != nil {
		return runError{err}
	}
	defer spool.Close()
	lang := opts.audit.lang.resolve(streams.Getenv)
	encode, encoded, err := reports.CheckEncoder(opts.output, result, lang)
	if err != nil {
		return runError{err}
	}
	if encoded {
		// Worded as they come, while the run goes on: the report after
		// the commit is then a copy. (A first run of 100,000 names spent
		// 1.2-1.6 s wording its changes after the commit.)
		spool.encode = encode
	}
	var tally reports.ChangeTally
	var matched []string
	rec, err := store.Begin(ctx, history.RunInfo{
		StartedAt: started, Now: func() time.Time { return streams.Now().UTC() }, ToolVersion: streams.Version,
		Datasets: run.db.Datasets(), View: run.view(), Vantage: run.vantageName, Location: run.location, Confirm: opts.confirm, Group: group,
	}, func(c probe.Change) error {
		if what, ok := failOn.match(c); ok {
			matched = append(matched, what+" ("+c.Domain+")")
		}
		tally.Add(c)
		return spool.Add(c)
	})
	if err != nil {
		return runError{fmt.Errorf("record the run in %s: %w", path, err)}
	}
	defer rec.Abort()
	var health runHealth
	input, err := runTargets(ctx, streams, &opts.audit, run, func(o probe.Observation) error {
		health.add(o)
		result.Violations = append(result.Violations, pol.violations(o)...)
		return rec.Add(ctx, o)
	})
	if errors.Is(err, context.Canceled) {
		// A partial run is not recorded, so it can never read as "nothing changed".
		return fmt.Errorf("interrupted; nothing was recorded: %w", err)
	}
	if err != nil {
		return runError{err}
	}
	result.Datasets = append(result.Datasets, run.linkedDatasets()...)
	switch {
	case input.err != nil:
		return fmt.Errorf("%w; nothing was recorded", input.err)
	case input.given == 0:
		return errNoDomains
	case input.invalid > 0 && input.invalid == input.read:
		return errInputRejected // each was reported; nothing to record
	}
	result.Domains = input.read - input.invalid
	result.Warnings = append(result.Warnings, dataWarnings(streams, run.db)...)
	if why := health.failure(); why != "" {
		result.RunFailed = why
		if err := writeCheck(streams.Out, opts.output, result, lang); err != nil {
			return runError{err}
		}
		return runError{errors.New("the run failed: " + why + "; nothing was recorded")}
	}
	if _, err := rec.Commit(ctx); err != nil {
		return runError{fmt.Errorf("record the run in %s: %w", path, err)}
	}
	result.Recorded = true
	result.Matched = matched
	result.Tally = &tally
	if encoded {
		result.Encoded = spool.Encoded()
	} else {
		result.Changes = spool.All()
	}
	for _, v := range result.Violations {
		result.Matched = append(result.Matched, fmt.Sprintf("policy (%s %s)", v.Domain, v.Address))
	}
	if err := cmp.Or(writeCheck(streams.Out, opts.output, result, lang), spool.Err()); err != nil {
		return runError{err}
	}
	switch {
	case input.invalid > 0:
		return errInputRejected
	case len(result.Matched) > 0:
		fmt.Fprintf(streams.ErrOut, "hostwatch: check failed on %s\n", listSome(result.Matched, 10))
		return errCheckFailed
	}
	return nil
}

// listSome joins the first n items, and says how many more there are: a
// first check of a long list with --fail-on new matches every name, and one
// line of stderr need not hold them all (the report does).
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// writeCheck writes a check's outcome in the format asked for.
func writeCheck(w io.Writer, format string, c reports.Check, lang i18n.Lang) error {
	if format == "html" {
		return reports.WriteCheckHTMLIn(w, c, lang)
	}
	return reports.WriteCheckIn(w, format, c, lang)
}

// errCheckFailed is returned when a change named by --fail-on or a policy
// violation was found; the output says which.
var errCheckFailed = errors.New("check failed")

// runHealth tells whether a run told anything at all: a run in which no
// resolver gave a single reply for any domain is not recorded.
type runHealth struct {
	asked    int
	answered bool
}

func (h *runHealth) add(o probe.Observation) {
	if o.Status == resolvers.StatusInvalid || o.Status == resolvers.StatusInterrupted {
		return
	}
	h.asked++
	if !h.answered {
		h.answered = slices.ContainsFunc(o.Queries, func(q resolvers.Exchange) bool { return q.Rcode != "" })
	}
}

// failure says why the run told nothing, or "".
func (h *runHealth) failure() string {
	if h.asked == 0 || h.answered {
		return ""
	}
	return "no resolver answered any query"
}
