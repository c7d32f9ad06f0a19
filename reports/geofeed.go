package reports

import (
	"net/netip"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// GeofeedJSON is what the operator's own geofeed (RFC 8805) says of an
// address: a source of its own, next to the databases' country.
type GeofeedJSON struct {
	Source  string `json:"source"`
	Date    string `json:"date"`
	Prefix  string `json:"prefix"`
	Country string `json:"country"`
	Region  string `json:"region"`
	City    string `json:"city"`
	// Disagrees is set when the geofeed's country is not the address's country.
	Disagrees bool `json:"disagrees_with_country"`
}

// GeofeedErrorJSON is a geofeed the registry's record links to (RFC 9632,
// with --rdap) that could not be fetched or read: the link as the record
// gives it, a stable code, and hostwatch's English words (the redirects'
// credentials and queries redacted).
type GeofeedErrorJSON struct {
	URL   string `json:"url"`
	Kind  string `json:"kind"`
	Error string `json:"error"`
}

func newGeofeedJSON(country string, g *attribution.GeofeedClaim) *GeofeedJSON {
	if g == nil {
		return nil
	}
	return &GeofeedJSON{Source: g.Source, Date: g.Date, Prefix: g.Prefix.String(), Country: g.Country, Region: g.Region, City: g.City,
		Disagrees: geofeedDisagrees(country, g)}
}

func geofeedDisagrees(country string, g *attribution.GeofeedClaim) bool {
	return g != nil && g.Country != "" && country != "" && g.Country != country
}

func readGeofeed(j *GeofeedJSON) *attribution.GeofeedClaim {
	if j == nil {
		return nil
	}
	p, _ := netip.ParsePrefix(j.Prefix) // an unreadable prefix stays invalid
	return &attribution.GeofeedClaim{Source: j.Source, Date: j.Date, Prefix: p, Country: j.Country, Region: j.Region, City: j.City}
}

// geofeedNotes is what the table, Markdown and HTML say of an address's
// geofeed, or of the linked one that could not be used.
func geofeedNotes(pr *i18n.Printer, a probe.Address) []string {
	if a.Extra == nil {
		return nil
	}
	if f := a.Extra.GeofeedFailure; f != nil && a.Extra.Geofeed == nil {
		return []string{pr.T("geofeed.failed", f.URL, geofeedFailureWords(pr, f))}
	}
	if a.Extra.Geofeed == nil {
		return nil
	}
	g := a.Extra.Geofeed
	line := pr.T("geofeed.says", g.Source, g.Date, g.Prefix.String(), g.Country+" "+g.Region+" "+g.City)
	if geofeedDisagrees(a.Country, g) {
		line += " — " + pr.T("geofeed.disagrees", a.Country, a.Sources.Country)
	}
	return []string{line}
}

// evidenceNotes are the notes of an address's evidence beyond the
// databases: the operator's geofeed, and the round trip's bound.
func evidenceNotes(pr *i18n.Printer, a probe.Address) []string {
	return append(geofeedNotes(pr, a), rttNotes(pr, a.Extra)...)
}

// geofeedFailureWords says why a linked geofeed gave no claim: in English
// hostwatch's own words, as the JSON has them; in another language its
// kind worded from the catalogue, the English words left to the JSON.
func geofeedFailureWords(pr *i18n.Printer, f *probe.GeofeedFailure) string {
	if pr.Lang() == i18n.English && f.Error != "" {
		return f.Error
	}
	switch attribution.GeofeedErrorKind(f.Kind) {
	case attribution.GeofeedNotHTTPS, attribution.GeofeedTooLarge, attribution.GeofeedHTTPStatus, attribution.GeofeedRedirects,
		attribution.GeofeedTimeout, attribution.GeofeedRefused, attribution.GeofeedUntrusted, attribution.GeofeedUnreadable:
		return pr.T("geofeed.failure." + f.Kind)
	}
	return pr.T("geofeed.failure.fetch_failed")
}
