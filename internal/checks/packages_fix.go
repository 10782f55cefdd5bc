package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Remediate installs the missing packages through the package manager on
// a live host; an offline tree has neither the manager's runtime nor a
// package source, so the install is deferred.
func (c *packageCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if !c.present {
		return c.remove(ctx, ch)
	}
	db, err := packages.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read package database: %w", err)
	}
	var missing []string
	for _, n := range c.a.Names {
		if !db.Installed(n) {
			missing = append(missing, n)
		}
	}
	if c.a.Any {
		missing = missing[:min(1, len(missing))] // the first alternative
	}
	for _, n := range missing {
		summary := "install " + n
		switch {
		case strings.ContainsAny(n, "*?["):
			ch.Defer(summary, "a glob names no single package to install")
		case ch.Live():
			ch.Package("install", n, summary)
			ch.Effect(remedy.Effect{Kind: remedy.EffectPackageInstall, Subject: n})
		default:
			ch.Defer(summary, "installing into an offline root needs the package manager and a package source; install it when the image is rebuilt or on first boot")
		}
	}
	return nil
}

// remove plans the removal of installed packages: by the package manager
// on a live host; natively in an offline dpkg tree when that is safe (see
// dpkgRemoval); deferred otherwise.
func (c *packageCheck) remove(ctx context.Context, ch *remedy.Changes) error {
	db, err := packages.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read package database: %w", err)
	}
	var pkgs []packages.Package
	for _, n := range c.a.Names {
		for _, p := range db.Match(n) {
			if !slices.ContainsFunc(pkgs, func(q packages.Package) bool { return q.Name == p.Name && q.Arch == p.Arch }) {
				pkgs = append(pkgs, p)
			}
		}
	}
	var native []packages.Package
	for _, p := range pkgs {
		summary := "remove package " + p.Name
		switch {
		case ch.Live():
			ch.Package("remove", p.Name, summary)
			ch.Effect(remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: p.Name})
		case p.Manager == packages.Dpkg && p.File == "/"+dpkgStatus:
			native = append(native, p)
		case p.Manager == packages.Dpkg:
			ch.Defer(summary, "the package is recorded in "+p.File+" (a distroless image); rebuild the image without it")
		default:
			ch.Defer(summary, fmt.Sprintf("removing an %s package from an offline root needs the package manager; remove it when the image is rebuilt", p.Manager))
		}
	}
	if len(native) == 0 {
		return nil
	}
	return dpkgRemove(ch, native)
}

const (
	dpkgStatus = "var/lib/dpkg/status"
	dpkgInfo   = "var/lib/dpkg/info"
)

var dpkgScripts = []string{"preinst", "postinst", "prerm", "postrm"}

// dpkgStanza is one stanza of the status file with its byte range.
type dpkgStanza struct {
	fields     map[string]string // lower-cased names
	start, end int               // [start, end): the stanza and the blank lines after it
}

func (s dpkgStanza) name() string { return s.fields["package"] }

func (s dpkgStanza) installed() bool {
	st := strings.Fields(s.fields["status"])
	return len(st) == 3 && st[2] != "not-installed" && st[2] != "config-files"
}

