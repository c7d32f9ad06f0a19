// Package attribution tells, for an IP address, its AS number, AS organisation, prefix and country, and which dataset gave each fact.
package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/hostwatch/hostwatch/attribution/internal/clean"
	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
	"github.com/hostwatch/hostwatch/attribution/provider"
)

// DB answers lookups from the user's MMDB files and the embedded data.
// Lookup and Datasets are safe for concurrent use; Close is not safe to call
// while lookups are running.
type DB struct {
	sources   []*source // user files in the order given, then embedded data
	datasets  []Dataset // sources[i] is described by datasets[i]
	providers *provider.Table
	geofeeds  *geofeeds // installed by db update --geofeed
	nets      *netCache // the sources' facts by block; nil after Close
}

// source is one MMDB file and the records decoded from it so far.
type source struct {
	id         string
	r          *maxminddb.Reader
	layout     layout
	hasASN     bool     // its records may carry asn and as_org
	hasCountry bool     // its records may carry country
	v4only     bool     // an IPv4 tree: IPv6 addresses are not in it
	cache      sync.Map // data offset (uintptr) → *record
	cached     atomic.Int64
	problems   problems
}

// problems counts what went wrong looking addresses up in one source, for
// Warnings. Each kind keeps the lowest address it happened to, so that the
// warning is the same whatever the order of concurrent lookups.
type problems struct {
	mu      sync.Mutex
	failed  problem // lookups that failed: the address was asked of the sources after it
	dropped problem // country codes that were not two ASCII letters
}

type problem struct {
	count  int
	at     netip.Addr
	detail string
}

func (p *problems) note(which *problem, ip netip.Addr, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	which.count++
	if !which.at.IsValid() || ip.Less(which.at) {
		which.at, which.detail = ip, detail
	}
}

// maxCached bounds the records one source keeps decoded. The embedded ASN
// data has about 91,000 distinct records; a user's City file may have more,
// and lookups past the bound decode each time.
const maxCached = 1 << 20

// Open returns a DB that answers from the MMDB files at paths (a user's
// --mmdb files, the first given taking precedence) and then from the data
// embedded in hostwatch. An error names the file that could not be used;
// errors.Is(err, ErrUnknownLayout) tells a readable file of a kind
// hostwatch does not know.
func Open(paths ...string) (*DB, error) {
	return OpenWith(Config{MMDBs: paths})
}

// Config says where a DB's data comes from.
type Config struct {
	// MMDBs are the user's files (--mmdb), the first taking precedence.
	MMDBs []string
	// DataDir is where "hostwatch db update" keeps newer data; a dataset
	// there replaces the embedded one of the same name when it is newer, and
	// the licensed databases it fetched (GeoLite2, IPinfo Lite) follow the
	// user's MMDBs.
	// "" means the embedded data only.
	DataDir string
	// VerifiedDir is where the SHA-256 digests of MMDB files that passed
	// verification are remembered, so that the same file is not verified
	// again on every open; "" verifies each file on every open.
	VerifiedDir string
}

// OpenWith is Open with the data directory of db update as well.
func OpenWith(cfg Config) (*DB, error) {
	paths := append(slices.Clone(cfg.MMDBs), licensedFiles(cfg.DataDir)...)
	d := &DB{}
	ids := map[string]int{}
	for i, p := range paths {
		// The user's files are verified whole (once for the same bytes,
		// with VerifiedDir); the licensed ones were verified when db update
		// installed them.
		s, ds, err := openUser(p, i < len(cfg.MMDBs), cfg.VerifiedDir)
		if err != nil {
			d.Close()
			return nil, err
		}
		// Two files of the same type and name (from different directories)
		// must still be told apart in Sources.
		if ids[ds.ID]++; ids[ds.ID] > 1 {
			ds.ID = fmt.Sprintf("%s #%d", ds.ID, ids[ds.ID])
			s.id = ds.ID
		}
		d.sources = append(d.sources, s)
		d.datasets = append(d.datasets, ds)
	}
	updated, err := readUpdated(cfg.DataDir)
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := d.openEmbedded(updated); err != nil {
		d.Close()
		return nil, err
	}
	if d.providers, err = provider.Default(); err != nil {
		d.Close()
		return nil, fmt.Errorf("embedded provider data: %w", err)
	}
	d.providers = withFeeds(d.providers, cfg.DataDir)
	d.geofeeds = loadGeofeeds(cfg.DataDir)
	d.nets = newNetCache(maxNets)
	return d, nil
}

