package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/reports"
)

func newDBCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "The attribution data: where it comes from, how old it is",
	}
	cmd.AddCommand(newDBStatusCmd(streams))
	return cmd
}

type dbStatusOptions struct {
	output string
	mmdbs  []string
}

func newDBStatusCmd(streams IOStreams) *cobra.Command {
	opts := &dbStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List every attribution source with its date, licence, and whether it is stale",
		Long: `status lists every source hostwatch attributes addresses with: the embedded
datasets and any --mmdb files, each with its date, age, licence and where it
came from. Data older than 90 days is marked stale; every report warns about it.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBStatus(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: table or json")
	bindMMDB(cmd.Flags(), &opts.mmdbs)
	return cmd
}

func runDBStatus(_ context.Context, streams IOStreams, opts *dbStatusOptions) error {
	if opts.output != "table" && opts.output != "json" {
		return fmt.Errorf("unknown output format %q (want table or json)", opts.output)
	}
	db, err := attribution.Open(opts.mmdbs...)
	if err != nil {
		return err
	}
	defer db.Close()
	now := streams.Now().UTC()
	st := reports.DataStatus{GeneratedAt: now, ToolVersion: streams.Version, StaleAfterDays: int(attribution.StaleAfter / (24 * time.Hour))}
	for _, d := range db.Datasets() {
		s := reports.SourceStatus{Dataset: d, Origin: "embedded"}
		if d.Path != "" {
			s.Origin = d.Path
		}
		if date, ok := d.Date(); ok {
			s.AgeDays = int(now.Sub(date).Hours() / 24)
			s.Stale = now.Sub(date) > attribution.StaleAfter
		}
		st.Sources = append(st.Sources, s)
	}
	if err := reports.WriteDataStatus(streams.Out, opts.output, st); err != nil {
		return runError{err}
	}
	return nil
}
