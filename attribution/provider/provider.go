// Package provider tells who runs an IP address (a cloud, a CDN, a hosting
// company, an ISP), in which region where a provider's own feed says so,
// and whether the address is a CDN or WAF edge, so that no report calls an
// edge "the server" or a cloud server "a CDN".
//
// # Sources
//
// A Table answers from, in this order:
//
//  1. range lists: the ranges of projectdiscovery/cdncheck (embedded, see
//     data/ranges.txt) and, layered over them by WithRanges, the providers'
//     own feeds with regions (ParseAWS, ParseGoogleCloud, ParseAzure,
//     ParseOracle);
//  2. hostwatch's curated ASN table (data/asn-providers.csv), for addresses
//     in no list: one row per AS, each naming its evidence, the AS's
//     organisation exactly as the embedded ASN dataset registers it;
//  3. nothing: the zero Info.
//
// Only feeds give a Region, as the feed writes it ("ap-southeast-1",
// "GLOBAL" for CloudFront; for Azure's region-less tags, the region of the
// regional prefix that covers them). Without one, nothing beyond the
// country of package attribution may be claimed.
//
// # Precedence among ranges
//
// Within one layer the most specific prefix wins. At equal length:
//
//   - in the embedded cdncheck data, the list written earlier in
//     ranges.txt (mkproviders' lists.go) wins; a CDN list such as
//     CloudFront comes before the cloud list that contains it (AWS). A list
//     may also yield to another whatever the lengths: Google's services
//     ("google", cdncheck's google CDN list, which is Google's goog.json)
//     yield to Google Cloud (cloud.json), as Google itself defines its
//     services as goog.json minus cloud.json; so a Google Cloud address is
//     never a CDN edge. Azure's service tags yield to Microsoft 365's
//     ranges in the same way. These overlaps are resolved when the data is
//     generated: no address is in two lists of ranges.txt.
//   - in a feed given to WithRanges, a CDN range wins, then the range
//     earlier in the slice. The parsers give one range per prefix.
//
// A later layer (WithRanges) wins wherever it has a range, whatever the
// lengths, and replaces what earlier layers said of the same providers.
// Nothing depends on map order.
//
// # Kinds
//
// Info.Kind is one of the Kind constants: what the provider does at that
// address. A cdn kind is always a CDN edge (Info.CDN); an address of
// another kind is not, except where a feed marks a range as CDN.
package provider

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/hostwatch/hostwatch/attribution/provider/internal/spans"
)

// The kinds of Info.Kind.
const (
	// KindCloud: a cloud platform that rents servers and services on demand
	// (Amazon Web Services, Google Cloud, Microsoft Azure, Alibaba Cloud,
	// DigitalOcean, ...). The address may be a customer's server.
	KindCloud = "cloud"
	// KindCDN: CDN, WAF or DDoS-protection edges (Cloudflare, Akamai,
	// Fastly, Amazon CloudFront, ...), which stand in front of the origin
	// server and hide it.
	KindCDN = "cdn"
	// KindHosting: web hosting, dedicated servers, VPS and colocation
	// (OVHcloud, Hetzner, Leaseweb, ...).
	KindHosting = "hosting"
	// KindISP: an access or transit network (Telkom Indonesia, Indosat,
	// XL Axiata, ...): a server there is on the premises of one of its
	// customers or in the ISP's own data centre.
	KindISP = "isp"
	// KindService: the operator's own services and their front ends
	// (Google's Search, Gmail, Public DNS, and its front ends for App
	// Engine, Firebase and Blogger sites; Microsoft 365; Zscaler), shared
	// by many names; not a server one rents, and not a CDN one buys.
	KindService = "service"
)

// Kinds lists the kinds an Info may have, for documentation and checks.
func Kinds() []string { return []string{KindCloud, KindCDN, KindHosting, KindISP, KindService} }

// The names of the embedded sources, as Info.Source and Source.Name give them.
const (
	// SourceASNTable is hostwatch's curated ASN table, data/asn-providers.csv.
	SourceASNTable = "hostwatch/asn-providers"
	// SourceCNAMEs is hostwatch's list of CDN CNAME suffixes,
	// data/cdn-cnames.csv, which CDNByCNAME reads.
	SourceCNAMEs = "hostwatch/cdn-cnames"
	// SourceCDNCheck is the cloud and CDN ranges taken from
	// projectdiscovery/cdncheck, data/ranges.txt.
	SourceCDNCheck = "projectdiscovery/cdncheck"
	// InputAWS names AWS's ip-ranges.json in ranges.txt's input line: the
	// document whose service names made CloudFront's edges, IPv6 included,
	// when mkproviders was given it. Its notice is part of SourceCDNCheck's.
	InputAWS = "aws/ip-ranges.json"
)

// Info is what is known of who runs an address. Zero fields mean unknown.
type Info struct {
	// Provider is who runs the address, e.g. "Alibaba Cloud", "Amazon Web
	// Services", "Google", "Google Cloud", "Cloudflare", "Telkom Indonesia".
	Provider string
	// Kind is what the provider does there: one of Kinds().
	Kind string
	// Region is the provider's region, only where a provider's feed says
	// so, e.g. "ap-southeast-1"; else "".
	Region string
	// CDN says the address is a CDN or WAF edge: the site is served
	// through the edge and the origin server is not visible.
	CDN bool
	// CDNName names the CDN when CDN is true, e.g. "Amazon CloudFront".
	CDNName string
	// Source is the Source.Name that gave Provider.
	Source string
}

