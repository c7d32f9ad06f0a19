package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/internal/httpclient"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/probe/geo"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/reports"
	"github.com/hostwatch/hostwatch/resolvers"
)

// resolvConf is where the system's resolvers are read from when none is given.
const resolvConf = "/etc/resolv.conf"

// auditOptions are the flags of audit, shared by every command that runs an audit.
type auditOptions struct {
	files       []string
	output      string
	resolvers   []string
	timeout     time.Duration
	retries     int
	concurrency int
	deadline    deadlineFlag
	mmdbs       []string
	strict      bool
	ptr         bool
	cymru       bool
	rdap        bool
	compare     []string
	vantage     string
	records     []string
	http        bool
	httpPorts   [2]uint16 // https, http
	resolverCA  string
	ecs         []string
	seenFrom    []string
	auth        bool
	authPort    uint16
	evidence    string
	// shard keeps the names of one shard of the list (check --shard).
	shard probe.Shard
	// allowPrivate lets --http, --authoritative and --rdap connect to
	// learned addresses that are not globally reachable.
	allowPrivate bool
	jsonlHeader  bool
	lang         langFlag
	rtt          rttFlags
	// quiet hides the progress line; stats prints the counts by status.
	quiet, stats bool
}

// bind binds every audit flag.
func (o *auditOptions) bind(fs *pflag.FlagSet) {
	o.bindResolution(fs)
	fs.StringVarP(&o.output, "output", "o", "", "output `FORMAT`: "+formatList(outputFormats("audit"))+" (default: table on a terminal, jsonl otherwise)")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when any domain does not resolve to an address")
	bindLang(fs, &o.lang)
	fs.BoolVar(&o.jsonlHeader, "jsonl-header", false, "with -o jsonl, start with one header line (schema, tool version, datasets, resolvers, vantage); every other line is a domain")
}

