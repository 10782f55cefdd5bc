package systemd

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// The answers of systemctl is-enabled besides Enabled, Disabled, Static
// and Masked (systemctl(1), "is-enabled").
const (
	EnabledRuntime = "enabled-runtime"
	MaskedRuntime  = "masked-runtime"
	Linked         = "linked"
	LinkedRuntime  = "linked-runtime"
	Alias          = "alias"
	Indirect       = "indirect"
	Generated      = "generated"
	Transient      = "transient"
	NotFound       = "not-found"
)

// ErrBadUnit is returned for a unit that systemctl cannot look up: an
// invalid name, a symlink chain that ends nowhere or loops, a directory
// where a unit file should be.
var ErrBadUnit = errors.New("unit file state cannot be determined")

// installInfo is what systemd's install logic (src/shared/install.c)
// knows of one unit name: where its file is and its [Install] section.
type installInfo struct {
	name     string
	path     string // root-relative
	kind     int
	linkDest string // resolved, root-relative, for kindSymlink
	aliases  []string
	wanted   []string
	required []string
	also     []string
	defInst  string
}

const (
	kindUnknown = iota
	kindRegular
	kindMasked
	kindSymlink
)

// IsEnabled answers as "systemctl --root=ROOT is-enabled NAME" does,
// following install.c's unit_file_lookup_state: the first file or symlink
// of the name in the search path (an instance falls back to its
// template), symlinks followed to the unit they resolve to (a different
// name makes the queried one an "alias"), /dev/null or empty files as
// masks (in /run: "masked-runtime"), [Install] sections of the unit and
// its drop-ins; then "enabled" when a .wants/.requires/.upholds link or an
// Alias= symlink of the unit exists in /etc (or "enabled-runtime" in /run),
// "indirect" when it is linked only under other names or has only Also=,
// "disabled" with install rules, "static" without, "generated" and
// "transient" for units generators or the manager wrote. Presets are not
// applied: they decide only what "systemctl preset" would do.
func (c *Config) IsEnabled(name string) (string, error) {
	if !IsUnitName(name) || strings.ContainsAny(name, "/") {
		return "", fmt.Errorf("%s: %w (invalid unit name)", name, ErrBadUnit)
	}
	info, err := c.discover(name)
	if err != nil {
		return "", err
	}
	if info == nil {
		return NotFound, nil
	}
	if info.kind == kindMasked {
		if isRuntimePath(path.Dir(info.path)) {
			return MaskedRuntime, nil
		}
		return Masked, nil
	}
	if name != path.Base(info.path) && !isInstance(info.name) {
		return Alias, nil
	}
	switch path.Dir(info.path) {
	case "run/systemd/generator", "run/systemd/generator.early", "run/systemd/generator.late":
		return Generated, nil
	case "run/systemd/transient":
		return Transient, nil
	}
	if st, ok, err := c.findInScope(info, true); err != nil || ok {
		return st, err
	}
	if _, ok, err := c.findInScope(info, false); err != nil || ok {
		return Indirect, err
	}
	switch {
	case len(info.aliases)+len(info.wanted)+len(info.required) > 0:
		return Disabled, nil
	case len(info.also) > 0:
		return Indirect, nil
	}
	return Static, nil
}

// maxFollow bounds alias chains (UNIT_FILE_FOLLOW_SYMLINK_MAX).
const maxFollow = 64

func (c *Config) discover(name string) (*installInfo, error) {
	info := &installInfo{name: name}
	found, err := c.search(info)
	if err != nil || !found {
		return nil, err
	}
	for k := 0; info.kind == kindSymlink; k++ {
		if k > maxFollow {
			return nil, fmt.Errorf("%s: %w (too many levels of symbolic links)", name, ErrBadUnit)
		}
		bn := path.Base(info.linkDest)
		if bn == info.name {
			// A link to a missing file of the same name is refused (ELOOP).
			info.path, info.kind = info.linkDest, kindUnknown
			if err := c.loadOrReadlink(info, info.path); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("%s: %w (too many levels of symbolic links)", name, ErrBadUnit)
				}
				return nil, err
			}
			continue
		}
		if err := validAlias(info.name, bn); err != nil {
			return nil, err
		}
		// An instance reached through a template link keeps its
		// instance ("foo@a.service" -> "bar@.service" is "bar@a.service").
		if isInstance(info.name) && isTemplate(bn) {
			if inst := instanceOf(info.name); bn[:strings.IndexByte(bn, '@')+1]+inst+path.Ext(bn) == info.name {
				info.path, info.kind = info.linkDest, kindUnknown
				if err := c.loadOrReadlink(info, info.path); err != nil {
					return nil, notFoundOK(err)
				}
				continue
			} else {
				bn = bn[:strings.IndexByte(bn, '@')+1] + inst + path.Ext(bn)
			}
		}
		info = &installInfo{name: bn}
		found, err := c.search(info)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("%s: %w (link has been severed)", name, ErrBadUnit)
		}
	}
	return info, nil
}

// validAlias applies systemd's rule for alias symlinks
// (unit_validate_alias_symlink_or_warn): the same unit type, and a plain
// name to a plain one, a template to a template, an instance to an
// instance or a template.
func validAlias(src, dst string) error {
	bad := path.Ext(src) != path.Ext(dst)
	switch {
	case isTemplate(src):
		bad = bad || !isTemplate(dst)
	case isInstance(src):
		bad = bad || !isTemplate(dst) && !isInstance(dst)
	default:
		bad = bad || isTemplate(dst) || isInstance(dst)
	}
	if bad {
		return fmt.Errorf("%s: %w (alias of %s rejected)", src, ErrBadUnit, dst)
	}
	return nil
}

// notFoundOK turns a link to a missing file into "not found", the error
// systemctl reports for it (ENOENT), and keeps other errors.
func notFoundOK(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// search finds info.name in the search path (an instance falls back to
// its template) and loads it with its drop-ins.
func (c *Config) search(info *installInfo) (bool, error) {
	names := []string{info.name}
	tmpl, isInst := templateOf(info.name)
	if isInst {
		names = append(names, tmpl)
	}
	found := false
	for _, n := range names {
		for _, dir := range SearchPath {
			p := dir + "/" + n
			err := c.loadOrReadlink(info, p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return false, err
			}
			info.path, found = p, true
			break
		}
		if found {
			break
		}
	}
	if !found || info.kind == kindMasked {
		return found, nil
	}
	// Drop-ins: NAME.d/*.conf (and the template's) in every search path
	// directory, a file name in an earlier directory hiding the same name
	// later, read in file name order (conf_files_list_strv).
	byName := map[string]string{}
	for _, n := range names {
		for _, dir := range SearchPath {
			d := dir + "/" + n + ".d"
			ents, err := c.t.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if strings.HasSuffix(e.Name, ".conf") {
					if _, dup := byName[e.Name]; !dup {
						byName[e.Name] = d + "/" + e.Name
					}
				}
			}
		}
	}
	keys := make([]string, 0, len(byName))
	for k := range byName {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := target.ReadFile(c.t, byName[k])
		if err != nil {
			continue
		}
		info.parse(b)
	}
	return true, nil
}

// loadOrReadlink loads the main unit file at p into info, or records the
// symlink there resolved (unit_file_load_or_readlink).
func (c *Config) loadOrReadlink(info *installInfo, p string) error {
	fi, err := c.t.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return fs.ErrNotExist
		}
		return fs.ErrNotExist // ENOTDIR and friends: not found here
	}
	switch {
	case fi.Mode&fs.ModeSymlink != 0:
		dest, err := c.resolve(p)
		if err != nil {
			return err
		}
		// A link to the same name in another unit directory is refused
		// as a loop (systemd's unit_file_resolve_symlink).
		if path.Base(dest) == path.Base(p) && slices.Contains(SearchPath, path.Dir(dest)) {
			return fmt.Errorf("%s -> %s: %w (too many levels of symbolic links)", target.Abs(p), target.Abs(dest), ErrBadUnit)
		}
		info.linkDest = dest
		info.kind = kindSymlink
		if c.nullOrEmpty(dest) {
			info.kind = kindMasked
		}
		return nil
	case fi.Mode.IsDir():
		return fmt.Errorf("%s: %w (is a directory)", target.Abs(p), ErrBadUnit)
	case !fi.Mode.IsRegular():
		if fi.Mode&fs.ModeCharDevice != 0 && p == "dev/null" {
			info.kind = kindMasked
			return nil
		}
		return fmt.Errorf("%s: %w (not a regular file)", target.Abs(p), ErrBadUnit)
	case fi.Size == 0:
		info.kind = kindMasked
		return nil
	}
	b, err := target.ReadFile(c.t, p)
	if err != nil {
		return fmt.Errorf("read unit %s: %w", target.Abs(p), err)
	}
	info.parse(b)
	info.kind = kindRegular
	return nil
}

func (c *Config) nullOrEmpty(p string) bool {
	if p == "dev/null" {
		return true
	}
	fi, err := c.t.Stat(p)
	return err == nil && fi.Mode.IsRegular() && fi.Size == 0
}

// resolve follows the symlink at p and every symlink in the path of its
// destination, under the target root, returning the root-relative path.
func (c *Config) resolve(p string) (string, error) {
	cur := p
	for range 40 {
		parts := strings.Split(cur, "/")
		changed := false
		for i := range parts {
			pre := strings.Join(parts[:i+1], "/")
			fi, err := c.t.Lstat(pre)
			if err != nil || fi.Mode&fs.ModeSymlink == 0 {
				continue
			}
			l, err := c.t.Readlink(pre)
			if err != nil {
				return "", fmt.Errorf("readlink %s: %w", target.Abs(pre), err)
			}
			if !strings.HasPrefix(l, "/") {
				l = path.Join(path.Dir(pre), l)
			}
			cur = target.Clean(path.Join(append([]string{l}, parts[i+1:]...)...))
			changed = true
			break
		}
		if !changed {
			return cur, nil
		}
	}
	return "", fmt.Errorf("%s: %w (too many levels of symbolic links)", target.Abs(p), ErrBadUnit)
}

