package provider

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Range is one prefix of a provider's feed, in hostwatch's terms.
type Range struct {
	Prefix   netip.Prefix
	Provider string // e.g. "Amazon Web Services"
	Kind     string // one of Kinds()
	Region   string // the feed's region, e.g. "ap-southeast-1"; "" if it gives none
	// Service is what the feed says runs there, e.g. "EC2", "CLOUDFRONT",
	// "AzureFrontDoor.Frontend"; several are joined with commas.
	Service string
	CDN     bool // the prefix is CDN or WAF edges
	CDNName string
}

// Document is a provider's feed as published: its ranges, and when the
// provider says it made the document.
type Document struct {
	Ranges []Range
	// Published is the date the document gives itself (AWS's createDate,
	// Google Cloud's creationTime, Oracle's last_updated_timestamp), in
	// UTC; zero when it gives none or none that can be read (Azure's
	// service tags carry only a change number). It is not the download
	// time: a year-old copy served today is a year old.
	Published time.Time
}

// ErrNoRanges is returned by the feed parsers for a document that parses
// but holds no prefixes, such as another provider's feed: it must not
// replace good data.
var ErrNoRanges = errors.New("no prefixes in the feed")

// Provider names the parsers give.
const (
	providerAWS    = "Amazon Web Services"
	providerGoogle = "Google Cloud"
	providerAzure  = "Microsoft Azure"
	providerOracle = "Oracle Cloud"
)

// ParseAWS reads AWS's ip-ranges.json (https://ip-ranges.amazonaws.com/ip-ranges.json):
// prefixes[].ip_prefix and ipv6_prefixes[].ipv6_prefix with their region
// and service. A prefix listed for several services gives one Range: its
// Service is the services other than the catch-all AMAZON, joined; it is a
// CDN edge (Amazon CloudFront) when CLOUDFRONT is among them, else cloud.
// CLOUDFRONT_ORIGIN_FACING, CloudFront's addresses towards origins, is not
// an edge. The Region is the feed's, e.g. "GLOBAL" for CloudFront.
func ParseAWS(r io.Reader) (Document, error) {
	var doc struct {
		CreateDate string `json:"createDate"` // "2026-11-20-12-00-00", UTC
		Prefixes   []struct {
			Prefix  string `json:"ip_prefix"`
			Region  string `json:"region"`
			Service string `json:"service"`
		} `json:"prefixes"`
		IPv6Prefixes []struct {
			Prefix  string `json:"ipv6_prefix"`
			Region  string `json:"region"`
			Service string `json:"service"`
		} `json:"ipv6_prefixes"`
	}
	const name = "aws ip-ranges.json"
	if err := decodeJSON(r, &doc); err != nil {
		return Document{}, fmt.Errorf("%s: %w", name, err)
	}
	var es []entry
	for _, p := range doc.Prefixes {
		es = append(es, entry{prefix: p.Prefix, region: p.Region, service: p.Service})
	}
	for _, p := range doc.IPv6Prefixes {
		es = append(es, entry{prefix: p.Prefix, region: p.Region, service: p.Service})
	}
	rs, err := group(name, es, func(p netip.Prefix, g []entry) Range {
		r := Range{Prefix: p, Provider: providerAWS, Kind: KindCloud, Region: joinSet(g, func(e entry) string { return e.region })}
		r.Service = joinSet(g, func(e entry) string {
			if e.service == "AMAZON" && len(g) > 1 {
				return ""
			}
			return e.service
		})
		if r.Service == "" {
			r.Service = "AMAZON"
		}
		if slices.ContainsFunc(g, func(e entry) bool { return e.service == awsCloudFront }) {
			r.Kind, r.CDN, r.CDNName = KindCDN, true, "Amazon CloudFront"
		}
		return r
	})
	return Document{Ranges: rs, Published: feedTime(doc.CreateDate, "2006-01-02-15-04-05")}, err
}

// awsCloudFront is the service name under which AWS lists CloudFront's
// edges, IPv4 and IPv6 alike (CLOUDFRONT_ORIGIN_FACING is another).
const awsCloudFront = "CLOUDFRONT"