// bindResolution binds the flags that say what to resolve and how, which
// every command that runs an audit shares.
func (o *auditOptions) bindResolution(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.files, "file", "f", nil, "read domains from `FILE`, one per line (- for stdin; # starts a comment)")
	fs.StringArrayVar(&o.resolvers, "resolver", nil, "ask `RESOLVER`: HOST[:PORT] (an IP address, or a host name looked up once), tls://HOST[:853] (DNS over TLS), https://HOST/dns-query (DNS over HTTPS; https+get:// for GET); repeatable, tried in order; default: the system's resolvers")
	fs.BoolVar(&o.http, "http", false, "also GET / over HTTPS (then HTTP): status, redirect chain with every hop resolved and attributed, the address connected to, hosting and CDN headers, and the TLS certificate (reported, not trusted, when it does not verify)")
	fs.Uint16Var(&o.httpPorts[0], "https-port", 443, "with --http, the `PORT` HTTPS is tried on")
	fs.Uint16Var(&o.httpPorts[1], "http-port", 80, "with --http, the `PORT` plain HTTP is tried on when HTTPS fails")
	fs.StringVar(&o.resolverCA, "resolver-ca", "", "trust the certificate authorities in the PEM `FILE` for tls:// and https:// resolvers (as well as the system's)")
	fs.StringArrayVar(&o.records, "records", nil, "also ask for these record `TYPES`: ns, mx, soa, txt, caa (comma-separated; a, aaaa and cname are always asked); NS and MX hosts are resolved and attributed")
	fs.StringVar(&o.evidence, "evidence", "", "keep the raw evidence of each domain in `DIR`/DOMAIN.json: DNS replies in wire form (base64) and certificate chains (PEM), to re-check a published claim later")
	fs.BoolVar(&o.auth, "authoritative", false, "also ask the zone's own name servers directly, without recursion, and compare them with each other and with the recursive view")
	fs.Uint16Var(&o.authPort, "authoritative-port", 53, "the `PORT` name servers are asked on with --authoritative (53; other values for labs and tests)")
	fs.BoolVar(&o.allowPrivate, "allow-private", false, "let --http, --authoritative and --rdap connect to addresses that are not globally reachable (loopback, private, link-local such as the cloud metadata service 169.254.169.254, ...) when DNS answers, redirects or NS records lead there; by default such hops are refused and reported as refused. For labs and tests; --resolver and --resolvers are always used")
	fs.StringArrayVar(&o.ecs, "ecs", nil, "send this EDNS Client Subnet (`CIDR`, e.g. 36.64.0.0/24) with every query; several are asked side by side")
	fs.StringArrayVar(&o.seenFrom, "as-seen-from", nil, "send as client subnet a real prefix of an access network in `CC` (the first such /24 of the shipped data; see db status); several are asked side by side")
	fs.StringVar(&o.vantage, "vantage", "", "name the place this run is taken from (`NAME`, e.g. jakarta-telkom); reports from different vantages are never compared as one")
	fs.StringArrayVar(&o.compare, "resolvers", nil, "ask each of these resolvers on its own, side by side, and say whether they agree: `LIST` of HOST[:PORT], comma-separated, or the preset \"public\" (the system's, Cloudflare 1.1.1.1, Google 8.8.8.8, Quad9 9.9.9.9)")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "time to wait for each DNS reply")
	fs.IntVar(&o.retries, "retries", 2, "extra rounds over the resolvers after a timeout or failure")
	fs.IntVar(&o.concurrency, "concurrency", probe.DefaultConcurrency, fmt.Sprintf("domains resolved at once (at most %d)", probe.MaxConcurrency))
	fs.Var(&o.deadline, "deadline", fmt.Sprintf("bound the whole of one domain's work (CNAME hops, retries, --ptr, --cymru, --rdap, ...) to `DURATION` (default %s, or %d × --timeout when longer)", probe.DefaultDeadline, deadlineTimeouts))
	bindMMDB(fs, &o.mmdbs)
	fs.BoolVar(&o.ptr, "ptr", false, "also look up the reverse DNS (PTR) name of every address")
	fs.BoolVar(&o.rdap, "rdap", false, "also fetch the registry's record of each address's network (RDAP: netblock name, handle, holder, abuse contact); cached for a day. The geofeed the record links to (RFC 9632), if any, is fetched over https once per run and its claim shown next to the database's")
	fs.BoolVar(&o.cymru, "cymru", false, "also cross-check ASN and prefix with Team Cymru's DNS service (origin.asn.cymru.com), through the same resolvers")
	o.rtt.bind(fs)
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "show no progress line on stderr (it is shown only when stderr is a terminal)")
	fs.BoolVar(&o.stats, "stats", false, "at the end, print on stderr how many names ended with each status, and how fast")
}

func bindMMDB(fs *pflag.FlagSet, paths *[]string) {
	fs.StringArrayVar(paths, "mmdb", nil, "also use the MMDB `FILE` (GeoLite2/GeoIP2 ASN, Country, City; DB-IP; IPinfo Lite); it takes precedence field by field (repeatable)")
}

func newAuditCmd(streams IOStreams) *cobra.Command {
	opts := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [flags] DOMAIN...",
		Short: "Resolve domains and show where their servers are hosted",
		Long: `audit resolves each domain (A and AAAA, following CNAMEs) and attributes every
address to its network (ASN), organisation, announcing prefix and country.

Names may be given as arguments, with -f FILE, or both; Unicode names are
converted to their IDNA form. Invalid names are reported on stderr (with their
line number), shown as "invalid", and the other names are still audited.

` + exitHelp(
			exitDoc{exitOK, "done (names that did not resolve show their status in the report)"},
			exitDoc{exitTargetsFail, "done, but some names did not resolve to an address (only with --strict)"},
			exitDoc{exitUsage, "usage or input error: bad flag, an invalid name (the others are still audited), missing -f file, damaged or unreadable --mmdb file"},
			exitDoc{exitFailed, "the run itself failed: no usable resolver, no resolver answered a single query (the report is still written), or output could not be written"},
			exitStopped),
		Example: `  hostwatch audit pemilu2024.kpu.go.id sirekap-web.kpu.go.id
  hostwatch audit -f domains.txt -o json > report.json
  cat domains.txt | hostwatch audit -f - -o jsonl
  hostwatch audit --resolver 1.1.1.1 --resolver 8.8.8.8:53 example.org`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd.Context(), streams, opts, args)
		},
	}
	opts.bind(cmd.Flags())
	return cmd
}

