// Package mounts collects the filesystem mounts of a target: the static
// table in /etc/fstab, systemd .mount units for a mount point (tmp.mount),
// the API filesystems systemd mounts itself (/dev/shm), and on a live
// target the mount table the kernel reports in /proc/self/mounts.
package mounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Entry is one mount: an fstab line, a mount-table line or a unit.
type Entry struct {
	Spec    string   `json:"spec"` // device, UUID=..., LABEL=..., tmpfs, a bind source
	Dir     string   `json:"dir"`  // mount point, cleaned; "none" for swap
	Type    string   `json:"type"`
	Options []string `json:"options"`
	Freq    int      `json:"freq"`
	Pass    int      `json:"pass"`
	File    string   `json:"file"` // where the entry is defined
	Line    int      `json:"line,omitempty"`
	// Origin is fstab, mounts (the running table), unit or builtin.
	Origin string `json:"origin"`
}

// String renders the entry in fstab order.
func (e Entry) String() string {
	return strings.Join([]string{e.Spec, e.Dir, e.Type, strings.Join(e.Options, ",")}, " ")
}

// Table is the mount information of a target.
type Table struct {
	Fstab []Entry `json:"fstab"`
	// Running is the live mount table; nil when not live.
	Running []Entry `json:"running,omitempty"`
	// RunningSource is the file the running table was read from.
	RunningSource string `json:"running_source,omitempty"`
	t             target.Target
}

// Key is the fact-store key.
const Key = "mounts"

