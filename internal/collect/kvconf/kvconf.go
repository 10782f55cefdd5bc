// Package kvconf parses the simple key-value configuration files Linux
// security settings live in: login.defs(5) style "KEY value" files,
// "key = value" files (pwquality.conf, faillock.conf, auditd.conf,
// /etc/default/useradd), and systemd INI files with their drop-in
// directories (journald.conf, coredump.conf, timesyncd.conf). Every entry
// keeps the file and line it came from, for evidence.
package kvconf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Syntax names a file format.
type Syntax string

const (
	// Space is "KEY value" (login.defs, chrony.conf): the key ends at the
	// first blank, the rest of the line is the value.
	Space Syntax = "space"
	// Equals is "key = value" (pwquality.conf, auditd.conf), with optional
	// shell-style quotes around the value (/etc/default/useradd). A line
	// without "=" is a bare flag (faillock.conf "audit") with an empty value.
	Equals Syntax = "equals"
	// Systemd is an INI file with [Section] headers, "Key=Value" lines,
	// '#' and ';' comments and backslash line continuation.
	Systemd Syntax = "systemd"
	// Pwquality is libpwquality's pwquality.conf(5): "name = value" or
	// "name value", '#' starts a comment anywhere, names are matched
	// case-insensitively, and "<path>.d/*.conf" is read before the path
	// itself (see readPwquality).
	Pwquality Syntax = "pwquality"
)

// ParseSyntax validates a syntax name.
func ParseSyntax(s string) (Syntax, error) {
	switch Syntax(s) {
	case Space, Equals, Systemd, Pwquality:
		return Syntax(s), nil
	}
	return "", fmt.Errorf("unknown syntax %q (want space, equals, systemd or pwquality)", s)
}

// Entry is one setting.
type Entry struct {
	Section string `json:"section,omitempty"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	File    string `json:"file"` // absolute, as in the target ("/etc/login.defs")
	Line    int    `json:"line"`
}

// maxLine bounds one logical line; longer lines are skipped.
const maxLine = 64 << 10

// plainLines are the lines of the space and equals syntaxes; iniLines
// join a trailing backslash (blanks after it allowed) as systemd does,
// except in comments.
var (
	plainLines = textline.Continued{Max: maxLine, NoContinue: func(string) bool { return true }}
	iniLines   = textline.Continued{Max: maxLine, TrailingBlanks: true, NoContinue: func(l string) bool {
		return strings.HasPrefix(strings.TrimSpace(l), "#")
	}}
)

// Parse parses content in the given syntax. file is recorded in entries.
func Parse(b []byte, syn Syntax, file string) []Entry {
	switch syn {
	case Systemd:
		return parseINI(b, file)
	case Pwquality:
		out, _ := parsePwquality(b, file)
		return out
	}
	var out []Entry
	plainLines.Each(b, func(n int, line string) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			return
		}
		var k, v string
		switch syn {
		case Equals:
			var ok bool
			k, v, ok = strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			v = strings.TrimSpace(v)
			if !ok {
				k, v = line, ""
				if strings.ContainsAny(k, " \t") {
					return
				}
			}
			v = unquote(stripTrailingComment(v))
		default:
			i := strings.IndexAny(line, " \t")
			if i < 0 {
				k = line
			} else {
				k, v = line[:i], strings.TrimSpace(line[i+1:])
			}
			v = unquote(v)
		}
		if k == "" {
			return
		}
		out = append(out, Entry{Key: k, Value: v, File: file, Line: n})
	})
	return out
}

// stripTrailingComment removes " # comment" after an unquoted value.
func stripTrailingComment(v string) string {
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`) {
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	return v
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		if v[0] == '"' {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
		}
		return v[1 : len(v)-1]
	}
	return v
}

func parseINI(b []byte, file string) []Entry {
	var out []Entry
	section := ""
	iniLines.Each(b, func(n int, line string) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			return
		}
		if line[0] == '[' {
			if end := strings.IndexByte(line, ']'); end > 0 {
				section = line[1:end]
			}
			return
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return
		}
		k = strings.TrimSpace(k)
		if k == "" {
			return
		}
		out = append(out, Entry{Section: section, Key: k, Value: unquote(strings.TrimSpace(v)), File: file, Line: n})
	})
	return out
}

