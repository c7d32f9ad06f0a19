package main

import "testing"

// TestFailOnNames checks that completion offers only what --fail-on takes.
func TestFailOnNames(t *testing.T) {
	t.Parallel()
	for _, name := range failOnNames() {
		if _, err := parseFailOn([]string{name}); err != nil {
			t.Errorf("completion offers %q, which --fail-on refuses: %v", name, err)
		}
	}
}