// outputFormat checks -o against the formats a command writes, and picks
// the default for where stdout goes.
func outputFormat(given string, terminal bool, formats []string) (string, error) {
	if given == "" {
		if terminal {
			return "table", nil
		}
		return "jsonl", nil
	}
	return given, checkFormat(given, formats...)
}

// auditRun is a validated audit, ready to run.
type auditRun struct {
	input     *targetInput
	client    *resolvers.Client
	db        *attribution.DB
	resolvers []string
	options   probe.Options
	compare   []*resolvers.Client
	subnets   []probe.NamedResolver
	// vantageName is --vantage, location --vantage-location; timeout
	// bounds the whoami queries.
	vantageName string
	location    *geo.Point
	timeout     time.Duration
	// linked fetches the geofeeds registry records link to (--rdap).
	linked *attribution.LinkedGeofeeds
}

// linkedDatasets are the geofeeds registry records linked to that gave a
// claim in the run (--rdap): datasets found as the run went, listed after it.
func (r *auditRun) linkedDatasets() []attribution.Dataset {
	if r.linked == nil {
		return nil
	}
	return r.linked.Datasets()
}

// egress starts asking each resolver for its outgoing address (whoami), in
// the background; the returned function waits for the answers.
func (r *auditRun) egress(ctx context.Context) func() []probe.Egress {
	done := make(chan []probe.Egress, 1)
	go func() {
		qs := map[string]probe.Querier{}
		for _, srv := range r.resolvers {
			c, err := resolvers.New(resolvers.Config{Servers: []string{srv}, Timeout: r.timeout, Retries: -1})
			if err != nil {
				continue
			}
			defer c.Close()
			qs[srv] = c
		}
		var order []string
		for _, srv := range r.resolvers {
			if qs[srv] != nil {
				order = append(order, srv)
			}
		}
		done <- probe.Egresses(ctx, qs, order)
	}()
	return func() []probe.Egress { return <-done }
}

// view says how the run asks: its resolvers as given, and client subnets.
func (r *auditRun) view() probe.View {
	v := probe.View{Resolvers: slices.Clone(r.resolvers)}
	for _, sn := range r.subnets {
		v.Subnets = append(v.Subnets, sn.Name)
	}
	return v
}

// vantage says where the run was taken from.
func (r *auditRun) vantage(streams IOStreams, egress func() []probe.Egress) probe.Vantage {
	es := egress()
	for i, e := range es {
		if e.Address.IsValid() {
			es[i].Country = r.db.Lookup(e.Address).Country
		}
	}
	return probe.Vantage{Name: r.vantageName, TimeZone: probe.LocalTimeZone(streams.Now()), Egress: es, Location: r.location}
}

func (r *auditRun) Close() {
	if r.input != nil {
		r.input.Close()
	}
	if r.client != nil {
		r.client.Close()
	}
	for _, c := range r.compare {
		c.Close()
	}
	if r.db != nil {
		r.db.Close()
	}
}

// prepareAudit validates every flag and input before any network I/O, and
// opens what the run needs.
func prepareAudit(ctx context.Context, streams IOStreams, opts *auditOptions, args []string) (*auditRun, error) {
	switch {
	case opts.timeout <= 0:
		return nil, fmt.Errorf("--timeout must be positive, got %s", opts.timeout)
	case opts.retries < 0:
		return nil, fmt.Errorf("--retries must be 0 or more, got %d", opts.retries)
	case opts.concurrency < 1 || opts.concurrency > probe.MaxConcurrency:
		return nil, fmt.Errorf("--concurrency must be from 1 to %d, got %d", probe.MaxConcurrency, opts.concurrency)
	case opts.deadline.given && opts.deadline.d <= 0:
		return nil, fmt.Errorf("--deadline must be positive, got %s", opts.deadline.d)
	}
	recordTypes, err := probe.ParseRecordTypes(opts.records)
	if err != nil {
		return nil, err
	}
	rttOpts, location, err := opts.rtt.prepare(opts.allowPrivate)
	if err != nil {
		return nil, err
	}
	if len(opts.files) == 0 && len(args) == 0 {
		return nil, errNoDomains
	}
	if len(opts.compare) > 0 && len(opts.resolvers) > 0 {
		return nil, errors.New("--resolver and --resolvers do not go together: --resolver gives resolvers to fail over between, --resolvers ones to compare")
	}
	compare, err := compareList(ctx, opts.compare)
	if err != nil {
		return nil, err
	}
	servers, err := resolverList(ctx, opts.resolvers)
	if len(compare) > 0 {
		servers, err = compare, nil
	}
	if err != nil {
		return nil, err
	}
	// The lists are opened now, so that a missing one is a usage error
	// before any work, and read as the run goes.
	input, err := openTargets(streams.In, opts.files, args, streams.ErrOut)
	if input != nil {
		input.shard = opts.shard
	}
	if err != nil {
		return nil, err
	}
	run := &auditRun{input: input, resolvers: servers, vantageName: strings.TrimSpace(opts.vantage), location: location, timeout: opts.timeout}
	run.db, err = openAttribution(opts.mmdbs)
	if err != nil {
		run.Close()
		return nil, err
	}
	retries := opts.retries
	if retries == 0 {
		retries = -1 // resolvers.Config reads 0 as "the default"
	}
	roots, err := resolverRoots(opts.resolverCA)
	if err != nil {
		run.Close()
		return nil, err
	}
	keep := opts.evidence != ""
	run.client, err = resolvers.New(resolvers.Config{Servers: servers, Timeout: opts.timeout, Retries: retries, RootCAs: roots, KeepRaw: keep})
	if err != nil {
		run.Close()
		return nil, runError{err}
	}
	subnets, err := clientSubnets(run.db, opts.ecs, opts.seenFrom)
	if err != nil {
		run.Close()
		return nil, err
	}
	if len(subnets) > 0 && len(compare) > 0 {
		run.Close()
		return nil, errors.New("--resolvers does not go together with --ecs or --as-seen-from: compare resolvers, or client subnets, one at a time")
	}
	for _, sn := range subnets {
		c, err := resolvers.New(resolvers.Config{Servers: servers, Timeout: opts.timeout, Retries: retries, RootCAs: roots, ECS: sn.prefix, KeepRaw: keep})
		if err != nil {
			run.Close()
			return nil, runError{err}
		}
		run.compare = append(run.compare, c)
		run.subnets = append(run.subnets, probe.NamedResolver{Name: sn.name, Resolver: c})
	}
	run.options = probe.Options{Resolver: run.client, Attributor: run.db, Concurrency: opts.concurrency, Now: streams.Now,
		Records: recordTypes, Query: run.client, Deadline: opts.deadline.or(opts.timeout)}
	run.options.Compare = run.subnets
	if len(run.subnets) == 1 {
		// One subnet: nothing to compare; every query carries it.
		run.options.Resolver, run.options.Compare = run.subnets[0].Resolver, nil
	}
	for _, srv := range compare {
		c, err := resolvers.New(resolvers.Config{Servers: []string{srv}, Timeout: opts.timeout, Retries: retries, RootCAs: roots, KeepRaw: keep})
		if err != nil {
			run.Close()
			return nil, runError{err}
		}
		run.compare = append(run.compare, c)
		run.options.Compare = append(run.options.Compare, probe.NamedResolver{Name: srv, Resolver: c})
	}
	run.options.RTT = rttOpts
	if opts.ptr {
		run.options.PTR = run.client
	}
	if opts.cymru {
		// Each AS record is asked once for the run, however many
		// addresses name its AS (probe memoises per address).
		run.options.Cymru = cymru.New(probe.NewQueryMemo(run.client))
	}
	if opts.auth {
		run.options.Authoritative = &probe.AuthoritativeOptions{
			Config: resolvers.Config{Timeout: opts.timeout, Retries: retries, RootCAs: roots, KeepRaw: keep}, Port: opts.authPort,
			AllowPrivate: opts.allowPrivate}
	}
	if opts.http {
		run.options.HTTP = &frontdoor.Options{UserAgent: "hostwatch/" + streams.Version,
			HTTPSPort: opts.httpPorts[0], HTTPPort: opts.httpPorts[1], AllowPrivate: opts.allowPrivate}
	}
	if opts.rdap {
		// The registries' addresses come from the bootstrap and their
		// redirects: the dialer checks every one (a proxy the user set aside).
		tr := reach.Policy{AllowPrivate: opts.allowPrivate}.Transport(http.DefaultTransport.(*http.Transport))
		cfg := rdap.Config{HTTPClient: &http.Client{Transport: tr, Timeout: opts.rdapTimeout()}}
		if dir, err := attribution.DefaultDataDir(); err == nil {
			cfg.Bootstrap = attribution.Bootstrap(dir)
		}
		if dir, err := os.UserCacheDir(); err == nil {
			cfg.CacheDir = filepath.Join(dir, "hostwatch", "rdap")
		}
		c, err := rdap.New(cfg)
		if err != nil {
			run.Close()
			return nil, err
		}
		run.options.RDAP = c
		// Geofeeds the records link to (RFC 9632): https only, through the
		// same policy, each fetched once for the run.
		run.linked = attribution.NewLinkedGeofeeds(httpclient.New(httpclient.Options{
			Transport: tr, Timeout: opts.rdapTimeout(), Retries: 1, NoRedirects: true}), streams.Now)
		run.options.LinkedGeofeeds = run.linked
	}
	return run, nil
}

