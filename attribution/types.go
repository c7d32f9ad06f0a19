package attribution

import "net/netip"

// Dataset describes one source of attribution facts, shown in every report.
type Dataset struct {
	// ID is the short name that Sources fields refer to, e.g. "ip-location-db/asn".
	ID string `json:"name"`
	// Version is the dataset's own version or build date, e.g. "2026-06-17".
	Version string `json:"version"`
	// License is the licence of the data, e.g. "CC BY 4.0".
	License string `json:"license"`
	// Attribution is the notice the licence asks for, if any.
	Attribution string `json:"attribution,omitempty"`
	// Path is the file a user's database was read from; empty for embedded data.
	Path string `json:"path,omitempty"`
	// Fields lists which facts this dataset gives: asn, as_org, prefix, country.
	Fields []string `json:"fields"`
	// Description says what the data is and how it was made, e.g. that its
	// country is where a block is registered rather than where it is.
	Description string `json:"description,omitempty"`
	// Package is the package embedded data was built from, as name@version.
	Package string `json:"package,omitempty"`
	// SHA256 is the hex digest of that package's tarball.
	SHA256 string `json:"sha256,omitempty"`
	// DatabaseType is a user's MMDB file's own database_type, as its
	// metadata gives it (made inert); Version is then its build date and
	// Description its own description.
	DatabaseType string `json:"database_type,omitempty"`
	// Kind says what sort of source this is, and URL where a provider's
	// list or an operator's geofeed is published: the codes and arguments
	// a report describes the dataset from in its reader's language
	// (License, Attribution and Description are English).
	Kind DatasetKind `json:"kind,omitempty"`
	URL  string      `json:"url,omitempty"`
}

// DatasetKind names what sort of source a Dataset is. The values are
// stable: reports carry them as a dataset's "kind".
type DatasetKind string

// The kinds of dataset.
const (
	// KindEmbedded: data shipped with hostwatch (or db update's newer copy
	// of it), described by its ID.
	KindEmbedded DatasetKind = "embedded"
	// KindMMDB: a user's --mmdb file; DatabaseType, Path and Version are
	// its own, Description its own words.
	KindMMDB DatasetKind = "mmdb"
	// KindProviderList: a provider list hostwatch curates or ships
	// (ASN table, CNAME suffixes, cdncheck's ranges), described by its ID.
	KindProviderList DatasetKind = "provider_list"
	// KindProviderFeed: a provider's own published ranges (db update --feeds).
	KindProviderFeed DatasetKind = "provider_feed"
	// KindGeofeed: an operator's geofeed (RFC 8805, db update --geofeed).
	KindGeofeed DatasetKind = "geofeed"
	// KindLinkedGeofeed: an operator's geofeed that a registry record
	// links to (RFC 9632, audit --rdap), fetched during the run; ID and URL
	// are its URL, Version the day it was fetched.
	KindLinkedGeofeed DatasetKind = "linked_geofeed"
)

// Sources names, for each fact of a Result, the Dataset.ID that gave it.
type Sources struct {
	ASN     string `json:"asn,omitempty"`
	ASOrg   string `json:"as_org,omitempty"`
	Prefix  string `json:"prefix,omitempty"`
	Country string `json:"country,omitempty"`
	// RegisteredCountry names the dataset that gave Result.RegisteredCountry.
	RegisteredCountry string `json:"registered_country,omitempty"`
	// Provider names the source that gave Provider, ProviderKind, Region and
	// CDN (by range or by ASN); CDN names the source when a CNAME made it a CDN.
	Provider string `json:"provider,omitempty"`
	CDN      string `json:"cdn,omitempty"`
}

// Result is what is known of one address. Zero values mean "unknown".
type Result struct {
	ASN     uint32
	ASOrg   string
	Prefix  netip.Prefix // the dataset block containing the address
	Country string       // ISO 3166-1 alpha-2 code the datasets give for the address
	// RegisteredCountry is the registry's record of where the holder is
	// registered: the country of the AS announcing the block (RIR
	// statistics) in the embedded data, GeoIP2's registered_country in a
	// user's file. It is kept apart from Country and never replaces it.
	RegisteredCountry string
	// Provider is who runs the address ("Alibaba Cloud", "Cloudflare",
	// "Telkom Indonesia"), ProviderKind what it does there (cloud, cdn,
	// hosting, isp, service), Region the provider's region where its own
	// feed says so.
	Provider, ProviderKind, Region string
	// CDN says the address is a CDN or WAF edge: the site is served through
	// the edge and the origin server is not visible. CDNName names the CDN.
	CDN     bool
	CDNName string
	// SpecialUse names the special-purpose block (RFC 6890) that holds the
	// address, such as "private-use (RFC 1918)". Such an address is not
	// globally reachable: no dataset is asked and no network or country is claimed.
	SpecialUse string
	// NAT64 is the IPv4 address that a NAT64 address (the well-known prefix
	// 64:ff9b::/96, RFC 6052) embeds. The address is a translator's: every
	// claim above is that of the embedded IPv4 address, the server behind it.
	NAT64   netip.Addr
	Sources Sources
}
