package checks

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Login environment: the umask and root's PATH that shell start-up files
// set. Both are read from shell code without running it: a "umask" or
// "PATH=" command anywhere in a file counts, inside conditionals too,
// since some login may take that branch.

// shellFiles reads paths (globs in the last element, matches in sorted
// order) from t and calls fn with each file's logical lines (backslash
// continuations joined, comments removed).
func shellFiles(t target.Target, paths []string, fn func(file string, n int, line string)) (read []string, err error) {
	for _, p := range paths {
		p = target.Clean(p)
		dir, base := path.Split(p)
		files := []string{p}
		if strings.ContainsAny(base, "*?[") {
			if files, err = target.Glob(t, dir, base); err != nil {
				return read, fmt.Errorf("list %s: %w", target.Abs(dir), err)
			}
		}
		for _, f := range files {
			if fi, err := t.Stat(f); err != nil || !fi.Mode.IsRegular() {
				continue
			}
			b, err := target.ReadFile(t, f)
			if err != nil {
				if isNotExist(err) {
					continue
				}
				return read, fmt.Errorf("read %s: %w", target.Abs(f), err)
			}
			read = append(read, target.Abs(f))
			shellLines.Each(b, func(n int, line string) { fn(target.Abs(f), n, stripShellComment(line)) })
		}
	}
	return read, nil
}

var shellLines = textline.Continued{Max: 64 << 10}

// stripShellComment removes a '#' comment that starts a word, outside
// quotes.
func stripShellComment(s string) string {
	if i := shellScan(s, 0, func(i int) bool {
		return s[i] == '#' && (i == 0 || strings.IndexByte(" \t;&|(", s[i-1]) >= 0)
	}); i >= 0 {
		return s[:i]
	}
	return s
}

// shellScan returns the index of the first byte at or after from, outside
// quotes and not escaped, for which stop holds, or -1.
func shellScan(s string, from int, stop func(i int) bool) int {
	var q byte
	for i := from; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			} else if c == '\\' && q == '"' {
				i++
			}
		case c == '\'' || c == '"':
			q = c
		case c == '\\':
			i++
		case stop(i):
			return i
		}
	}
	return -1
}

// shellCommands splits a line into simple commands' words (on ;, &&, ||,
// | and &), dropping leading reserved words and grouping (if, then, do,
// {, …), so "if x; then umask 027; fi" yields [umask 027].
func shellCommands(line string) [][]string {
	var out [][]string
	for _, part := range splitShell(line) {
		w := shellWords(part)
		for len(w) > 0 {
			switch w[0] {
			case "if", "then", "else", "elif", "do", "while", "until", "{", "(", "!":
				w = w[1:]
				continue
			}
			break
		}
		if len(w) > 0 {
			out = append(out, w)
		}
	}
	return out
}

func splitShell(s string) []string {
	var out []string
	start := 0
	for {
		i := shellScan(s, start, func(i int) bool { return strings.IndexByte(";&|", s[i]) >= 0 })
		if i < 0 {
			return append(out, s[start:])
		}
		out = append(out, s[start:i])
		start = i + 1
	}
}

// shellWords splits on blanks outside quotes; quotes are kept.
func shellWords(s string) []string {
	var out []string
	var q byte
	cur := strings.Builder{}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			q = c
			cur.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\r':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func unquoteShell(s string) string {
	var b strings.Builder
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case q != '\'' && c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// shellUmaskTemplate requires every umask a shell start-up file sets to
// mask at least the given bits, and (with required) one to be set:
//
//	shell_umask: {paths: [/etc/profile, /etc/profile.d/*.sh], umask: "027", required: true}
//
// A umask given symbolically is judged from its "=" clauses; one cradle
// cannot evaluate fails. Without any of the files the result is
// not_applicable.
type shellUmaskTemplate struct{}

type shellUmaskArgs struct {
	Paths    []string `yaml:"paths"`
	Umask    string   `yaml:"umask"`
	Required bool     `yaml:"required"`
}

type shellUmaskCheck struct {
	a    shellUmaskArgs
	mask uint64
}

func (shellUmaskTemplate) Name() string { return "shell_umask" }

func (shellUmaskTemplate) New(n *yaml.Node) (check.Check, error) {
	var a shellUmaskArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Paths) == 0 {
		return nil, check.ArgErrorf(n, "paths: at least one path is required")
	}
	m, err := strconv.ParseUint(a.Umask, 8, 32)
	if err != nil || m > 0o777 {
		return nil, check.ArgErrorf(n, "umask %q is not an octal mask like \"027\"", a.Umask)
	}
	return &shellUmaskCheck{a: a, mask: m}, nil
}

