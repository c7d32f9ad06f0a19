package dataset

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/inserter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
	"go4.org/netipx"

	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
)

// The packages mkdataset knows, and what it records about them. The licence
// facts are checked against the tarball on every build (see checkTerms).
const (
	ASNPackage         = "@ip-location-db/asn"
	CountryPackage     = "@ip-location-db/geo-whois-asn-country"
	CountryMMDBPackage = "@ip-location-db/geo-whois-asn-country-mmdb"
	// ASNCountryPackage gives, per range, the country in which the AS that
	// announces it is registered (RIR statistics); it is optional.
	ASNCountryPackage = "@ip-location-db/asn-country"

	asnLicense     = "CC BY 4.0"
	asnAttribution = "IP to ASN data: ip-location-db/asn by sapics, merged from " +
		"RouteViews (routeviews.org), the RIR statistics published by the NRO (nro.net) and " +
		"DB-IP IP to ASN Lite (IP Geolocation by DB-IP, db-ip.com), " +
		"licensed under CC BY 4.0 (creativecommons.org/licenses/by/4.0/). " +
		"Modified: merged by ip-location-db, converted to MMDB by hostwatch."
	asnDescription = "IP to ASN: RouteViews > RIR statistics > DB-IP ASN Lite for IPv4, " +
		"RIR statistics > DB-IP ASN Lite for IPv6; organisation names mostly from DB-IP. " +
		"The ip-location-db README warns that its npm releases contain data bugs."

	countryLicense     = "CC0-1.0 (package); NRO data CC BY 4.0"
	countryAttribution = "Country data: ip-location-db/geo-whois-asn-country by sapics (CC0-1.0), " +
		"merged from published geofeeds, RIR WHOIS and RIR statistics; the RIR data is provided by the " +
		"NRO (nro.net) under CC BY 4.0 (creativecommons.org/licenses/by/4.0/)."
	countryDescription = "Country per address: the operator's geofeed where there is one, " +
		"else the WHOIS country of the block, else the registry country of its ASN. " +
		"Outside geofeeds this is where the block is registered, not a measured location. " +
		"The ip-location-db README warns that its npm releases contain data bugs."
)

// treeOptions are the settings shared by both files: one IPv6 tree holding
// IPv4 at ::/96, 24-bit records, no IPv4 aliases (lookups unmap
// ::ffff:a.b.c.d themselves, and 2001::/32 and 2002::/16 keep what the data
// says of them), and every range the data has, reserved or not.
func treeOptions(p *Package, dbType, desc string) mmdbwriter.Options {
	return mmdbwriter.Options{
		BuildEpoch:              p.Date.Unix(),
		DatabaseType:            dbType,
		Description:             map[string]string{"en": desc + " Built from " + p.Name + "@" + p.Version + "."},
		DisableIPv4Aliasing:     true,
		IncludeReservedNetworks: true,
		IPVersion:               6,
		RecordSize:              24,
	}
}

