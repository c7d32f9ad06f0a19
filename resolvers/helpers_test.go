package resolvers_test

import (
	"os"
	"path/filepath"
)

// readZone reads a zone file named relative to the module root.
func readZone(path string) (string, error) {
	b, err := os.ReadFile(filepath.Join("..", path))
	return string(b), err
}
