package attribution

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/hostwatch/hostwatch/attribution/internal/clean"
)

// ErrUnknownLayout means an MMDB file holds none of the record layouts
// hostwatch reads: GeoIP2/GeoLite2 (and DB-IP's compatible) ASN, ISP,
// Country, City or Enterprise; IPinfo Lite; ip-location-db.
var ErrUnknownLayout = errors.New("no record layout hostwatch knows (GeoIP2/GeoLite2 or DB-IP ASN, Country or City; IPinfo Lite; ip-location-db)")

// record is what hostwatch keeps of one data record of an MMDB file.
type record struct {
	asn        uint32
	org        string
	country    string
	registered string // registered_country: where the holder is registered
	// badCountry is a country code the record gave that is not two ASCII
	// letters, dropped (as written, for the warning).
	badCountry string
	// err is why the record could not be decoded; it then gives no facts.
	err error
}

// Bounds of the strings kept from a file.
const (
	maxName = 256  // an AS organisation
	maxMeta = 1024 // a database_type or description
)

// tidy makes a decoded record safe to put in the model: the organisation
// inert (clean.String), and each country code two upper-case ASCII letters
// or dropped, the first dropped one noted in badCountry.
func (rec record) tidy() record {
	rec.org = clean.String(rec.org, maxName)
	for _, cc := range []*string{&rec.country, &rec.registered} {
		code, ok := countryCode(*cc)
		if !ok && rec.badCountry == "" {
			rec.badCountry = *cc
		}
		*cc = code
	}
	return rec
}

// countryCode reads an ISO 3166-1 alpha-2 code: two ASCII letters, in
// upper case. "" is no code and fine; anything else is refused.
func countryCode(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	if len(s) != 2 || !isLetter(s[0]) || !isLetter(s[1]) {
		return "", false
	}
	return strings.ToUpper(s), true
}

func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }

// layout is a way of reading records: the GeoIP2 ones use the models of
// geoip2-golang; the others are read with maxminddb alone.
type layout int

const (
	layoutNone             layout = iota
	layoutGeoIP2ASN               // GeoLite2-ASN, GeoIP2-ISP, DBIP-ASN-Lite; ip-location-db asn
	layoutGeoIP2Country           // GeoIP2/GeoLite2 Country and City, DB-IP Country/City Lite
	layoutGeoIP2Enterprise        // GeoIP2-Enterprise, DB-IP ISP/Location-ISP
	layoutFlat                    // ip-location-db: country_code and/or autonomous_system_number
	layoutIPinfo                  // IPinfo Lite: asn "AS15169", as_name, country_code
)

// decode reads the record a lookup found. Errors leave the facts unknown.
func (l layout) decode(res maxminddb.Result) (record, error) {
	switch l {
	case layoutGeoIP2ASN:
		// GeoLite2-ASN records, plus the registered_country that hostwatch's
		// own ASN file adds (GeoIP2 readers ignore it).
		// (Two decodes: geoip2.ASN decodes itself and would hide the field if
		// embedded. Records are decoded once and cached.)
		var v geoip2.ASN
		var reg struct {
			RegisteredCountry struct {
				ISOCode string `maxminddb:"iso_code"`
			} `maxminddb:"registered_country"`
		}
		err := errors.Join(res.Decode(&v), res.Decode(&reg))
		return record{asn: uint32(v.AutonomousSystemNumber), org: v.AutonomousSystemOrganization, registered: reg.RegisteredCountry.ISOCode}, err
	case layoutGeoIP2Country:
		var v geoip2.Country
		err := res.Decode(&v)
		return record{country: v.Country.ISOCode, registered: v.RegisteredCountry.ISOCode}, err
	case layoutGeoIP2Enterprise:
		var v geoip2.Enterprise
		err := res.Decode(&v)
		return record{
			asn:        uint32(v.Traits.AutonomousSystemNumber),
			org:        v.Traits.AutonomousSystemOrganization,
			country:    v.Country.ISOCode,
			registered: v.RegisteredCountry.ISOCode,
		}, err
	case layoutFlat:
		var v struct {
			ASN     uint32 `maxminddb:"autonomous_system_number"`
			Org     string `maxminddb:"autonomous_system_organization"`
			Country string `maxminddb:"country_code"`
		}
		err := res.Decode(&v)
		return record{asn: v.ASN, org: v.Org, country: v.Country}, err
	case layoutIPinfo:
		var v struct {
			ASN         string `maxminddb:"asn"`
			ASName      string `maxminddb:"as_name"`
			CountryCode string `maxminddb:"country_code"`
			Country     string `maxminddb:"country"` // a code in older IPinfo files, a name in Lite
		}
		err := res.Decode(&v)
		rec := record{asn: parseASN(v.ASN), country: v.CountryCode}
		if rec.asn != 0 {
			rec.org = v.ASName
		}
		if rec.country == "" && isCountryCode(v.Country) {
			rec.country = v.Country
		}
		return rec, err
	}
	return record{}, nil
}