// parse adds the [Install] settings of a unit file or drop-in.
func (info *installInfo) parse(b []byte) {
	for k, v := range InstallDirectives(b) {
		words := strings.Fields(v)
		switch k {
		case "Alias":
			if len(words) == 0 {
				info.aliases = nil
			}
			info.aliases = append(info.aliases, words...)
		case "WantedBy":
			if len(words) == 0 {
				info.wanted = nil
			}
			info.wanted = append(info.wanted, words...)
		case "RequiredBy":
			if len(words) == 0 {
				info.required = nil
			}
			info.required = append(info.required, words...)
		case "Also":
			info.also = append(info.also, words...)
		case "DefaultInstance":
			info.defInst = strings.TrimSpace(v)
		}
	}
}

// findInScope looks for enabling symlinks of info in every search path
// directory (find_symlinks_in_scope): with matchName only links whose
// name is the unit's own, an Alias= or the DefaultInstance instance.
func (c *Config) findInScope(info *installInfo, matchName bool) (string, bool, error) {
	var sameConfig, sameRuntime, inRuntime, atAll, ignoreSame bool
	for _, dir := range SearchPath {
		same := false
		found := c.findSymlinks(info, matchName, ignoreSame, dir, &same)
		switch {
		case found:
			if dir == "etc/systemd/system" {
				return Enabled, true, nil
			}
			if isRuntimePath(dir) {
				inRuntime = true
			} else {
				atAll = true
			}
		case same:
			if dir == "etc/systemd/system" {
				sameConfig = true
			} else if isRuntimePath(dir) {
				sameRuntime = true
			}
		}
		if !ignoreSame && (info.path == dir || strings.HasPrefix(info.path, dir+"/")) {
			ignoreSame = true
		}
	}
	switch {
	case inRuntime:
		return EnabledRuntime, true, nil
	case atAll && isInstance(info.name):
		// An instance linked from a vendor directory is statically enabled.
		return Static, true, nil
	case sameConfig:
		return Linked, true, nil
	case sameRuntime:
		return LinkedRuntime, true, nil
	}
	return "", false, nil
}

func (c *Config) findSymlinks(info *installInfo, matchName, ignoreSame bool, dir string, same *bool) bool {
	ents, err := c.t.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Type&fs.ModeType != fs.ModeDir {
			continue
		}
		suf := e.Name[strings.LastIndexByte(e.Name, '.')+1:]
		if !slices.Contains([]string{"wants", "requires", "upholds"}, suf) || !strings.Contains(e.Name, ".") {
			continue
		}
		if c.findInDir(info, matchName, ignoreSame, dir+"/"+e.Name, dir, same) {
			return true
		}
	}
	return c.findInDir(info, matchName, ignoreSame, dir, dir, same)
}

func (c *Config) findInDir(info *installInfo, matchName, ignoreSame bool, dir, configDir string, same *bool) bool {
	ents, err := c.t.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Type&fs.ModeSymlink == 0 {
			continue
		}
		dest, err := c.t.Readlink(dir + "/" + e.Name)
		if err != nil {
			continue
		}
		foundPath := !ignoreSame && e.Name == info.name
		foundDest := path.Base(dest) == info.name
		if foundPath && foundDest && dir == configDir {
			*same = true
			continue
		}
		if foundPath || foundDest {
			if !matchName || info.knownName(e.Name) {
				return true
			}
		}
	}
	return false
}

// knownName is is_symlink_with_known_name.
func (info *installInfo) knownName(n string) bool {
	if n == info.name || slices.Contains(info.aliases, n) {
		return true
	}
	if info.defInst != "" && isTemplate(info.name) {
		at := strings.IndexByte(info.name, '@')
		return n == info.name[:at+1]+info.defInst+path.Ext(info.name)
	}
	return false
}

func isRuntimePath(dir string) bool { return dir == "run" || strings.HasPrefix(dir, "run/") }

func isTemplate(name string) bool {
	at := strings.IndexByte(name, '@')
	return at > 0 && at+1 == len(name)-len(path.Ext(name))
}

func isInstance(name string) bool {
	at := strings.IndexByte(name, '@')
	return at > 0 && at+1 < len(name)-len(path.Ext(name))
}

func instanceOf(name string) string {
	at := strings.IndexByte(name, '@')
	return name[at+1 : len(name)-len(path.Ext(name))]
}
