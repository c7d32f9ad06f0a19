package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	retryablehttp "github.com/projectdiscovery/retryablehttp-go"
	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/reports"
)

func newDBCmd(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "The attribution data (where it comes from, how old it is) and the history database",
	}
	cmd.AddCommand(newDBStatusCmd(streams), newDBUpdateCmd(streams), newDBMigrateCmd(streams), newDBCopyCmd(streams))
	return cmd
}

// openAttribution opens the attribution data: the user's --mmdb files
// (verified, each file once: its digest is remembered in the user's cache
// directory), then the data db update installed when it is newer than the
// embedded copy.
func openAttribution(mmdbs []string) (*attribution.DB, error) {
	dir, err := attribution.DefaultDataDir()
	if err != nil {
		dir = "" // no home: the embedded data only
	}
	verified := ""
	if cache, err := os.UserCacheDir(); err == nil {
		verified = filepath.Join(cache, "hostwatch", "mmdb-verified")
	}
	return attribution.OpenWith(attribution.Config{MMDBs: mmdbs, DataDir: dir, VerifiedDir: verified})
}

type dbUpdateOptions struct {
	baseURL      string
	bootstrapURL string
	feeds        []string
	geofeeds     []string
	revert       bool
	allowPrivate bool
}

func newDBUpdateCmd(streams IOStreams) *cobra.Command {
	opts := &dbUpdateOptions{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch fresh attribution data, verify it, and put it in use",
		Long: `update fetches ip-location-db's current published files, builds the data
exactly as the embedded copy is built (checking that the licence terms are
still the ones hostwatch records), verifies it (complete downloads; the files
open and answer known addresses), and only then puts it in use, keeping the
data it replaces. A failed or partial download never replaces good data.

With MAXMIND_LICENSE_KEY set it also fetches GeoLite2 ASN and City (checking
MaxMind's published SHA-256), and with IPINFO_TOKEN IPinfo Lite; every command
then uses them after any --mmdb files. It also refreshes IANA's RDAP bootstrap
and the providers' own range feeds (AWS, Google Cloud, Oracle; Azure with
--feed azure=URL), which carry regions.

The data is kept in $XDG_DATA_HOME/hostwatch/data (else
~/.local/share/hostwatch/data) and used by every command from then on, in
place of the embedded copy when it is newer. --revert goes back one step.

Exit codes:
  0    updated, or already up to date, or reverted
  2    usage error
  3    the update failed; the data in use is unchanged`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBUpdate(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.baseURL, "base-url", attribution.DefaultBaseURL, "fetch the packages' files from `URL`/PACKAGE/FILE (a mirror)")
	cmd.Flags().StringVar(&opts.bootstrapURL, "rdap-bootstrap-url", attribution.DefaultBootstrapURL, "fetch IANA's RDAP bootstrap files from `URL`/ipv4.json and /ipv6.json")
	cmd.Flags().StringArrayVar(&opts.feeds, "feed", nil, "fetch a provider feed from another `NAME=URL` (aws, google-cloud, oracle, azure; azure has no default URL), or NAME=off")
	cmd.Flags().BoolVar(&opts.revert, "revert", false, "put the data the last update replaced back in use")
	cmd.Flags().BoolVar(&opts.allowPrivate, "allow-private", false, "follow redirects to addresses that are not globally reachable (loopback, private, link-local); the hosts of the URLs given are always used")
	cmd.Flags().StringArrayVar(&opts.geofeeds, "geofeed", nil, "fetch only this operator's RFC 8805 geofeed (`URL`; repeatable), check it line by line and install it with today's date: audit, check and lookup then show its country, region and city next to the databases', and their disagreements")
	return cmd
}

func runDBUpdate(ctx context.Context, streams IOStreams, opts *dbUpdateOptions) error {
	feeds, err := feedList(opts.feeds)
	if err != nil {
		return err
	}
	for _, u := range opts.geofeeds {
		if _, err := attribution.GeofeedName(u); err != nil {
			return err
		}
	}
	dir, err := attribution.DefaultDataDir()
	if err != nil {
		return runError{err}
	}
	if len(opts.geofeeds) > 0 {
		return updateGeofeeds(ctx, streams, dir, opts)
	}
	if opts.revert {
		if err := attribution.Revert(dir); err != nil {
			return runError{fmt.Errorf("revert: %w", err)}
		}
		db, err := openAttribution(nil)
		if err != nil {
			return runError{err}
		}
		defer db.Close()
		fmt.Fprintln(streams.Out, "reverted; now in use:")
		for _, d := range db.Datasets() {
			say(streams.Out, "  %s %s", d.ID, d.Version)
		}
		return nil
	}
	licensed := attribution.DefaultLicensed(os.Getenv, "", "")
	hc := updateClient(opts, feeds, licensed)
	res, err := attribution.Update(ctx, attribution.UpdateOptions{Dir: dir, BaseURL: opts.baseURL, HTTP: hc, Log: streams.ErrOut})
	if err != nil {
		return runError{err}
	}
	if !res.Installed {
		fmt.Fprintln(streams.Out, "already up to date:")
	} else {
		fmt.Fprintf(streams.Out, "updated (the previous data is kept; hostwatch db update --revert goes back):\n")
	}
	for _, d := range res.After {
		say(streams.Out, "  %s %s", d.ID, d.Version)
	}
	bs, err := attribution.UpdateBootstrap(ctx, dir, opts.bootstrapURL, hc)
	if err != nil {
		return runError{fmt.Errorf("the datasets are updated, but the RDAP bootstrap is not: %w", err)}
	}
	say(streams.Out, "  RDAP bootstrap published %s", bs.Published)
	for _, k := range bs.Kept {
		say(streams.Out, "    kept %s", k)
	}
	if err := attribution.UpdateFeeds(ctx, dir, feeds, hc, streams.ErrOut); err != nil {
		return runError{fmt.Errorf("the datasets are updated, but not every provider feed: %w", err)}
	}
	fmt.Fprintln(streams.Out, "  provider feeds updated")
	if err := attribution.UpdateLicensed(ctx, dir, licensed, hc); err != nil {
		return runError{fmt.Errorf("the datasets are updated, but not every licensed database: %w", err)}
	}
	for _, l := range licensed {
		say(streams.Out, "  %s updated", l.Name)
	}
	return nil
}

// feedList applies --feed NAME=URL and NAME=off to the default feeds.
func feedList(given []string) ([]attribution.Feed, error) {
	feeds := attribution.DefaultFeeds()
	for _, g := range given {
		name, url, ok := strings.Cut(g, "=")
		i := slices.IndexFunc(feeds, func(f attribution.Feed) bool { return f.Name == name })
		if !ok || i < 0 {
			return nil, fmt.Errorf("--feed %q: want NAME=URL with NAME one of aws, google-cloud, oracle, azure", g)
		}
		if url == "off" {
			url = ""
		}
		feeds[i].URL = url
	}
	return feeds, nil
}

type dbStatusOptions struct {
	output string
	mmdbs  []string
	db     string
}

func newDBStatusCmd(streams IOStreams) *cobra.Command {
	opts := &dbStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List every attribution source with its date, licence, and whether it is stale",
		Long: `status lists every source hostwatch attributes addresses with: the embedded
datasets and any --mmdb files, each with its date, age, licence and where it
came from. Data older than 90 days is marked stale; every report warns about it.

` + exitHelp(exitDone,
			exitDoc{exitUsage, "usage error, or a damaged or unreadable --mmdb file"},
			exitDoc{exitFailed, "the data could not be opened, or output could not be written"}),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBStatus(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "table", "output `FORMAT`: table or json")
	bindMMDB(cmd.Flags(), &opts.mmdbs)
	cmd.Flags().StringVar(&opts.db, "db", "", "also name the history's backend and schema version: an SQLite `PATH` or a postgres:// URL (default: $HOSTWATCH_DB when set)")
	return cmd
}

func runDBStatus(ctx context.Context, streams IOStreams, opts *dbStatusOptions) error {
	if err := checkFormat(opts.output, "table", "json"); err != nil {
		return err
	}
	db, err := openAttribution(opts.mmdbs)
	if err != nil {
		return err
	}
	defer db.Close()
	now := streams.Now().UTC()
	st := reports.DataStatus{GeneratedAt: now, ToolVersion: streams.Version, StaleAfterDays: int(attribution.StaleAfter / (24 * time.Hour))}
	for _, d := range db.Datasets() {
		s := reports.SourceStatus{Dataset: d, Origin: "embedded"}
		switch {
		case d.Path != "":
			s.Origin = d.Path
		case d.Kind == attribution.KindGeofeed:
			s.Origin = d.URL // fetched by db update --geofeed, not shipped
		}
		if date, ok := d.Date(); ok {
			s.AgeDays = int(now.Sub(date).Hours() / 24)
			s.Stale = now.Sub(date) > attribution.StaleAfter
		}
		st.Sources = append(st.Sources, s)
	}
	if location := cmp.Or(opts.db, os.Getenv("HOSTWATCH_DB")); location != "" {
		store, name, err := openStore(ctx, location, false)
		if err != nil {
			return err
		}
		defer store.Close()
		hs, err := historyStatus(ctx, store, name)
		if err != nil {
			return runError{err}
		}
		st.History = &hs
	}
	if err := reports.WriteDataStatus(streams.Out, opts.output, st); err != nil {
		return runError{err}
	}
	return nil
}

// updateClient is db update's HTTP client: it retries what may pass when
// tried again, and connects to the hosts of the URLs it was given (flags or
// defaults) and, where their redirects lead elsewhere, only to globally
// reachable addresses.
func updateClient(opts *dbUpdateOptions, feeds []attribution.Feed, licensed []attribution.Licensed) *retryablehttp.Client {
	urls := append([]string{opts.baseURL, opts.bootstrapURL}, opts.geofeeds...)
	for _, f := range feeds {
		urls = append(urls, f.URL)
	}
	for _, l := range licensed {
		urls = append(urls, l.URL, l.SHA256URL)
	}
	var named []string
	for _, raw := range urls {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			named = append(named, u.Hostname())
		}
	}
	tr := reach.Policy{AllowPrivate: opts.allowPrivate, Named: named}.Transport(http.DefaultTransport.(*http.Transport))
	return attribution.NewHTTPClient(tr, 5*time.Minute, 3)
}

// updateGeofeeds is db update --geofeed: it fetches only the geofeeds.
func updateGeofeeds(ctx context.Context, streams IOStreams, dir string, opts *dbUpdateOptions) error {
	done, err := attribution.UpdateGeofeeds(ctx, dir, opts.geofeeds, updateClient(opts, nil, nil), streams.Now())
	for _, g := range done {
		say(streams.Out, "geofeed %s: %d lines installed, %d rejected (from %s)", g.Name, g.Entries, g.Rejected, g.URL)
		for _, r := range g.FirstRejected {
			say(streams.Out, "  line %d rejected (%s): %s", r.Line, r.Reason, r.Text)
		}
	}
	if err != nil {
		return runError{err}
	}
	return nil
}
