// Package pam parses Linux-PAM configuration (/etc/pam.d, falling back to
// the vendor directory /usr/lib/pam.d) and resolves each service's
// effective stack: Debian "@include" lines and RHEL "include"/"substack"
// controls are expanded in place, so checks see what the service runs.
package pam

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

// Entry is one line of a PAM file.
type Entry struct {
	// Type is auth, account, password or session; "" for "@include".
	Type string `json:"type"`
	// Quiet is set for "-type" lines (skip silently if the module is missing).
	Quiet bool `json:"quiet,omitempty"`
	// Control is "required", "requisite", "sufficient", "optional",
	// "include", "substack", "@include" or a bracket "[value=action ...]".
	Control string `json:"control"`
	// Module is the module path or name ("pam_unix.so"), or the included
	// file for include, substack and @include.
	Module string   `json:"module"`
	Args   []string `json:"args,omitempty"`
	File   string   `json:"file"`
	Line   int      `json:"line"`
	// Via lists the files the line was included through, outermost first.
	Via []string `json:"via,omitempty"`
}

// IsInclude reports whether e pulls in another file.
func (e *Entry) IsInclude() bool {
	return e.Control == "include" || e.Control == "substack" || e.Control == "@include"
}

// ModuleName is the module's base name without directory ("pam_unix.so").
func (e *Entry) ModuleName() string { return path.Base(e.Module) }

// Arg returns the value of "name=value" (the last one) and whether it is
// present; a bare flag "name" returns "", true.
func (e *Entry) Arg(name string) (string, bool) {
	val, found := "", false
	for _, a := range e.Args {
		k, v, hasEq := strings.Cut(a, "=")
		if k == name {
			found = true
			if hasEq {
				val = v
			} else {
				val = ""
			}
		}
	}
	return val, found
}

var types = map[string]bool{"auth": true, "account": true, "password": true, "session": true}

// maxLine bounds one logical line; longer lines are skipped.
const maxLine = 64 << 10

// pamLines: a trailing backslash continues any line, comments included.
var pamLines = textline.Continued{Max: maxLine}

// Parse parses one PAM file in /etc/pam.d syntax (no service column).
// Unknown or malformed lines are skipped, as libpam does.
func Parse(b []byte, file string) []Entry {
	var out []Entry
	pamLines.Each(b, func(n int, line string) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		toks := tokenize(line)
		if len(toks) == 0 {
			return
		}
		if toks[0] == "@include" {
			if len(toks) >= 2 {
				out = append(out, Entry{Control: "@include", Module: toks[1], File: file, Line: n})
			}
			return
		}
		if len(toks) < 3 {
			return
		}
		e := Entry{Type: strings.ToLower(toks[0]), Control: toks[1], Module: toks[2], File: file, Line: n}
		if strings.HasPrefix(e.Type, "-") {
			e.Quiet, e.Type = true, e.Type[1:]
		}
		if !types[e.Type] {
			return
		}
		if !strings.HasPrefix(e.Control, "[") {
			e.Control = strings.ToLower(e.Control)
		}
		if len(toks) > 3 {
			e.Args = toks[3:]
		}
		out = append(out, e)
	})
	return out
}

