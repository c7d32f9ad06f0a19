package reports

import (
	"path/filepath"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/reports/worldmap"
)

// datasetWords is what a report says of a dataset: its licence, the notice
// its licence asks for, and what it is.
type datasetWords struct {
	License, Notice, Description string
}

// describeDataset words a dataset in pr's language. English shows the
// data's own texts. Another language words a dataset hostwatch ships or
// curates by its ID (through Described, so a text the catalogue does not
// know word for word stays as it came), and one it only reads (a --mmdb
// file, a provider's feed, an operator's geofeed) from its kind and its
// fields: the file's own words, if any, are quoted as they came. Licence
// names (CC BY 4.0, MIT) and the credit lines licences require (IP
// Geolocation by DB-IP, a copyright line) stay verbatim inside the
// language's sentence.
func describeDataset(pr *i18n.Printer, d attribution.Dataset) datasetWords {
	w := datasetWords{License: d.License, Notice: d.Attribution, Description: d.Description}
	if pr.Lang() == i18n.English {
		return w
	}
	switch d.Kind {
	case attribution.KindMMDB:
		w.License = pr.Described("dataset.license.mmdb", d.License)
		if w.License == d.License && d.License != "" { // the file's own words, which mention a licence
			w.License = pr.T("dataset.license.mmdb.own", d.License)
		}
		w.Description = pr.T("dataset.description.mmdb", filepath.Base(d.Path))
		if d.DatabaseType != "" {
			w.Description = pr.T("dataset.description.mmdb.type", filepath.Base(d.Path), d.DatabaseType)
		}
		if d.Description != "" {
			w.Description += " " + pr.T("dataset.description.own", d.Description)
		}
		return w
	case attribution.KindProviderFeed:
		w.License = pr.Described("dataset.license.provider_feed", d.License)
		w.Description = pr.T("dataset.description.provider_feed.undated", d.URL)
		if date, ok := d.Date(); ok {
			w.Description = pr.T("dataset.description.provider_feed", pr.Date(date), d.URL)
		} else if d.Version != "" {
			w.Description = pr.T("dataset.description.provider_feed", d.Version, d.URL)
		}
		return w
	case attribution.KindGeofeed:
		w.License = pr.Described("dataset.license.geofeed", d.License)
		w.Description = pr.T("dataset.description.geofeed", d.URL)
		return w
	case attribution.KindLinkedGeofeed:
		w.License = pr.Described("dataset.license.geofeed", d.License)
		w.Description = pr.T("dataset.description.linked_geofeed", d.URL, d.Version)
		return w
	}
	w.License = pr.Described("dataset.license."+d.ID, d.License)
	w.Notice = pr.Described("dataset.notice."+d.ID, d.Attribution)
	if w.Notice == d.Attribution {
		// Notices that name the data's version: ID, version and licence.
		w.Notice = pr.Describedf("dataset.notice.versioned."+d.ID, d.Attribution, d.ID, d.Version, d.License)
	}
	w.Description = pr.Described("dataset.description."+d.ID, d.Description)
	return w
}

// describeMapSource words one of the map's sources in pr's language, as
// describeDataset words a dataset hostwatch ships.
func describeMapSource(pr *i18n.Printer, s worldmap.Source) worldmap.Source {
	s.License = pr.Described("map.license."+s.ID, s.License)
	s.Attribution = pr.Described("map.notice."+s.ID, s.Attribution)
	s.Description = pr.Described("map.description."+s.ID, s.Description)
	return s
}
