package attribution

import _ "embed" // the data files below

// The embedded data, written by internal/mkdataset (see datasets.json for
// where it came from). Readers are opened on these bytes as they are: no
// copy, no decompression. They are never modified.
var (
	//go:embed data/asn.mmdb
	embeddedASN []byte
	//go:embed data/country.mmdb
	embeddedCountry []byte
	//go:embed data/datasets.json
	embeddedManifest []byte
)

// embeddedFile returns the bytes of a file datasets.json names.
func embeddedFile(name string) ([]byte, bool) {
	switch name {
	case "asn.mmdb":
		return embeddedASN, true
	case "country.mmdb":
		return embeddedCountry, true
	}
	return nil, false
}
