// Package fim is cradle's file integrity monitor: a policy selecting
// paths and attributes, a bounded parallel walk that records and hashes
// them, a signed database of the result, and the comparison of a later
// walk with that database (docs/fim.md).
package fim

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/rules"
)

// Attr is one recorded attribute of an entry.
type Attr string

// Attributes a policy may select. Type is always recorded and compared.
const (
	AttrType   Attr = "type"
	AttrMode   Attr = "mode"
	AttrOwner  Attr = "owner"
	AttrGroup  Attr = "group"
	AttrSize   Attr = "size"
	AttrMtime  Attr = "mtime"
	AttrCtime  Attr = "ctime"
	AttrInode  Attr = "inode"
	AttrLinks  Attr = "links"
	AttrTarget Attr = "target"
	AttrSHA256 Attr = "sha256"
	AttrSHA512 Attr = "sha512"
	AttrBLAKE3 Attr = "blake3"
	// Extended attributes: all but the two below (by value digest), the
	// POSIX ACL (text form) and the SELinux label.
	AttrXattrs  Attr = "xattrs"
	AttrACL     Attr = "acl"
	AttrSELinux Attr = "selinux"
)

// knownAttrs in report order.
var knownAttrs = []Attr{AttrType, AttrMode, AttrOwner, AttrGroup, AttrSize, AttrMtime, AttrCtime,
	AttrInode, AttrLinks, AttrTarget, AttrSHA256, AttrSHA512, AttrBLAKE3, AttrXattrs, AttrACL, AttrSELinux}

// DefaultAttrs is what a selection without attributes records.
var DefaultAttrs = []Attr{AttrType, AttrMode, AttrOwner, AttrGroup, AttrSize, AttrMtime, AttrCtime,
	AttrInode, AttrLinks, AttrTarget, AttrSHA256}

// MaxSelections bounds a policy, and MaxPatterns the excludes of one
// selection: the policy is read as root and every entry is matched
// against it.
const (
	MaxSelections = 1024
	MaxPatterns   = 256
)

// Selection is one `paths:` item: a subtree, what to leave out of it, and
// the attributes recorded for what remains.
type Selection struct {
	// Path is absolute and clean.
	Path    string    `json:"path"`
	Exclude []Pattern `json:"exclude,omitempty"`
	Attrs   []Attr    `json:"attributes"`
	// Full re-hashes this subtree on every check, whatever the metadata
	// says.
	Full bool `json:"full,omitempty"`
	// OneFileSystem keeps the walk on the filesystem of Path: a mount
	// point below it is recorded but not entered.
	OneFileSystem bool `json:"one_file_system,omitempty"`

	set attrSet
}

// Pattern excludes entries: a glob (path.Match syntax) matched against
// the absolute path, and against the base name when it has no slash; or
// "re:" and a regular expression matched against the absolute path.
type Pattern struct {
	Text string `json:"pattern"`
	re   *regexp.Regexp
}

// Match reports whether the absolute path p is excluded by the pattern.
func (pt Pattern) Match(p string) bool {
	if pt.re != nil {
		return pt.re.MatchString(p)
	}
	if !strings.Contains(pt.Text, "/") {
		ok, _ := path.Match(pt.Text, path.Base(p))
		return ok
	}
	ok, _ := path.Match(pt.Text, p)
	return ok
}

type attrSet uint32

func (s attrSet) has(a Attr) bool { return s&(1<<attrIndex(a)) != 0 }

func attrIndex(a Attr) int { return slices.Index(knownAttrs, a) }

// Has reports whether the selection records a.
func (s *Selection) Has(a Attr) bool { return a == AttrType || s.set.has(a) }

// extended reports whether the selection records any extended attribute.
func (s *Selection) extended() bool {
	return s.set.has(AttrXattrs) || s.set.has(AttrACL) || s.set.has(AttrSELinux)
}

// Excluded reports whether the absolute path p is left out.
func (s *Selection) Excluded(p string) bool {
	for _, pt := range s.Exclude {
		if pt.Match(p) {
			return true
		}
	}
	return false
}

// Policy is a parsed configuration. Selections are sorted by path; the
// most specific selection containing a path decides for it.
type Policy struct {
	Name       string
	Selections []*Selection
	hash       string
}

// Hash is the sha256 of the policy's canonical JSON: a database records
// it so a check can tell it runs with another policy.
func (p *Policy) Hash() string { return p.hash }

// For returns the selection deciding for the absolute path abs, or nil
// when no selection contains it or it is excluded.
func (p *Policy) For(abs string) *Selection {
	for i := len(p.Selections) - 1; i >= 0; i-- {
		s := p.Selections[i]
		if within(abs, s.Path) {
			if s.Excluded(abs) {
				return nil
			}
			return s
		}
	}
	return nil
}

// Enter reports whether a walk must descend into the absolute directory
// dir: it is selected, or it leads to a selected path.
func (p *Policy) Enter(dir string) bool {
	for _, s := range p.Selections {
		if within(s.Path, dir) {
			return true
		}
	}
	return p.For(dir) != nil
}

// wantsNames reports whether any selection records owners or groups.
func (p *Policy) wantsNames() bool {
	for _, s := range p.Selections {
		if s.Has(AttrOwner) || s.Has(AttrGroup) {
			return true
		}
	}
	return false
}

