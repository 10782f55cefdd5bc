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
	"syscall"

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

// Collect reads the rules augenrules would load, in the order it writes
// them to audit.rules (Merge).
func Collect(_ context.Context, t target.Target) (*Set, error) {
	s := &Set{}
	if _, err := t.Stat("etc/audit"); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return s, nil
		}
		return nil, fmt.Errorf("stat /etc/audit: %w", err)
	}
	s.Installed = true
	lines, files, err := Merge(t)
	if err != nil {
		return nil, err
	}
	s.Files = files
	for _, l := range lines {
		r, ok := ParseLine(strings.TrimSpace(l.Text))
		if !ok {
			continue
		}
		r.File, r.Line = l.File, l.Line
		if r.Kind == "control" && r.Option == "-D" {
			s.Rules = deleteRules(s.Rules, r.Keys)
		}
		s.Rules = append(s.Rules, r)
	}
	return s, nil
}

// deleteRules applies a -D loaded after rules: auditctl(8) deletes every
// rule and watch loaded so far, or with -k only those with that key.
// Control settings stay.
func deleteRules(rules []Rule, keys []string) []Rule {
	out := rules[:0]
	for _, r := range rules {
		if r.Kind == "control" || len(keys) > 0 && !sharesKey(r.Keys, keys) {
			out = append(out, r)
		}
	}
	return out
}

func sharesKey(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// Line is one line of the merged rules with where it came from.
type Line struct {
	Text string
	File string
	Line int
}

// maxMerged bounds the merged rule lines of one target.
const maxMerged = 1 << 20

// Merge builds the rule file augenrules(8) generates from
// /etc/audit/rules.d, as its script does:
//   - the files are those "ls -1v rules.d | grep '\.rules$'" lists: no
//     hidden names, sorted as GNU ls -v (filevercmp, ties by byte order);
//     what cat cannot read (a directory) adds nothing;
//   - the files are concatenated with cat, so a file without a final
//     newline runs into the first line of the next;
//   - empty lines and lines starting with optional blanks and '#' are
//     dropped; the last bare "-D" goes first, then the last "-b" and the
//     last "-f" (lines starting with them), then the other lines in order,
//     and the last line starting with "-e" goes last.
//
// Without a rules.d directory augenrules loads the existing
// /etc/audit/audit.rules, which is read as it is; with one, an empty
// rules.d loads no rules.
func Merge(t target.Target) ([]Line, []string, error) {
	names, dir, err := RulesFiles(t)
	if err != nil {
		return nil, nil, err
	}
	if !dir {
		b, err := target.ReadFile(t, "etc/audit/audit.rules")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read /etc/audit/audit.rules: %w", err)
		}
		var out []Line
		for i, raw := range textline.Split(b) {
			out = append(out, Line{Text: raw, File: "/etc/audit/audit.rules", Line: i + 1})
		}
		return out, []string{"/etc/audit/audit.rules"}, nil
	}
	var (
		cat   []Line
		files []string
		open  bool // the last file ended without a newline
	)
	for _, n := range names {
		rel := "etc/audit/rules.d/" + n
		if fi, err := t.Stat(rel); err == nil && fi.Mode.IsDir() {
			continue
		}
		b, err := target.ReadFile(t, rel)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, nil, fmt.Errorf("read %s: %w", target.Abs(rel), err)
		}
		if len(b) == 0 {
			continue
		}
		file := target.Abs(rel)
		files = append(files, file)
		parts := strings.Split(string(b), "\n")
		ends := parts[len(parts)-1] == ""
		if ends {
			parts = parts[:len(parts)-1]
		}
		for i, p := range parts {
			if i == 0 && open && len(cat) > 0 {
				cat[len(cat)-1].Text += p
				continue
			}
			cat = append(cat, Line{Text: p, File: file, Line: i + 1})
			if len(cat) > maxMerged {
				return nil, nil, fmt.Errorf("%s: more than %d audit rule lines", file, maxMerged)
			}
		}
		open = !ends
	}
	// augenrules matches "^\\s*#", "^\\s*-e", ... in awk. GNU awk reads
	// \s as a blank; mawk (Debian's default awk) and the one-true-awk read
	// it as a literal "s", so there indented lines are ordinary rules.
	blank := " \t\v\f\r"
	if !gnuAwk(t) {
		blank = "s"
	}
	var minusD, minusB, minusF, minusE *Line
	var rest []Line
	for i := range cat {
		l := &cat[i]
		body := strings.TrimLeft(l.Text, blank)
		switch {
		case l.Text == "", strings.HasPrefix(body, "#"):
		case strings.HasPrefix(body, "-e"):
			minusE = l
		case strings.HasPrefix(body, "-D") && strings.TrimRight(body[2:], blank) == "":
			minusD = l
		case strings.HasPrefix(body, "-f"):
			minusF = l
		case strings.HasPrefix(body, "-b"):
			minusB = l
		default:
			rest = append(rest, *l)
		}
	}
	var out []Line
	for _, l := range []*Line{minusD, minusB, minusF} {
		if l != nil {
			out = append(out, *l)
		}
	}
	out = append(out, rest...)
	if minusE != nil {
		out = append(out, *minusE)
	}
	return out, files, nil
}

// gnuAwk reports whether the target's awk (the one augenrules runs) is
// GNU awk, following /usr/bin/awk through the alternatives links.
func gnuAwk(t target.Target) bool {
	p := "usr/bin/awk"
	for range 8 {
		l, err := t.Readlink(p)
		if err != nil {
			break
		}
		if !strings.HasPrefix(l, "/") {
			l = path.Join(path.Dir(p), l)
		}
		p = target.Clean(l)
	}
	return strings.Contains(path.Base(p), "gawk")
}

// RulesFiles lists the names augenrules reads from /etc/audit/rules.d, in
// its order, and whether the directory exists.
func RulesFiles(t target.Target) ([]string, bool, error) {
	ents, err := t.ReadDir("etc/audit/rules.d")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("list /etc/audit/rules.d: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name, ".") && strings.HasSuffix(e.Name, ".rules") {
			names = append(names, e.Name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return lsVersionLess(names[i], names[j]) })
	return names, true, nil
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