// openEmbedded adds the data compiled into hostwatch, as datasets.json lists
// it, each dataset replaced by the one in updated when that is newer.
func (d *DB) openEmbedded(updated *updatedData) error {
	var m manifest.Manifest
	if err := json.Unmarshal(embeddedManifest, &m); err != nil {
		return fmt.Errorf("embedded %s: %w", manifest.FileName, err)
	}
	for _, e := range m.Datasets {
		if u, ok := updated.newer(e); ok {
			if err := d.openFile(updated.dir, u); err != nil {
				return fmt.Errorf("updated data: %w (hostwatch db update --revert restores the previous data)", err)
			}
			continue
		}
		data, ok := embeddedFile(e.File)
		if !ok {
			return fmt.Errorf("embedded %s: no file %s", manifest.FileName, e.File)
		}
		r, err := maxminddb.OpenBytes(data, maxminddb.DisableStringCache())
		if err != nil {
			return fmt.Errorf("embedded %s: %w", e.File, err)
		}
		d.add(e, r, "")
	}
	return nil
}

// openFile adds the dataset e whose file is in dir.
func (d *DB) openFile(dir string, e manifest.Dataset) error {
	path := filepath.Join(dir, e.File)
	r, err := maxminddb.Open(path, maxminddb.DisableStringCache())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	d.add(e, r, path)
	return nil
}

// add makes the reader r of dataset e (read from path; "" when embedded) a
// source. mkdataset writes GeoIP2-compatible files or keeps ip-location-db's
// own layout, and the manifest says which facts each file gives.
func (d *DB) add(e manifest.Dataset, r *maxminddb.Reader, path string) {
	s := &source{id: e.ID, r: r, layout: layoutFlat, v4only: r.Metadata.IPVersion == 4}
	if l, _, _ := detectByType(r.Metadata.DatabaseType); l != layoutNone {
		s.layout = l
	}
	s.hasASN = slices.Contains(e.Fields, "asn")
	s.hasCountry = slices.Contains(e.Fields, "country")
	d.sources = append(d.sources, s)
	d.datasets = append(d.datasets, Dataset{
		ID:          e.ID,
		Version:     e.Version,
		License:     e.License,
		Attribution: e.Attribution,
		Fields:      e.Fields,
		Description: e.Description,
		Package:     e.Package,
		SHA256:      e.SHA256,
		Path:        path,
		Kind:        KindEmbedded,
	})
}

// unknownLicense is the licence of a user's file whose metadata says none.
const unknownLicense = "see the file's provider terms"

// openUser opens a user's MMDB file and works out how to read it; with
// verify, it checks the whole file first (openVerified, remembering the
// files that passed in verifiedDir) and refuses a damaged one with
// ErrCorrupt. The strings of its metadata are made inert (clean.String)
// before they enter the model.
func openUser(path string, verify bool, verifiedDir string) (*source, Dataset, error) {
	var r *maxminddb.Reader
	var err error
	if verify {
		r, err = openVerified(path, verifiedDir)
	} else {
		r, err = maxminddb.Open(path, maxminddb.DisableStringCache())
	}
	if err != nil {
		return nil, Dataset{}, fmt.Errorf("open mmdb %q: %w", path, err)
	}
	md := r.Metadata
	dbType := clean.String(md.DatabaseType, maxMeta)
	l, hasASN, hasCountry, err := detect(r)
	if err != nil {
		r.Close()
		return nil, Dataset{}, fmt.Errorf("open mmdb %q: database type %q: %w", path, dbType, err)
	}
	idType := dbType
	if idType == "" {
		idType = "mmdb"
	}
	ds := Dataset{
		ID:           fmt.Sprintf("%s (%s)", idType, clean.String(filepath.Base(path), maxMeta)),
		License:      unknownLicense,
		Path:         path,
		Description:  clean.String(description(md.Description), maxMeta),
		DatabaseType: dbType,
		Kind:         KindMMDB,
	}
	if md.BuildEpoch != 0 {
		ds.Version = md.BuildTime().UTC().Format(time.DateOnly)
	}
	if mentionsLicense(ds.Description) {
		ds.License = ds.Description
	}
	if hasASN {
		ds.Fields = append(ds.Fields, "asn", "as_org", "prefix")
	}
	if hasCountry {
		ds.Fields = append(ds.Fields, "country")
	}
	s := &source{id: ds.ID, r: r, layout: l, hasASN: hasASN, hasCountry: hasCountry, v4only: md.IPVersion == 4}
	return s, ds, nil
}

