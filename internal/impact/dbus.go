package impact

import (
	"bytes"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// noteAlias records a unit-directory symlink that names another unit: an
// alias (Alias= in [Install], such as dbus-org.freedesktop.Avahi.service
// → avahi-daemon.service). Its content is the unit's own, so what it
// declares is the unit's, not a dependent's.
func (ui *unitInfo) noteAlias(t target.Target, p string, e target.DirEntry) {
	if e.Type&fs.ModeSymlink == 0 || len(ui.aliases) >= maxUnitFiles {
		return
	}
	l, err := t.Readlink(p)
	if err != nil {
		return
	}
	if base := path.Base(l); base != e.Name && isUnitName(base) {
		ui.aliases[e.Name] = base
	}
}

// canonicalUnit follows aliases (the unit directories' symlinks, then the
// systemd collector's resolution) to the unit a name stands for.
func (s *Signals) canonicalUnit(name string) string {
	for range 8 {
		next, ok := s.aliases[name]
		if !ok || next == name {
			break
		}
		name = next
	}
	if s.sd != nil {
		if us, err := s.sd.State(name); err == nil && us.Unit != "" {
			name = us.Unit
		}
	}
	return name
}

// unitAliases lists the alias names of canon.
func (s *Signals) unitAliases(canon string) []string {
	var out []string
	for a := range s.aliases {
		if a != canon && s.canonicalUnit(a) == canon {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// ownDep reports whether a dependency is declared by one of the unit's own
// names (an alias of it included): not a dependent.
func (s *Signals) ownDep(from string, own []string) bool {
	return unitMatch(from, own) || unitMatch(s.canonicalUnit(from), own)
}

// dbusServiceDirs hold D-Bus system service activation files.
var dbusServiceDirs = []string{"usr/share/dbus-1/system-services", "usr/local/share/dbus-1/system-services"}

const maxDBusFiles = 2000

// readDBusServices maps units to the D-Bus names that activate them
// (Name= and SystemdService= of the activation files).
func readDBusServices(t target.Target, have map[string][]string) map[string][]string {
	if have != nil {
		return have
	}
	out := map[string][]string{}
	n := 0
	for _, dir := range dbusServiceDirs {
		ents, err := t.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if n >= maxDBusFiles || !strings.HasSuffix(e.Name, ".service") {
				continue
			}
			n++
			b, err := target.ReadFileLimit(t, dir+"/"+e.Name, 64<<10)
			if err != nil {
				continue
			}
			name, unit := parseDBusService(b)
			if name != "" && unit != "" {
				out[unit] = union(out[unit], []string{name})
			}
		}
	}
	return out
}

// parseDBusService reads Name= and SystemdService= of a D-Bus activation
// file.
func parseDBusService(b []byte) (name, unit string) {
	_, _ = eachLine(bytes.NewReader(b), 4096, 64<<10, func(raw []byte) bool {
		k, v, ok := strings.Cut(strings.TrimSpace(string(raw)), "=")
		if !ok {
			return true
		}
		switch strings.TrimSpace(k) {
		case "Name":
			name = strings.TrimSpace(v)
		case "SystemdService":
			unit = strings.TrimSpace(v)
		}
		return true
	})
	return name, unit
}

// dbusNote says which D-Bus names activate a unit through its own alias:
// disabling the unit ends activation on demand too, but the alias is not
// a dependent.
func (s *Signals) dbusNote(names []string) string {
	var bus, via []string
	for _, n := range names {
		for unit, ns := range s.dbusNames {
			if unit == n || s.canonicalUnit(unit) == n {
				bus = union(bus, ns)
				via = union(via, []string{unit})
			}
		}
	}
	if len(bus) == 0 {
		return ""
	}
	sort.Strings(bus)
	sort.Strings(via)
	return "D-Bus activates it as " + list(bus) + " through its own name " + list(via) + ": activation on demand ends with it; that alias is not a dependent unit"
}
