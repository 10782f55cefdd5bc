package impact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/target"
)

// unitDirs are the unit directories read for dependencies, highest
// priority first: the first file of a name wins, as in systemd.
var unitDirs = []string{
	"etc/systemd/system",
	"run/systemd/system",
	"usr/local/lib/systemd/system",
	"usr/lib/systemd/system",
	"lib/systemd/system",
}

const (
	maxUnitFiles = 20000
	maxUnitFile  = 1 << 20
)

// Dep is a dependency of one unit on another.
type Dep struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Kind    string `json:"kind"` // Requires, BindsTo, Wants, Requisite
	File    string `json:"file"` // where it is declared
	Enabled bool   `json:"enabled"`
}

// unitInfo is what the unit files say.
type unitInfo struct {
	deps    []Dep
	listen  map[string][]listenSpec // socket unit → what it listens on
	execs   []unitExec              // commands and User= (automation.go)
	aliases map[string]string       // alias symlink → unit it names (dbus.go)
	dirs    []string                // unit directories read
}

// listenSpec is one ListenStream=/ListenDatagram= port of a socket unit.
type listenSpec struct {
	proto string
	port  uint16
}

func collectUnits(ctx context.Context, t target.Target) (*unitInfo, []string, error) {
	ui := &unitInfo{listen: map[string][]listenSpec{}, aliases: map[string]string{}}
	var problems []string
	seenFile := map[string]bool{}
	files := 0
	for _, dir := range unitDirs {
		ents, err := t.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
				problems = append(problems, err.Error())
			}
			continue
		}
		ui.dirs = append(ui.dirs, target.Abs(dir))
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			if files >= maxUnitFiles {
				problems = append(problems, fmt.Sprintf("more than %d unit files: the rest not read", maxUnitFiles))
				return ui, problems, nil
			}
			p := dir + "/" + e.Name
			switch {
			case strings.HasSuffix(e.Name, ".wants") || strings.HasSuffix(e.Name, ".requires"):
				from, kind := strings.TrimSuffix(e.Name, ".wants"), "Wants"
				if strings.HasSuffix(e.Name, ".requires") {
					from, kind = strings.TrimSuffix(e.Name, ".requires"), "Requires"
				}
				links, err := t.ReadDir(p)
				if err != nil {
					continue
				}
				for _, l := range links {
					files++
					if isUnitName(l.Name) {
						ui.deps = append(ui.deps, Dep{From: from, To: l.Name, Kind: kind, File: target.Abs(p + "/" + l.Name)})
					}
				}
			case strings.HasSuffix(e.Name, ".d") && isUnitName(strings.TrimSuffix(e.Name, ".d")):
				unit := strings.TrimSuffix(e.Name, ".d")
				drops, err := t.ReadDir(p)
				if err != nil {
					continue
				}
				for _, d := range drops {
					if strings.HasSuffix(d.Name, ".conf") {
						files++
						ui.readUnit(t, unit, p+"/"+d.Name, &problems)
					}
				}
			case isUnitName(e.Name):
				if seenFile[e.Name] {
					continue
				}
				seenFile[e.Name] = true
				ui.noteAlias(t, p, e)
				files++
				ui.readUnit(t, e.Name, p, &problems)
			}
		}
	}
	return ui, problems, nil
}

func (ui *unitInfo) readUnit(t target.Target, unit, p string, problems *[]string) {
	fi, err := t.Stat(p)
	if err != nil || !fi.Mode.IsRegular() || fi.Size == 0 {
		return // dangling, masked (/dev/null) or empty
	}
	if fi.Size > maxUnitFile {
		*problems = append(*problems, fmt.Sprintf("%s: larger than %d bytes, skipped", target.Abs(p), maxUnitFile))
		return
	}
	b, err := target.ReadFile(t, p)
	if err != nil {
		*problems = append(*problems, err.Error())
		return
	}
	if _, alias := ui.aliases[unit]; !alias {
		ui.noteExec(unit, p, b)
	}
	deps, listen := parseUnit(b)
	for _, d := range deps {
		d.From, d.File = unit, target.Abs(p)
		ui.deps = append(ui.deps, d)
	}
	if strings.HasSuffix(unit, ".socket") && len(listen) > 0 {
		ui.listen[unit] = append(ui.listen[unit], listen...)
	}
}

// parseUnit reads the dependency directives of the [Unit] section
// (Requires, BindsTo, Wants, Requisite; From and File left empty) and the
// network ports of a [Socket] section from unit file content.
func parseUnit(b []byte) ([]Dep, []listenSpec) {
	var deps []Dep
	var listen []listenSpec
	eachUnitSetting(b, func(section, k, v string, _ int) {
		switch section {
		case "[Unit]":
			switch k {
			case "Requires", "BindsTo", "Wants", "Requisite":
				for _, u := range strings.Fields(v) {
					if isUnitName(u) || strings.HasSuffix(u, ".target") {
						deps = append(deps, Dep{To: u, Kind: k})
					}
				}
			}
		case "[Socket]":
			proto := map[string]string{"ListenStream": "tcp", "ListenDatagram": "udp"}[k]
			if proto == "" || len(listen) >= 64 {
				return
			}
			if port, ok := listenPort(v); ok {
				listen = append(listen, listenSpec{proto: proto, port: port})
			}
		}
	})
	return deps, listen
}

// eachUnitSetting calls fn for every "key=value" of unit file content with
// its section ("[Unit]") and line number, keys and values trimmed.
func eachUnitSetting(b []byte, fn func(section, key, value string, line int)) {
	section := ""
	n := 0
	_, _ = eachLine(bytes.NewReader(b), 64<<10, maxUnitFile, func(raw []byte) bool {
		n++
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' || line[0] == ';' {
			return true
		}
		if line[0] == '[' {
			section = line
			return true
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			fn(section, strings.TrimSpace(k), strings.TrimSpace(v), n)
		}
		return true
	})
}

// listenPort reads the port of "22", "0.0.0.0:22", "[::]:22"; unix and
// netlink sockets have none.
func listenPort(v string) (uint16, bool) {
	if n, err := strconv.ParseUint(v, 10, 16); err == nil {
		return uint16(n), n > 0
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Port(), ap.Port() > 0
	}
	return 0, false
}

// markEnabled keeps the dependencies whose source unit is enabled (targets
// excluded: their .wants links are how units are enabled, not needs).
func markEnabled(deps []Dep, sd *systemd.Config) []Dep {
	state := map[string]bool{}
	var out []Dep
	for _, d := range deps {
		switch path.Ext(d.From) {
		case ".target", ".slice":
			continue
		}
		en, ok := state[d.From]
		if !ok {
			if sd != nil {
				if us, err := sd.State(d.From); err == nil {
					en = us.State == systemd.Enabled
				}
			}
			state[d.From] = en
		}
		d.Enabled = en
		out = append(out, d)
	}
	return out
}