func (c *shellUmaskCheck) Fixable() bool { return true }

// umaskSetting is one umask command.
type umaskSetting struct {
	file  string
	line  int
	arg   string
	value uint64
	known uint64 // bits value decides; the others keep the inherited umask
	ok    bool   // value parsed
}

func (c *shellUmaskCheck) collect(t target.Target) ([]umaskSetting, []string, error) {
	var out []umaskSetting
	read, err := shellFiles(t, c.a.Paths, func(file string, n int, line string) {
		for _, w := range shellCommands(line) {
			if w[0] != "umask" {
				continue
			}
			args := w[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "-") {
				args = args[1:]
			}
			if len(args) == 0 {
				continue // prints the umask
			}
			arg := unquoteShell(args[0])
			v, known, ok := parseUmask(arg)
			out = append(out, umaskSetting{file: file, line: n, arg: arg, value: v, known: known, ok: ok})
		}
	})
	return out, read, err
}

// parseUmask reads an octal umask or a symbolic one made of "=" clauses
// (u=rwx,g=rx,o=); anything else is not evaluated. known holds the bits
// the umask sets: a class a symbolic umask does not name keeps whatever
// umask the shell inherited.
func parseUmask(s string) (mask, known uint64, ok bool) {
	if v, err := strconv.ParseUint(s, 8, 32); err == nil {
		return v & 0o777, 0o777, v <= 0o7777
	}
	for _, cl := range strings.Split(s, ",") {
		who, perms, ok := strings.Cut(cl, "=")
		if !ok || who == "" {
			return 0, 0, false
		}
		var bits uint64
		for _, p := range perms {
			switch p {
			case 'r':
				bits |= 4
			case 'w':
				bits |= 2
			case 'x':
				bits |= 1
			default:
				return 0, 0, false
			}
		}
		for _, w := range who {
			var shift uint
			switch w {
			case 'u':
				shift = 6
			case 'g':
				shift = 3
			case 'o':
				shift = 0
			case 'a':
				mask = (^(bits<<6 | bits<<3 | bits)) & 0o777
				known = 0o777
				continue
			default:
				return 0, 0, false
			}
			mask &^= 7 << shift
			mask |= (^bits & 7) << shift
			known |= 7 << shift
		}
	}
	return mask, known, true
}