// parseASN reads "AS15169" (or "15169"); anything else is 0, unknown.
func parseASN(s string) uint32 {
	if len(s) > 2 && (s[:2] == "AS" || s[:2] == "as") {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

func isCountryCode(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// detect works out how to read r's records and which facts they give, from
// the metadata's database_type and then from the keys of its first records.
func detect(r *maxminddb.Reader) (l layout, hasASN, hasCountry bool, err error) {
	if l, hasASN, hasCountry := detectByType(r.Metadata.DatabaseType); l != layoutNone {
		return l, hasASN, hasCountry, nil
	}
	keys, err := sampleKeys(r)
	if err != nil {
		return layoutNone, false, false, err
	}
	switch {
	case keys.has("asn", kindString):
		return layoutIPinfo, true, keys.has("country_code", kindString) || keys.has("country", kindString), nil
	case keys.has("autonomous_system_number", kindNumber) || keys.has("country_code", kindString):
		return layoutFlat, keys.has("autonomous_system_number", kindNumber), keys.has("country_code", kindString), nil
	case keys.has("country", kindMap):
		return layoutGeoIP2Country, false, true, nil
	}
	return layoutNone, false, false, ErrUnknownLayout
}

// detectByType knows the GeoIP2 layouts by their database_type.
func detectByType(t string) (l layout, hasASN, hasCountry bool) {
	switch {
	case !isGeoIP2Family(t) && !strings.Contains(t, "(compat="):
	case strings.Contains(t, "Enterprise"):
		return layoutGeoIP2Enterprise, true, true
	case strings.Contains(t, "ASN") || strings.Contains(t, "ISP"):
		return layoutGeoIP2ASN, true, false
	case strings.Contains(t, "City") || strings.Contains(t, "Country") || strings.Contains(t, "Location"):
		return layoutGeoIP2Country, false, true
	}
	return layoutNone, false, false
}

// isGeoIP2Family reports whether a database_type names a file in one of the
// GeoIP2 layouts: MaxMind's own, or DB-IP's compatible ones. Other files
// that keep a GeoIP2 layout say so with "(compat=...)", as DB-IP's and
// hostwatch's own do.
func isGeoIP2Family(t string) bool {
	for _, p := range []string{"GeoIP2-", "GeoLite2-", "GeoIP-", "DBIP-"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

type kind int

const (
	kindOther kind = iota
	kindString
	kindNumber
	kindMap
)

// keySet maps each top-level key seen to the kinds of value it had.
type keySet map[string]map[kind]bool

func (k keySet) has(key string, want kind) bool { return k[key][want] }

// sampleRecords is how many records sampleKeys reads: enough to see past a
// first record that lacks a field, cheap even on a large file. sampleSteps
// bounds the networks, with data or without, it walks to find them: a
// damaged file whose tree loops back on itself would otherwise keep the walk
// going for ever.
const (
	sampleRecords = 64
	sampleSteps   = 1 << 14
)

// sampleKeys reads the first records of r and notes their top-level keys.
func sampleKeys(r *maxminddb.Reader) (keySet, error) {
	keys := keySet{}
	n, steps := 0, 0
	for res := range r.Networks(maxminddb.IncludeNetworksWithoutData()) {
		if err := res.Err(); err != nil {
			return nil, err
		}
		if steps++; steps > sampleSteps {
			break
		}
		if !res.Found() {
			continue
		}
		var m map[string]any
		if err := res.Decode(&m); err != nil {
			return nil, fmt.Errorf("%w: record for %s is not a map: %w", ErrUnknownLayout, res.Prefix(), err)
		}
		for k, v := range m {
			if keys[k] == nil {
				keys[k] = map[kind]bool{}
			}
			keys[k][kindOf(v)] = true
		}
		if n++; n == sampleRecords {
			break
		}
	}
	return keys, nil
}

func kindOf(v any) kind {
	switch v.(type) {
	case string:
		return kindString
	case uint16, uint32, uint64, int32, int, uint, int64, float64, float32:
		return kindNumber
	case map[string]any:
		return kindMap
	}
	return kindOther
}
