// Package outputtest validates cradle's JSON documents against their
// published JSON Schemas (docs/schemas/<kind>.schema.json) in tests of any
// package, so the schemas and the code cannot drift apart.
package outputtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cradle-cra/cradle/internal/output"
)

// SchemaDir finds docs/schemas from the test's working directory (a
// package directory of this module).
func SchemaDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "docs", "schemas"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

var (
	once    sync.Once
	schemas map[output.Kind]*jsonschema.Schema
	loadErr error
)

// Schemas compiles every docs/schemas/*.schema.json (they may refer to
// each other by $id) and returns them by kind, the file name's stem.
func Schemas() (map[output.Kind]*jsonschema.Schema, error) {
	once.Do(func() { schemas, loadErr = compile() })
	return schemas, loadErr
}

func compile() (map[output.Kind]*jsonschema.Schema, error) {
	dir, err := SchemaDir()
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no schemas in %s: %v", dir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	ids := map[output.Kind]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			return nil, fmt.Errorf("%s: no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		ids[output.Kind(strings.TrimSuffix(filepath.Base(f), ".schema.json"))] = id
	}
	out := map[output.Kind]*jsonschema.Schema{}
	for k, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", id, err)
		}
		out[k] = s
	}
	return out, nil
}

// Validate checks data, one document of kind k (every line of a JSON Lines
// stream for a stream kind), against the kind's schema.
func Validate(t testing.TB, k output.Kind, data []byte) {
	t.Helper()
	if err := Check(k, data); err != nil {
		t.Errorf("%v\n%s", err, data)
	}
}

// Check is Validate returning the error.
func Check(k output.Kind, data []byte) error {
	all, err := Schemas()
	if err != nil {
		return err
	}
	sch, ok := all[k]
	if !ok {
		return fmt.Errorf("no schema for kind %q", k)
	}
	spec, err := output.Default().Spec(k)
	if err != nil {
		return err
	}
	docs := [][]byte{data}
	if spec.Stream {
		docs = nil
		for line := range bytes.Lines(data) {
			if len(bytes.TrimSpace(line)) > 0 {
				docs = append(docs, line)
			}
		}
	}
	for i, d := range docs {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(d))
		if err != nil {
			return fmt.Errorf("%s document %d: %w", k, i+1, err)
		}
		if err := sch.Validate(inst); err != nil {
			return fmt.Errorf("%s document %d does not match docs/schemas/%s.schema.json: %w", k, i+1, k, err)
		}
		var h struct {
			SchemaVersion string `json:"schema_version"`
		}
		if err := json.Unmarshal(d, &h); err != nil || h.SchemaVersion != spec.SchemaVersion {
			return fmt.Errorf("%s document %d: schema_version %q, registry says %q", k, i+1, h.SchemaVersion, spec.SchemaVersion)
		}
	}
	return nil
}