// buildASN writes the asn CSV files into an MMDB with the GeoLite2-ASN layout:
// autonomous_system_number (uint32), autonomous_system_organization (string).
//
// Given reg (the asn-country package), records also carry
// registered_country.iso_code: the country the RIR statistics record for the
// block (the registry's record of its holder), merged into the ASN records
// range by range.
func buildASN(p, reg *Package, log io.Writer) (manifest.Dataset, []byte, error) {
	d := manifest.Dataset{
		ID:          "ip-location-db/asn",
		Version:     p.Date.Format("2006-01-02"),
		Package:     p.Name + "@" + p.Version,
		SHA256:      p.SHA256,
		License:     asnLicense,
		Attribution: asnAttribution,
		Description: asnDescription,
		File:        "asn.mmdb",
		Fields:      []string{"asn", "as_org", "prefix"},
	}
	if err := p.checkTerms("SEE LICENSE IN ROUTEVIEWS-LICENSE and DBIP-LICENSE (CC-BY-4.0)",
		"ROUTEVIEWS-LICENSE", "DBIP-LICENSE", "NRO_LICENSE"); err != nil {
		return d, nil, err
	}
	tree, err := mmdbwriter.New(treeOptions(p, "ip-location-db-ASN (compat=GeoLite2-ASN)", asnDescription))
	if err != nil {
		return d, nil, err
	}
	if reg != nil {
		if err := reg.checkTerms("CC0-1.0", "NRO_LICENSE"); err != nil {
			return d, nil, err
		}
		d.Fields = append(d.Fields, "registered_country")
		d.Attribution += " Registration countries: ip-location-db/asn-country by sapics (CC0-1.0), from the RIR statistics provided by the NRO (nro.net) under CC BY 4.0."
		d.Package += " + " + reg.Name + "@" + reg.Version
	}
	type key struct {
		asn uint32
		org string
	}
	values := map[key]mmdbtype.Map{} // one value per distinct AS, shared by its ranges
	for _, name := range []string{"asn-ipv4.csv", "asn-ipv6.csv"} {
		data, err := p.file(name)
		if err != nil {
			return d, nil, err
		}
		var st rangeStats
		rows, err := eachLine(name, data, func(line string) error {
			r, err := parseASNLine(line)
			if err != nil {
				return err
			}
			k := key{r.ASN, r.Org}
			v, ok := values[k]
			if !ok {
				v = mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(r.ASN)}
				if r.Org != "" {
					v["autonomous_system_organization"] = mmdbtype.String(r.Org)
				}
				values[k] = v
			}
			return st.insert(tree, r.Start, r.End, name == "asn-ipv6.csv", v)
		})
		if err != nil {
			return d, nil, err
		}
		fmt.Fprintf(log, "%s %s: %d rows, %d prefixes, %d overlapping rows\n", p.Name, name, rows, st.prefixes, st.overlaps)
	}
	fmt.Fprintf(log, "%s: %d distinct (ASN, organisation) records\n", p.Name, len(values))
	if reg != nil {
		if err := mergeRegistered(tree, reg, log); err != nil {
			return d, nil, err
		}
	}
	b, err := encode(tree)
	return d, b, err
}

func countryDataset(p *Package) manifest.Dataset {
	return manifest.Dataset{
		ID:          "ip-location-db/geo-whois-asn-country",
		Version:     p.Date.Format("2006-01-02"),
		Package:     p.Name + "@" + p.Version,
		SHA256:      p.SHA256,
		License:     countryLicense,
		Attribution: countryAttribution,
		Description: countryDescription,
		File:        "country.mmdb",
		Fields:      []string{"country"},
	}
}

// PublishedCountryMMDB is the file of the -mmdb package covering IPv4 and IPv6.
const PublishedCountryMMDB = "geo-whois-asn-country.mmdb"

// copyCountryMMDB keeps the -mmdb package's file as published: its layout
// (country_code) is as small as any hostwatch would write, and a file
// identical to upstream's is easy to check. It is opened and sampled first.
func copyCountryMMDB(p *Package, log io.Writer) (manifest.Dataset, []byte, error) {
	d := countryDataset(p)
	d.Description += " MMDB file as published."
	if err := p.checkTerms("CC0-1.0", "NRO_LICENSE"); err != nil {
		return d, nil, err
	}
	data, err := p.file(PublishedCountryMMDB)
	if err != nil {
		return d, nil, err
	}
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return d, nil, fmt.Errorf("%s: %w", PublishedCountryMMDB, err)
	}
	if r.Metadata.IPVersion != 6 {
		return d, nil, fmt.Errorf("%s: ip_version %d, want 6 (IPv4 and IPv6)", PublishedCountryMMDB, r.Metadata.IPVersion)
	}
	// Every record must be {"country_code": "CC"}, the layout package
	// attribution reads as ip-location-db's.
	n := 0
	for res := range r.Networks() {
		var rec map[string]any
		if err := res.Decode(&rec); err != nil {
			return d, nil, fmt.Errorf("%s: %s: %w", PublishedCountryMMDB, res.Prefix(), err)
		}
		cc, _ := rec["country_code"].(string)
		if len(rec) != 1 || len(cc) != 2 {
			return d, nil, fmt.Errorf("%s: %s: record %v, want only a country_code", PublishedCountryMMDB, res.Prefix(), rec)
		}
		n++
	}
	fmt.Fprintf(log, "%s %s: %d networks, database_type %q, kept as published\n", p.Name, PublishedCountryMMDB, n, r.Metadata.DatabaseType)
	return d, data, nil
}

