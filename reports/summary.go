package reports

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/resolvers"
)

// DomainSummary is the plain-language summary of one audited domain, as
// facts with codes: a renderer words it ("3 of 4 addresses of
// sirekap-web.kpu.go.id are outside Indonesia: 2 in Singapore (Alibaba
// Cloud, AS134963), 1 in France (OVHcloud, AS16276)") and puts each caveat
// next to the sentence it qualifies.
type DomainSummary struct {
	// Domain is the name as people read it (its Unicode form).
	Domain string
	Status resolvers.Status
	Error  string
	// Home is the country of the domain's country-code TLD ("ID" for
	// .id), "" when the TLD names no country or is used as a generic one.
	Home string
	// Addresses counts every address; Outside those placed in a country
	// other than Home (0 when Home is "").
	Addresses, Outside int
	// Countries groups the placed addresses by country, most addresses
	// first: CDN edges and addresses of unknown place are not in them.
	Countries []CountryCount
	// CDN counts the CDN edges (origin not visible), CDNNames names the CDNs.
	CDN      int
	CDNNames []string
	// Unplaced counts the addresses with no country at all (special-purpose
	// addresses, or unknown to every dataset).
	Unplaced int
	// Disagreed says the resolvers asked side by side disagreed;
	// OddOnesOut names those agreeing with no other.
	Disagreed  bool
	OddOnesOut []string
}

// CountryCount is how many of a domain's addresses are in one country, and
// whose networks they are.
type CountryCount struct {
	Country  string
	Count    int
	Networks []Network
	// RegistrationOnly says that for some of these addresses the datasets
	// know only where the holder is registered, not where the address is.
	RegistrationOnly bool
}

// Network is who runs addresses: the provider (else the AS organisation) and the AS.
type Network struct {
	Name string
	ASN  uint32
}

// genericCCTLDs are the country-code TLDs that Google Search Central lists
// as treated like generic TLDs (.io, .co, .tv, …): a site under them says
// nothing of a home country.
var genericCCTLDs = []string{"ad", "as", "bz", "cc", "cd", "co", "dj", "fm", "io", "la", "me", "ms", "nu", "sc", "sr", "su", "tv", "tk", "ws"}

// HomeCountry is the ISO 3166-1 alpha-2 code of a domain's country-code
// TLD, "" when its TLD is not one (or is one used as a generic TLD).
func HomeCountry(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	if len(tld) != 2 || tld[0] < 'a' || tld[0] > 'z' || tld[1] < 'a' || tld[1] > 'z' || slices.Contains(genericCCTLDs, tld) {
		return ""
	}
	switch tld {
	case "uk":
		return "GB"
	case "eu", "ac", "su":
		return "" // not ISO 3166-1 countries
	}
	return strings.ToUpper(tld)
}

// Summarize sums up one observation.
func Summarize(o probe.Observation) DomainSummary {
	s := DomainSummary{Domain: displayName(o.Target), Status: o.Status, Error: o.Error, Home: HomeCountry(o.Target.Domain),
		Addresses: len(o.Addresses), Disagreed: o.Consistency == "inconsistent", OddOnesOut: o.OddOnesOut}
	byCountry := map[string]*CountryCount{}
	for _, a := range o.Addresses {
		switch {
		case a.CDN:
			s.CDN++
			if n := cmp.Or(a.CDNName, a.Provider, a.ASOrg); n != "" && !slices.Contains(s.CDNNames, n) {
				s.CDNNames = append(s.CDNNames, n)
			}
			continue
		case a.SpecialUse != "" || (a.Country == "" && a.RegisteredCountry == ""):
			s.Unplaced++
			continue
		}
		cc := cmp.Or(a.Country, a.RegisteredCountry)
		g := byCountry[cc]
		if g == nil {
			g = &CountryCount{Country: cc}
			byCountry[cc] = g
		}
		g.Count++
		g.RegistrationOnly = g.RegistrationOnly || a.Country == ""
		n := Network{Name: cmp.Or(a.Provider, a.ASOrg), ASN: a.ASN}
		if !slices.Contains(g.Networks, n) {
			g.Networks = append(g.Networks, n)
		}
		if s.Home != "" && cc != s.Home {
			s.Outside++
		}
	}
	for _, g := range byCountry {
		s.Countries = append(s.Countries, *g)
	}
	slices.SortFunc(s.Countries, func(a, b CountryCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Country, b.Country))
	})
	return s
}

// StaleDataset is a dataset older than attribution.StaleAfter when the report was made.
type StaleDataset struct {
	ID, Version string
	Days        int
}

// staleDatasets lists the datasets that were stale at the time.
func staleDatasets(ds []attribution.Dataset, at time.Time) []StaleDataset {
	var out []StaleDataset
	for _, d := range ds {
		if date, ok := d.Date(); ok && at.Sub(date) > attribution.StaleAfter {
			out = append(out, StaleDataset{ID: d.ID, Version: d.Version, Days: int(at.Sub(date).Hours() / 24)})
		}
	}
	return out
}
