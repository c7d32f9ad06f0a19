package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports"
)

type lookupOptions struct {
	output      string
	lang        langFlag
	jsonlHeader bool
	files       []string
	mmdbs       []string
}

func newLookupCmd(streams IOStreams) *cobra.Command {
	opts := &lookupOptions{}
	cmd := &cobra.Command{
		Use:   "lookup [flags] ADDRESS...",
		Short: "Attribute IP addresses to network, organisation, prefix and country (no DNS)",
		Long: `lookup attributes each IPv4 or IPv6 address to its network (ASN), organisation,
prefix and country from the datasets shipped with hostwatch (and --mmdb files).
It needs no network.

Addresses may be given as arguments, with -f FILE (one per line; - for stdin),
or both. Lists are read as they come: with -o jsonl or -o csv each address is
written as soon as it is looked up, so a list of any length streams. An
invalid address gets one line on stderr (with its line number) and the others
are still looked up.

` + exitHelp(exitDone,
			exitDoc{exitUsage, "usage or input error: an invalid address (the others are still looked up), missing -f file, damaged or unreadable --mmdb file"},
			exitDoc{exitFailed, "the datasets could not be opened, or output could not be written"}),
		Example: `  hostwatch lookup 170.33.13.55 2001:4860:4860::8888
  hostwatch lookup -o json 8.8.8.8
  hostwatch lookup -f addresses.txt -o csv > addresses.csv
  cut -d, -f2 servers.csv | hostwatch lookup -f - -o jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLookup(cmd.Context(), streams, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "output `FORMAT`: "+formatList(outputFormats("lookup"))+" (default: table on a terminal, jsonl otherwise)")
	cmd.Flags().StringArrayVarP(&opts.files, "file", "f", nil, "read addresses from `FILE`, one per line (- for stdin; # starts a comment); repeatable")
	cmd.Flags().BoolVar(&opts.jsonlHeader, "jsonl-header", false, "with -o jsonl, start with one header line (schema, tool version, datasets); every other line is an address")
	bindMMDB(cmd.Flags(), &opts.mmdbs)
	bindLang(cmd.Flags(), &opts.lang)
	return cmd
}

func runLookup(ctx context.Context, streams IOStreams, opts *lookupOptions, args []string) error {
	format, err := outputFormat(opts.output, streams.OutIsTerminal, outputFormats("lookup"))
	if err != nil {
		return err
	}
	if opts.jsonlHeader && format != "jsonl" {
		return fmt.Errorf("--jsonl-header goes with -o jsonl, not -o %s", format)
	}
	if len(args) == 0 && len(opts.files) == 0 {
		return errors.New("no addresses given: name some, or use -f FILE")
	}
	inputs := make([]io.Reader, 0, len(opts.files))
	for _, name := range opts.files {
		if name == "-" {
			inputs = append(inputs, streams.In)
			continue
		}
		// Every file is opened before anything is looked up: a missing one
		// is a usage error, not a run cut short.
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("read address list: %w", err)
		}
		defer f.Close()
		inputs = append(inputs, f)
	}
	db, err := openAttribution(opts.mmdbs)
	if err != nil {
		return err
	}
	defer db.Close()
	lr := reports.Lookup{
		GeneratedAt: streams.Now().UTC(),
		ToolVersion: streams.Version,
		Datasets:    db.Datasets(),
		Warnings:    probe.DataWarnings(attribution.Stale(db.Datasets(), streams.Now())),
		Lang:        opts.lang.resolve(streams.Getenv),
		Width:       streams.Width,
	}
	var stream *reports.LookupStream
	if format == "jsonl" || format == "csv" {
		if stream, err = reports.NewLookupStream(streams.Out, format, lr, opts.jsonlHeader); err != nil {
			return err
		}
	}
	l := addressLookup{db: db, errOut: streams.ErrOut, seen: map[netip.Addr]struct{}{}}
	emit := func(a reports.Attributed) error {
		if stream == nil {
			lr.Addresses = append(lr.Addresses, a)
			return nil
		}
		return stream.Write(a)
	}
	// Output is flushed whenever the input has nothing more to hand at
	// once: a file is written in large blocks, a pipe line by line.
	idle := func() error {
		if stream == nil {
			return nil
		}
		return stream.Flush()
	}
	for i, r := range inputs {
		if err := l.read(ctx, r, opts.files[i], emit, idle); err != nil {
			return err
		}
	}
	for _, a := range args {
		if err := l.add(a, "", 0, emit); err != nil {
			return err
		}
	}
	// Failed lookups in a user's --mmdb file are warned on stderr, and in
	// the document when there is one to carry them.
	lr.Warnings = append(lr.Warnings, dataWarnings(streams, db)...)
	if stream != nil {
		err = stream.Flush()
	} else if l.found > 0 {
		err = reports.WriteLookup(streams.Out, format, lr)
	}
	if err != nil {
		return runError{err}
	}
	if l.dropped > 0 {
		noun := "addresses"
		if l.dropped == 1 {
			noun = "address"
		}
		fmt.Fprintf(streams.ErrOut, "hostwatch: dropped %d duplicate %s (same address once parsed)\n", l.dropped, noun)
	}
	if l.bad > 0 {
		return errInputRejected
	}
	return nil
}

// addressLookup looks up addresses one by one, as they are read, keeping
// the first of each and reporting each invalid one.
type addressLookup struct {
	db      *attribution.DB
	errOut  io.Writer
	seen    map[netip.Addr]struct{}
	found   int
	bad     int
	dropped int
}

// maxAddressLine bounds a line of an address list: an address is at most
// 45 bytes, and a longer line is one bad line, however long.
const maxAddressLine = 4096

// read looks up every address listed in r (one per line, # starts a
// comment), calling idle before each read that would wait for more input.
func (l *addressLookup) read(ctx context.Context, r io.Reader, name string, emit func(reports.Attributed) error, idle func() error) error {
	br := bufio.NewReaderSize(r, maxAddressLine)
	for n := 1; ; n++ {
		if br.Buffered() == 0 {
			if err := idle(); err != nil {
				return runError{err}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			l.bad++
			fmt.Fprintf(l.errOut, "hostwatch: %s:%d: line longer than %d bytes, not an IP address\n", name, n, maxAddressLine)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			line = nil
		}
		text, _, _ := strings.Cut(string(line), "#")
		if n == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) != "" {
			if err := l.add(text, name, n, emit); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read address list %s: %w", name, err)
		}
	}
}

// add looks up one address as given (file and line say where, for errors).
func (l *addressLookup) add(text, file string, line int, emit func(reports.Attributed) error) error {
	text = strings.TrimSpace(text)
	ip, err := netip.ParseAddr(text)
	if err != nil || ip.Zone() != "" {
		l.bad++
		where := ""
		if file != "" {
			where = fmt.Sprintf("%s:%d: ", file, line)
		}
		fmt.Fprintf(l.errOut, "hostwatch: %sinvalid IP address %q\n", where, text)
		return nil
	}
	// Keep the first of each address as parsed: "2001:db8::1" and
	// "2001:DB8:0::1" are one; "::ffff:8.8.8.8" is not 8.8.8.8 (it is an
	// IPv4-mapped address, special-purpose).
	if _, dup := l.seen[ip]; dup {
		l.dropped++
		return nil
	}
	l.seen[ip] = struct{}{}
	l.found++
	a := reports.Attributed{IP: ip, Result: l.db.Lookup(ip)}
	if c, ok := l.db.Geofeed(ip); ok {
		a.Geofeed = &c
	}
	if err := emit(a); err != nil {
		return runError{err}
	}
	return nil
}
