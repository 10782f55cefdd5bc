// Package outputtest validates cradle's JSON documents against their
// published JSON Schemas (docs/schemas/<kind>.schema.json) in tests of any
// package, so the schemas and the code cannot drift apart.
package outputtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
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
	raw     map[string]map[string]any // schema documents by $id
	ids     map[output.Kind]string
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
	ids = map[output.Kind]string{}
	raw = map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		m, _ := doc.(map[string]any)
		id, _ := m["$id"].(string)
		if id == "" {
			return nil, fmt.Errorf("%s: no $id", f)
		}
		raw[id] = m
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
		if extra := undocumented(inst, ids[k], raw[ids[k]], ""); len(extra) > 0 {
			return fmt.Errorf("%s document %d has properties docs/schemas/%s.schema.json does not describe: %s",
				k, i+1, k, strings.Join(extra, ", "))
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

// undocumented lists the properties of inst (paths like
// "runs[].skipped") that the schema node does not name. Schemas allow
// unknown properties for forward compatibility, so validation alone would
// not notice a field the code added and the documentation lacks. An
// object schema without "properties" (free-form, like details) or with
// "additionalProperties" accepts any key.
func undocumented(inst any, base string, node map[string]any, path string) []string {
	base, node = deref(base, node)
	if node == nil {
		return nil
	}
	switch v := inst.(type) {
	case map[string]any:
		props := map[string]any{}
		hasProps := false
		for _, n := range branches(node) {
			if p, ok := n["properties"].(map[string]any); ok {
				hasProps = true
				for k, s := range p {
					props[k] = s
				}
			}
		}
		addl, hasAddl := node["additionalProperties"]
		var out []string
		for key, val := range v {
			sub, ok := props[key].(map[string]any)
			switch {
			case ok:
				out = append(out, undocumented(val, base, sub, join(path, key))...)
			case hasAddl:
				if a, ok := addl.(map[string]any); ok {
					out = append(out, undocumented(val, base, a, join(path, key))...)
				}
			case hasProps:
				out = append(out, join(path, key))
			}
		}
		return out
	case []any:
		items, _ := node["items"].(map[string]any)
		seen := map[string]bool{}
		var out []string
		for _, it := range v {
			for _, p := range undocumented(it, base, items, path+"[]") {
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// branches are node and the subschemas whose properties also apply.
func branches(node map[string]any) []map[string]any {
	out := []map[string]any{node}
	all, _ := node["allOf"].([]any)
	for _, a := range all {
		if m, ok := a.(map[string]any); ok {
			out = append(out, m)
			for _, k := range []string{"then", "else"} {
				if m2, ok := m[k].(map[string]any); ok {
					out = append(out, m2)
				}
			}
		}
	}
	return out
}

// deref follows $ref ("#/$defs/x" or "other.schema.json#/$defs/x") from
// the document with $id base.
func deref(base string, node map[string]any) (string, map[string]any) {
	for range 16 {
		ref, ok := node["$ref"].(string)
		if !ok {
			return base, node
		}
		file, ptr, _ := strings.Cut(ref, "#")
		if file != "" {
			b, err := url.Parse(base)
			if err != nil {
				return base, nil
			}
			r, err := url.Parse(file)
			if err != nil {
				return base, nil
			}
			base = b.ResolveReference(r).String()
		}
		var cur any = raw[base]
		for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			if seg == "" {
				continue
			}
			m, _ := cur.(map[string]any)
			cur = m[seg]
		}
		if node, ok = cur.(map[string]any); !ok {
			return base, nil
		}
	}
	return base, nil
}
