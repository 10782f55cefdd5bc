// Package rsyslog parses rsyslog.conf(5) in both the legacy "$Directive"
// syntax and RainerScript objects (module(), action(), global(),
// include()), following $IncludeConfig and include() with a bounded depth.
// It records directives and object parameters with their file and line;
// selector lines are not interpreted.
package rsyslog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Statement is a legacy directive, a RainerScript object or a legacy
// forwarding selector line.
type Statement struct {
	// Kind is "directive" for "$Name value", "forward" for a selector
	// line forwarding to "@host"/"@@host" (Value is the action field),
	// otherwise the object name (module, action, global, input, include,
	// template, ...).
	Kind   string            `json:"kind"`
	Name   string            `json:"name,omitempty"` // directive name without "$"
	Value  string            `json:"value,omitempty"`
	Params map[string]string `json:"params,omitempty"` // lower-cased keys
	File   string            `json:"file"`
	Line   int               `json:"line"`
}

// Config is the parsed configuration.
type Config struct {
	Present    bool        `json:"present"`
	Files      []string    `json:"files"`
	Statements []Statement `json:"statements"`
}

// Key is the fact-store key.
const Key = "rsyslog"

// Get returns the memoised rsyslog configuration.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

const maxDepth = 8

// maxFiles bounds the files one configuration loads: depth alone does not,
// as K includes per file over D levels cost K^D.
const maxFiles = 512

// Collect reads /etc/rsyslog.conf and its includes.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{}
	b, err := target.ReadFile(t, "etc/rsyslog.conf")
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read /etc/rsyslog.conf: %w", err)
	}
	c.Present = true
	return c, c.load(t, "etc/rsyslog.conf", b, 0)
}

func (c *Config) load(t target.Target, rel string, b []byte, depth int) error {
	file := target.Abs(rel)
	if len(c.Files) >= maxFiles {
		return fmt.Errorf("%s: rsyslog configuration includes more than %d files", file, maxFiles)
	}
	c.Files = append(c.Files, file)
	for _, st := range Parse(b, file) {
		c.Statements = append(c.Statements, st)
		var pattern string
		switch {
		case st.Kind == "directive" && strings.EqualFold(st.Name, "IncludeConfig"):
			pattern = st.Value
		case st.Kind == "include":
			pattern = st.Params["file"]
		default:
			continue
		}
		if pattern == "" {
			continue
		}
		if depth >= maxDepth {
			return fmt.Errorf("%s:%d: rsyslog include depth exceeds %d", file, st.Line, maxDepth)
		}
		files, err := expand(t, pattern)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, st.Line, err)
		}
		for _, f := range files {
			ib, err := target.ReadFile(t, f)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s:%d: read include %s: %w", file, st.Line, target.Abs(f), err)
			}
			if err := c.load(t, f, ib, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func expand(t target.Target, pattern string) ([]string, error) {
	p := target.Clean(pattern)
	if strings.HasSuffix(pattern, "/") {
		p += "/*"
	}
	dir, base := path.Split(p)
	if !strings.ContainsAny(base, "*?[") {
		if fi, err := t.Stat(p); err == nil && fi.Mode.IsDir() {
			dir, base = p, "*"
		} else {
			return []string{p}, nil
		}
	}
	m, err := target.Glob(t, dir, base)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", target.Abs(dir), err)
	}
	var out []string
	for _, f := range m {
		if fi, err := t.Stat(f); err == nil && fi.Mode.IsRegular() {
			out = append(out, f)
		}
	}
	return out, nil
}

// maxSize bounds one configuration file.
const maxSize = 4 << 20