// Config is the ordered entries of one logical configuration: the files
// read, in the order the consuming program reads them.
type Config struct {
	Syntax Syntax `json:"syntax"`
	// Files lists the files read, in order.
	Files   []string `json:"files"`
	Entries []Entry  `json:"entries"`
	// Missing lists requested files that do not exist.
	Missing []string `json:"missing,omitempty"`
	// Stopped is where the program stopped reading (pwquality syntax: an
	// unknown setting or a bad value ends the whole read); entries and
	// files after it are not in the configuration.
	Stopped *Stop `json:"stopped,omitempty"`
}

// Source names what to read: Paths are root-relative files or globs
// (path.Match in the last element, matches read in sorted order), read in
// the order given. For Systemd, DropIns adds the standard "<name>.d/*.conf"
// directories of the first path (vendor, runtime and admin), merged by file
// name with /etc taking precedence, as systemd does.
type Source struct {
	Syntax  Syntax
	Paths   []string
	DropIns bool
}

func (s Source) key() string {
	return "kvconf:" + string(s.Syntax) + ":" + strconv.FormatBool(s.DropIns) + ":" + strings.Join(s.Paths, "\x00")
}

// Get returns the memoised configuration for src.
func Get(st *facts.Store, src Source) (*Config, error) {
	return facts.Get(st, src.key(), func(ctx context.Context, s *facts.Store) (*Config, error) {
		return Collect(ctx, s.Target(), src)
	})
}

// Collect reads src from t. Absent files are listed in Missing; any other
// read error fails the collection.
func Collect(_ context.Context, t target.Target, src Source) (*Config, error) {
	c := &Config{Syntax: src.Syntax}
	if src.Syntax == Pwquality {
		return c, readPwquality(t, src, c)
	}
	files, err := expand(t, src)
	if err != nil {
		return nil, err
	}
	for _, p := range files {
		b, err := target.ReadFile(t, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				c.Missing = append(c.Missing, target.Abs(p))
				continue
			}
			return nil, fmt.Errorf("read %s: %w", target.Abs(p), err)
		}
		c.Files = append(c.Files, target.Abs(p))
		c.Entries = append(c.Entries, Parse(b, src.Syntax, target.Abs(p))...)
	}
	return c, nil
}

func expand(t target.Target, src Source) ([]string, error) {
	var out []string
	for _, p := range src.Paths {
		p = target.Clean(p)
		dir, base := path.Split(p)
		if !strings.ContainsAny(base, "*?[") {
			out = append(out, p)
			continue
		}
		m, err := target.Glob(t, dir, base)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", target.Abs(dir), err)
		}
		out = append(out, regularOnly(t, m)...)
	}
	if src.Syntax == Systemd && src.DropIns && len(src.Paths) > 0 {
		d, err := dropIns(t, target.Clean(src.Paths[0]))
		if err != nil {
			return nil, err
		}
		out = append(out, d...)
	}
	return out, nil
}

func regularOnly(t target.Target, ps []string) []string {
	var out []string
	for _, p := range ps {
		if fi, err := t.Stat(p); err == nil && fi.Mode.IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// dropIns lists systemd drop-ins for main ("etc/systemd/journald.conf"):
// *.conf in /usr/lib, /usr/local/lib, /run and /etc "<rel>.d" directories;
// a name in a later (higher-priority) directory masks the same name in an
// earlier one; the survivors are read sorted by file name.
func dropIns(t target.Target, main string) ([]string, error) {
	rel := strings.TrimPrefix(main, "etc/")
	byName := map[string]string{}
	for _, dir := range []string{"usr/lib/", "usr/local/lib/", "run/", "etc/"} {
		d := dir + rel + ".d"
		m, err := target.Glob(t, d, "*.conf")
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", target.Abs(d), err)
		}
		for _, p := range m {
			byName[path.Base(p)] = p
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		out = append(out, regularOnly(t, []string{byName[n]})...)
	}
	return out, nil
}

// Lookup returns the effective entry for key (in section, for systemd;
// "" matches any section), or nil. With first, the first occurrence wins,
// otherwise the last. fold compares keys case-insensitively.
func (c *Config) Lookup(section, key string, first, fold bool) *Entry {
	fold = fold || c.Syntax == Pwquality
	var found *Entry
	for i := range c.Entries {
		e := &c.Entries[i]
		if section != "" && e.Section != section {
			continue
		}
		if e.Key != key && !(fold && strings.EqualFold(e.Key, key)) {
			continue
		}
		if first {
			return e
		}
		found = e
	}
	return found
}