func (c *shellUmaskCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	sets, read, err := c.collect(f.Target())
	if err != nil {
		return check.FromErr("read shell start-up files", err)
	}
	exp := "umask masking " + c.a.Umask
	if len(read) == 0 {
		return check.NotApplicable("none of %s exists", orList(c.a.Paths))
	}
	var good, bad, open []result.Evidence
	for _, s := range sets {
		ev := result.Evidence{Expected: exp, Observed: "umask " + s.arg, File: s.file, Line: s.line}
		switch {
		case s.ok && s.value&c.mask == c.mask&s.known && c.mask&^s.known != 0:
			ev.Note = "classes this umask does not name keep the inherited umask"
			open = append(open, ev)
		case s.ok && s.value&c.mask == c.mask:
			good = append(good, ev)
		default:
			if !s.ok {
				ev.Note = "cradle cannot evaluate this umask"
			}
			bad = append(bad, ev)
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	if len(open) > 0 {
		o := check.Errorf("cannot judge %s at %s:%d: classes it does not name keep the inherited umask; set all of u, g and o", open[0].Observed, open[0].File, open[0].Line)
		o.Evidence = open
		return o
	}
	if len(sets) == 0 {
		ev := result.Evidence{Expected: exp, Observed: "no umask set in " + strings.Join(read, ", "), File: read[0]}
		if c.a.Required {
			return check.Fail(ev)
		}
		return check.Pass(ev)
	}
	return check.Pass(good...)
}

// Remediate rewrites each weak umask to add the required bits, or adds
// "umask MASK" to the end of the first existing file when one is required
// and none is set.
func (c *shellUmaskCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	sets, read, err := c.collect(ch.Overlay())
	if err != nil {
		return err
	}
	if len(read) == 0 {
		return nil
	}
	files := map[string]*textFile{}
	var order []string
	file := func(name string) (*textFile, error) {
		if f, ok := files[name]; ok {
			return f, nil
		}
		f, err := readText(ch, name)
		if err != nil {
			return nil, err
		}
		files[name] = f
		order = append(order, name)
		return f, nil
	}
	for _, s := range sets {
		if s.ok && s.value&c.mask == c.mask && c.mask&^s.known == 0 {
			continue
		}
		if !s.ok {
			ch.Defer(fmt.Sprintf("set umask %s at %s:%d", c.a.Umask, s.file, s.line), "the umask "+s.arg+" is not a value cradle can rewrite safely")
			continue
		}
		if c.mask&^s.known != 0 {
			ch.Defer(fmt.Sprintf("set umask %s at %s:%d", c.a.Umask, s.file, s.line), "the umask "+s.arg+" leaves the classes it does not name to the inherited umask")
			continue
		}
		f, err := file(s.file)
		if err != nil {
			return err
		}
		nv := fmt.Sprintf("%0*o", max(3, len(s.arg)), s.value|c.mask)
		l := f.line(s.line)
		i := strings.Index(l, s.arg)
		if i < 0 {
			ch.Defer(fmt.Sprintf("set umask %s at %s:%d", nv, s.file, s.line), "the line spans several physical lines")
			continue
		}
		f.set(s.line, l[:i]+nv+l[i+len(s.arg):])
	}
	if len(sets) == 0 && c.a.Required {
		f, err := file(read[0])
		if err != nil {
			return err
		}
		f.appendLine("umask " + c.a.Umask)
	}
	for _, name := range order {
		if err := files[name].write(ch, 0o644, "set umask "+c.a.Umask+" or stricter"); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectOther, Subject: "umask", Value: c.a.Umask})
	return nil
}

// rootPathTemplate judges the PATH root gets at login, from every place
// that sets it: /etc/environment (pam_env), ENV_SUPATH in login.defs (su
// and login), and assignments in /etc/profile, /root/.profile and
// /root/.bashrc:
//
//	root_path: {check: entries}  # no ".", empty or relative entry
//	root_path: {check: dirs}     # no group- or world-writable directory
//
// "$PATH" and "${PATH}" stand for the inherited value, judged where it is
// set; other variable references are skipped.
type rootPathTemplate struct{}

type rootPathArgs struct {
	Check string `yaml:"check"`
}

type rootPathCheck struct{ a rootPathArgs }

func (rootPathTemplate) Name() string { return "root_path" }

func (rootPathTemplate) New(n *yaml.Node) (check.Check, error) {
	var a rootPathArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Check != "entries" && a.Check != "dirs" {
		return nil, check.ArgErrorf(n, "check must be entries or dirs")
	}
	return &rootPathCheck{a}, nil
}

func (c *rootPathCheck) Fixable() bool { return true }

// pathSetting is one PATH value and where it is set.
type pathSetting struct {
	file  string
	line  int
	value string
}

var rootShellFiles = []string{"/etc/profile", "/root/.profile", "/root/.bashrc", "/root/.bash_profile", "/root/.bash_login"}

func rootPaths(t target.Target) ([]pathSetting, error) {
	var out []pathSetting
	_, err := shellFiles(t, rootShellFiles, func(file string, n int, line string) {
		shellAssignments(line, func(k, v string) {
			if k == "PATH" {
				out = append(out, pathSetting{file: file, line: n, value: v})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	env, err := kvconf.Collect(context.Background(), t, kvconf.Source{Syntax: kvconf.Equals, Paths: []string{"/etc/environment"}})
	if err != nil {
		return nil, err
	}
	for _, e := range env.Entries {
		if k := strings.TrimPrefix(e.Key, "export "); strings.TrimSpace(k) == "PATH" {
			out = append(out, pathSetting{file: e.File, line: e.Line, value: e.Value})
		}
	}
	defs, err := kvconf.Collect(context.Background(), t, kvconf.Source{Syntax: kvconf.Space, Paths: []string{"/etc/login.defs"}})
	if err != nil {
		return nil, err
	}
	if e := defs.Lookup("", "ENV_SUPATH", false, false); e != nil {
		out = append(out, pathSetting{file: e.File, line: e.Line, value: strings.TrimPrefix(e.Value, "PATH=")})
	}
	return out, nil
}

// badEntry says why one PATH entry is unsafe for root, or "".
func badEntry(e string) string {
	switch {
	case e == "":
		return "an empty entry (the current directory)"
	case e == ".":
		return "the current directory"
	case e == "$PATH" || e == "${PATH}" || strings.HasPrefix(e, "$"):
		return ""
	case !strings.HasPrefix(e, "/"):
		return "a relative directory"
	}
	return ""
}

func (c *rootPathCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	t := f.Target()
	sets, err := rootPaths(t)
	if err != nil {
		return check.FromErr("read root's PATH", err)
	}
	exp := "root's PATH without \".\", empty or relative entries"
	if c.a.Check == "dirs" {
		exp = "root's PATH without group- or world-writable directories"
	}
	if len(sets) == 0 {
		return check.NotApplicable("no PATH set in %s, /etc/environment or ENV_SUPATH", strings.Join(rootShellFiles, ", "))
	}
	var good, bad []result.Evidence
	for _, s := range sets {
		var why []string
		for _, e := range strings.Split(s.value, ":") {
			if c.a.Check == "entries" {
				if w := badEntry(e); w != "" {
					why = append(why, fmt.Sprintf("%q is %s", e, w))
				}
				continue
			}
			if !strings.HasPrefix(e, "/") {
				continue
			}
			fi, err := t.Stat(e)
			if err != nil {
				if !isNotExist(err) {
					why = append(why, fmt.Sprintf("%s: %v", e, err))
				}
				continue
			}
			if fi.Mode.IsDir() && fi.Mode.Perm()&0o022 != 0 {
				why = append(why, fmt.Sprintf("%s is mode %04o", e, uint32(fi.Mode.Perm())))
			}
		}
		ev := result.Evidence{Expected: exp, Observed: "PATH=" + s.value, File: s.file, Line: s.line}
		if len(why) > 0 {
			ev.Observed += ": " + strings.Join(why, ", ")
			bad = append(bad, ev)
		} else {
			good = append(good, ev)
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(good...)
}

// rootPathSystemDirs are the directories whose mode the dirs fix changes:
// packaged command directories, never scratch or shared ones (/tmp, a
// team's setgid directory), whose write bits other software relies on.
var rootPathSystemDirs = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/usr/games", "/usr/local/games", "/snap/bin"}

// fixablePathDir returns the directory the dirs fix may chmod for the PATH
// entry e (a link like /bin -> usr/bin followed when it stays in the list),
// or why it may not: not a system command directory, not root's, or sticky.
func fixablePathDir(t target.Target, e string) (dir, why string) {
	p := path.Clean(e)
	for range 4 {
		if !slices.Contains(rootPathSystemDirs, p) {
			return "", p + " is not a system command directory"
		}
		fi, err := t.Lstat(p)
		if err != nil {
			return "", err.Error()
		}
		if fi.Mode&fs.ModeSymlink != 0 {
			l, err := t.Readlink(p)
			if err != nil {
				return "", err.Error()
			}
			p = path.Join(path.Dir(p), l)
			if path.IsAbs(l) {
				p = path.Clean(l)
			}
			continue
		}
		switch {
		case !fi.Mode.IsDir():
			return "", p + " is not a directory"
		case fi.UID != 0:
			return "", fmt.Sprintf("%s is owned by uid %d, not root", p, fi.UID)
		case fi.Mode&fs.ModeSticky != 0:
			return "", p + " is sticky (a shared directory)"
		}
		return p, ""
	}
	return "", "too many symbolic links"
}

// Remediate drops ".", empty and relative entries from each PATH value
// in place; for dirs it removes group and world write from root-owned
// system command directories (root's commands must not be replaceable by
// other users) and defers every other directory: removing it from root's
// PATH is the fix there.
func (c *rootPathCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	sets, err := rootPaths(ch.Overlay())
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, s := range sets {
		var keep []string
		changed := false
		for _, e := range strings.Split(s.value, ":") {
			if c.a.Check == "dirs" {
				if !strings.HasPrefix(e, "/") || done[e] {
					continue
				}
				fi, err := ch.Stat(e)
				if err != nil || !fi.Mode.IsDir() || fi.Mode.Perm()&0o022 == 0 {
					continue
				}
				dir, why := fixablePathDir(ch.Overlay(), e)
				if why != "" {
					ch.Defer(fmt.Sprintf("remove %s from root's PATH in %s:%d", e, s.file, s.line),
						fmt.Sprintf("%s is mode %04o and %s: cradle does not change its mode", e, uint32(fi.Mode.Perm()), why))
					continue
				}
				done[e] = true
				if err := ch.Chmod(dir, (fi.Mode&remedy.PermMask)&^0o022, "remove group and world write from "+dir+" in root's PATH"); err != nil {
					return err
				}
				continue
			}
			if badEntry(e) != "" {
				changed = true
				continue
			}
			keep = append(keep, e)
		}
		if !changed {
			continue
		}
		f, err := readText(ch, s.file)
		if err != nil {
			return err
		}
		l := f.line(s.line)
		i := strings.LastIndex(l, s.value)
		if i < 0 || s.value == "" {
			ch.Defer("remove unsafe entries from PATH at "+fmt.Sprintf("%s:%d", s.file, s.line), "the value is quoted or continued in a way cradle does not rewrite")
			continue
		}
		f.set(s.line, l[:i]+strings.Join(keep, ":")+l[i+len(s.value):])
		if err := f.write(ch, 0o644, "remove \".\", empty and relative entries from root's PATH"); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectOther, Subject: "root PATH"})
	return nil
}

// shellTimeoutTemplate requires the shell start-up files to log idle
// shells out: TMOUT assigned (plain, export, readonly, declare or typeset)
// to a value between 1 and max seconds, and never to a larger value or 0:
//
//	shell_timeout: {paths: [/etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc], max: 900}
type shellTimeoutTemplate struct{}

type shellTimeoutArgs struct {
	Paths []string `yaml:"paths"`
	Max   *int64   `yaml:"max"`
}

type shellTimeoutCheck struct{ a shellTimeoutArgs }

func (shellTimeoutTemplate) Name() string { return "shell_timeout" }

func (shellTimeoutTemplate) New(n *yaml.Node) (check.Check, error) {
	var a shellTimeoutArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Paths) == 0 || a.Max == nil || *a.Max < 1 {
		return nil, check.ArgErrorf(n, "paths and a positive max are required")
	}
	return &shellTimeoutCheck{a}, nil
}

func (c *shellTimeoutCheck) Fixable() bool { return true }

// shellAssignments calls fn for each NAME=value word of a command,
// after export/readonly/declare/typeset/local and their options.
func shellAssignments(line string, fn func(name, value string)) {
	for _, w := range shellCommands(line) {
		for len(w) > 0 && (w[0] == "export" || w[0] == "readonly" || w[0] == "declare" || w[0] == "typeset" || w[0] == "local" || strings.HasPrefix(w[0], "-")) {
			w = w[1:]
		}
		for _, a := range w {
			k, v, ok := strings.Cut(a, "=")
			if !ok || k == "" || strings.ContainsAny(k, "$\"'`") {
				break
			}
			fn(k, unquoteShell(v))
		}
	}
}

func (c *shellTimeoutCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	var good, bad []result.Evidence
	exp := fmt.Sprintf("TMOUT between 1 and %d seconds", *c.a.Max)
	read, err := shellFiles(f.Target(), c.a.Paths, func(file string, n int, line string) {
		shellAssignments(line, func(k, v string) {
			if k != "TMOUT" {
				return
			}
			ev := result.Evidence{Expected: exp, Observed: "TMOUT=" + v, File: file, Line: n}
			if t, err := strconv.ParseInt(v, 10, 64); err == nil && t >= 1 && t <= *c.a.Max {
				good = append(good, ev)
			} else {
				bad = append(bad, ev)
			}
		})
	})
	if err != nil {
		return check.FromErr("read shell start-up files", err)
	}
	if len(read) == 0 {
		return check.NotApplicable("none of %s exists", orList(c.a.Paths))
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	if len(good) == 0 {
		return check.Fail(result.Evidence{Expected: exp, Observed: "TMOUT not set in " + strings.Join(read, ", "), File: read[0]})
	}
	return check.Pass(good...)
}

// tmoutDropIn is where the fix sets TMOUT when none is set.
const tmoutDropIn = "etc/profile.d/cradle-tmout.sh"

// Remediate rewrites each TMOUT out of range to max, or when none is set
// adds a profile.d script that sets it read-only and exported.
func (c *shellTimeoutCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	type hit struct {
		file  string
		line  int
		value string
	}
	var hits []hit
	ok := 0
	if _, err := shellFiles(ch.Overlay(), c.a.Paths, func(file string, n int, line string) {
		shellAssignments(line, func(k, v string) {
			if k != "TMOUT" {
				return
			}
			if t, err := strconv.ParseInt(v, 10, 64); err == nil && t >= 1 && t <= *c.a.Max {
				ok++
				return
			}
			hits = append(hits, hit{file, n, v})
		})
	}); err != nil {
		return err
	}
	want := strconv.FormatInt(*c.a.Max, 10)
	for _, h := range hits {
		f, err := readText(ch, h.file)
		if err != nil {
			return err
		}
		l := f.line(h.line)
		i := strings.Index(l, "TMOUT="+h.value)
		if i < 0 || h.value == "" {
			ch.Defer(fmt.Sprintf("set TMOUT=%s at %s:%d", want, h.file, h.line), "the assignment is quoted or continued in a way cradle does not rewrite")
			continue
		}
		f.set(h.line, l[:i]+"TMOUT="+want+l[i+len("TMOUT=")+len(h.value):])
		if err := f.write(ch, 0o644, "set TMOUT="+want); err != nil {
			return err
		}
	}
	if len(hits) == 0 && ok == 0 {
		body := "# Log idle shells out (set by cradle fix).\nTMOUT=" + want + "\nreadonly TMOUT\nexport TMOUT\n"
		if err := ch.WriteFile(tmoutDropIn, []byte(body), 0o644, "log idle shells out after "+want+" seconds"); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectOther, Subject: "TMOUT", Value: want})
	return nil
}