// publicResolvers is the "public" preset of --resolvers, after the system's:
// Cloudflare, Google and Quad9.
func publicResolvers() []string { return []string{"1.1.1.1:53", "8.8.8.8:53", "9.9.9.9:53"} }

// compareList parses --resolvers values: comma-separated resolvers, or the
// preset "public" (the system's resolvers, then publicResolvers).
func compareList(ctx context.Context, given []string) ([]string, error) {
	var out []string
	for _, g := range given {
		for item := range strings.SplitSeq(g, ",") {
			item = strings.TrimSpace(item)
			switch item {
			case "":
				continue
			case "public":
				if sys, err := resolvers.SystemServers(resolvConf); err == nil {
					out = append(out, sys...)
				}
				out = append(out, publicResolvers()...)
				continue
			}
			addr, err := resolvers.LookupServer(ctx, item)
			if err != nil {
				return nil, fmt.Errorf("--resolvers %q: %w", item, err)
			}
			out = append(out, addr)
		}
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, s := range out {
		if !seen[s] {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	if len(given) > 0 && len(uniq) < 2 {
		return nil, fmt.Errorf("--resolvers needs at least two different resolvers to compare, got %d", len(uniq))
	}
	return uniq, nil
}

// resolverList parses --resolver values, or reads the system's resolvers.
func resolverList(ctx context.Context, given []string) ([]string, error) {
	if len(given) == 0 {
		servers, err := resolvers.SystemServers(resolvConf)
		if err != nil {
			return nil, fmt.Errorf("no --resolver given and the system's resolvers are unusable: %w", err)
		}
		return servers, nil
	}
	servers := make([]string, 0, len(given))
	for _, s := range given {
		addr, err := resolvers.LookupServer(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("--resolver %q: %w", s, err)
		}
		servers = append(servers, addr)
	}
	return servers, nil
}

func runAudit(ctx context.Context, streams IOStreams, opts *auditOptions, args []string) error {
	format, err := outputFormat(opts.output, streams.OutIsTerminal, outputFormats("audit"))
	if err != nil {
		return err
	}
	if opts.jsonlHeader && format != "jsonl" {
		return fmt.Errorf("--jsonl-header goes with -o jsonl, not -o %s", format)
	}
	run, err := prepareAudit(ctx, streams, opts, args)
	if err != nil {
		return err
	}
	defer run.Close()

	egress := run.egress(ctx)
	report := probe.Report{
		GeneratedAt: streams.Now().UTC(),
		ToolVersion: streams.Version,
		Datasets:    run.db.Datasets(),
		Resolvers:   run.resolvers,
		Warnings:    probe.DataWarnings(attribution.Stale(run.db.Datasets(), streams.Now())),
		// What is known of the vantage when the run starts; the egress
		// addresses come at the end.
		Vantage: probe.Vantage{Name: run.vantageName, TimeZone: probe.LocalTimeZone(streams.Now()), Location: run.location},
	}
	if o := run.options.RTT; o != nil && o.Shapes != nil {
		report.Datasets = append(report.Datasets, shapesDataset(o.Shapes))
	}
	rttWarnings(streams.ErrOut, run.options.RTT)
	failed := 0
	var health runHealth
	var emit func(probe.Observation) error
	var csvOut *reports.AuditCSVWriter
	var jw *reports.JSONLWriter
	var doc *reports.DocumentWriter
	var md *reports.MarkdownWriter
	var table *reports.TableWriter
	lang := opts.lang.resolve(streams.Getenv)
	switch format {
	case "jsonl":
		jw = reports.NewJSONLWriter(streams.Out)
		if opts.jsonlHeader {
			if err := jw.WriteHeader(reports.NewJSONLHeader(report)); err != nil {
				return runError{err}
			}
		}
		emit = jw.Write
	case "csv":
		csvOut = reports.NewAuditCSVWriter(streams.Out, run.vantageName)
		if run.options.RTT != nil {
			csvOut.WithRTT()
		}
		emit = csvOut.Write
	case "json":
		// Streamed into a file as they come: the document's head is
		// written last.
		if doc, err = reports.NewDocumentWriter(); err != nil {
			return runError{err}
		}
		defer doc.Close()
		emit = doc.Add
	case "markdown":
		// Each section streamed as it comes: the counts go first.
		if md, err = reports.NewMarkdownWriter(lang); err != nil {
			return runError{err}
		}
		defer md.Close()
		emit = md.Add
	case "table":
		// Rows kept as they come, the columns fitted at the end.
		if table, err = reports.NewTableWriter(streams.Width, lang); err != nil {
			return runError{err}
		}
		defer table.Close()
		emit = table.Add
	default:
		emit = func(o probe.Observation) error {
			report.Observations = append(report.Observations, o)
			return nil
		}
	}
	count := func(o probe.Observation) error {
		health.add(o)
		if o.Failed() && o.Status != resolvers.StatusInvalid {
			failed++
		}
		if opts.evidence != "" && o.Status != resolvers.StatusInvalid && o.Status != resolvers.StatusInterrupted {
			if err := reports.WriteEvidence(opts.evidence, report, o); err != nil {
				return err
			}
		}
		return emit(o)
	}
	input, runErr := runTargets(ctx, streams, opts, run, count)
	if jw != nil {
		// What finished is written, whatever ended the run.
		if err := jw.Flush(); err != nil {
			return runError{err}
		}
	}
	interrupted := errors.Is(runErr, context.Canceled)
	if runErr != nil && !interrupted {
		return runError{runErr}
	}
	if input.given == 0 && input.err == nil && !interrupted {
		return errNoDomains
	}
	report.Interrupted = interrupted
	report.Datasets = append(report.Datasets, run.linkedDatasets()...)
	report.Vantage = run.vantage(streams, egress)
	report.Warnings = append(report.Warnings, dataWarnings(streams, run.db)...)
	switch format {
	case "json":
		err = doc.WriteReport(streams.Out, report)
	case "table":
		err = table.WriteReport(streams.Out, report)
	case "markdown":
		err = md.WriteReport(streams.Out, report)
	case "csv":
		err = csvOut.Flush()
	case "html":
		err = reports.WriteHTMLIn(streams.Out, report, lang)
	}
	switch {
	case err != nil:
		return runError{err}
	case interrupted:
		return runErr
	case input.err != nil:
		// The names read before it were audited and written.
		return input.err
	case health.failure() != "":
		// The report says what each name got; exit 3 says the run told nothing.
		return runError{errors.New("the run failed: " + health.failure())}
	case input.invalid > 0:
		return errInputRejected
	case opts.strict && failed > 0:
		fmt.Fprintf(streams.ErrOut, "hostwatch: %d of %d domains did not resolve (--strict)\n", failed, input.read)
		return errTargetsFailed
	}
	return nil
}

// clientSubnet is one EDNS Client Subnet to ask as, and how reports name it.
type clientSubnet struct {
	name   string
	prefix netip.Prefix
}

// clientSubnets reads --ecs and --as-seen-from.
func clientSubnets(db *attribution.DB, ecs, seenFrom []string) ([]clientSubnet, error) {
	var out []clientSubnet
	for _, e := range ecs {
		p, err := netip.ParsePrefix(strings.TrimSpace(e))
		if err != nil {
			return nil, fmt.Errorf("--ecs %q: want a prefix such as 36.64.0.0/24: %w", e, err)
		}
		out = append(out, clientSubnet{name: "ecs " + p.Masked().String(), prefix: p.Masked()})
	}
	for _, cc := range seenFrom {
		cc = strings.ToUpper(strings.TrimSpace(cc))
		if len(cc) != 2 {
			return nil, fmt.Errorf("--as-seen-from %q: want a two-letter country code such as ID", cc)
		}
		p, err := db.PrefixIn(cc)
		if err != nil {
			return nil, fmt.Errorf("--as-seen-from %s: %w", cc, err)
		}
		out = append(out, clientSubnet{name: "as seen from " + cc + " (" + p.String() + ")", prefix: p})
	}
	return out, nil
}

// resolverRoots reads --resolver-ca: the system's roots plus the file's.
func resolverRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--resolver-ca: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--resolver-ca %s: no PEM certificate in the file", path)
	}
	return pool, nil
}

// deadlineTimeouts is how many --timeout the default --deadline is at the
// least, so that raising --timeout does not leave a domain one attempt.
const deadlineTimeouts = 10

// deadlineFlag is --deadline: a duration that knows whether it was given.
type deadlineFlag struct {
	d     time.Duration
	given bool
}

func (f *deadlineFlag) String() string {
	if !f.given {
		return ""
	}
	return f.d.String()
}

func (f *deadlineFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	f.d, f.given = d, true
	return nil
}

func (f *deadlineFlag) Type() string { return "duration" }

// or returns the deadline given, or else the default for timeout.
func (f *deadlineFlag) or(timeout time.Duration) time.Duration {
	if f.given {
		return f.d
	}
	return max(probe.DefaultDeadline, deadlineTimeouts*timeout)
}

// rdapTimeout bounds one RDAP request: registries are slower than resolvers.
func (o *auditOptions) rdapTimeout() time.Duration {
	return max(10*time.Second, o.timeout)
}