// description picks the English description from MMDB metadata, or else the
// first by language code.
func description(byLang map[string]string) string {
	if d, ok := byLang["en"]; ok {
		return d
	}
	langs := make([]string, 0, len(byLang))
	for l := range byLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	if len(langs) == 0 {
		return ""
	}
	return byLang[langs[0]]
}

func mentionsLicense(s string) bool {
	s = strings.ToLower(s)
	for _, w := range []string{"licen", "creative commons", "cc by", "cc-by", "cc0", "public domain"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// Lookup tells what the sources know of ip. Each fact comes from the first
// source that has it: asn and prefix together, as_org from the same source
// or else from a later one that agrees on the ASN, and country on its own.
// IPv4-mapped and IPv4-compatible IPv6 addresses are special-purpose: no
// claims, not those of the IPv4 address they embed. A NAT64 address
// (64:ff9b::/96) gets the claims of the IPv4 address it embeds, and says
// so in NAT64. Lookup never fails: what no source knows is left zero. A
// lookup that fails in one source (a record that cannot be read) or a
// country code that is not two ASCII letters is noted for Warnings, and
// the later sources are asked instead.
func (d *DB) Lookup(ip netip.Addr) Result {
	var res Result
	if d == nil || !ip.IsValid() {
		return res
	}
	ip = ip.WithZone("")
	if v4, ok := nat64(ip); ok {
		res = d.Lookup(v4)
		res.NAT64 = v4
		return res
	}
	if res.SpecialUse = specialUse(ip); res.SpecialUse != "" {
		return res
	}
	if c := d.nets; c == nil {
		res, _, _ = d.lookupSources(ip)
	} else if r, ok := c.get(ip); ok {
		res = r
	} else {
		var block netip.Prefix
		if res, block, ok = d.lookupSources(ip); ok {
			c.put(block, res)
		}
	}
	if info := d.providers.Classify(ip, res.ASN); info.Provider != "" || info.CDN {
		res.Provider, res.ProviderKind, res.Region = info.Provider, info.Kind, info.Region
		res.CDN, res.CDNName = info.CDN, info.CDNName
		res.Sources.Provider = info.Source
	}
	return res
}

// lookupSources is what the sources say of ip (a globally reachable
// address without a zone): Lookup but for the provider. It also returns
// the most specific block, of those of the sources asked, that holds ip:
// every address in it is in the same record of each of those sources, so
// is asked of the same sources and gets the same facts. reusable is false
// when a lookup failed or a country was dropped: those are noted for
// Warnings, address by address, so their facts are not kept.
func (d *DB) lookupSources(ip netip.Addr) (res Result, block netip.Prefix, reusable bool) {
	block, reusable = netip.PrefixFrom(ip, 0).Masked(), true
	needASN, needOrg, needCountry, needRegistered := true, true, true, true
	for _, s := range d.sources {
		if !(s.hasASN && (needASN || needOrg || needRegistered) || s.hasCountry && (needCountry || needRegistered)) ||
			s.v4only && !ip.Is4() {
			continue
		}
		found := s.r.Lookup(ip)
		if err := found.Err(); err != nil {
			s.problems.note(&s.problems.failed, ip, err.Error())
			reusable = false
			continue
		}
		// Found or not, the lookup ended in a block of the file.
		if p := prefix(ip, found); p.Bits() > block.Bits() {
			block = p
		}
		if !found.Found() {
			continue
		}
		rec := s.record(found)
		if rec.err != nil {
			s.problems.note(&s.problems.failed, ip, rec.err.Error())
			reusable = false
			continue
		}
		if rec.badCountry != "" {
			s.problems.note(&s.problems.dropped, ip, rec.badCountry)
			reusable = false
		}
		if needASN && rec.asn != 0 {
			res.ASN, res.Sources.ASN = rec.asn, s.id
			res.Prefix, res.Sources.Prefix = prefix(ip, found), s.id
			needASN = false
		}
		if !needASN && needOrg && rec.asn == res.ASN && rec.org != "" {
			res.ASOrg, res.Sources.ASOrg = rec.org, s.id
			needOrg = false
		}
		if needCountry && rec.country != "" {
			res.Country, res.Sources.Country = rec.country, s.id
			needCountry = false
		}
		if needRegistered && rec.registered != "" && (rec.asn == 0 || rec.asn == res.ASN) {
			res.RegisteredCountry, res.Sources.RegisteredCountry = rec.registered, s.id
			needRegistered = false
		}
		if !needASN && !needOrg && !needCountry && !needRegistered {
			break
		}
	}
	return res, block, reusable
}

// Geofeed is what the installed geofeeds (db update --geofeed) say of ip,
// and false when none covers it. It is kept out of Result: an operator's
// claim is a source of its own, never merged into the databases'.
func (d *DB) Geofeed(ip netip.Addr) (GeofeedClaim, bool) {
	// Most runs have no geofeed installed: they need not classify ip.
	if d == nil || !ip.IsValid() || d.geofeeds == nil || len(d.geofeeds.feeds) == 0 || specialUse(ip.WithZone("")) != "" {
		return GeofeedClaim{}, false
	}
	c := d.geofeeds.lookup(ip.WithZone(""))
	return c, c.Source != ""
}

// prefix is the block of the file that holds ip. In an IPv6 file whose
// block reaches past the IPv4 space (::/96), that is all of IPv4.
func prefix(ip netip.Addr, found maxminddb.Result) netip.Prefix {
	p := found.Prefix()
	if ip.Is4() && !p.Addr().Is4() {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return p
}

// record returns the decoded record a lookup found, decoding it only the
// first time its data offset is seen.
func (s *source) record(found maxminddb.Result) *record {
	off := found.Offset()
	if v, ok := s.cache.Load(off); ok {
		return v.(*record)
	}
	rec, err := s.layout.decode(found)
	if err != nil {
		rec = record{err: err} // a record that does not decode gives no facts
	} else {
		rec = rec.tidy()
	}
	if s.cached.Load() >= maxCached {
		return &rec
	}
	v, loaded := s.cache.LoadOrStore(off, &rec)
	if !loaded {
		s.cached.Add(1)
	}
	return v.(*record)
}

// Warnings describes what went wrong in the lookups so far, one line per
// source and kind, in the order of Datasets: Problems in English.
func (d *DB) Warnings() []string { return warningLines(d.Problems()) }

// Problems are what went wrong in the lookups so far, one warning per
// source and kind, in the order of Datasets: lookups that failed in a file
// (those addresses were asked of the sources after it) and country codes
// that were not two ASCII letters (dropped). Outside text in them is
// inert. Lookups never fail silently: reports carry these warnings.
func (d *DB) Problems() []Warning {
	if d == nil {
		return nil
	}
	var out []Warning
	for _, s := range d.sources {
		s.problems.mu.Lock()
		failed, dropped := s.problems.failed, s.problems.dropped
		s.problems.mu.Unlock()
		if failed.count > 0 {
			out = append(out, Warning{Kind: WarningLookupsFailed, Dataset: s.id, Count: failed.count,
				Address: failed.at, Detail: clean.String(failed.detail, maxMeta)})
		}
		if dropped.count > 0 {
			out = append(out, Warning{Kind: WarningCountryDropped, Dataset: s.id, Count: dropped.count,
				Address: dropped.at, Detail: clean.String(strconv.Quote(dropped.detail), maxName)})
		}
	}
	return out
}

func plural(n int, noun string) string { return fmt.Sprintf("%d %s", n, pick(n, noun, noun+"s")) }

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Datasets describes every source in use: the user's files in the order
// given, then the embedded data, then the provider sources.
func (d *DB) Datasets() []Dataset {
	if d == nil {
		return nil
	}
	out := slices.Clone(d.datasets)
	for i := range out {
		out[i].Fields = slices.Clone(out[i].Fields)
	}
	for _, s := range d.providers.Sources() {
		fields := []string{"provider", "provider_kind", "cdn"}
		switch s.Name {
		case provider.SourceCNAMEs:
			fields = []string{"cdn"}
		case provider.SourceASNTable:
			fields = []string{"provider", "provider_kind"}
		}
		if s.Regions {
			fields = append(fields, "region")
		}
		desc := s.URL
		if s.Note != "" {
			desc = s.Note + " (" + s.URL + ")"
		}
		kind := KindProviderList
		if s.Regions {
			kind = KindProviderFeed
		}
		out = append(out, Dataset{ID: s.Name, Version: s.Version, License: s.License, Attribution: s.Attribution, Fields: fields,
			Description: desc, Path: s.Path, Kind: kind, URL: s.URL})
	}
	return append(out, d.geofeeds.datasets()...)
}

// CDNByCNAME reports whether a CNAME chain's names say the site is served
// through a CDN (such as *.cloudfront.net), and which one.
func (d *DB) CDNByCNAME(chain []string) (string, bool) {
	if d == nil {
		return "", false
	}
	return d.providers.CDNByCNAME(chain)
}

// Close releases the user's files. Lookups after Close find nothing.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	var errs []error
	for _, s := range d.sources {
		if err := s.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", s.id, err))
		}
	}
	d.providers, d.nets = nil, nil
	return errors.Join(errs...)
}
