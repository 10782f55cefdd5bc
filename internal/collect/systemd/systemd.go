// Package systemd derives the persistent enablement state of services
// from a target's files, the way systemctl is-enabled does without a
// running manager: unit files and symlinks in the systemd search path
// (masks, aliases, .wants/.requires links, templates), with SysV rc links
// and OpenRC runlevels for systems without systemd. Runtime state (what is
// active right now) needs D-Bus and is out of scope.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Init system names.
const (
	Systemd = "systemd"
	OpenRC  = "openrc"
	SysV    = "sysv"
)

// Unit states, as systemctl is-enabled names them (absent added).
const (
	Enabled  = "enabled"
	Disabled = "disabled"
	Static   = "static"
	Masked   = "masked"
	Absent   = "absent"
)

// SearchPath is the systemd system unit search path, highest priority
// first (root-relative), as systemd.unit(5) lists it. The /run entries
// only exist on a running system (runtime units, generator output such as
// init scripts turned into units). /lib is usually a symlink to /usr/lib
// (usrmerge); duplicates are skipped by inode.
var SearchPath = []string{
	"etc/systemd/system.control",
	"run/systemd/system.control",
	"run/systemd/transient",
	"run/systemd/generator.early",
	"etc/systemd/system",
	"etc/systemd/system.attached",
	"run/systemd/system",
	"run/systemd/system.attached",
	"run/systemd/generator",
	"usr/local/lib/systemd/system",
	"usr/lib/systemd/system",
	"lib/systemd/system",
	"run/systemd/generator.late",
}

// entry is the first file or symlink of one unit name in the search path.
type entry struct {
	path   string // root-relative path of the entry
	link   string // symlink target, if a symlink
	masked bool   // symlink to /dev/null or empty file
}

// Link is one enablement symlink: Unit in By's .wants/.requires directory,
// or an rc/runlevel link.
type Link struct {
	Unit string `json:"unit"` // the link's name
	Dest string `json:"dest"` // base name of what it points to
	By   string `json:"by"`   // the target (or runlevel) that pulls it in
	Path string `json:"path"` // absolute path of the link
	// Vendor is true for links shipped under /usr/lib (static enablement).
	Vendor bool `json:"vendor,omitempty"`
}

// Config is the service configuration of a target.
type Config struct {
	// Init is the init system found: systemd, openrc, sysv or "".
	Init    string   `json:"init"`
	Dirs    []string `json:"dirs"` // unit directories found
	Links   []Link   `json:"links"`
	entries map[string]entry
	t       target.Target
	// DefaultTarget is the unit default.target points to, and the
	// absolute path of that symlink.
	DefaultTarget     string `json:"default_target,omitempty"`
	DefaultTargetFile string `json:"default_target_file,omitempty"`
}

// Key is the fact-store key.
const Key = "systemd"

// Get returns the memoised service configuration.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// IsUnitName reports whether name has a systemd unit suffix.
func IsUnitName(name string) bool {
	switch path.Ext(name) {
	case ".service", ".socket", ".target", ".timer", ".mount", ".automount", ".path", ".slice", ".swap", ".device", ".scope":
		return len(name) > len(path.Ext(name))
	}
	return false
}

// Collect reads the unit directories and rc links of t.
func Collect(_ context.Context, t target.Target) (*Config, error) {
	c := &Config{entries: map[string]entry{}, t: t}
	switch {
	case target.Exists(t, "usr/lib/systemd/systemd") || target.Exists(t, "lib/systemd/systemd"):
		c.Init = Systemd
	case target.Exists(t, "sbin/openrc") || target.Exists(t, "etc/runlevels"):
		c.Init = OpenRC
	case target.Exists(t, "etc/init.d"):
		c.Init = SysV
	}
	seen := map[[2]uint64]bool{}
	for _, dir := range SearchPath {
		fi, err := t.Stat(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("unit directory %s: %w", target.Abs(dir), err)
		}
		if !fi.Mode.IsDir() {
			continue
		}
		if fi.Ino != 0 {
			id := [2]uint64{fi.Dev, fi.Ino}
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		c.Dirs = append(c.Dirs, target.Abs(dir))
		if err := c.readDir(t, dir); err != nil {
			return nil, err
		}
	}
	for _, dir := range []string{"etc/systemd/system", "run/systemd/system"} {
		if l, err := t.Readlink(dir + "/default.target"); err == nil && c.DefaultTarget == "" {
			c.DefaultTarget, c.DefaultTargetFile = path.Base(l), target.Abs(dir+"/default.target")
		}
	}
	if c.DefaultTarget == "" {
		if e, ok := c.entries["default.target"]; ok && e.link != "" {
			c.DefaultTarget, c.DefaultTargetFile = path.Base(e.link), target.Abs(e.path)
		}
	}
	if err := c.readRC(t); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) readDir(t target.Target, dir string) error {
	ents, err := t.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", target.Abs(dir), err)
	}
	vendor := strings.HasPrefix(dir, "usr/") || strings.HasPrefix(dir, "lib/")
	for _, e := range ents {
		p := dir + "/" + e.Name
		if by, ok := wantsDir(e.Name); ok {
			if err := c.readWants(t, p, by, vendor); err != nil {
				return err
			}
			continue
		}
		if !IsUnitName(e.Name) {
			continue
		}
		if _, dup := c.entries[e.Name]; dup {
			continue
		}
		en := entry{path: p}
		switch {
		case e.Type&fs.ModeSymlink != 0:
			l, err := t.Readlink(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // escaped name, see below
			}
			if err != nil {
				return fmt.Errorf("readlink %s: %w", target.Abs(p), err)
			}
			en.link = l
			en.masked = l == "/dev/null"
		case e.Type.IsRegular():
			fi, err := t.Lstat(p)
			switch {
			case err == nil:
				en.masked = fi.Size == 0
			case errors.Is(err, fs.ErrNotExist):
				// Escaped names ("system-systemd\x2dcryptsetup.slice")
				// contain a backslash, which target paths treat as a
				// separator; such units cannot be looked up anyway.
				continue
			default:
				return fmt.Errorf("stat %s: %w", target.Abs(p), err)
			}
		default:
			continue
		}
		c.entries[e.Name] = en
	}
	return nil
}

