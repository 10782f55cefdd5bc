// Package sysctl collects kernel parameters of a target: the values
// persisted in sysctl.d(5) configuration, applied as systemd-sysctl does
// (sysctl.d(5): files from /etc, /run, /usr/local/lib, /usr/lib and /lib
// sorted by base name, a file in an earlier directory masking same-named
// later ones, later assignments winning, explicit names over globs, "-key"
// exempting a name from globs; /etc/sysctl.conf last as procps' sysctl
// --system reads it, on trees without systemd-sysctl), with the kernel's
// aliases and side effects (resolve.go), and on a live target the running
// values under /proc/sys.
package sysctl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Dirs are the sysctl.d directories in precedence order.
var Dirs = []string{"etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d", "lib/sysctl.d"}

// SysctlConf is the legacy file procps reads after the directories.
const SysctlConf = "etc/sysctl.conf"

// Line is one assignment in a sysctl.d file.
type Line struct {
	Num   int    `json:"line"`
	Key   string `json:"key"` // dotted form, e.g. net.ipv4.conf.eth0/100.rp_filter
	Value string `json:"value"`
	// IgnoreFailure is the "-" prefix: a failing write is not an error.
	IgnoreFailure bool `json:"ignore_failure,omitempty"`
	// Exclude is a "-key" line without a value: the key is exempt from
	// glob assignments (systemd 252+).
	Exclude bool `json:"exclude,omitempty"`
	Glob    bool `json:"glob,omitempty"`
}

// Assignment is a Line with the file it is in.
type Assignment struct {
	Line
	File string `json:"file"` // absolute path in the target
	// Via is set on a resolved value the line set under another name
	// (an alias) or as a side effect of writing another variable: that
	// variable's name.
	Via string `json:"via,omitempty"`
}

// Config is the persisted sysctl configuration.
type Config struct {
	// Files in the order they are applied.
	Files []string `json:"files"`
	// Masked lists files masked by a /dev/null symlink or an earlier
	// same-named file.
	Masked      []string     `json:"masked,omitempty"`
	Assignments []Assignment `json:"assignments"`
	// Ignored names configuration that looks persisted but is not applied
	// at boot (an /etc/sysctl.conf no sysctl.d link points at on a
	// systemd tree).
	Ignored []string `json:"ignored,omitempty"`

	once  sync.Once
	base  *sim            // the replay over every known name
	known map[string]bool // the names base covers
}

// Key is the fact-store key.
const Key = "sysctl"

// Get returns the memoised persisted configuration.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// maxFiles bounds the configuration files read, maxAssignments the lines
// kept from them.
const (
	maxFiles       = 1024
	maxAssignments = 1 << 16
)

// Collect reads the persisted sysctl configuration of t.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{}
	chosen := map[string]string{} // base name -> root-relative path
	var names []string
	for _, d := range Dirs {
		ents, err := t.ReadDir(d)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
				continue
			}
			return nil, fmt.Errorf("sysctl: %w", err)
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name, ".conf") {
				continue
			}
			p := path.Join(d, e.Name)
			if prev, ok := chosen[e.Name]; ok {
				if !samePath(t, prev, p) {
					c.Masked = append(c.Masked, target.Abs(p)+" (by "+target.Abs(prev)+")")
				}
				continue
			}
			chosen[e.Name] = p
			names = append(names, e.Name)
			if len(names) > maxFiles {
				return nil, fmt.Errorf("sysctl: more than %d configuration files", maxFiles)
			}
		}
	}
	sort.Strings(names)
	readConf := false
	for _, n := range names {
		p := chosen[n]
		if l, err := t.Readlink(p); err == nil && l == "/dev/null" {
			c.Masked = append(c.Masked, target.Abs(p)+" (masked by /dev/null)")
			continue
		}
		file := p
		// Debian and RHEL link 99-sysctl.conf to ../sysctl.conf; name
		// the real file in evidence.
		if l, err := t.Readlink(p); err == nil {
			res := target.Clean(path.Join(path.Dir(p), l))
			if path.IsAbs(l) {
				res = target.Clean(l)
			}
			file = res
		}
		if file == SysctlConf {
			readConf = true
		}
		if err := c.read(t, p, file); err != nil {
			return nil, err
		}
	}
	if !readConf && systemdSysctl(t) {
		// systemd-sysctl reads only sysctl.d; Debian and RHEL apply
		// /etc/sysctl.conf through their 99-sysctl.conf link alone, and
		// alias procps.service to systemd-sysctl.service.
		if fi, err := t.Stat(SysctlConf); err == nil && fi.Mode.IsRegular() {
			c.Ignored = append(c.Ignored, target.Abs(SysctlConf)+" (systemd-sysctl reads it only through a sysctl.d link such as 99-sysctl.conf)")
		}
	} else if !readConf {
		if err := c.read(t, SysctlConf, SysctlConf); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return c, nil
}

