package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/probe/geo"
)

func newVersionCmd(streams IOStreams) *cobra.Command {
	var data bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, and with --data the datasets and their licences",
		Long: `version prints hostwatch's version, and the datasets it attributes with.

` + exitHelp(exitDone, exitDoc{exitFailed, "the data could not be opened, or output could not be written"}),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(streams.Out, "hostwatch %s (%s %s/%s)\n", streams.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			db, err := openAttribution(nil)
			if err != nil {
				return runError{err}
			}
			defer db.Close()
			datasets := db.Datasets()
			// The country shapes --rtt bounds with are embedded too, and
			// their licence is listed with the others.
			shapes, err := geo.LoadShapes()
			if err != nil {
				return runError{err}
			}
			datasets = append(datasets, shapesDataset(shapes))
			var b strings.Builder
			for _, d := range datasets {
				if !data {
					say(&b, "data: %s %s (%s)", d.ID, d.Version, d.License)
					continue
				}
				b.WriteByte('\n')
				say(&b, "%s", d.ID)
				say(&b, "  version: %s", d.Version)
				say(&b, "  licence: %s", d.License)
				say(&b, "  gives:   %s", strings.Join(d.Fields, ", "))
				if d.Attribution != "" {
					say(&b, "  notice:  %s", d.Attribution)
				}
			}
			_, err = fmt.Fprint(streams.Out, b.String())
			return err
		},
	}
	cmd.Flags().BoolVar(&data, "data", false, "list the embedded datasets with their licences and attribution notices")
	return cmd
}