// wantsDir recognises "multi-user.target.wants" and friends.
func wantsDir(name string) (by string, ok bool) {
	for _, suf := range []string{".wants", ".requires", ".upholds"} {
		if strings.HasSuffix(name, suf) && IsUnitName(strings.TrimSuffix(name, suf)) {
			return strings.TrimSuffix(name, suf), true
		}
	}
	return "", false
}

func (c *Config) readWants(t target.Target, dir, by string, vendor bool) error {
	ents, err := t.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", target.Abs(dir), err)
	}
	for _, e := range ents {
		if !IsUnitName(e.Name) {
			continue
		}
		l := Link{Unit: e.Name, Dest: e.Name, By: by, Path: target.Abs(dir + "/" + e.Name), Vendor: vendor}
		if e.Type&fs.ModeSymlink != 0 {
			if d, err := t.Readlink(dir + "/" + e.Name); err == nil {
				if d == "/dev/null" {
					continue
				}
				l.Dest = path.Base(d)
			}
		}
		c.Links = append(c.Links, l)
	}
	return nil
}

// readRC collects SysV start links (/etc/rc[2-5S].d/S??name) and OpenRC
// runlevel entries (/etc/runlevels/<level>/name).
func (c *Config) readRC(t target.Target) error {
	for _, lvl := range []string{"S", "2", "3", "4", "5"} {
		dir := "etc/rc" + lvl + ".d"
		ents, err := t.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("read %s: %w", target.Abs(dir), err)
		}
		for _, e := range ents {
			if len(e.Name) > 3 && e.Name[0] == 'S' && isDigit(e.Name[1]) && isDigit(e.Name[2]) {
				c.Links = append(c.Links, Link{Unit: e.Name[3:], Dest: e.Name[3:], By: "rc" + lvl, Path: target.Abs(dir + "/" + e.Name)})
			}
		}
	}
	levels, err := t.ReadDir("etc/runlevels")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read /etc/runlevels: %w", err)
	}
	for _, lv := range levels {
		if lv.Type&fs.ModeType != fs.ModeDir || lv.Name == "shutdown" {
			continue
		}
		dir := "etc/runlevels/" + lv.Name
		ents, err := t.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("read %s: %w", target.Abs(dir), err)
		}
		for _, e := range ents {
			c.Links = append(c.Links, Link{Unit: e.Name, Dest: e.Name, By: "runlevel " + lv.Name, Path: target.Abs(dir + "/" + e.Name)})
		}
	}
	return nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// UnitState is the resolved state of one unit name.
type UnitState struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Unit is the canonical unit the name resolves to (through aliases).
	Unit string `json:"unit"`
	// File is the absolute path of the unit file, or of the mask.
	File string `json:"file,omitempty"`
	// EnabledBy lists the links that make the unit start.
	EnabledBy []Link `json:"enabled_by,omitempty"`
}