// tokenize splits on blanks, keeping "[...]" groups (with "\]" escapes)
// as one token, as libpam does for controls and module arguments.
func tokenize(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in && c == '\\' && i+1 < len(s) && s[i+1] == ']':
			cur.WriteByte(']')
			i++
		case in && c == ']':
			cur.WriteByte(c)
			in = false
		case !in && c == '[':
			cur.WriteByte(c)
			in = true
		case !in && (c == ' ' || c == '\t' || c == '\r'):
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// Config is the PAM configuration of a target.
type Config struct {
	// Files maps a service (file name) to its parsed entries.
	Files map[string][]Entry `json:"files"`
	// Paths maps a service to the absolute path it was read from.
	Paths map[string]string `json:"paths"`
	// Errors maps a service to why its file could not be read.
	Errors map[string]string `json:"errors,omitempty"`
	// Present reports whether any PAM directory exists.
	Present bool `json:"present"`
}

// Key is the fact-store key.
const Key = "pam"

// Get returns the memoised PAM configuration.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

const maxFiles = 2000

// Collect reads every file of /usr/lib/pam.d and /etc/pam.d; a file in
// /etc/pam.d replaces the vendor file of the same name.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{Files: map[string][]Entry{}, Paths: map[string]string{}, Errors: map[string]string{}}
	for _, dir := range []string{"usr/lib/pam.d", "etc/pam.d"} {
		ents, err := t.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("list %s: %w", target.Abs(dir), err)
		}
		c.Present = true
		for i, e := range ents {
			if i >= maxFiles {
				break
			}
			p := path.Join(dir, e.Name)
			fi, err := t.Stat(p)
			if err != nil || !fi.Mode.IsRegular() {
				continue
			}
			delete(c.Errors, e.Name)
			b, err := target.ReadFile(t, p)
			if err != nil {
				c.Errors[e.Name] = err.Error()
				delete(c.Files, e.Name)
				continue
			}
			c.Files[e.Name] = Parse(b, target.Abs(p))
			c.Paths[e.Name] = target.Abs(p)
		}
	}
	return c, nil
}

// Services lists the services with a file, sorted.
func (c *Config) Services() []string {
	out := make([]string, 0, len(c.Files))
	for s := range c.Files {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ErrNoService is returned by Stack for a service without a file.
var ErrNoService = errors.New("no PAM configuration for service")

const maxDepth = 16

// Stack returns the effective entries of service for type typ ("" for
// all types), with includes and substacks expanded in place.
func (c *Config) Stack(service, typ string) ([]Entry, error) {
	if msg, bad := c.Errors[service]; bad {
		return nil, fmt.Errorf("read PAM service %s: %s", service, msg)
	}
	if _, ok := c.Files[service]; !ok {
		return nil, fmt.Errorf("%w %s", ErrNoService, service)
	}
	var out []Entry
	budget := maxExpansions
	err := c.walk(service, typ, nil, 0, &budget, func(e Entry, _ int, sub bool) {
		if !sub {
			out = append(out, e)
		}
	})
	return out, err
}

// maxExpansions bounds the include files visited for one stack: depth alone
// does not, as K includes per file over D levels cost K^D.
const maxExpansions = 4096

// walk calls emit for every module line of name (with includes spliced in
// and substacks one level down, each after a placeholder line of its own).
func (c *Config) walk(name, typ string, via []string, level int, budget *int, emit func(e Entry, level int, substack bool)) error {
	*budget--
	if *budget < 0 {
		return fmt.Errorf("PAM stack includes more than %d files (at %s)", maxExpansions, name)
	}
	if len(via) > maxDepth {
		return fmt.Errorf("PAM include depth exceeds %d at %s", maxDepth, name)
	}
	for _, v := range via {
		if v == name {
			return fmt.Errorf("PAM include loop through %s", name)
		}
	}
	if msg, bad := c.Errors[name]; bad {
		return fmt.Errorf("read PAM file %s: %s", name, msg)
	}
	ents, ok := c.Files[name]
	if !ok {
		// libpam ignores a missing include target (logging an error).
		return nil
	}
	nvia := append(append([]string(nil), via...), name)
	for _, e := range ents {
		if typ != "" && e.Type != "" && e.Type != typ {
			continue
		}
		e.Via = nvia[:len(nvia)-1]
		if len(e.Via) == 0 {
			e.Via = nil
		}
		if e.IsInclude() {
			inc := path.Base(e.Module)
			t := typ
			if e.Type != "" {
				t = e.Type
			}
			lvl := level
			if e.Control == "substack" {
				emit(e, level, true)
				lvl++
			}
			if err := c.walk(inc, t, nvia, lvl, budget, emit); err != nil {
				return err
			}
			continue
		}
		emit(e, level, false)
	}
	return nil
}
