package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/reports"
)

type lookupOptions struct {
	output string
	mmdbs  []string
}

func newLookupCmd(streams IOStreams) *cobra.Command {
	opts := &lookupOptions{}
	cmd := &cobra.Command{
		Use:   "lookup [flags] ADDRESS...",
		Short: "Attribute IP addresses to network, organisation, prefix and country (no DNS)",
		Long: `lookup attributes each IPv4 or IPv6 address to its network (ASN), organisation,
prefix and country from the datasets shipped with hostwatch (and --mmdb files).
It needs no network.

` + exitHelp(exitDone,
			exitDoc{exitUsage, "usage or input error: an invalid address (the others are still looked up), damaged or unreadable --mmdb file"},
			exitDoc{exitFailed, "the datasets could not be opened, or output could not be written"}),
		Example: `  hostwatch lookup 170.33.13.55 2001:4860:4860::8888
  hostwatch lookup -o json 8.8.8.8`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLookup(cmd.Context(), streams, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "output `FORMAT`: "+formatList(outputFormats("lookup"))+" (default: table on a terminal, jsonl otherwise)")
	bindMMDB(cmd.Flags(), &opts.mmdbs)
	return cmd
}

func runLookup(_ context.Context, streams IOStreams, opts *lookupOptions, args []string) error {
	format, err := outputFormat(opts.output, streams.OutIsTerminal, outputFormats("lookup"))
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return errors.New("no addresses given")
	}
	addrs := make([]netip.Addr, 0, len(args))
	seen := make(map[netip.Addr]struct{}, len(args))
	var bad []string
	dropped := 0
	for _, a := range args {
		ip, err := netip.ParseAddr(strings.TrimSpace(a))
		if err != nil || ip.Zone() != "" {
			bad = append(bad, a)
			fmt.Fprintf(streams.ErrOut, "hostwatch: invalid IP address %q\n", a)
			continue
		}
		// Keep the first of each address as parsed: "2001:db8::1" and
		// "2001:DB8:0::1" are one; "::ffff:8.8.8.8" is not 8.8.8.8 (it is
		// an IPv4-mapped address, special-purpose).
		if _, dup := seen[ip]; dup {
			dropped++
			continue
		}
		seen[ip] = struct{}{}
		addrs = append(addrs, ip)
	}
	if len(bad) > 0 {
		return errInputRejected
	}
	if dropped > 0 {
		noun := "addresses"
		if dropped == 1 {
			noun = "address"
		}
		fmt.Fprintf(streams.ErrOut, "hostwatch: dropped %d duplicate %s (same address once parsed)\n", dropped, noun)
	}
	db, err := openAttribution(opts.mmdbs)
	if err != nil {
		return err
	}
	defer db.Close()
	results := make([]reports.Attributed, len(addrs))
	for i, ip := range addrs {
		results[i] = reports.Attributed{IP: ip, Result: db.Lookup(ip)}
	}
	lr := reports.Lookup{
		GeneratedAt: streams.Now().UTC(),
		ToolVersion: streams.Version,
		Datasets:    db.Datasets(),
		Warnings:    attribution.StaleWarnings(db.Datasets(), streams.Now()),
		Addresses:   results,
		Width:       streams.Width,
	}
	if err := reports.WriteLookup(streams.Out, format, lr); err != nil {
		return runError{err}
	}
	return nil
}