func (c *Config) read(t target.Target, p, file string) error {
	if fi, err := t.Stat(p); err == nil && !fi.Mode.IsRegular() {
		return nil // systemd-sysctl only reads regular files
	}
	b, err := target.ReadFile(t, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && p == SysctlConf {
			return err
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // dangling symlink: systemd skips it
		}
		return fmt.Errorf("sysctl: %w", err)
	}
	c.Files = append(c.Files, target.Abs(file))
	for _, l := range Parse(b) {
		if len(c.Assignments) >= maxAssignments {
			return fmt.Errorf("sysctl: more than %d assignments", maxAssignments)
		}
		c.Assignments = append(c.Assignments, Assignment{Line: l, File: target.Abs(file)})
	}
	return nil
}

// systemdSysctl reports whether the tree boots with systemd-sysctl.
func systemdSysctl(t target.Target) bool {
	for _, p := range []string{"usr/lib/systemd/systemd-sysctl", "lib/systemd/systemd-sysctl"} {
		if fi, err := t.Stat(p); err == nil && fi.Mode.IsRegular() {
			return true
		}
	}
	return false
}

func samePath(t target.Target, a, b string) bool {
	fa, err1 := t.Stat(a)
	fb, err2 := t.Stat(b)
	return err1 == nil && err2 == nil && fa.Dev == fb.Dev && fa.Ino == fb.Ino && fa.Ino != 0
}

func isNotDir(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not a directory")
}

// Parse parses sysctl.d(5) content: "key = value" lines, "#" and ";"
// comments, an optional "-" prefix, keys with "." or "/" separators.
func Parse(b []byte) []Line {
	var out []Line
	n := 0
	for _, text := range textline.Split(b) {
		n++
		s := strings.TrimSpace(text)
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		k, v, hasValue := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		l := Line{Num: n, Value: NormalizeValue(v)}
		if strings.HasPrefix(k, "-") {
			l.IgnoreFailure = true
			k = strings.TrimSpace(k[1:])
		}
		l.Key = NormalizeKey(k)
		if l.Key == "" {
			continue
		}
		if !hasValue {
			if !l.IgnoreFailure {
				continue // systemd warns and ignores the line
			}
			l.Exclude, l.IgnoreFailure = true, false
		}
		l.Glob = strings.ContainsAny(l.Key, "*?[")
		out = append(out, l)
	}
	return out
}

// NormalizeKey returns the dotted form of a sysctl key. As in sysctl(8),
// a key whose first separator is "/" is a path: its slashes become dots
// and its dots (inside interface names such as eth0.100) become slashes.
func NormalizeKey(k string) string {
	k = strings.TrimSpace(k)
	i := strings.IndexAny(k, "./")
	if i >= 0 && k[i] == '/' {
		k = strings.Map(func(r rune) rune {
			switch r {
			case '/':
				return '.'
			case '.':
				return '/'
			}
			return r
		}, k)
	}
	k = strings.Trim(k, ".")
	for strings.Contains(k, "..") {
		k = strings.ReplaceAll(k, "..", ".")
	}
	return k
}

// ProcPath returns the root-relative /proc/sys file of a dotted key.
func ProcPath(key string) string {
	p := strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, key)
	return path.Join("proc/sys", target.Clean(p))
}

// NormalizeValue trims a value and collapses internal whitespace, as the
// kernel prints multi-field values with tabs.
func NormalizeValue(v string) string {
	return strings.Join(strings.Fields(v), " ")
}

// Runtime reads the running value of key from /proc/sys of t. Callers
// must only use it on live targets.
func Runtime(t target.Target, key string) (string, string, error) {
	p := ProcPath(NormalizeKey(key))
	b, err := target.ReadFile(t, p)
	if err != nil {
		return "", target.Abs(p), err
	}
	return NormalizeValue(string(b)), target.Abs(p), nil
}
