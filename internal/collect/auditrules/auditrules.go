// Package auditrules parses Linux audit rules in auditctl(8) syntax, as
// augenrules(8) loads them: /etc/audit/rules.d/*.rules in order, or
// /etc/audit/audit.rules when rules.d holds none. Watches (-w), syscall
// rules (-a/-A with -S and -F) and control lines (-D, -b, -f, -e, ...) are
// recorded with the file and line they came from.
package auditrules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Field is one -F filter.
type Field struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

func (f Field) String() string { return f.Name + f.Op + f.Value }

// Rule is one audit rule line.
type Rule struct {
	// Kind is "watch", "syscall" or "control".
	Kind string `json:"kind"`
	// Watch: Path and Perms (default "rwxa").
	Path  string `json:"path,omitempty"`
	Perms string `json:"perms,omitempty"`
	// Syscall: Action ("always", "never"), List ("exit", "task", ...).
	Action   string   `json:"action,omitempty"`
	List     string   `json:"list,omitempty"`
	Syscalls []string `json:"syscalls,omitempty"`
	Fields   []Field  `json:"fields,omitempty"`
	Keys     []string `json:"keys,omitempty"`
	// Control: Option ("-e", "-b", "-D", "-f", "--backlog_wait_time", ...) and Value.
	Option string `json:"option,omitempty"`
	Value  string `json:"value,omitempty"`
	Raw    string `json:"raw"`
	File   string `json:"file"`
	Line   int    `json:"line"`
}

// Field returns the value of the first -F with name and op.
func (r *Rule) Field(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Set is the audit configuration of a target.
type Set struct {
	// Installed is false when /etc/audit does not exist.
	Installed bool     `json:"installed"`
	Files     []string `json:"files"`
	Rules     []Rule   `json:"rules"`
}

// Key is the fact-store key.
const Key = "auditrules"

// Get returns the memoised audit rules.
func Get(s *facts.Store) (*Set, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads the rules augenrules would load.
func Collect(_ context.Context, t target.Target) (*Set, error) {
	s := &Set{}
	if _, err := t.Stat("etc/audit"); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return s, nil
		}
		return nil, fmt.Errorf("stat /etc/audit: %w", err)
	}
	s.Installed = true
	files, err := target.Glob(t, "etc/audit/rules.d", "*.rules")
	if err != nil {
		return nil, fmt.Errorf("list /etc/audit/rules.d: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return versionLess(path.Base(files[i]), path.Base(files[j])) })
	if len(files) == 0 {
		files = []string{"etc/audit/audit.rules"}
	}
	for _, f := range files {
		b, err := target.ReadFile(t, f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", target.Abs(f), err)
		}
		s.Files = append(s.Files, target.Abs(f))
		s.Rules = append(s.Rules, Parse(b, target.Abs(f))...)
	}
	return s, nil
}

// versionLess orders names as "ls -v" (augenrules): digit runs compare
// numerically.
func versionLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// Parse parses audit rules content; unparseable lines are skipped.
func Parse(b []byte, file string) []Rule {
	var out []Rule
	for i, raw := range textline.Split(b) {
		n := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		if r, ok := ParseLine(line); ok {
			r.File, r.Line = file, n
			out = append(out, r)
		}
	}
	return out
}

// ParseLine parses one auditctl rule.
func ParseLine(line string) (Rule, bool) {
	toks := fields(line)
	if len(toks) == 0 {
		return Rule{}, false
	}
	r := Rule{Raw: line}
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		// "-F key=value" may also be written "-Fkey=value".
		opt, val := tok, ""
		if len(tok) > 2 && tok[0] == '-' && tok[1] != '-' {
			opt, val = tok[:2], tok[2:]
		} else if k, v, ok := strings.Cut(tok, "="); ok && strings.HasPrefix(tok, "--") {
			opt, val = k, v
		}
		next := func() string {
			if val != "" {
				return val
			}
			i++
			if i < len(toks) {
				return toks[i]
			}
			return ""
		}
		switch opt {
		case "-w":
			r.Kind, r.Path = "watch", next()
		case "-W":
			return Rule{}, false // removes a watch
		case "-p":
			r.Perms = next()
		case "-k":
			r.Keys = append(r.Keys, next())
		case "-a", "-A":
			r.Kind = "syscall"
			a, l, _ := strings.Cut(next(), ",")
			// Both "always,exit" and "exit,always" are accepted.
			if isAction(l) {
				a, l = l, a
			}
			r.Action, r.List = a, l
		case "-d":
			return Rule{}, false
		case "-S":
			for _, s := range strings.Split(next(), ",") {
				if s = strings.TrimSpace(s); s != "" {
					r.Syscalls = append(r.Syscalls, s)
				}
			}
		case "-F":
			f, ok := parseField(next())
			if !ok {
				return Rule{}, false
			}
			if f.Name == "key" {
				r.Keys = append(r.Keys, f.Value)
				continue
			}
			r.Fields = append(r.Fields, f)
		case "-C":
			next()
		case "-D", "--loginuid-immutable", "--reset-lost":
			if r.Kind == "" {
				r.Kind, r.Option = "control", opt
			}
		case "-b", "-f", "-e", "-r", "--backlog_wait_time", "-t":
			if r.Kind == "" {
				r.Kind, r.Option, r.Value = "control", opt, next()
			} else {
				next()
			}
		default:
			// Unknown option: keep what was understood.
		}
	}
	if r.Kind == "" {
		return Rule{}, false
	}
	if r.Kind == "watch" && r.Perms == "" {
		r.Perms = "rwxa"
	}
	return r, true
}

func isAction(s string) bool { return s == "always" || s == "never" }

var fieldOps = []string{"!=", ">=", "<=", "&=", "=", ">", "<", "&"}

func parseField(s string) (Field, bool) {
	for i := 0; i < len(s); i++ {
		for _, op := range fieldOps {
			if strings.HasPrefix(s[i:], op) && i > 0 {
				return Field{Name: s[:i], Op: op, Value: s[i+len(op):]}, true
			}
		}
	}
	return Field{}, false
}

// fields splits on blanks, honouring double quotes.
func fields(s string) []string {
	var out []string
	var cur strings.Builder
	inq, has := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inq, has = !inq, true
		case !inq && (c == ' ' || c == '\t'):
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		case !inq && c == '#' && !has:
			// trailing comment
			i = len(s)
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

// Last returns the last control rule with option opt, or nil.
func (s *Set) Last(opt string) *Rule {
	var r *Rule
	for i := range s.Rules {
		if s.Rules[i].Kind == "control" && s.Rules[i].Option == opt {
			r = &s.Rules[i]
		}
	}
	return r
}
