package reports

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// LookupSchema names the version of the lookup report format.
const LookupSchema = "hostwatch.lookup/v1"

// Attributed is one address with what is known of it.
type Attributed struct {
	IP netip.Addr
	attribution.Result
	// Geofeed is what an installed operator's geofeed says of IP; nil
	// when none covers it.
	Geofeed *attribution.GeofeedClaim
}

// lookupAddress is a's JSON form.
func lookupAddress(a Attributed) Address {
	ad := newAddress(a.IP, 0, a.Result)
	ad.Geofeed = newGeofeedJSON(a.Country, a.Geofeed)
	return ad
}

// Lookup is the result of attributing addresses without DNS.
type Lookup struct {
	GeneratedAt time.Time
	ToolVersion string
	Datasets    []attribution.Dataset
	Warnings    []probe.Warning
	Addresses   []Attributed
	// Width is what the table is fitted to: the terminal's width, or 0
	// for TableWidth.
	Width int
	// Lang is the language of the table's headings and footer ("" is
	// English); JSON, JSON lines and CSV are the same in every language.
	Lang i18n.Lang
}

// LookupDocument is the JSON form of a Lookup.
type LookupDocument struct {
	Schema         string                `json:"schema"`
	GeneratedAt    string                `json:"generated_at"`
	ToolVersion    string                `json:"tool_version"`
	Warnings       []string              `json:"warnings"`
	WarningDetails []WarningJSON         `json:"warning_details"`
	Datasets       []attribution.Dataset `json:"datasets"`
	Addresses      []Address             `json:"addresses"`
}

func newAddress(ip netip.Addr, ttl uint32, r attribution.Result) Address {
	version := 6
	if ip.Is4() {
		version = 4
	}
	prefix := ""
	if r.Prefix.IsValid() {
		prefix = r.Prefix.String()
	}
	nat64 := ""
	if r.NAT64.IsValid() {
		nat64 = r.NAT64.String()
	}
	return Address{
		IP: ip.String(), Version: version, TTL: ttl, NAT64: nat64,
		ASN: r.ASN, ASOrg: r.ASOrg, Prefix: prefix, Country: r.Country, RegisteredCountry: r.RegisteredCountry,
		Provider: r.Provider, ProviderKind: r.ProviderKind, Region: r.Region, CDN: r.CDN, CDNName: r.CDNName,
		SpecialUse: r.SpecialUse, Sources: r.Sources,
	}
}