// buildCountryCSV writes the country CSV files into an MMDB with the country
// part of the GeoIP2-Country layout: country.iso_code.
func buildCountryCSV(p *Package, log io.Writer) (manifest.Dataset, []byte, error) {
	d := countryDataset(p)
	d.Description += " Converted from CSV to MMDB by hostwatch."
	if err := p.checkTerms("CC0-1.0", "NRO_LICENSE"); err != nil {
		return d, nil, err
	}
	tree, err := mmdbwriter.New(treeOptions(p, "ip-location-db-Country (compat=GeoLite2-Country)", countryDescription))
	if err != nil {
		return d, nil, err
	}
	values := map[string]mmdbtype.Map{}
	for _, name := range []string{"geo-whois-asn-country-ipv4.csv", "geo-whois-asn-country-ipv6.csv"} {
		data, err := p.file(name)
		if err != nil {
			return d, nil, err
		}
		var st rangeStats
		rows, err := eachLine(name, data, func(line string) error {
			r, err := parseCountryLine(line)
			if err != nil {
				return err
			}
			v, ok := values[r.Country]
			if !ok {
				v = mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(r.Country)}}
				values[r.Country] = v
			}
			return st.insert(tree, r.Start, r.End, name == "geo-whois-asn-country-ipv6.csv", v)
		})
		if err != nil {
			return d, nil, err
		}
		fmt.Fprintf(log, "%s %s: %d rows, %d prefixes, %d overlapping rows\n", p.Name, name, rows, st.prefixes, st.overlaps)
	}
	b, err := encode(tree)
	return d, b, err
}

// ipv4Space is where an IPv6 MMDB tree keeps IPv4: ::a.b.c.d.
var ipv4Space = netip.PrefixFrom(netip.IPv6Unspecified(), 96)

// rangeStats inserts the rows of one CSV file and counts what it saw.
type rangeStats struct {
	last     netip.Addr // end of the previous row
	prefixes int
	overlaps int // rows starting at or before the previous row's end; later rows win
}

// insert puts [start, end] into tree as CIDR prefixes. ipv6 says which file
// the row came from: an IPv4 row in the IPv6 file (or the reverse) is refused.
func (st *rangeStats) insert(tree *mmdbwriter.Tree, start, end netip.Addr, ipv6 bool, v mmdbtype.DataType) error {
	if start.Is6() != ipv6 {
		return fmt.Errorf("%s is in the wrong file for its family", start)
	}
	if ipv6 && ipv4Space.Contains(start) {
		// The IPv6 tree keeps IPv4 at ::/96: such a row would overwrite IPv4 data.
		return fmt.Errorf("IPv6 range %s-%s overlaps ::/96, where IPv4 lives", start, end)
	}
	if st.last.IsValid() && !st.last.Less(start) {
		st.overlaps++
	}
	st.last = end
	for _, pfx := range netipx.IPRangeFrom(start, end).Prefixes() {
		if err := tree.Insert(netipx.PrefixIPNet(pfx), v); err != nil {
			return fmt.Errorf("insert %s: %w", pfx, err)
		}
		st.prefixes++
	}
	return nil
}

func encode(tree *mmdbwriter.Tree) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mergeRegistered adds registered_country to every record of tree that a
// range of the asn-country package covers, splitting records where its
// ranges and the ASN ranges do not line up.
func mergeRegistered(tree *mmdbwriter.Tree, reg *Package, log io.Writer) error {
	values := map[string]mmdbtype.Map{}
	for _, name := range []string{"asn-country-ipv4.csv", "asn-country-ipv6.csv"} {
		data, err := reg.file(name)
		if err != nil {
			return err
		}
		prefixes := 0
		rows, err := eachLine(name, data, func(line string) error {
			r, err := parseCountryLine(line)
			if err != nil {
				return err
			}
			if r.Start.Is6() != (name == "asn-country-ipv6.csv") || r.Start.Is6() && ipv4Space.Contains(r.Start) {
				return fmt.Errorf("%s is in the wrong file for its family", r.Start)
			}
			v, ok := values[r.Country]
			if !ok {
				v = mmdbtype.Map{"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String(r.Country)}}
				values[r.Country] = v
			}
			for _, pfx := range netipx.IPRangeFrom(r.Start, r.End).Prefixes() {
				if err := tree.InsertFunc(netipx.PrefixIPNet(pfx), inserter.TopLevelMergeWith(v)); err != nil {
					return fmt.Errorf("insert %s: %w", pfx, err)
				}
				prefixes++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", reg.Name, err)
		}
		fmt.Fprintf(log, "%s %s: %d rows, %d prefixes merged\n", reg.Name, name, rows, prefixes)
	}
	return nil
}
