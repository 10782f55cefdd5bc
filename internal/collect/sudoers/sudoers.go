// Package sudoers parses sudoers(5) with its include directives
// ("@include", "#include", "@includedir", "#includedir"), resolving them in
// order with a bounded depth, and records Defaults settings and user
// specifications with the file and line they came from.
package sudoers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Default is one setting of a Defaults line.
type Default struct {
	// Binding is "" for global Defaults, otherwise the qualifier with its
	// sigil (":user", "@host", ">runas", "!cmnd").
	Binding string `json:"binding,omitempty"`
	Name    string `json:"name"`
	// Negated is set for "!flag".
	Negated bool `json:"negated,omitempty"`
	// Op is "", "=", "+=" or "-=".
	Op    string `json:"op,omitempty"`
	Value string `json:"value,omitempty"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

// Spec is one Cmnd_Spec of a user specification.
type Spec struct {
	Users    []string `json:"users"`
	Hosts    []string `json:"hosts"`
	RunAs    string   `json:"runas,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Commands []string `json:"commands"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	// Priv numbers the "Host_List = Cmnd_Spec_List" groups of the line:
	// specs of one privilege share File, Line and Priv.
	Priv int `json:"-"`
	// RunasSeq counts the Runas_Specs written so far in the privilege:
	// sudo -ll starts a new entry at each, even one equal to the last.
	RunasSeq int `json:"-"`
}