// State resolves the persistent state of a unit name such as
// "sshd.service", "getty@tty1.service" or "getty@.service" (any instance
// enabled). On SysV and OpenRC systems the name's ".service" suffix is
// dropped and rc links decide.
func (c *Config) State(name string) (UnitState, error) {
	us := UnitState{Name: name, Unit: name, State: Absent}
	if c.Init != Systemd {
		return c.rcState(name), nil
	}
	// Follow alias symlinks to the canonical unit, checking masks on the way.
	names := []string{name}
	cur := name
	for i := 0; i < 8; i++ {
		e, ok := c.entries[cur]
		if !ok {
			break
		}
		if e.masked {
			us.State, us.File, us.Unit = Masked, target.Abs(e.path), cur
			return us, nil
		}
		if e.link == "" || path.Base(e.link) == cur || !IsUnitName(path.Base(e.link)) {
			break
		}
		cur = path.Base(e.link)
		names = append(names, cur)
	}
	us.Unit = cur
	// Names whose alias symlink resolves to the canonical unit also count
	// (enabling "syslog.service" enables rsyslog.service).
	for n, e := range c.entries {
		if e.link != "" && path.Base(e.link) == cur && n != cur {
			names = append(names, n)
		}
	}
	file := ""
	if e, ok := c.entries[cur]; ok {
		file = e.path
	} else if tmpl, ok := templateOf(cur); ok {
		if e, ok := c.entries[tmpl]; ok {
			if e.masked {
				us.State, us.File = Masked, target.Abs(e.path)
				return us, nil
			}
			file = e.path
		}
	}
	isTemplate := strings.HasSuffix(strings.TrimSuffix(cur, path.Ext(cur)), "@")
	for _, l := range c.Links {
		if strings.HasPrefix(l.By, "rc") || strings.HasPrefix(l.By, "runlevel ") {
			continue
		}
		for _, n := range names {
			match := l.Unit == n || l.Dest == n
			if !match && isTemplate {
				pre := strings.TrimSuffix(n, path.Ext(n))
				match = strings.HasPrefix(l.Unit, pre) && path.Ext(l.Unit) == path.Ext(n)
			}
			if match {
				us.EnabledBy = append(us.EnabledBy, l)
				break
			}
		}
	}
	if file == "" {
		// systemd-sysv-generator turns init scripts without a native unit
		// into services enabled by their rc links.
		if strings.HasSuffix(name, ".service") && target.Exists(c.t, "etc/init.d/"+strings.TrimSuffix(name, ".service")) {
			rs := c.rcState(name)
			rs.Unit = name
			return rs, nil
		}
		// Links without a unit file pull in nothing: the manager reports
		// the unit not found, as systemctl is-enabled does ("not-found").
		return us, nil
	}
	if file != "" {
		us.File = target.Abs(file)
	}
	if len(us.EnabledBy) > 0 {
		us.State = Enabled
		return us, nil
	}
	us.State = Disabled
	if file != "" {
		hasInstall, err := c.hasInstall(file)
		if err != nil {
			return us, err
		}
		if !hasInstall {
			us.State = Static
		}
	}
	return us, nil
}

func (c *Config) rcState(name string) UnitState {
	svc := strings.TrimSuffix(name, ".service")
	us := UnitState{Name: name, Unit: svc, State: Absent}
	for _, dir := range []string{"etc/init.d/", "etc/rc.d/init.d/"} {
		if target.Exists(c.t, dir+svc) {
			us.State, us.File = Disabled, target.Abs(dir+svc)
			break
		}
	}
	for _, l := range c.Links {
		if (strings.HasPrefix(l.By, "rc") || strings.HasPrefix(l.By, "runlevel ")) && l.Unit == svc {
			us.EnabledBy = append(us.EnabledBy, l)
		}
	}
	if len(us.EnabledBy) > 0 {
		us.State = Enabled
	}
	return us
}

// templateOf maps "getty@tty1.service" to "getty@.service".
func templateOf(name string) (string, bool) {
	at := strings.IndexByte(name, '@')
	ext := path.Ext(name)
	if at < 0 || at+1 >= len(name)-len(ext) {
		return "", false
	}
	return name[:at+1] + ext, true
}

// Names lists every unit name known from unit files and enablement links,
// sorted, for glob queries.
func (c *Config) Names() []string {
	set := map[string]bool{}
	for n := range c.entries {
		set[n] = true
	}
	for _, l := range c.Links {
		set[l.Unit] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (c *Config) hasInstall(p string) (bool, error) {
	b, err := target.ReadFile(c.t, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil // dangling link: nothing to install
		}
		return false, fmt.Errorf("read unit %s: %w", target.Abs(p), err)
	}
	return HasInstallSection(b), nil
}

// HasInstallSection reports whether a unit file has an [Install] section
// with at least one enabling directive; units without one are "static".
func HasInstallSection(b []byte) bool {
	for k := range InstallDirectives(b) {
		switch k {
		case "WantedBy", "RequiredBy", "UpheldBy", "Alias", "Also":
			return true
		}
	}
	return false
}

// InstallDirectives yields the key and untrimmed value of each assignment
// in the [Install] sections of a unit file, in file order.
func InstallDirectives(b []byte) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		in := false
		for _, raw := range textline.Split(b) {
			line := strings.TrimSpace(raw)
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			if line[0] == '[' {
				in = line == "[Install]"
				continue
			}
			if !in {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			if !yield(strings.TrimSpace(k), v) {
				return
			}
		}
	}
}
