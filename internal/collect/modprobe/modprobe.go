// Package modprobe collects kernel-module policy from modprobe.d(5):
// install, blacklist, alias, options and softdep commands from /etc, /run,
// /usr/local/lib, /usr/lib and /lib, with kmod's precedence (files sorted
// by base name, *.conf and *.alias files, a file in an earlier directory
// masking same-named later ones, case-sensitive commands, the first
// install command for a module winning — checked against the fixture's
// own `modprobe -c` and `modprobe -n -v` by kmod_diff_test.go), plus, on a
// live target, the modules currently loaded.
package modprobe

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

// Dirs are the modprobe.d directories in kmod's precedence order.
var Dirs = []string{"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "usr/lib/modprobe.d", "lib/modprobe.d"}

// Command is one modprobe.d command.
type Command struct {
	Verb   string   `json:"verb"`   // install, blacklist, alias, options, remove, softdep
	Module string   `json:"module"` // normalized ("-" becomes "_"); the alias name for alias
	Args   []string `json:"args"`   // the rest of the line
	File   string   `json:"file"`
	Line   int      `json:"line"`
}

// Rest returns the arguments joined back into one string.
func (c Command) Rest() string { return strings.Join(c.Args, " ") }

// Config is the module policy of a target.
type Config struct {
	Files    []string  `json:"files"`
	Commands []Command `json:"commands"`
	// Loaded holds the modules in /proc/modules; nil unless live.
	Loaded map[string]bool `json:"loaded,omitempty"`
	// Builtin holds modules compiled into an installed kernel
	// (lib/modules/*/modules.builtin), which no modprobe.d command can stop.
	Builtin map[string]string `json:"builtin,omitempty"`
}

// Key is the fact-store key.
const Key = "modprobe"

// Get returns the memoised module policy.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

const maxFiles = 1024

// Collect reads the module policy of t.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{}
	chosen := map[string]string{}
	var names []string
	for _, d := range Dirs {
		ents, err := t.ReadDir(d)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "not a directory") {
				continue
			}
			return nil, fmt.Errorf("modprobe.d: %w", err)
		}
		for _, e := range ents {
			// kmod reads *.conf and *.alias files and skips dot files
			// (libkmod-config.c, conf_files_filter_out).
			if strings.HasPrefix(e.Name, ".") || !strings.HasSuffix(e.Name, ".conf") && !strings.HasSuffix(e.Name, ".alias") {
				continue
			}
			if _, ok := chosen[e.Name]; ok {
				continue
			}
			chosen[e.Name] = path.Join(d, e.Name)
			names = append(names, e.Name)
			if len(names) > maxFiles {
				return nil, fmt.Errorf("modprobe.d: more than %d files", maxFiles)
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		p := chosen[n]
		if l, err := t.Readlink(p); err == nil && l == "/dev/null" {
			continue
		}
		if fi, err := t.Stat(p); err == nil && !fi.Mode.IsRegular() {
			continue
		}
		b, err := target.ReadFile(t, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("modprobe.d: %w", err)
		}
		c.Files = append(c.Files, target.Abs(p))
		for _, cmd := range Parse(b) {
			cmd.File = target.Abs(p)
			c.Commands = append(c.Commands, cmd)
		}
	}
	if err := c.builtin(t); err != nil {
		return nil, err
	}
	if t.Live() {
		b, err := target.ReadFile(t, "proc/modules")
		switch {
		case err == nil:
			c.Loaded = ParseProcModules(b)
		case errors.Is(err, fs.ErrNotExist):
		default:
			return nil, fmt.Errorf("modules: %w", err)
		}
	}
	return c, nil
}

// builtin reads modules.builtin of every installed kernel.
func (c *Config) builtin(t target.Target) error {
	for _, root := range []string{"usr/lib/modules", "lib/modules"} {
		ents, err := t.ReadDir(root)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := path.Join(root, e.Name, "modules.builtin")
			b, err := target.ReadFile(t, p)
			if err != nil {
				continue
			}
			if c.Builtin == nil {
				c.Builtin = map[string]string{}
			}
			for _, l := range textline.Split(b) {
				name := strings.TrimSuffix(path.Base(strings.TrimSpace(l)), ".ko")
				if name != "" && name != "." {
					c.Builtin[Normalize(name)] = target.Abs(p)
				}
			}
		}
		if c.Builtin != nil {
			return nil
		}
	}
	return nil
}

