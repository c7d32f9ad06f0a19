package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hostwatch/hostwatch/attribution/internal/manifest"
)

// The data directory of db update holds the data in use and the copy it
// replaced, each a directory with its manifest and MMDB files:
//
//	DIR/current/datasets.json, asn.mmdb, country.mmdb
//	DIR/previous/...
const (
	currentDir  = "current"
	previousDir = "previous"
)

// DefaultDataDir is where db update keeps newer data:
// $XDG_DATA_HOME/hostwatch/data, else ~/.local/share/hostwatch/data.
func DefaultDataDir() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "hostwatch", "data"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory for the data directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "hostwatch", "data"), nil
}

// updatedData is the manifest of the data db update installed.
type updatedData struct {
	dir string
	ids map[string]manifest.Dataset
}

// readUpdated reads DIR/current/datasets.json; no directory or no data
// there is not an error.
func readUpdated(dir string) (*updatedData, error) {
	if dir == "" {
		return nil, nil
	}
	cur := filepath.Join(dir, currentDir)
	m, err := readManifest(cur)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("updated data: %w", err)
	}
	u := &updatedData{dir: cur, ids: map[string]manifest.Dataset{}}
	for _, d := range m.Datasets {
		u.ids[d.ID] = d
	}
	return u, nil
}

// newer returns the updated dataset that replaces e, if there is a newer one.
func (u *updatedData) newer(e manifest.Dataset) (manifest.Dataset, bool) {
	if u == nil {
		return manifest.Dataset{}, false
	}
	d, ok := u.ids[e.ID]
	return d, ok && d.Version > e.Version && d.File != ""
}

// readManifest reads DIR/datasets.json.
func readManifest(dir string) (manifest.Manifest, error) {
	var m manifest.Manifest
	path := filepath.Join(dir, manifest.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
