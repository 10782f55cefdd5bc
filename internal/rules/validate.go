package rules

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Warning is a gap in a strictly read YAML file that does not stop a
// command: the file is usable, but something it should say is missing.
type Warning struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Msg)
}

// Validator collects the value errors and warnings of a decoded YAML
// document at the line of the key each concerns, so files people write by
// hand (rules, the product file, the risk assessment) all report
// file:line the same way.
type Validator struct {
	Name  string
	Root  *yaml.Node
	Errs  Errors
	Warns []Warning
}

// Line finds the line of a key path ("support", "end"; a number indexes a
// sequence); the deepest node found wins, so a missing key points at its
// parent.
func (v *Validator) Line(path ...any) int {
	n := v.Root
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next, line = n.Content[i+1], n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// Errorf records an error at path's line.
func (v *Validator) Errorf(path []any, format string, a ...any) {
	v.Errs = append(v.Errs, &Error{File: v.Name, Line: v.Line(path...), Msg: fmt.Sprintf(format, a...)})
}

// Warnf records a warning at path's line.
func (v *Validator) Warnf(path []any, format string, a ...any) {
	v.Warns = append(v.Warns, Warning{File: v.Name, Line: v.Line(path...), Msg: fmt.Sprintf(format, a...)})
}

// At builds a key path for Errorf and Warnf.
func At(p ...any) []any { return p }

// DecodeStrict parses name's YAML into out (unknown keys and type errors
// are errors at their line), then lets check validate the values; value
// errors come back together as Errors, warnings as a list.
func DecodeStrict(name string, data []byte, out any, check func(*Validator)) ([]Warning, error) {
	root, err := ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if err := DecodeNode(name, root, out); err != nil {
		return nil, err
	}
	v := &Validator{Name: name, Root: root}
	check(v)
	if len(v.Errs) > 0 {
		return nil, v.Errs
	}
	return v.Warns, nil
}