// HasTag reports whether the spec carries tag (e.g. "NOPASSWD").
func (s *Spec) HasTag(tag string) bool {
	for _, t := range s.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Policy is the parsed sudoers policy.
type Policy struct {
	Present  bool      `json:"present"`
	Files    []string  `json:"files"`
	Defaults []Default `json:"defaults"`
	Specs    []Spec    `json:"specs"`
	// Aliases maps alias names to their members, whatever their type.
	Aliases map[string][]string `json:"aliases,omitempty"`
	// Typed holds the aliases by type ("User", "Runas", "Host", "Cmnd"):
	// sudo keeps one namespace per type, so a Cmnd_Alias never stands for
	// a user.
	Typed map[string]map[string][]string `json:"typed_aliases,omitempty"`
	// Hostname is the short name in /etc/hostname, what Host_Lists are
	// matched against; "" when unknown.
	Hostname string `json:"hostname,omitempty"`
}

// Key is the fact-store key.
const Key = "sudoers"

// Get returns the memoised policy.
func Get(s *facts.Store) (*Policy, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

const maxDepth = 8

// maxFiles bounds the files one configuration loads: depth alone does not,
// as K includes per file over D levels cost K^D.
const maxFiles = 512

// Collect reads /etc/sudoers and everything it includes. A missing
// /etc/sudoers gives a Policy with Present false.
func Collect(_ context.Context, t target.Target) (*Policy, error) {
	p := &Policy{Aliases: map[string][]string{}, Typed: map[string]map[string][]string{}}
	b, err := target.ReadFile(t, "etc/sudoers")
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read /etc/sudoers: %w", err)
	}
	p.Present = true
	if h, err := target.ReadFileLimit(t, "etc/hostname", 4096); err == nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(h)), "\n")
		p.Hostname, _, _ = strings.Cut(strings.TrimSpace(first), ".")
	}
	if err := p.load(t, "etc/sudoers", b, 0); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Policy) load(t target.Target, rel string, b []byte, depth int) error {
	file := target.Abs(rel)
	if len(p.Files) >= maxFiles {
		return fmt.Errorf("%s: sudoers includes more than %d files", file, maxFiles)
	}
	p.Files = append(p.Files, file)
	for _, st := range Parse(b, file) {
		switch st.Kind {
		case "default":
			p.Defaults = append(p.Defaults, st.Default)
		case "spec":
			p.Specs = append(p.Specs, st.Spec)
		case "alias":
			p.Aliases[st.Alias] = st.Members
			if p.Typed == nil {
				p.Typed = map[string]map[string][]string{}
			}
			if p.Typed[st.AliasType] == nil {
				p.Typed[st.AliasType] = map[string][]string{}
			}
			p.Typed[st.AliasType][st.Alias] = st.Members
		case "include", "includedir":
			if depth >= maxDepth {
				return fmt.Errorf("%s:%d: sudoers include depth exceeds %d", file, st.Line, maxDepth)
			}
			inc := st.Path
			if !path.IsAbs(inc) {
				inc = path.Join(path.Dir(file), inc)
			}
			inc = target.Clean(inc)
			if st.Kind == "include" {
				ib, err := target.ReadFile(t, inc)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return fmt.Errorf("%s:%d: read include %s: %w", file, st.Line, target.Abs(inc), err)
				}
				if err := p.load(t, inc, ib, depth+1); err != nil {
					return err
				}
				continue
			}
			ents, err := t.ReadDir(inc)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s:%d: list %s: %w", file, st.Line, target.Abs(inc), err)
			}
			var names []string
			for _, e := range ents {
				// sudo skips names ending in "~" or containing ".".
				if strings.HasSuffix(e.Name, "~") || strings.Contains(e.Name, ".") {
					continue
				}
				names = append(names, e.Name)
			}
			sort.Strings(names)
			for _, n := range names {
				fp := path.Join(inc, n)
				if fi, err := t.Stat(fp); err != nil || !fi.Mode.IsRegular() {
					continue
				}
				ib, err := target.ReadFile(t, fp)
				if err != nil {
					return fmt.Errorf("%s:%d: read include %s: %w", file, st.Line, target.Abs(fp), err)
				}
				if err := p.load(t, fp, ib, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Statement is one parsed sudoers line.
type Statement struct {
	Kind    string // default, spec, alias, include, includedir
	Line    int
	Default Default
	Spec    Spec
	Alias   string
	// AliasType is "User", "Runas", "Host" or "Cmnd" (Cmd_Alias too).
	AliasType string
	Members   []string
	Path      string
}

// maxLine bounds one logical line; longer lines are skipped by Parse and
// refused by Validate.
const maxLine = 64 << 10

// Parse parses sudoers content without following includes.
func Parse(b []byte, file string) []Statement {
	var out []Statement
	sudoersLines.Each(b, func(n int, line string) {
		out = append(out, parseLine(line, file, n)...)
	})
	return out
}

// sudoersLines: a trailing backslash continues a line, except a comment.
var sudoersLines = textline.Continued{Max: maxLine, NoContinue: isComment}

func isComment(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "#include") && !(len(t) > 1 && t[1] >= '0' && t[1] <= '9')
}

// stripComment removes a "#" comment outside quotes.
func stripComment(s string) string {
	if i := CommentIndex(s); i >= 0 {
		return s[:i]
	}
	return s
}

// CommentIndex is the index of the "#" that starts a comment outside
// quotes in a sudoers line, or -1; "#" followed by a digit is a numeric
// uid, not a comment.
func CommentIndex(s string) int {
	inq := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '"':
			inq = !inq
		case c == '#' && !inq && !(i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			return i
		}
	}
	return -1
}

func parseLine(raw, file string, n int) []Statement {
	t := strings.TrimSpace(raw)
	for _, d := range []string{"@includedir", "#includedir", "@include", "#include"} {
		if rest, ok := strings.CutPrefix(t, d); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			p := strings.Trim(strings.TrimSpace(rest), `"`)
			if p == "" {
				return nil
			}
			kind := "include"
			if strings.HasSuffix(d, "dir") {
				kind = "includedir"
			}
			return []Statement{{Kind: kind, Line: n, Path: p}}
		}
	}
	t = strings.TrimSpace(stripComment(t))
	if t == "" {
		return nil
	}
	word, rest := cutWord(t)
	switch {
	case word == "Defaults" || strings.HasPrefix(word, "Defaults") && strings.ContainsAny(word[8:9], ":@>!"):
		binding := strings.TrimPrefix(word, "Defaults")
		var out []Statement
		for _, item := range splitList(rest) {
			d := Default{Binding: binding, File: file, Line: n}
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			for _, op := range []string{"+=", "-=", "="} {
				if i := strings.Index(item, op); i > 0 {
					d.Name, d.Op, d.Value = strings.TrimSpace(item[:i]), op, unquote(strings.TrimSpace(item[i+len(op):]))
					break
				}
			}
			if d.Op == "" {
				d.Name = item
				for strings.HasPrefix(d.Name, "!") {
					d.Negated = !d.Negated
					d.Name = strings.TrimSpace(d.Name[1:])
				}
			}
			out = append(out, Statement{Kind: "default", Line: n, Default: d})
		}
		return out
	case word == "User_Alias" || word == "Runas_Alias" || word == "Host_Alias" || word == "Cmnd_Alias" || word == "Cmd_Alias":
		var out []Statement
		typ := strings.TrimSuffix(strings.TrimSuffix(word, "_Alias"), "Cmd")
		if typ == "" {
			typ = "Cmnd"
		}
		for _, def := range strings.Split(rest, ":") {
			name, members, ok := strings.Cut(def, "=")
			if !ok {
				continue
			}
			out = append(out, Statement{Kind: "alias", Line: n, Alias: strings.TrimSpace(name), AliasType: typ, Members: trimAll(splitList(members))})
		}
		return out
	}
	return parseSpec(t, file, n)
}

// parseSpec parses "users hosts = (runas) TAGS: cmnds [: hosts = ...]".
func parseSpec(t, file string, n int) []Statement {
	eq := strings.Index(t, "=")
	if eq < 0 {
		return nil
	}
	lhs := normalizeCommas(strings.TrimSpace(t[:eq]))
	f := strings.Fields(lhs)
	if len(f) != 2 {
		return nil
	}
	users := trimAll(strings.Split(f[0], ","))
	hosts := trimAll(strings.Split(f[1], ","))
	var out []Statement
	rest := t[eq+1:]
	for priv := 0; ; priv++ {
		// A further "hosts = ..." group follows a ':' outside parentheses
		// and not part of a tag.
		spec, next, more := cutHostGroup(rest)
		for _, st := range parseCmnds(spec, users, hosts, file, n) {
			st.Spec.Priv = priv
			out = append(out, st)
		}
		if !more {
			break
		}
		h, r, ok := strings.Cut(next, "=")
		if !ok {
			break
		}
		hosts = trimAll(strings.Split(normalizeCommas(strings.TrimSpace(h)), ","))
		rest = r
	}
	return out
}