// WriteLookup writes a lookup as a table, one JSON document, JSON lines or
// CSV (one row per address).
func WriteLookup(w io.Writer, format string, l Lookup) error {
	switch format {
	case "jsonl", "csv":
		s, err := NewLookupStream(w, format, l, false)
		if err != nil {
			return err
		}
		for _, a := range l.Addresses {
			if err := s.Write(a); err != nil {
				return err
			}
		}
		return s.Flush()
	case "json":
		doc := LookupDocument{
			Schema:      LookupSchema,
			GeneratedAt: l.GeneratedAt.UTC().Format(time.RFC3339),
			ToolVersion: l.ToolVersion,
			Datasets:    nonNil(l.Datasets),
			Addresses:   make([]Address, 0, len(l.Addresses)),
		}
		doc.WarningDetails, doc.Warnings = newWarningsJSON(l.Warnings)
		for _, a := range l.Addresses {
			doc.Addresses = append(doc.Addresses, lookupAddress(a))
		}
		return writeDocument(w, doc)
	case "table":
		pr, err := i18n.New(l.Lang)
		if err != nil {
			return err
		}
		cols := []*column{
			{header: pr.T("table.col.address")},
			{header: "ASN"},
			{header: pr.T("table.col.cc")},
			{header: pr.T("table.col.prefix")},
			{header: pr.T("table.col.provider"), min: 10, squeeze: 2},
			{header: pr.T("table.col.org"), short: pr.T("table.col.org.short"), min: 10, squeeze: 1},
		}
		for _, a := range l.Addresses {
			ad := newAddress(a.IP, 0, a.Result)
			asn := ""
			if ad.ASN != 0 {
				asn = fmt.Sprintf("AS%d", ad.ASN)
			}
			addRow(cols, ad.IP, asn, ad.Country, ad.Prefix, providerCell(pr, a.Result), organisation(pr, a.Result))
		}
		width := fitWidth(l.Width)
		var b strings.Builder
		writeColumns(&b, cols, width)
		b.WriteByte('\n')
		if cdnEdges(l) {
			textPara(&b, width, "(CDN): %s", pr.T("text.cdn-note"))
		}
		textPara(&b, width, "%s", pr.T("text.looked-up", clock(l.GeneratedAt), cmp.Or(l.ToolVersion, pr.T("text.unknown-version"))))
		for _, d := range l.Datasets {
			textPara(&b, width, "%s", pr.T("text.data", d.ID, d.Version, describeDataset(pr, d).License))
		}
		for _, w := range warningTexts(pr, l.Warnings) {
			textPara(&b, width, "%s", pr.T("text.warning", w))
		}
		for _, a := range l.Addresses {
			for _, n := range geofeedNotes(pr, probe.Address{IP: a.IP, Result: a.Result, Extra: &probe.Extra{Geofeed: a.Geofeed}}) {
				textPara(&b, width, "%s: %s", a.IP, n)
			}
		}
		_, err = io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("unknown output format %q", format)
}

func cdnEdges(l Lookup) bool {
	for _, a := range l.Addresses {
		if a.CDN {
			return true
		}
	}
	return false
}

// LookupStream writes a lookup address by address, as JSON lines or CSV,
// for input too long to hold: nothing waits for the last address. It
// buffers; Flush writes what it holds.
type LookupStream struct {
	w      *bufio.Writer
	enc    *json.Encoder
	csv    *CSVWriter
	header bool
}

// NewLookupStream returns a LookupStream writing format ("jsonl" or "csv")
// to w. The CSV header is written with the first row; with header, JSON
// lines start with a JSONLHeader line.
func NewLookupStream(w io.Writer, format string, l Lookup, header bool) (*LookupStream, error) {
	bw := bufio.NewWriter(w)
	s := &LookupStream{w: bw}
	switch format {
	case "jsonl":
		s.enc = json.NewEncoder(bw)
		s.enc.SetEscapeHTML(false)
		if header {
			h := JSONLHeader{Schema: JSONLHeaderSchema, Lines: LookupSchema + "#/$defs/address", GeneratedAt: clock(l.GeneratedAt),
				ToolVersion: l.ToolVersion, Datasets: nonNil(l.Datasets), Resolvers: []string{},
				Vantage: VantageJSON{Egress: []EgressJSON{}}}
			h.WarningDetails, h.Warnings = newWarningsJSON(l.Warnings)
			if err := s.enc.Encode(h); err != nil {
				return nil, fmt.Errorf("write jsonl: %w", err)
			}
		}
	case "csv":
		s.csv = NewCSVWriter(bw)
	default:
		return nil, fmt.Errorf("unknown output format %q", format)
	}
	return s, nil
}

// Write writes one address.
func (s *LookupStream) Write(a Attributed) error {
	ad := lookupAddress(a)
	if s.enc != nil {
		if err := s.enc.Encode(ad); err != nil {
			return fmt.Errorf("write jsonl: %w", err)
		}
		return nil
	}
	if !s.header {
		s.header = true
		if err := s.csv.Write(LookupCSVHeader()); err != nil {
			return err
		}
	}
	return s.csv.Write(addressCSV(ad)[1:])
}

// Flush writes what is buffered.
func (s *LookupStream) Flush() error {
	if s.csv != nil {
		if err := s.csv.Flush(); err != nil {
			return err
		}
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write lookup: %w", err)
	}
	return nil
}

// LookupCSVHeader names the columns of lookup -o csv: the JSON field names
// of an address (sources and the opt-in lookups are left out).
func LookupCSVHeader() []string { return addressCSVHeader()[1:] }

// addressCSVHeader names the columns of an address in CSV output, ttl
// first (audit only).
func addressCSVHeader() []string {
	return []string{"ttl", "ip", "version", "asn", "as_org", "prefix", "country", "registered_country", "provider",
		"provider_kind", "region", "cdn", "cdn_name", "special_use", "nat64_ipv4"}
}

// addressCSV is an address's cells, in the order of addressCSVHeader.
// Unknown values are empty cells.
func addressCSV(a Address) []string {
	asn := ""
	if a.ASN != 0 {
		asn = strconv.FormatUint(uint64(a.ASN), 10)
	}
	return []string{strconv.FormatUint(uint64(a.TTL), 10), a.IP, strconv.Itoa(a.Version), asn, a.ASOrg, a.Prefix, a.Country,
		a.RegisteredCountry, a.Provider, a.ProviderKind, a.Region, strconv.FormatBool(a.CDN), a.CDNName, a.SpecialUse, a.NAT64}
}
