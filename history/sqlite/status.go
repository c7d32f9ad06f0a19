package sqlite

import "context"

// CurrentSchema is the schema version this hostwatch writes.
func CurrentSchema() int { return schema().Latest() }

// SchemaVersion reads the schema version of the open file.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	version, _, err := s.versions(ctx, s.db)
	return int(version), err
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }
