package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/result"
)

// MaxFileSize bounds any rule, profile, tailoring or waiver file.
const MaxFileSize = 8 << 20

type ruleDoc struct {
	ID          string              `yaml:"id"`
	Title       string              `yaml:"title"`
	Description string              `yaml:"description"`
	Rationale   string              `yaml:"rationale"`
	Severity    string              `yaml:"severity"`
	Platforms   []string            `yaml:"platforms"`
	Requires    []string            `yaml:"requires"`
	Profiles    []string            `yaml:"profiles"`
	Params      map[string]Param    `yaml:"params"`
	References  map[string][]string `yaml:"references"`
	Check       yaml.Node           `yaml:"check"`
	Fix         *FixMeta            `yaml:"fix"`
}

type ruleFile struct {
	Rules []yaml.Node `yaml:"rules"`
}

// ParseYAML parses one YAML document from data, bounded in size, and
// returns its root mapping node. name is used in errors.
func ParseYAML(name string, data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Msg: "empty file"}
		}
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: doc.Line, Msg: "expected a YAML mapping at the top level"}
	}
	if err := checkDepth(doc.Content[0], 0); err != nil {
		return nil, &Error{File: name, Line: doc.Content[0].Line, Msg: err.Error()}
	}
	return doc.Content[0], nil
}

const maxDepth = 64

func checkDepth(n *yaml.Node, d int) error {
	if d > maxDepth {
		return fmt.Errorf("document nested deeper than %d levels", maxDepth)
	}
	for _, c := range n.Content {
		if err := checkDepth(c, d+1); err != nil {
			return err
		}
	}
	return nil
}

// DecodeNode strictly decodes n into v, turning failures into file:line
// errors.
func DecodeNode(name string, n *yaml.Node, v any) error {
	if err := check.Decode(n, v); err != nil {
		var ae *check.ArgError
		if errors.As(err, &ae) {
			return &Error{File: name, Line: ae.Line, Msg: ae.Msg}
		}
		return &Error{File: name, Line: n.Line, Msg: err.Error()}
	}
	return nil
}

func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, rest, ok := strings.Cut(msg, "line "); ok {
		fmt.Sscanf(rest, "%d", &line)
	}
	if line > 0 {
		msg = strings.Replace(msg, fmt.Sprintf("line %d: ", line), "", 1)
	}
	return &Error{File: name, Line: line, Msg: msg}
}

// LoadFS loads every *.yaml rule file under dir in fsys (sorted by path),
// plus the profiles in profilesFile, validating everything against reg.
func LoadFS(fsys fs.FS, dir string, profilesFile string, reg *check.Registry) (*Set, *Profiles, error) {
	pdata, err := fs.ReadFile(fsys, profilesFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read profiles: %w", err)
	}
	profiles, err := ParseProfiles(profilesFile, pdata)
	if err != nil {
		return nil, nil, err
	}
	var files []string
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list rules: %w", err)
	}
	sort.Strings(files)
	set := &Set{}
	var errs Errors
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, nil, fmt.Errorf("read rules: %w", err)
		}
		if err := ParseRules(path.Base(f), data, set, profiles, reg); err != nil {
			var es Errors
			if errors.As(err, &es) {
				errs = append(errs, es...)
				continue
			}
			return nil, nil, err
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	if err := profiles.resolveParams(set); err != nil {
		return nil, nil, err
	}
	return set, profiles, nil
}

// File is the content of a rule file and the name its errors carry.
type File struct {
	Name string
	Data []byte
}

// AddFiles parses an organisation's own rule files into set, which holds
// the built-in baseline, with the same checks: strict fields, known
// templates and valid arguments, known profiles, CRA references, and ids
// unique — also against the built-in rules. Every problem is reported as
// file:line, all files together.
func AddFiles(set *Set, profiles *Profiles, reg *check.Registry, files []File) error {
	set.builtin = len(set.Rules)
	var errs Errors
	for _, f := range files {
		if err := ParseRules(f.Name, f.Data, set, profiles, reg); err != nil {
			var es Errors
			if errors.As(err, &es) {
				errs = append(errs, es...)
				continue
			}
			return err
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// ParseRules parses one rule file into set. All problems in the file are
// returned together as Errors.
func ParseRules(name string, data []byte, set *Set, profiles *Profiles, reg *check.Registry) error {
	root, err := ParseYAML(name, data)
	if err != nil {
		return Errors{asError(name, err)}
	}
	var rf ruleFile
	if err := DecodeNode(name, root, &rf); err != nil {
		return Errors{asError(name, err)}
	}
	var errs Errors
	for i := range rf.Rules {
		n := &rf.Rules[i]
		r, err := parseRule(name, n, profiles, reg)
		if err != nil {
			errs = append(errs, asError(name, err))
			continue
		}
		if err := set.Add(r); err != nil {
			errs = append(errs, &Error{File: name, Line: n.Line, Msg: err.Error()})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func asError(name string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ae *check.ArgError
	if errors.As(err, &ae) {
		return &Error{File: name, Line: ae.Line, Msg: ae.Msg}
	}
	return &Error{File: name, Msg: err.Error()}
}

func parseRule(name string, n *yaml.Node, profiles *Profiles, reg *check.Registry) (*Rule, error) {
	var d ruleDoc
	if err := DecodeNode(name, n, &d); err != nil {
		return nil, err
	}
	at := func(format string, a ...any) error {
		return &Error{File: name, Line: n.Line, Msg: fmt.Sprintf("rule %q: ", d.ID) + fmt.Sprintf(format, a...)}
	}
	if !idPattern.MatchString(d.ID) {
		return nil, &Error{File: name, Line: n.Line, Msg: fmt.Sprintf("rule id %q must be lower-case letters, digits, '.', '_' or '-'", d.ID)}
	}
	if strings.TrimSpace(d.Title) == "" {
		return nil, at("title is required")
	}
	if strings.TrimSpace(d.Description) == "" || strings.TrimSpace(d.Rationale) == "" {
		return nil, at("description and rationale are required")
	}
	sev, err := result.ParseSeverity(d.Severity)
	if err != nil {
		return nil, at("%v", err)
	}
	if len(d.Profiles) == 0 {
		return nil, at("profiles: at least one profile is required")
	}
	for _, p := range d.Profiles {
		if _, ok := profiles.Lookup(p); !ok {
			return nil, at("unknown profile %q (known: %s)", p, strings.Join(profiles.IDs(), ", "))
		}
	}
	for _, tr := range d.Requires {
		if _, ok := Traits[tr]; !ok {
			return nil, at("requires: unknown trait %q (known: %s)", tr, strings.Join(slices.Sorted(maps.Keys(Traits)), ", "))
		}
	}
	craRefs := d.References["cra"]
	if len(craRefs) == 0 {
		return nil, at("references.cra: at least one CRA Annex I id (e.g. CRA.A1.P1.2b) is required")
	}
	for _, id := range craRefs {
		if err := cra.Validate(id); err != nil {
			return nil, at("references.cra: %v", err)
		}
	}
	if d.Check.Kind != yaml.MappingNode || len(d.Check.Content) != 2 {
		return nil, &Error{File: name, Line: lineOr(&d.Check, n), Msg: fmt.Sprintf("rule %q: check must name exactly one template, e.g. check: {file_mode: {...}}", d.ID)}
	}
	r := &Rule{
		ID: d.ID, Title: strings.TrimSpace(d.Title), Description: strings.TrimSpace(d.Description),
		Rationale: strings.TrimSpace(d.Rationale), Severity: sev, Platforms: d.Platforms, Requires: d.Requires,
		Profiles: d.Profiles, Params: d.Params, References: d.References,
		Template: d.Check.Content[0].Value, Args: d.Check.Content[1],
		Source: fmt.Sprintf("%s:%d", name, n.Line),
	}
	if d.Fix != nil {
		r.Fix = *d.Fix
		switch r.Fix.Disruption {
		case "", "low", "medium", "high":
		default:
			return nil, &Error{File: name, Line: n.Line, Msg: fmt.Sprintf("rule %q: fix disruption %q (want low, medium or high)", d.ID, r.Fix.Disruption)}
		}
	}
	if _, ok := reg.Lookup(r.Template); !ok {
		return nil, &Error{File: name, Line: d.Check.Content[0].Line, Msg: fmt.Sprintf("rule %q: unknown check template %q (known: %s)", d.ID, r.Template, strings.Join(reg.Names(), ", "))}
	}
	// Instantiate once with defaults so argument mistakes surface at load.
	if _, err := r.Instantiate(reg, nil); err != nil {
		var ae *check.ArgError
		if errors.As(err, &ae) {
			return nil, &Error{File: name, Line: ae.Line, Msg: fmt.Sprintf("rule %q: %s: %s", d.ID, r.Template, ae.Msg)}
		}
		return nil, &Error{File: name, Line: n.Line, Msg: err.Error()}
	}
	return r, nil
}

func lineOr(n, fallback *yaml.Node) int {
	if n.Line > 0 {
		return n.Line
	}
	return fallback.Line
}

// Fixable reports whether the rule's check can be remediated natively.
func (r *Rule) Fixable(reg *check.Registry) bool {
	c, err := r.Instantiate(reg, nil)
	if err != nil {
		return false
	}
	f, ok := c.(check.Fixable)
	return ok && f.Fixable()
}