// Source describes one source of provider facts, for reports.
type Source struct {
	// Name is what Info.Source calls it, e.g. "projectdiscovery/cdncheck".
	Name string
	// Version is the source's version or date, e.g. "v1.2.19".
	Version string
	// License is the licence of the data, e.g. "MIT".
	License string
	// Attribution is the notice the licence asks for, if any.
	Attribution string
	// URL is where the data comes from.
	URL string
	// Note says more of the data where needed, such as how a feed's date
	// is known; "" when URL says enough.
	Note string
	// Regions says the source gives Info.Region (a provider's own feed).
	Regions bool
	// Path is the file the data was read from; "" for embedded data.
	Path string
}

// Table classifies addresses. It is immutable once made, and safe for
// concurrent use.
type Table struct {
	infos   []Info       // what each range says; spans' values index it
	spans   []spans.Span // disjoint and sorted; kept for WithRanges
	index   spans.Index
	asns    map[uint32]Info
	cnames  map[string]string // CNAME suffix → CDN name
	sources []Source
}

// Classify tells who runs ip, whose origin AS is asn (0 if unknown): from
// the most specific range that holds ip, else from the ASN table, else
// the zero Info. IPv4-mapped IPv6 addresses are classified as IPv4.
// Classify does not allocate. It does not tell special-use addresses
// (private, documentation, ...) apart: package attribution does, first.
func (t *Table) Classify(ip netip.Addr, asn uint32) Info {
	if t == nil {
		return Info{}
	}
	if ip.IsValid() {
		if v := t.index.Lookup(ip); v >= 0 {
			return t.infos[v]
		}
	}
	if asn != 0 {
		if in, ok := t.asns[asn]; ok {
			return in
		}
	}
	return Info{}
}

// CDNByCNAME tells whether a name of a CNAME chain is a CDN or WAF edge's,
// by its suffix (data/cdn-cnames.csv, Source SourceCNAMEs): a name
// matches a suffix when it ends in "." + suffix, so x.cloudfront.net is
// Amazon CloudFront but cloudfront.net.evil.example is nothing. Names are
// compared without case and without a final dot. The first name of the
// chain that matches gives the CDN's name. Load balancers, traffic
// managers and hosting platforms are not CDNs: example.azurewebsites.net
// and x.trafficmanager.net do not match.
func (t *Table) CDNByCNAME(chain []string) (name string, ok bool) {
	if t == nil {
		return "", false
	}
	for _, n := range chain {
		if cdn, ok := t.cdnForName(n); ok {
			return cdn, true
		}
	}
	return "", false
}

func (t *Table) cdnForName(name string) (string, bool) {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if 'A' <= name[i] && name[i] <= 'Z' {
			name = strings.ToLower(name)
			break
		}
	}
	// Try each suffix after a dot that ends a non-empty label, longest first.
	for i := 1; i < len(name)-1; i++ {
		if name[i] == '.' && name[i-1] != '.' {
			if cdn, ok := t.cnames[name[i+1:]]; ok {
				return cdn, true
			}
		}
	}
	return "", false
}

// Sources describes the sources the table answers from: the embedded ones
// (SourceASNTable, SourceCNAMEs, SourceCDNCheck), then those of
// WithRanges, in the order added.
func (t *Table) Sources() []Source {
	if t == nil {
		return nil
	}
	return slices.Clone(t.sources)
}

// WithRanges returns a new table in which rs, from source, come first: an
// address inside any of rs is classified by rs alone (the most specific
// range; at equal prefix a CDN range, then the earlier in rs), and the
// ranges of t whose Provider is the Provider of any of rs are dropped, as
// the feed supersedes them. Other addresses, and the ASN table, are as in
// t. Each Info of rs gets Source source.Name, and CDNName defaults to the
// Provider for a CDN range. t is not changed.
func (t *Table) WithRanges(source Source, rs []Range) *Table {
	if t == nil {
		t = &Table{}
	}
	nt := &Table{
		infos:  slices.Clone(t.infos),
		asns:   t.asns,
		cnames: t.cnames,
	}
	superseded := map[string]bool{}
	ids := map[Info]int32{}
	items := make([]spans.Item, 0, len(rs))
	for i, r := range rs {
		superseded[r.Provider] = true
		in := Info{Provider: r.Provider, Kind: r.Kind, Region: r.Region, CDN: r.CDN, CDNName: r.CDNName, Source: source.Name}
		if in.CDN && in.CDNName == "" {
			in.CDNName = in.Provider
		}
		v, ok := ids[in]
		if !ok {
			v = int32(len(nt.infos))
			nt.infos = append(nt.infos, in)
			ids[in] = v
		}
		rank := int32(i)
		if !r.CDN {
			rank += int32(len(rs))
		}
		items = append(items, spans.Item{Prefix: r.Prefix, Value: v, Rank: rank})
	}
	base := make([]spans.Span, 0, len(t.spans))
	for _, s := range t.spans {
		if !superseded[t.infos[s.Value].Provider] {
			base = append(base, s)
		}
	}
	nt.spans = spans.Overlay(spans.Resolve(items, nil), base)
	nt.index = spans.NewIndex(nt.spans)

	nt.sources = slices.Clone(t.sources)
	if i := slices.IndexFunc(nt.sources, func(s Source) bool { return s.Name == source.Name }); i >= 0 {
		nt.sources[i] = source
	} else {
		nt.sources = append(nt.sources, source)
	}
	return nt
}
