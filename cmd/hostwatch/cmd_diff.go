package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports"
)

type diffOptions struct {
	output         string
	lang           langFlag
	failOn         []string
	acrossVantages bool
}

func newDiffCmd(streams IOStreams) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff [flags] BEFORE.json AFTER.json",
		Short: "Classify the changes between two saved audit -o json reports (no database)",
		Long: `diff compares two reports saved with "hostwatch audit -o json", domain by
domain, with the same classification as check: moves of country, provider or
network, rotations, CNAME and status changes. It is for teams that keep
snapshots in git instead of a database. With --fail-on it exits 1 when a change
of those kinds is found. Every output names the two reports it compared: file,
SHA-256, when and from which vantage each was taken (JSON: schema
hostwatch.diff/v1).

Exit codes:
  0    compared; no change named by --fail-on
  1    a change named by --fail-on was found
  2    usage or input error (a file missing or not a hostwatch report)`,
		Example: `  hostwatch diff yesterday.json today.json
  hostwatch diff --fail-on move -o markdown yesterday.json today.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), streams, opts, args[0], args[1])
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: "+formatList(outputFormats("diff")))
	cmd.Flags().StringArrayVar(&opts.failOn, "fail-on", nil, failOnHelp)
	bindLang(cmd.Flags(), &opts.lang)
	cmd.Flags().BoolVar(&opts.acrossVantages, "across-vantages", false, "compare reports taken from different vantages (--vantage) anyway")
	return cmd
}

// readReportFile reads a saved report, and hashes the file's bytes so that
// the diff can name exactly what it compared.
func readReportFile(path string) (reports.DiffSide, error) {
	f, err := os.Open(path)
	if err != nil {
		return reports.DiffSide{}, fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	r, err := reports.ReadReport(io.TeeReader(f, h))
	if err != nil {
		return reports.DiffSide{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := io.Copy(h, f); err != nil {
		return reports.DiffSide{}, fmt.Errorf("read report: %w", err)
	}
	return reports.DiffSide{File: path, SHA256: hex.EncodeToString(h.Sum(nil)), Report: r}, nil
}

func runDiff(_ context.Context, streams IOStreams, opts *diffOptions, beforePath, afterPath string) error {
	if err := checkFormat(opts.output, outputFormats("diff")...); err != nil {
		return err
	}
	failOn, err := parseFailOn(opts.failOn)
	if err != nil {
		return err
	}
	beforeSide, err := readReportFile(beforePath)
	if err != nil {
		return err
	}
	afterSide, err := readReportFile(afterPath)
	if err != nil {
		return err
	}
	before, after := beforeSide.Report, afterSide.Report
	if b, a := before.Vantage.Name, after.Vantage.Name; b != a && !opts.acrossVantages {
		return fmt.Errorf("%s was taken from vantage %q and %s from %q: answers from two places are not compared as if from one (--across-vantages does it anyway)", beforePath, b, afterPath, a)
	}
	changes, compared := diffReports(before, after)
	result := reports.Diff{
		GeneratedAt: streams.Now().UTC(), ToolVersion: streams.Version, Before: beforeSide, After: afterSide,
		AcrossVantages: before.Vantage.Name != after.Vantage.Name, Domains: compared, Changes: changes, Width: streams.Width,
	}
	for _, c := range changes {
		if what, ok := failOn.match(c); ok {
			result.Matched = append(result.Matched, what+" ("+c.Domain+")")
		}
	}
	if opts.output == "html" {
		err = reports.WriteDiffHTMLIn(streams.Out, result, opts.lang.resolve(streams.Getenv))
	} else {
		err = reports.WriteDiffIn(streams.Out, opts.output, result, opts.lang.resolve(streams.Getenv))
	}
	if err != nil {
		return runError{err}
	}
	if len(result.Matched) > 0 {
		fmt.Fprintf(streams.ErrOut, "hostwatch: diff found %s\n", strings.Join(result.Matched, ", "))
		return errCheckFailed
	}
	return nil
}

// diffReports classifies, domain by domain in the order of after, how each
// domain changed since before, and counts the domains compared. Domains
// only in before are not audited in after, which says nothing about them,
// so they are left out.
func diffReports(before, after probe.Report) ([]probe.Change, int) {
	last := map[string]probe.Observation{}
	for _, o := range before.Observations {
		last[o.Target.Domain] = o
	}
	var changes []probe.Change
	seen := map[string]bool{}
	for _, o := range after.Observations {
		if seen[o.Target.Domain] || o.Status == "invalid" {
			continue
		}
		seen[o.Target.Domain] = true
		c := probe.Change{Domain: o.Target.Domain, Vantage: after.Vantage.Name, After: probe.HostingOf(o), AfterAt: at(o, after),
			BeforeView: probe.View{Resolvers: before.Resolvers}, AfterView: probe.View{Resolvers: after.Resolvers}, Seen: 1, Confirm: 1}
		prev, ok := last[o.Target.Domain]
		if !ok {
			c.Kinds = []probe.ChangeKind{probe.ChangeNew}
		} else {
			c.Before, c.BeforeAt = probe.HostingOf(prev), at(prev, before)
			c.Kinds, c.Move = history.Compare(c.Before, c.After)
		}
		if len(c.Kinds) > 0 {
			c.ConfirmedAt = c.AfterAt
			changes = append(changes, c)
		}
	}
	return changes, len(seen)
}

// at is when an observation was made, or when its report was, for reports
// that do not say.
func at(o probe.Observation, r probe.Report) time.Time {
	if !o.StartedAt.IsZero() {
		return o.StartedAt
	}
	return r.GeneratedAt
}