// selectsBelow reports whether a selection lies strictly below the
// absolute directory dir.
func (p *Policy) selectsBelow(dir string) bool {
	for _, s := range p.Selections {
		if s.Path != dir && within(s.Path, dir) {
			return true
		}
	}
	return false
}

// within reports whether p is dir or below it (both absolute, clean).
func within(p, dir string) bool {
	if dir == "/" || p == dir {
		return true
	}
	return strings.HasPrefix(p, dir) && p[len(dir)] == '/'
}

type policyDoc struct {
	Paths []yaml.Node `yaml:"paths"`
}

type selectionDoc struct {
	Path       string   `yaml:"path"`
	Exclude    []string `yaml:"exclude"`
	Attributes []string `yaml:"attributes"`
	Full       bool     `yaml:"full"`
	OneFS      bool     `yaml:"one_file_system"`
}

// Parse parses a policy strictly; errors name name:line.
func Parse(name string, data []byte) (*Policy, error) {
	root, err := rules.ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	var doc policyDoc
	if err := rules.DecodeNode(name, root, &doc); err != nil {
		return nil, err
	}
	if len(doc.Paths) == 0 {
		return nil, &rules.Error{File: name, Line: root.Line, Msg: "paths: at least one path is required"}
	}
	if len(doc.Paths) > MaxSelections {
		return nil, &rules.Error{File: name, Line: root.Line, Msg: fmt.Sprintf("paths: more than %d selections", MaxSelections)}
	}
	p := &Policy{Name: name}
	seen := map[string]int{}
	for i := range doc.Paths {
		n := &doc.Paths[i]
		var sd selectionDoc
		if err := rules.DecodeNode(name, n, &sd); err != nil {
			return nil, err
		}
		s, msg := selection(sd)
		if msg != "" {
			return nil, &rules.Error{File: name, Line: n.Line, Msg: msg}
		}
		if l, dup := seen[s.Path]; dup {
			return nil, &rules.Error{File: name, Line: n.Line, Msg: fmt.Sprintf("path %s is already selected at line %d", s.Path, l)}
		}
		seen[s.Path] = n.Line
		p.Selections = append(p.Selections, s)
	}
	sort.Slice(p.Selections, func(i, j int) bool { return p.Selections[i].Path < p.Selections[j].Path })
	b, err := json.Marshal(p.Selections)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	sum := sha256.Sum256(b)
	p.hash = "sha256:" + hex.EncodeToString(sum[:])
	return p, nil
}

func selection(sd selectionDoc) (*Selection, string) {
	if sd.Path == "" || !strings.HasPrefix(sd.Path, "/") {
		return nil, fmt.Sprintf("path %q: an absolute path is required", sd.Path)
	}
	if strings.ContainsRune(sd.Path, 0) || path.Clean(sd.Path) != sd.Path {
		return nil, fmt.Sprintf("path %q is not clean (want %q)", sd.Path, path.Clean(sd.Path))
	}
	if len(sd.Exclude) > MaxPatterns {
		return nil, fmt.Sprintf("path %s: more than %d excludes", sd.Path, MaxPatterns)
	}
	s := &Selection{Path: sd.Path, Full: sd.Full, OneFileSystem: sd.OneFS}
	for _, e := range sd.Exclude {
		pt := Pattern{Text: e}
		if expr, ok := strings.CutPrefix(e, "re:"); ok {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Sprintf("path %s: exclude %q: %v", sd.Path, e, err)
			}
			pt.re = re
		} else if _, err := path.Match(e, ""); err != nil || e == "" {
			return nil, fmt.Sprintf("path %s: exclude %q: not a valid glob", sd.Path, e)
		}
		s.Exclude = append(s.Exclude, pt)
	}
	attrs := sd.Attributes
	if len(attrs) == 0 {
		for _, a := range DefaultAttrs {
			attrs = append(attrs, string(a))
		}
	}
	for _, a := range attrs {
		switch {
		case attrIndex(Attr(a)) < 0:
			return nil, fmt.Sprintf("path %s: unknown attribute %q (known: %s)", sd.Path, a, attrNames())
		case s.set.has(Attr(a)):
			return nil, fmt.Sprintf("path %s: attribute %q listed twice", sd.Path, a)
		}
		s.set |= 1 << attrIndex(Attr(a))
	}
	for _, a := range knownAttrs {
		if s.set.has(a) {
			s.Attrs = append(s.Attrs, a)
		}
	}
	return s, ""
}

func attrNames() string {
	out := make([]string, len(knownAttrs))
	for i, a := range knownAttrs {
		out[i] = string(a)
	}
	return strings.Join(out, ", ")
}

//go:embed default.yaml
var defaultPolicy []byte

// DefaultName names the built-in policy in reports and errors.
const DefaultName = "built-in policy"

// Default is the built-in policy: system binaries, libraries, boot files
// and configuration.
func Default() *Policy {
	p, err := Parse(DefaultName, defaultPolicy)
	if err != nil {
		// The embedded file is tested; this cannot happen in a release.
		return &Policy{Name: DefaultName}
	}
	return p
}
