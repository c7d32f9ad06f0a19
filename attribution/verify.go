package attribution

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

// ErrCorrupt means an MMDB file fails verification: its metadata, search
// tree or data section is damaged, so some lookups in it would fail or
// find garbage. Such a file is refused whole, never half used.
var ErrCorrupt = errors.New("the file is damaged: it fails MMDB verification")

// metadataMarker starts an MMDB file's metadata section.
var metadataMarker = []byte("\xAB\xCD\xEFMaxMind.com")

// openVerified reads the MMDB file at path whole and returns a reader on
// those bytes, checked whole with maxminddb's Verify (verifyMMDB): its
// metadata, every node of its search tree and every record of its data
// section. Verifying takes time in proportion to the file, so when dir is
// set it remembers there the SHA-256 of each file that passed, and a file
// with the same digest is not verified again. The reader answers from the
// very bytes that were hashed and verified.
func openVerified(path, dir string) (*maxminddb.Reader, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := maxminddb.OpenBytes(b, maxminddb.DisableStringCache())
	if err != nil {
		return nil, err
	}
	mark := ""
	if dir != "" {
		sum := sha256.Sum256(b)
		mark = filepath.Join(dir, hex.EncodeToString(sum[:]))
		if _, err := os.Stat(mark); err == nil {
			return r, nil
		}
	}
	if err := verifyMMDB(b, r); err != nil {
		r.Close()
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if mark != "" {
		// Best effort: without the mark the file is verified next time.
		if os.MkdirAll(dir, 0o755) == nil {
			_ = os.WriteFile(mark, nil, 0o644)
		}
	}
	return r, nil
}

// verifyMMDB verifies the MMDB file b, opened as r.
//
// The MaxMind DB format lets the description map be empty, and
// ip-location-db publishes its files so, but Verify refuses such metadata
// before it looks at the tree and the data. For those files a copy whose
// metadata names a description is verified instead, so that the tree and
// the data are checked all the same.
func verifyMMDB(b []byte, r *maxminddb.Reader) error {
	if err := checkTree(b, r.Metadata); err != nil {
		return err
	}
	if len(r.Metadata.Description) > 0 {
		return r.Verify()
	}
	b, err := withDescription(bytes.Clone(b), r.Metadata)
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