// Parse parses one file without following includes.
func Parse(b []byte, file string) []Statement {
	if len(b) > maxSize {
		b = b[:maxSize]
	}
	s := string(b)
	var out []Statement
	line := 1
	for i := 0; i < len(s); {
		// Skip blanks.
		c := s[i]
		if c == '\n' {
			line++
			i++
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '\n')
		if end < 0 {
			end = len(s) - i
		}
		rest := s[i : i+end]
		switch {
		case c == '#':
			i += end
		case c == '$':
			f := strings.Fields(rest[1:])
			if len(f) > 0 {
				st := Statement{Kind: "directive", Name: f[0], File: file, Line: line}
				if len(f) > 1 {
					st.Value = strings.Join(f[1:], " ")
					if k := strings.Index(st.Value, " #"); k >= 0 {
						st.Value = strings.TrimSpace(st.Value[:k])
					}
				}
				out = append(out, st)
			}
			i += end
		case c == '/' && strings.HasPrefix(rest, "/*"):
			close := strings.Index(s[i+2:], "*/")
			if close < 0 {
				return out
			}
			line += strings.Count(s[i:i+2+close+2], "\n")
			i += 2 + close + 2
		default:
			name := objectName(rest)
			open := i + strings.IndexByte(rest, '(')
			if name == "" {
				// A selector or an if-statement may carry an action on
				// the same line: "auth.* action(type=...)".
				k := actionIndex(rest)
				if k < 0 {
					if fw, ok := legacyForward(rest); ok {
						out = append(out, Statement{Kind: "forward", Value: fw, File: file, Line: line})
					}
					i += end
					continue
				}
				name, open = "action", i+k+len("action")
				for s[open] != '(' {
					open++
				}
			}
			params, n, ok := parseParams(s[open+1:])
			st := Statement{Kind: strings.ToLower(name), Params: params, File: file, Line: line}
			if !ok {
				out = append(out, st)
				return out
			}
			out = append(out, st)
			line += strings.Count(s[i:open+1+n], "\n")
			i = open + 1 + n
		}
	}
	return out
}

// legacyForward recognises a selector line whose action forwards to a
// remote host in the legacy syntax ("*.* @@(o)host:514;Tmpl" over TCP,
// "@host" over UDP; rsyslog.conf(5), "Remote Machine") and returns the
// action field.
func legacyForward(line string) (string, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.Contains(f[0], ".") {
		return "", false
	}
	act := f[1]
	if len(f) > 2 && strings.HasSuffix(f[0], ";") {
		act = f[2]
	}
	if !strings.HasPrefix(act, "@") || len(strings.TrimLeft(act, "@")) == 0 {
		return "", false
	}
	return act, true
}

// actionIndex finds "action(" in a selector line outside quotes, or -1.
func actionIndex(line string) int {
	inq := byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inq != 0:
			if c == inq {
				inq = 0
			}
		case c == '"' || c == '\'':
			inq = c
		case c == '#':
			return -1
		case strings.HasPrefix(line[i:], "action") && (i == 0 || !isWordByte(line[i-1])):
			j := i + len("action")
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			if j < len(line) && line[j] == '(' {
				return i
			}
		}
	}
	return -1
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// objectName returns the RainerScript object a line starts, if any.
func objectName(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if i == 0 || j >= len(s) || s[j] != '(' {
		return ""
	}
	switch strings.ToLower(s[:i]) {
	case "module", "action", "global", "input", "include", "template", "main_queue", "timezone", "parser", "lookup_table", "dyn_stats", "ruleset", "call", "set", "unset":
		return s[:i]
	}
	return ""
}

// parseParams reads name="value" pairs up to the closing parenthesis,
// returning the parameters and the bytes consumed.
func parseParams(s string) (map[string]string, int, bool) {
	params := map[string]string{}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ')':
			return params, i + 1, true
		case c == '#':
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return params, len(s), false
			}
			i += nl
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			k := i
			for i < len(s) && s[i] != '=' && s[i] != ')' && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' {
				i++
			}
			key := strings.ToLower(s[k:i])
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if i >= len(s) || s[i] != '=' {
				continue
			}
			i++
			for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				q := s[i]
				j := i + 1
				for j < len(s) && s[j] != q {
					if s[j] == '\\' {
						j++
					}
					j++
				}
				if j >= len(s) {
					return params, len(s), false
				}
				params[key] = s[i+1 : j]
				i = j + 1
				continue
			}
			v := i
			for i < len(s) && s[i] != ' ' && s[i] != ')' && s[i] != '\n' {
				i++
			}
			params[key] = s[v:i]
		}
	}
	return params, len(s), false
}
