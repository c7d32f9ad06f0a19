package attribution

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

// ErrCorrupt means an MMDB file fails verification: its metadata, search
// tree or data section is damaged, so some lookups in it would fail or
// find garbage. Such a file is refused whole, never half used.
var ErrCorrupt = errors.New("the file is damaged: it fails MMDB verification")

// metadataMarker starts an MMDB file's metadata section.
var metadataMarker = []byte("\xAB\xCD\xEFMaxMind.com")

// verifyMMDB checks the whole MMDB file at path, opened as r, with
// maxminddb's Verify: its metadata, every node of its search tree and every
// record of its data section.
//
// The MaxMind DB format lets the description map be empty, and
// ip-location-db publishes its files so, but Verify refuses such metadata
// before it looks at the tree and the data. For those files a copy whose
// metadata names a description is verified instead, so that the tree and
// the data are checked all the same.
func verifyMMDB(path string, r *maxminddb.Reader) error {
	if len(r.Metadata.Description) > 0 {
		return r.Verify()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b, err = withDescription(b, r.Metadata)
	if err != nil {
		return err
	}
	c, err := maxminddb.OpenBytes(b)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Verify()
}

// withDescription returns the MMDB file b with its metadata section written
// anew from md, with a description added. b's bytes are reused.
func withDescription(b []byte, md maxminddb.Metadata) ([]byte, error) {
	i := bytes.LastIndex(b, metadataMarker)
	if i < 0 {
		return nil, errors.New("no metadata section")
	}
	if md.NodeCount > math.MaxUint32 || md.RecordSize > math.MaxUint16 || md.IPVersion > math.MaxUint16 ||
		md.BinaryFormatMajorVersion > math.MaxUint16 || md.BinaryFormatMinorVersion > math.MaxUint16 {
		return nil, fmt.Errorf("metadata out of range: %d nodes, record size %d", md.NodeCount, md.RecordSize)
	}
	langs := mmdbtype.Slice{}
	for _, l := range md.Languages {
		langs = append(langs, mmdbtype.String(l))
	}
	meta := mmdbtype.Map{
		"binary_format_major_version": mmdbtype.Uint16(md.BinaryFormatMajorVersion),
		"binary_format_minor_version": mmdbtype.Uint16(md.BinaryFormatMinorVersion),
		"build_epoch":                 mmdbtype.Uint64(md.BuildEpoch),
		"database_type":               mmdbtype.String(md.DatabaseType),
		"description":                 mmdbtype.Map{"en": mmdbtype.String("(none given)")},
		"ip_version":                  mmdbtype.Uint16(md.IPVersion),
		"languages":                   langs,
		"node_count":                  mmdbtype.Uint32(md.NodeCount),
		"record_size":                 mmdbtype.Uint16(md.RecordSize),
	}
	var w metadataWriter
	if _, err := meta.WriteTo(&w); err != nil {
		return nil, err
	}
	return append(b[:i+len(metadataMarker)], w.Bytes()...), nil
}

// metadataWriter encodes MMDB values in full, without pointers, as the
// metadata section is written.
type metadataWriter struct{ bytes.Buffer }

func (w *metadataWriter) WriteOrWritePointer(t mmdbtype.DataType) (int64, error) {
	return t.WriteTo(w)
}