// parseDpkgStanzas splits the status file keeping byte offsets, so a
// stanza can be cut out leaving the rest byte-identical. A stanza's range
// runs to the next stanza's start (its trailing blank lines included).
func parseDpkgStanzas(b []byte) []dpkgStanza {
	var out []dpkgStanza
	last, blank := "", true
	for off := 0; off < len(b); {
		end := off
		for end < len(b) && b[end] != '\n' {
			end++
		}
		start, line := off, strings.TrimSuffix(string(b[off:end]), "\r")
		off = min(end+1, len(b))
		switch {
		case strings.TrimSpace(line) == "":
			blank = true
			continue
		case blank:
			if n := len(out); n > 0 {
				out[n-1].end = start
			}
			out = append(out, dpkgStanza{fields: map[string]string{}, start: start, end: len(b)})
			last = ""
		}
		blank = false
		cur := &out[len(out)-1]
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				cur.fields[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			last = strings.ToLower(strings.TrimSpace(k))
			if _, dup := cur.fields[last]; !dup {
				cur.fields[last] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// depNames returns the alternatives of each clause of a Depends-style
// field, names only ("a (>= 1) | b:any" -> [a b]).
func depNames(field string) [][]string {
	var out [][]string
	for _, clause := range strings.Split(field, ",") {
		var alts []string
		for _, alt := range strings.Split(clause, "|") {
			f := strings.Fields(strings.TrimSpace(alt))
			if len(f) == 0 {
				continue
			}
			name := f[0]
			if i := strings.IndexAny(name, "(["); i >= 0 {
				name = name[:i]
			}
			name, _, _ = strings.Cut(name, ":")
			if name != "" {
				alts = append(alts, name)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// provides lists the names a stanza satisfies dependencies on.
func (s dpkgStanza) provides() []string {
	out := []string{s.name()}
	for _, alts := range depNames(s.fields["provides"]) {
		out = append(out, alts...)
	}
	return out
}

// infoFiles lists the control files of pkg in /var/lib/dpkg/info
// ("pkg.list", "pkg:amd64.postrm"); a longer package name sharing the
// prefix ("pkg.extra.list") is not matched.
func infoFiles(ents []target.DirEntry, pkg, arch string) map[string]string {
	out := map[string]string{} // extension -> file name
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name, pkg+".")
		if !ok && arch != "" {
			rest, ok = strings.CutPrefix(e.Name, pkg+":"+arch+".")
		}
		if ok && rest != "" && !strings.Contains(rest, ".") {
			out[rest] = e.Name
		}
	}
	return out
}

// dpkgRemove removes packages from an offline dpkg tree natively where
// that is what dpkg --purge would do without running anything: the
// package has no maintainer scripts and no triggers, is neither essential
// nor protected, and no installed package that stays depends on it. The
// files of its .list that no other package lists are removed (directories
// are left), then its control files and its status stanza. Anything else
// is deferred with the reason.
func dpkgRemove(ch *remedy.Changes, pkgs []packages.Package) error {
	b, err := ch.ReadFile(dpkgStatus)
	if err != nil {
		return err
	}
	stanzas := parseDpkgStanzas(b)
	ents, err := ch.Overlay().ReadDir(dpkgInfo)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read /%s: %w", dpkgInfo, err)
	}
	byName := map[string]int{}
	for i, s := range stanzas {
		if s.installed() {
			byName[s.name()] = i
		}
	}
	reasons := map[string][]string{}
	removing := map[string]bool{}
	for _, p := range pkgs {
		removing[p.Name] = true
		i, ok := byName[p.Name]
		if !ok {
			reasons[p.Name] = append(reasons[p.Name], "no installed stanza in /"+dpkgStatus)
			continue
		}
		s := stanzas[i]
		if strings.EqualFold(s.fields["essential"], "yes") || strings.EqualFold(s.fields["protected"], "yes") {
			reasons[p.Name] = append(reasons[p.Name], "it is marked essential or protected")
		}
		info := infoFiles(ents, p.Name, s.fields["architecture"])
		var scripts []string
		for _, sc := range dpkgScripts {
			if f, ok := info[sc]; ok {
				scripts = append(scripts, "/"+dpkgInfo+"/"+f)
			}
		}
		if len(scripts) > 0 {
			reasons[p.Name] = append(reasons[p.Name], "it has maintainer scripts that dpkg would run ("+strings.Join(scripts, ", ")+")")
		}
		if f, ok := info["triggers"]; ok {
			reasons[p.Name] = append(reasons[p.Name], "it declares dpkg triggers (/"+dpkgInfo+"/"+f+")")
		}
	}
	// Dependants: until stable, a package that stays blocks the removal
	// of what it needs.
	for changed := true; changed; {
		changed = false
		for _, p := range pkgs {
			if !removing[p.Name] || len(reasons[p.Name]) > 0 {
				if removing[p.Name] && len(reasons[p.Name]) > 0 {
					removing[p.Name], changed = false, true
				}
				continue
			}
			if deps := dependants(stanzas, byName, removing, stanzas[byName[p.Name]]); len(deps) > 0 {
				reasons[p.Name] = append(reasons[p.Name], "installed packages depend on it: "+strings.Join(deps, ", "))
				removing[p.Name], changed = false, true
			}
		}
	}
	var remove []dpkgStanza
	for _, p := range pkgs {
		if len(reasons[p.Name]) > 0 {
			ch.Defer("remove package "+p.Name, "not removed natively from the offline root because "+strings.Join(reasons[p.Name], "; ")+"; remove it with the package manager when the image is rebuilt or on the running system")
			continue
		}
		remove = append(remove, stanzas[byName[p.Name]])
	}
	if len(remove) == 0 {
		return nil
	}
	others, err := otherListedFiles(ch, ents, removing)
	if err != nil {
		return err
	}
	usr := usrMerged(ch)
	for _, s := range remove {
		name := s.name()
		summary := "remove package " + name + " from the offline root (no maintainer scripts, no dependants)"
		info := infoFiles(ents, name, s.fields["architecture"])
		if f, ok := info["list"]; ok {
			lb, err := ch.ReadFile(dpkgInfo + "/" + f)
			if err != nil {
				return err
			}
			for _, l := range strings.Split(string(lb), "\n") {
				l = strings.TrimSpace(l)
				if l == "" || l == "/." || others[usr(l)] {
					continue
				}
				fi, err := ch.Lstat(l)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return fmt.Errorf("stat %s: %w", l, err)
				}
				if fi.Mode.IsDir() {
					continue
				}
				if err := ch.Remove(l, summary); err != nil {
					return err
				}
			}
		}
		exts := make([]string, 0, len(info))
		for ext := range info {
			exts = append(exts, ext)
		}
		slices.Sort(exts)
		for _, ext := range exts {
			if err := ch.Remove(dpkgInfo+"/"+info[ext], summary); err != nil {
				return err
			}
		}
		ch.Effect(remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: name})
	}
	// Cut the stanzas out, leaving every other byte as it was.
	var out []byte
	prev := 0
	for _, s := range stanzas {
		if !slices.ContainsFunc(remove, func(r dpkgStanza) bool { return r.start == s.start }) {
			continue
		}
		out = append(out, b[prev:s.start]...)
		prev = s.end
	}
	out = append(out, b[prev:]...)
	var names []string
	for _, s := range remove {
		names = append(names, s.name())
	}
	if err := ch.WriteFile(dpkgStatus, out, 0o644, "drop "+strings.Join(names, ", ")+" from the dpkg status database"); err != nil {
		return err
	}
	for _, n := range names {
		ch.Effect(remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: n})
	}
	return nil
}

// dependants lists the installed packages, other than those being
// removed, with a Depends or Pre-Depends clause that only s (or other
// packages being removed) satisfies.
func dependants(stanzas []dpkgStanza, byName map[string]int, removing map[string]bool, s dpkgStanza) []string {
	mine := s.provides()
	// What stays installed, by every name it satisfies.
	satisfied := func(name string) bool {
		if i, ok := byName[name]; ok && !removing[stanzas[i].name()] {
			return true
		}
		for _, q := range stanzas {
			if q.installed() && !removing[q.name()] && slices.Contains(q.provides()[1:], name) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, q := range stanzas {
		if !q.installed() || removing[q.name()] {
			continue
		}
		for _, field := range []string{"depends", "pre-depends"} {
			for _, alts := range depNames(q.fields[field]) {
				if !slices.ContainsFunc(alts, func(a string) bool { return slices.Contains(mine, a) }) {
					continue
				}
				if !slices.ContainsFunc(alts, satisfied) {
					if !slices.Contains(out, q.name()) {
						out = append(out, q.name())
					}
				}
			}
		}
	}
	return out
}

// otherListedFiles returns the paths listed by the .list files of the
// packages not being removed (usr-merge normalised).
func otherListedFiles(ch *remedy.Changes, ents []target.DirEntry, removing map[string]bool) (map[string]bool, error) {
	usr := usrMerged(ch)
	out := map[string]bool{}
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name, ".list")
		if !ok {
			continue
		}
		pkg, _, _ := strings.Cut(base, ":")
		if removing[pkg] {
			continue
		}
		b, err := ch.ReadFile(dpkgInfo + "/" + e.Name)
		if err != nil {
			return nil, err
		}
		for _, l := range textline.Split(b) {
			if l = strings.TrimSpace(l); l != "" {
				out[usr(l)] = true
			}
		}
	}
	return out, nil
}

// usrMerged returns a normaliser mapping /bin/x to /usr/bin/x (and so on)
// when those top-level directories are symlinks into /usr, so two
// packages listing one file under both names are recognised.
func usrMerged(ch *remedy.Changes) func(string) string {
	merged := map[string]bool{}
	for _, d := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		if l, err := ch.Overlay().Readlink(d); err == nil && path.Clean("/"+strings.TrimPrefix(l, "/")) == "/usr/"+d {
			merged[d] = true
		}
	}
	return func(p string) string {
		top, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if merged[top] {
			return "/usr" + p
		}
		return p
	}
}
