// Package schema holds the JSON Schemas (2020-12) of every JSON document
// hostwatch writes, and checks documents against them. The reports tests
// and the CLI's end-to-end scripts validate real output with it; the
// hostwatch binary does not import it.
package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// files are the schemas, named NAME.vN.schema.json, each with its $id.
//
//go:embed *.schema.json
var files embed.FS

// Base is where the schemas are published: each $id is Base + its file name.
const Base = "https://github.com/hostwatch/hostwatch/reports/schema/"

// Compile compiles the schema in the file name (such as
// "report.v1.schema.json"), or the part of it at the JSON pointer ref
// ("#/$defs/target"; "" for the whole), with every other schema known by
// its $id, so that references between files resolve offline.
func Compile(name, ref string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		var head struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(data, &head); err != nil || head.ID != Base+e.Name() {
			return nil, fmt.Errorf("%s: $id is %q, want %q", e.Name(), head.ID, Base+e.Name())
		}
		if err := c.AddResource(head.ID, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
	}
	return c.Compile(Base + name + ref)
}

// Validate checks one JSON document against the schema in the file name
// (or its part at ref).
func Validate(doc []byte, name, ref string) error {
	s, err := Compile(name, ref)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}