// ParseGoogleCloud reads Google's cloud.json (https://www.gstatic.com/ipranges/cloud.json):
// prefixes[].ipv4Prefix or ipv6Prefix, with scope (the region, e.g.
// "asia-southeast2") and service ("Google Cloud"). These are Google Cloud's
// customer ranges: cloud, never CDN.
func ParseGoogleCloud(r io.Reader) (Document, error) {
	var doc struct {
		CreationTime string `json:"creationTime"` // "2026-11-20T12:00:00.000000", UTC
		Prefixes     []struct {
			IPv4    string `json:"ipv4Prefix"`
			IPv6    string `json:"ipv6Prefix"`
			Scope   string `json:"scope"`
			Service string `json:"service"`
		} `json:"prefixes"`
	}
	const name = "google cloud.json"
	if err := decodeJSON(r, &doc); err != nil {
		return Document{}, fmt.Errorf("%s: %w", name, err)
	}
	var es []entry
	for _, p := range doc.Prefixes {
		for _, s := range []string{p.IPv4, p.IPv6} {
			if s != "" {
				es = append(es, entry{prefix: s, region: p.Scope, service: p.Service})
			}
		}
		if p.IPv4 == "" && p.IPv6 == "" {
			return Document{}, fmt.Errorf("%s: an entry without ipv4Prefix or ipv6Prefix", name)
		}
	}
	rs, err := group(name, es, func(p netip.Prefix, g []entry) Range {
		return Range{Prefix: p, Provider: providerGoogle, Kind: KindCloud,
			Region:  joinSet(g, func(e entry) string { return e.region }),
			Service: joinSet(g, func(e entry) string { return e.service })}
	})
	return Document{Ranges: rs, Published: feedTime(doc.CreationTime, "2006-01-02T15:04:05.999999999")}, err
}

// ParseAzure reads Azure's service tags (ServiceTags_Public_YYYYMMDD.json,
// published at https://www.microsoft.com/en-us/download/details.aspx?id=56519):
// values[] with name and properties {region, systemService, addressPrefixes}.
// A prefix listed under several tags gives one Range, of the first tag in
// this order: AzureFrontDoor.Frontend, Front Door's edges (a CDN edge,
// "Azure Front Door"); a tag with a region; a tag of a service; then by
// name. Service is that tag's name, e.g. "Storage.EastUS". The other Front
// Door tags are not edges: AzureFrontDoor.Backend is where Front Door
// fetches from origins (like AWS's CLOUDFRONT_ORIGIN_FACING), and
// AzureFrontDoor.FirstParty its own infrastructure.
//
// Most region-less tags list prefixes that lie inside a regional
// AzureCloud.<region> prefix, and as the more specific prefix they would
// win with no region: such a range takes the region of the most specific
// regional prefix that covers it. Front Door's edges are anycast and keep
// none.
func ParseAzure(r io.Reader) (Document, error) {
	var doc struct {
		Values []struct {
			Name       string `json:"name"`
			Properties struct {
				Region          string   `json:"region"`
				SystemService   string   `json:"systemService"`
				AddressPrefixes []string `json:"addressPrefixes"`
			} `json:"properties"`
		} `json:"values"`
	}
	const name = "azure service tags"
	if err := decodeJSON(r, &doc); err != nil {
		return Document{}, fmt.Errorf("%s: %w", name, err)
	}
	var es []entry
	for _, v := range doc.Values {
		cdn := strings.EqualFold(v.Name, azureFrontDoorEdge)
		for _, p := range v.Properties.AddressPrefixes {
			es = append(es, entry{prefix: p, region: v.Properties.Region, service: v.Name, system: v.Properties.SystemService, cdn: cdn})
		}
	}
	rs, err := group(name, es, func(p netip.Prefix, g []entry) Range {
		best := slices.MinFunc(g, func(a, b entry) int {
			if c := -cmpBool(a.cdn, b.cdn); c != 0 {
				return c
			}
			if c := -cmpBool(a.region != "", b.region != ""); c != 0 {
				return c
			}
			if c := -cmpBool(a.system != "", b.system != ""); c != 0 {
				return c
			}
			return cmp.Or(strings.Compare(a.service, b.service), strings.Compare(a.region, b.region))
		})
		r := Range{Prefix: p, Provider: providerAzure, Kind: KindCloud, Region: best.region, Service: best.service}
		if best.cdn {
			r.Kind, r.CDN, r.CDNName = KindCDN, true, "Azure Front Door"
		}
		return r
	})
	inheritRegions(rs)
	return Document{Ranges: rs}, err
}

// azureFrontDoorEdge is the service tag of Azure Front Door's edges.
const azureFrontDoorEdge = "AzureFrontDoor.Frontend"

// inheritRegions gives each region-less range that is not a CDN edge the
// region of the most specific range with a region that covers it.
func inheritRegions(rs []Range) {
	regions := map[netip.Prefix]string{}
	for _, r := range rs {
		if r.Region != "" {
			regions[r.Prefix] = r.Region
		}
	}
	for i := range rs {
		if rs[i].Region != "" || rs[i].CDN {
			continue
		}
		for bits := rs[i].Prefix.Bits() - 1; bits >= 0; bits-- {
			p, _ := rs[i].Prefix.Addr().Prefix(bits)
			if region, ok := regions[p]; ok {
				rs[i].Region = region
				break
			}
		}
	}
}

// ParseOracle reads Oracle Cloud's public_ip_ranges.json
// (https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json):
// regions[].region with cidrs[].cidr and their tags (OCI, OSN,
// OBJECT_STORAGE), which become Service.
func ParseOracle(r io.Reader) (Document, error) {
	var doc struct {
		LastUpdated string `json:"last_updated_timestamp"` // "2026-11-20T00:00:00.000000", UTC
		Regions     []struct {
			Region string `json:"region"`
			CIDRs  []struct {
				CIDR string   `json:"cidr"`
				Tags []string `json:"tags"`
			} `json:"cidrs"`
		} `json:"regions"`
	}
	const name = "oracle public_ip_ranges.json"
	if err := decodeJSON(r, &doc); err != nil {
		return Document{}, fmt.Errorf("%s: %w", name, err)
	}
	var es []entry
	for _, reg := range doc.Regions {
		for _, c := range reg.CIDRs {
			tags := slices.Clone(c.Tags)
			slices.Sort(tags)
			es = append(es, entry{prefix: c.CIDR, region: reg.Region, service: strings.Join(slices.Compact(tags), ",")})
		}
	}
	rs, err := group(name, es, func(p netip.Prefix, g []entry) Range {
		return Range{Prefix: p, Provider: providerOracle, Kind: KindCloud,
			Region:  joinSet(g, func(e entry) string { return e.region }),
			Service: joinSet(g, func(e entry) string { return e.service })}
	})
	return Document{Ranges: rs, Published: feedTime(doc.LastUpdated, "2006-01-02T15:04:05.999999999")}, err
}

// feedTime reads a feed's own date in its layout (or RFC 3339), in UTC; zero
// when it is absent or unreadable.
func feedTime(s, layout string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range []string{layout, time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// entry is one prefix as a feed lists it.
type entry struct {
	prefix          string
	parsed          netip.Prefix
	region, service string
	system          string // Azure's systemService
	cdn             bool
}

// decodeJSON decodes one JSON document and wants nothing after it, so that
// a truncated or concatenated download is an error.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON document")
	}
	return nil
}

// group parses the entries' prefixes (masking host bits), groups the
// entries by prefix and makes one Range per prefix with mk, sorted by
// prefix.
func group(name string, es []entry, mk func(netip.Prefix, []entry) Range) ([]Range, error) {
	for i := range es {
		p, err := netip.ParsePrefix(strings.TrimSpace(es[i].prefix))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		es[i].parsed = p.Masked()
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoRanges)
	}
	slices.SortStableFunc(es, func(a, b entry) int { return comparePrefix(a.parsed, b.parsed) })
	var out []Range
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].parsed == es[i].parsed {
			j++
		}
		out = append(out, mk(es[i].parsed, es[i:j]))
		i = j
	}
	return out, nil
}

func comparePrefix(a, b netip.Prefix) int {
	return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
}

// joinSet joins the distinct non-empty values of f over g, sorted, with commas.
func joinSet(g []entry, f func(entry) string) string {
	var vs []string
	for _, e := range g {
		if v := f(e); v != "" {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return strings.Join(slices.Compact(vs), ",")
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