// Normalize makes module names comparable: kmod treats "-" and "_" alike.
func Normalize(m string) string { return strings.ReplaceAll(m, "-", "_") }

// Parse parses modprobe.d(5) content: one command per line, "#" comments,
// a trailing backslash continuing the line.
func Parse(b []byte) []Command {
	var out []Command
	modprobeLines.Each(b, func(n int, line string) {
		if c, ok := parseLine(line); ok {
			c.Line = n
			out = append(out, c)
		}
	})
	return out
}

// modprobeLines: a trailing backslash continues any line; a logical line
// over 1 MiB is skipped.
var modprobeLines = textline.Continued{Max: 1 << 20}

func parseLine(s string) (Command, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '#' {
		return Command{}, false
	}
	f := strings.Fields(s)
	verb := f[0] // kmod's commands are case-sensitive: "Install" is a bad line
	switch verb {
	case "install", "remove", "blacklist", "alias", "options", "softdep":
	default:
		return Command{}, false
	}
	if len(f) < 2 {
		return Command{}, false
	}
	c := Command{Verb: verb, Module: Normalize(f[1]), Args: f[2:]}
	if verb == "install" || verb == "remove" {
		// The command is passed to the shell as written after the name.
		rest := strings.TrimSpace(s[len(f[0]):])
		rest = strings.TrimSpace(strings.TrimPrefix(rest, f[1]))
		c.Args = []string{rest}
		if rest == "" {
			return Command{}, false
		}
	}
	if verb == "alias" && len(c.Args) == 0 {
		return Command{}, false
	}
	return c, true
}

// ParseProcModules reads the module names of /proc/modules.
func ParseProcModules(b []byte) map[string]bool {
	m := map[string]bool{}
	for _, l := range textline.Split(b) {
		if f := strings.Fields(l); len(f) > 0 {
			m[Normalize(f[0])] = true
		}
	}
	return m
}

// Install returns the install command kmod runs instead of loading module
// (the first one matching, with shell wildcards as kmod's fnmatch allows).
func (c *Config) Install(module string) (Command, bool) {
	module = Normalize(module)
	for _, cmd := range c.Commands {
		if cmd.Verb != "install" {
			continue
		}
		if ok, _ := path.Match(cmd.Module, module); ok || cmd.Module == module {
			return cmd, true
		}
	}
	return Command{}, false
}

// Blacklist returns the first blacklist command for module.
func (c *Config) Blacklist(module string) (Command, bool) {
	module = Normalize(module)
	for _, cmd := range c.Commands {
		if cmd.Verb == "blacklist" && cmd.Module == module {
			return cmd, true
		}
	}
	return Command{}, false
}

// Aliases lists alias commands that resolve to module.
func (c *Config) Aliases(module string) []Command {
	module = Normalize(module)
	var out []Command
	for _, cmd := range c.Commands {
		if cmd.Verb == "alias" && len(cmd.Args) > 0 && Normalize(cmd.Args[0]) == module {
			out = append(out, cmd)
		}
	}
	return out
}

// Disables reports whether an install command prevents loading: it runs
// true or false (any path, optionally via "exec"), so the module is never
// inserted.
func Disables(cmd Command) bool {
	f := strings.Fields(cmd.Rest())
	if len(f) > 0 && f[0] == "exec" {
		f = f[1:]
	}
	if len(f) == 0 {
		return false
	}
	b := path.Base(f[0])
	if b != "true" && b != "false" {
		return false
	}
	// "/bin/false; modprobe --ignore-install x" would still load it.
	for _, x := range f[1:] {
		if strings.ContainsAny(x, ";&|`$") {
			return false
		}
	}
	return true
}