var tagNames = map[string]bool{"NOPASSWD": true, "PASSWD": true, "NOEXEC": true, "EXEC": true, "SETENV": true, "NOSETENV": true,
	"LOG_INPUT": true, "NOLOG_INPUT": true, "LOG_OUTPUT": true, "NOLOG_OUTPUT": true, "MAIL": true, "NOMAIL": true,
	"FOLLOW": true, "NOFOLLOW": true, "INTERCEPT": true, "NOINTERCEPT": true}

// cutHostGroup finds a ':' that starts another "Host_List =" group: one
// not preceded by a tag name and not inside parentheses or quotes.
func cutHostGroup(s string) (spec, rest string, more bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		case ':':
			if depth > 0 {
				continue
			}
			e := i
			for e > 0 && (s[e-1] == ' ' || s[e-1] == '\t') {
				e--
			}
			j := e
			for j > 0 && (s[j-1] >= 'A' && s[j-1] <= 'Z' || s[j-1] == '_') {
				j--
			}
			if tagNames[s[j:e]] {
				continue
			}
			// sudoers(5) requires ':' in a command's arguments to be
			// escaped, so any other ':' starts a "Host_List =" group,
			// whatever commas that list has.
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func parseCmnds(s string, users, hosts []string, file string, n int) []Statement {
	var out []Statement
	runas, seq := "", 0
	var tags []string
	for _, item := range splitList(s) {
		item = strings.TrimSpace(item)
		if strings.HasPrefix(item, "(") {
			if end := strings.IndexByte(item, ')'); end > 0 {
				seq++
				runas = strings.TrimSpace(item[1:end])
				item = strings.TrimSpace(item[end+1:])
			}
		}
		// sudoers(5): a Cmnd_Spec inherits the Runas_Spec and the tags of
		// the one before it in the same privilege, a new Runas_Spec
		// included, until the opposite tag overrides it.
		setenv := false
		for {
			i := strings.IndexByte(item, ':')
			if i <= 0 || !tagNames[strings.TrimSpace(item[:i])] {
				break
			}
			tag := strings.TrimSpace(item[:i])
			setenv = setenv || tag == "SETENV" || tag == "NOSETENV"
			tags = appendTag(tags, tag)
			item = strings.TrimSpace(item[i+1:])
		}
		if item == "" {
			continue
		}
		// The command ALL (not negated) implies SETENV unless this
		// Cmnd_Spec writes the tag itself; that implied value is neither
		// listed as a tag nor passed on to the next Cmnd_Spec, which then
		// inherits no SETENV/NOSETENV at all (sudoers(5) on SETENV;
		// sudo's gram.y marks it IMPLIED).
		if item == "ALL" && !setenv {
			tags = slices.DeleteFunc(tags, func(t string) bool { return t == "SETENV" || t == "NOSETENV" })
		}
		out = append(out, Statement{Kind: "spec", Line: n, Spec: Spec{Users: users, Hosts: hosts, RunAs: runas,
			Tags: slices.Clone(tags), Commands: []string{item}, File: file, Line: n, RunasSeq: seq}})
	}
	return out
}

// appendTag adds tag, replacing its opposite (PASSWD vs NOPASSWD) in
// place, so a restated tag keeps its position.
func appendTag(tags []string, tag string) []string {
	opp := "NO" + tag
	if strings.HasPrefix(tag, "NO") {
		opp = tag[2:]
	}
	out := slices.Clone(tags)
	for i, t := range out {
		if t == opp || t == tag {
			out[i] = tag
			return out
		}
	}
	return append(out, tag)
}

func cutWord(s string) (string, string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+1:])
}

// splitList splits on commas outside quotes and parentheses.
func splitList(s string) []string {
	var out []string
	depth, inq, last := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			inq = !inq
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if !inq && depth <= 0 {
				out = append(out, s[last:i])
				last = i + 1
			}
		}
	}
	if last <= len(s) {
		out = append(out, s[last:])
	}
	return out
}

func normalizeCommas(s string) string {
	f := strings.Split(s, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return strings.Join(f, ",")
}

func trimAll(v []string) []string {
	out := v[:0:0]
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// Effective returns the last global Defaults entry for name, or nil.
func (p *Policy) Effective(name string) *Default {
	var d *Default
	for i := range p.Defaults {
		if p.Defaults[i].Binding == "" && p.Defaults[i].Name == name {
			d = &p.Defaults[i]
		}
	}
	return d
}