// Get returns the memoised mount table.
func Get(s *facts.Store) (*Table, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads fstab and, on a live target, the running mount table.
func Collect(_ context.Context, t target.Target) (*Table, error) {
	tb := &Table{t: t}
	b, err := target.ReadFile(t, "etc/fstab")
	switch {
	case err == nil:
		tb.Fstab = Parse(b, "/etc/fstab", "fstab")
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("fstab: %w", err)
	}
	if t.Live() {
		for _, p := range []string{"proc/self/mounts", "proc/mounts"} {
			b, err := target.ReadFile(t, p)
			if err == nil {
				tb.Running = Parse(b, target.Abs(p), "mounts")
				tb.RunningSource = target.Abs(p)
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("mount table: %w", err)
			}
		}
	}
	return tb, nil
}

// Parse parses fstab(5) or /proc/mounts content. Fields are separated by
// blanks — spaces and tabs only, as libmount reads them: a vertical tab or
// form feed is part of a field — with octal escapes (\040 for a space);
// "#" starts a comment line.
func Parse(b []byte, file, origin string) []Entry {
	var out []Entry
	n := 0
	for _, text := range textline.Split(b) {
		n++
		s := strings.Trim(text, " \t\r")
		if s == "" || s[0] == '#' {
			continue
		}
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
		// libmount (mnt_parse_table_line) needs source, target and type;
		// a shorter line is a parse error and ignored ("findmnt
		// --tab-file" warns and skips it). Options, freq and passno are
		// optional; fields after passno are ignored.
		if len(f) < 3 {
			continue
		}
		e := Entry{Spec: Unescape(f[0]), Dir: Unescape(f[1]), File: file, Line: n, Origin: origin}
		if e.Dir != "none" && e.Dir != "swap" {
			e.Dir = CleanDir(e.Dir)
		}
		e.Type = Unescape(f[2])
		if len(f) > 3 {
			e.Options = strings.Split(Unescape(f[3]), ",")
		} else {
			e.Options = []string{"defaults"}
		}
		// Freq and passno are read with sscanf("%d"): a field that does
		// not start with a number (a trailing "# comment" where one is
		// expected) makes the line a parse error.
		ok := true
		if len(f) > 4 {
			e.Freq, ok = leadingInt(f[4])
		}
		if ok && len(f) > 5 {
			e.Pass, ok = leadingInt(f[5])
		}
		if !ok {
			continue
		}
		out = append(out, e)
	}
	return out
}

// leadingInt reads an optionally signed decimal prefix of s, as
// sscanf("%d") does.
func leadingInt(s string) (int, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i < 9 {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.Atoi(s[:j])
	return n, err == nil
}

// CleanDir normalizes a mount point: absolute, no trailing slash.
func CleanDir(d string) string { return path.Clean("/" + d) }

// Unescape decodes fstab's octal escapes (\040, \011, \012, \134) as
// libmount's unmangle does: any backslash and three octal digits is one
// byte (the value truncated to eight bits), and a resulting NUL ends the
// field, as it ends libmount's C string ("a\400b" reads "a").
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && isOctal(s[i+1:]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			if v == 0 {
				break
			}
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}

// FstabEntry returns the fstab entry for mount point dir. As with
// systemd-fstab-generator, the first entry for a mount point wins.
func (tb *Table) FstabEntry(dir string) (Entry, bool) {
	dir = CleanDir(dir)
	for _, e := range tb.Fstab {
		if e.Dir == dir && e.Type != "swap" {
			return e, true
		}
	}
	return Entry{}, false
}

// RunningEntry returns the topmost mount at dir in the running table.
func (tb *Table) RunningEntry(dir string) (Entry, bool) {
	dir = CleanDir(dir)
	for i := len(tb.Running) - 1; i >= 0; i-- {
		if tb.Running[i].Dir == dir {
			return tb.Running[i], true
		}
	}
	return Entry{}, false
}

// unitDirs are systemd unit directories by precedence; fstab-generated
// units rank between /etc and /usr.
var (
	unitHigh = []string{"etc/systemd/system", "run/systemd/system"}
	unitLow  = []string{"usr/local/lib/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}
	wantDirs = []string{"local-fs.target.wants", "local-fs.target.requires", "multi-user.target.wants", "default.target.wants"}
)

// UnitName returns the .mount unit name systemd derives from a path
// (systemd-escape --path --suffix=mount).
func UnitName(dir string) string {
	dir = strings.Trim(CleanDir(dir), "/")
	if dir == "" {
		return "-.mount"
	}
	var b strings.Builder
	for i := 0; i < len(dir); i++ {
		c := dir[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.' && i > 0, c == ':':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String() + ".mount"
}

// Configured returns the mount configured for dir offline: an enabled
// .mount unit in /etc (which overrides fstab), the fstab entry, an enabled
// vendor unit, or the mount systemd itself makes for /dev/shm.
func (tb *Table) Configured(dir string) (Entry, bool, error) {
	dir = CleanDir(dir)
	if e, ok, err := tb.unit(dir, unitHigh); err != nil || ok {
		return e, ok, err
	}
	if e, ok := tb.FstabEntry(dir); ok {
		return e, true, nil
	}
	if e, ok, err := tb.unit(dir, unitLow); err != nil || ok {
		return e, ok, err
	}
	if dir == "/dev/shm" && tb.t != nil && target.Exists(tb.t, "usr/lib/systemd/systemd") {
		// systemd's mount-setup: tmpfs, nosuid, nodev, strictatime, mode=1777.
		return Entry{Spec: "tmpfs", Dir: dir, Type: "tmpfs", Options: []string{"rw", "nosuid", "nodev", "strictatime", "mode=1777"},
			File: "(systemd built-in API mount)", Origin: "builtin"}, true, nil
	}
	return Entry{}, false, nil
}

func (tb *Table) unit(dir string, dirs []string) (Entry, bool, error) {
	if tb.t == nil {
		return Entry{}, false, nil
	}
	name := UnitName(dir)
	for _, d := range append(append([]string{}, unitHigh...), unitLow...) {
		p := path.Join(d, name)
		if l, err := tb.t.Readlink(p); err == nil && l == "/dev/null" {
			return Entry{}, false, nil // masked
		}
		if _, err := tb.t.Lstat(p); err == nil {
			if !contains(dirs, d) {
				return Entry{}, false, nil // a higher-precedence unit is not in this tier
			}
			if !tb.enabled(name) {
				return Entry{}, false, nil
			}
			b, err := target.ReadFile(tb.t, p)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return Entry{}, false, nil
				}
				return Entry{}, false, fmt.Errorf("mount unit: %w", err)
			}
			e := ParseUnit(b)
			e.File, e.Origin = target.Abs(p), "unit"
			if e.Dir == "" {
				e.Dir = dir
			}
			return e, true, nil
		}
	}
	return Entry{}, false, nil
}

func (tb *Table) enabled(name string) bool {
	for _, d := range append(append([]string{}, unitHigh...), unitLow...) {
		for _, w := range wantDirs {
			if _, err := tb.t.Lstat(path.Join(d, w, name)); err == nil {
				return true
			}
		}
	}
	return false
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// ParseUnit reads What=, Where=, Type= and Options= of a unit's [Mount]
// section; later assignments override earlier ones.
func ParseUnit(b []byte) Entry {
	var e Entry
	section := ""
	n := 0
	for _, text := range textline.Split(b) {
		n++
		s := strings.TrimSpace(text)
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			section = s
			continue
		}
		if section != "[Mount]" {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "What":
			e.Spec = v
		case "Where":
			e.Dir = CleanDir(v)
		case "Type":
			e.Type = v
		case "Options":
			e.Options, e.Line = strings.Split(v, ","), n
		}
	}
	if e.Options == nil {
		e.Options = []string{"defaults"}
	}
	return e
}

// HasOption reports whether the options in effect include opt ("nodev",
// "nosuid", "noexec", "ro", ...), resolving later options overriding
// earlier ones and "user"/"users"/"owner"/"group" implying noexec, nosuid
// and nodev as mount(8) documents.
func HasOption(opts []string, opt string) bool {
	neg := Negation(opt)
	state := false
	for _, o := range opts {
		o = strings.TrimSpace(o)
		switch {
		case o == opt:
			state = true
		case o == neg:
			state = false
		case o == "defaults":
			// rw, suid, dev, exec, auto, nouser, async
			if opt == "nodev" || opt == "nosuid" || opt == "noexec" || opt == "ro" {
				state = false
			}
		case (o == "user" || o == "users" || o == "owner" || o == "group") &&
			(opt == "nodev" || opt == "nosuid" || opt == "noexec"):
			state = true
		}
	}
	return state
}

// Negation is the option that undoes opt ("ro" and "rw", "noexec" and
// "exec").
func Negation(opt string) string {
	switch opt {
	case "ro":
		return "rw"
	case "rw":
		return "ro"
	}
	if s, ok := strings.CutPrefix(opt, "no"); ok {
		return s
	}
	return "no" + opt
}
