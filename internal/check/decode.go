package check

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeStrict decodes n into v and rejects mapping keys v does not
// declare, reporting the offending key's line. yaml.v3 only enforces known
// fields through Decoder.KnownFields, which needs a byte stream; checking
// the node against the struct's yaml tags keeps the original positions.
func decodeStrict(n *yaml.Node, v any) error {
	if err := checkKnown(n, reflect.TypeOf(v)); err != nil {
		return err
	}
	if err := n.Decode(v); err != nil {
		// yaml.v3 and UnmarshalYAML methods name the offending line in the
		// message ("line 18: ..."); report it there rather than at n.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := n.Line
		if m := lineRE.FindStringSubmatchIndex(msg); m != nil {
			if l, err := strconv.Atoi(msg[m[2]:m[3]]); err == nil {
				line = l
				msg = strings.TrimSpace(msg[:m[0]] + msg[m[1]:])
				msg = strings.TrimSpace(strings.TrimPrefix(msg, "unmarshal errors:"))
			}
		}
		return &ArgError{Line: line, Column: n.Column, Msg: msg}
	}
	return nil
}

// lineRE finds the first "line N: " in a decoding error.
var lineRE = regexp.MustCompile(`line (\d+): `)

var nodeType = reflect.TypeFor[yaml.Node]()

func checkKnown(n *yaml.Node, t reflect.Type) error {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		if t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkKnown(c, t.Elem()); err != nil {
					return err
				}
			}
			return nil
		}
		t = t.Elem()
	}
	if t == nil || t == nodeType || t.Kind() != reflect.Struct || n.Kind != yaml.MappingNode {
		return nil
	}
	fields := map[string]reflect.Type{}
	inline := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			inline = true
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	if inline {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ft, ok := fields[k.Value]
		if !ok {
			return &ArgError{Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("unknown field %q (allowed: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))}
		}
		if err := checkKnown(n.Content[i+1], ft); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]reflect.Type) []string {
	return slices.Sorted(maps.Keys(m))
}
