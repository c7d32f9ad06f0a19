// Package manifest describes datasets.json, the record of where hostwatch's
// embedded attribution data came from; the generator writes it and package
// attribution reads it.
package manifest

// FileName is the manifest's name in the data directory.
const FileName = "datasets.json"

// Manifest lists the embedded datasets in the order lookups consult them.
type Manifest struct {
	Datasets []Dataset `json:"datasets"`
}

// Dataset is one embedded MMDB file and the facts about its origin.
type Dataset struct {
	// ID is the short name reports cite, e.g. "ip-location-db/asn".
	ID string `json:"id"`
	// Version is the data date, YYYY-MM-DD.
	Version string `json:"version"`
	// Package is the npm package the data was built from, name@version.
	Package string `json:"package"`
	// SHA256 is the hex digest of that package's tarball.
	SHA256 string `json:"sha256"`
	// License is the licence of the data as published.
	License string `json:"license"`
	// Attribution is the notice the licence asks for.
	Attribution string `json:"attribution"`
	// Description says what the data is and how it was made.
	Description string `json:"description"`
	// File is the MMDB file's name in the data directory.
	File string `json:"file"`
	// Fields lists the facts the file gives: asn, as_org, prefix, country.
	Fields []string `json:"fields"`
}
