// Package pkgtrust collects how a target's package managers are told to
// trust their repositories: APT sources (one-line and deb822) and apt.conf,
// DNF/YUM repository files and dnf.conf, and apk's repositories and
// config. Checks use it to verify that every repository's packages are
// signature-checked and that automatic security updates are on.
package pkgtrust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Trust is the repository configuration of every package manager found;
// a nil field means that manager is not configured on the target.
type Trust struct {
	Apt *Apt `json:"apt,omitempty"`
	Dnf *Dnf `json:"dnf,omitempty"`
	Apk *Apk `json:"apk,omitempty"`
}

// Key is the fact-store key.
const Key = "pkgtrust"

// Get returns the memoised repository configuration.
func Get(s *facts.Store) (*Trust, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads the repository configuration of t.
func Collect(_ context.Context, t target.Target) (*Trust, error) {
	tr := &Trust{}
	var err error
	if tr.Apt, err = collectApt(t); err != nil {
		return nil, err
	}
	if tr.Dnf, err = collectDnf(t); err != nil {
		return nil, err
	}
	if tr.Apk, err = collectApk(t); err != nil {
		return nil, err
	}
	return tr, nil
}

// Repo is one repository definition of any package manager.
type Repo struct {
	Manager string   `json:"manager"`
	ID      string   `json:"id"` // dnf section name; apt "type uri suite"
	URIs    []string `json:"uris"`
	Enabled bool     `json:"enabled"`
	// Options holds lower-cased option names with their values (apt
	// [options] or deb822 fields, dnf repo keys).
	Options map[string]string `json:"options,omitempty"`
	File    string            `json:"file"`
	Line    int               `json:"line"`
}

// Apt is the APT configuration.
type Apt struct {
	Sources []Repo   `json:"sources"`
	Conf    *AptConf `json:"conf"`
}

var aptPartName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// aptIgnored mirrors Dir::Ignore-Files-Silently.
var aptIgnored = regexp.MustCompile(`(~|\.disabled|\.bak|\.dpkg-[a-z]+|\.ucf-[a-z]+|\.save|\.orig|\.distUpgrade)$`)

func collectApt(t target.Target) (*Apt, error) {
	if fi, err := t.Stat("etc/apt"); err != nil || !fi.Mode.IsDir() {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("stat /etc/apt: %w", err)
		}
		return nil, nil
	}
	a := &Apt{Conf: &AptConf{Values: map[string]Assignment{}}}
	// sources.list, then sources.list.d/*.list and *.sources in name order.
	files := []string{}
	if target.Exists(t, "etc/apt/sources.list") {
		files = append(files, "etc/apt/sources.list")
	}
	parts, err := readParts(t, "etc/apt/sources.list.d", func(n string) bool {
		return strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources")
	})
	if err != nil {
		return nil, err
	}
	files = append(files, parts...)
	for _, f := range files {
		b, err := target.ReadFile(t, f)
		if err != nil {
			return nil, fmt.Errorf("read APT sources: %w", err)
		}
		if strings.HasSuffix(f, ".sources") {
			a.Sources = append(a.Sources, ParseDeb822Sources(b, target.Abs(f))...)
		} else {
			a.Sources = append(a.Sources, ParseSourcesList(b, target.Abs(f))...)
		}
	}
	// apt reads apt.conf.d/* first, then apt.conf.
	confs, err := readParts(t, "etc/apt/apt.conf.d", aptConfPart)
	if err != nil {
		return nil, err
	}
	if target.Exists(t, "etc/apt/apt.conf") {
		confs = append(confs, "etc/apt/apt.conf")
	}
	for _, f := range confs {
		if err := a.Conf.ParseAptConfFile(aptTarget{t}, f); err != nil {
			// apt itself refuses to run on a syntax error; record it so
			// checks report an error rather than a guess.
			return nil, fmt.Errorf("parse APT configuration: %w", err)
		}
	}
	return a, nil
}

// aptConfPart reports whether apt reads a configuration part: ReadConfigDir
// lists a directory with extension "conf" allowing none, so "50foo" and
// "50foo.conf" are read and "50foo.txt" is ignored.
func aptConfPart(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return i < 0 || name[i+1:] == "conf"
}

// aptTarget reads included APT configuration from the target.
type aptTarget struct{ t target.Target }

func (a aptTarget) Parts(dir string) ([]string, error) {
	d := target.Clean(dir)
	if fi, err := a.t.Stat(d); err != nil {
		return nil, err
	} else if !fi.Mode.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", target.Abs(d))
	}
	return readParts(a.t, d, aptConfPart)
}

func (a aptTarget) Read(name string) ([]byte, string, error) {
	b, err := target.ReadFile(a.t, name)
	if err != nil {
		return nil, "", fmt.Errorf("read APT configuration: %w", err)
	}
	return b, target.Abs(name), nil
}

// readParts lists the regular files of a .d directory that apt would read,
// sorted by name.
func readParts(t target.Target, dir string, keep func(string) bool) ([]string, error) {
	ents, err := t.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read %s: %w", target.Abs(dir), err)
	}
	var out []string
	for _, e := range ents {
		if !aptPartName.MatchString(e.Name) || aptIgnored.MatchString(e.Name) || !keep(e.Name) {
			continue
		}
		p := dir + "/" + e.Name
		if fi, err := t.Stat(p); err != nil || !fi.Mode.IsRegular() {
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// ParseSourcesList parses the one-line sources.list(5) format:
// "deb [ key=value ... ] uri suite [component ...]".
func ParseSourcesList(b []byte, file string) []Repo {
	var out []Repo
	eachLine(b, func(n int, line string) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		typ, rest, ok := strings.Cut(line, " ")
		if !ok {
			typ, rest, ok = strings.Cut(line, "\t")
		}
		if !ok || (typ != "deb" && typ != "deb-src") {
			return
		}
		rest = strings.TrimSpace(rest)
		r := Repo{Manager: "apt", Enabled: true, Options: map[string]string{}, File: file, Line: n}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return // apt rejects the line
			}
			for _, kv := range strings.Fields(rest[1:end]) {
				k, v, _ := strings.Cut(kv, "=")
				k = strings.TrimRight(strings.ToLower(k), "+-")
				r.Options[k] = v
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			return
		}
		r.URIs = []string{f[0]}
		r.ID = typ + " " + f[0] + " " + f[1]
		out = append(out, r)
	})
	return out
}

// ParseDeb822Sources parses the deb822 sources format (*.sources): one
// stanza per repository with Types, URIs, Suites, Components, Enabled,
// Trusted, Signed-By and the other options as fields.
func ParseDeb822Sources(b []byte, file string) []Repo {
	var out []Repo
	eachStanza(b, func(fields map[string]string, first int) {
		if fields["types"] == "" || fields["uris"] == "" {
			return
		}
		r := Repo{Manager: "apt", Enabled: true, Options: map[string]string{}, File: file, Line: first}
		for k, v := range fields {
			switch k {
			case "types", "uris", "suites", "components":
			default:
				r.Options[k] = v
			}
		}
		if !aptBool(fields["enabled"], true) {
			r.Enabled = false
		}
		r.URIs = strings.Fields(fields["uris"])
		r.ID = fields["types"] + " " + fields["uris"] + " " + fields["suites"]
		out = append(out, r)
	})
	return out
}

// aptBool interprets apt's boolean spellings, with def for anything else.
func aptBool(v string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "1", "on", "enable", "with":
		return true
	case "no", "false", "0", "off", "disable", "without":
		return false
	}
	return def
}

// AptBool is aptBool for checks.
func AptBool(v string, def bool) bool { return aptBool(v, def) }

func eachLine(b []byte, fn func(n int, line string)) {
	n := 0
	for _, raw := range textline.Split(b) {
		n++
		fn(n, raw)
	}
}

// eachStanza splits deb822 text into stanzas of lower-cased fields; first
// is the line of the stanza's first field.
func eachStanza(b []byte, fn func(fields map[string]string, first int)) {
	fields, first, last := map[string]string{}, 0, ""
	flush := func() {
		if len(fields) > 0 {
			fn(fields, first)
		}
		fields, first, last = map[string]string{}, 0, ""
	}
	eachLine(b, func(n int, line string) {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == '#':
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				fields[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return
			}
			if first == 0 {
				first = n
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
	})
	flush()
}

// Dnf is the DNF/YUM configuration.
type Dnf struct {
	// MainFile is the main configuration (/etc/dnf/dnf.conf or
	// /etc/yum.conf), "" when absent; Main its [main] options.
	MainFile string            `json:"main_file,omitempty"`
	Main     map[string]Option `json:"main"`
	Repos    []Repo            `json:"repos"`
	// RepoLines keeps the line of each repo option: Repos[i] options
	// are in RepoLines[i].
	RepoLines []map[string]int `json:"-"`
	// Automatic holds the sections of dnf-automatic's configuration
	// (/etc/dnf/automatic.conf), nil when absent.
	Automatic     map[string]Section `json:"automatic,omitempty"`
	AutomaticFile string             `json:"automatic_file,omitempty"`
}

// Option is one INI value and its line.
type Option struct {
	Value string `json:"value"`
	Line  int    `json:"line"`
}

func collectDnf(t target.Target) (*Dnf, error) {
	d := &Dnf{Main: map[string]Option{}}
	found := false
	for _, p := range []string{"etc/dnf/dnf.conf", "etc/yum.conf"} {
		b, err := target.ReadFile(t, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read DNF configuration: %w", err)
		}
		found = true
		d.MainFile = target.Abs(p)
		for _, s := range ParseINI(b) {
			if s.Name == "main" {
				d.Main = s.Options
			}
		}
		break
	}
	dirs := []string{"etc/yum.repos.d", "etc/yum/repos.d", "etc/distro.repos.d"}
	if o, ok := d.Main["reposdir"]; ok {
		dirs = nil
		for _, f := range strings.FieldsFunc(o.Value, func(r rune) bool { return r == ',' || r == ' ' }) {
			dirs = append(dirs, target.Clean(f))
		}
	}
	for _, dir := range dirs {
		ents, err := t.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", target.Abs(dir), err)
		}
		found = true
		var names []string
		for _, e := range ents {
			if strings.HasSuffix(e.Name, ".repo") {
				names = append(names, e.Name)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			p := path.Join(dir, n)
			b, err := target.ReadFile(t, p)
			if err != nil {
				return nil, fmt.Errorf("read repository file: %w", err)
			}
			for _, s := range ParseINI(b) {
				if s.Name == "main" {
					continue
				}
				r := Repo{Manager: "dnf", ID: s.Name, Enabled: true, Options: map[string]string{}, File: target.Abs(p), Line: s.Line}
				lines := map[string]int{}
				for k, o := range s.Options {
					r.Options[k] = o.Value
					lines[k] = o.Line
				}
				if o, ok := s.Options["enabled"]; ok {
					r.Enabled = aptBool(o.Value, true)
				}
				for _, k := range []string{"baseurl", "metalink", "mirrorlist"} {
					r.URIs = append(r.URIs, strings.Fields(strings.ReplaceAll(r.Options[k], ",", " "))...)
				}
				d.Repos = append(d.Repos, r)
				d.RepoLines = append(d.RepoLines, lines)
			}
		}
	}
	if !found {
		return nil, nil
	}
	b, err := target.ReadFile(t, "etc/dnf/automatic.conf")
	switch {
	case err == nil:
		d.AutomaticFile = "/etc/dnf/automatic.conf"
		d.Automatic = map[string]Section{}
		for _, s := range ParseINI(b) {
			d.Automatic[s.Name] = s
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read dnf-automatic configuration: %w", err)
	}
	return d, nil
}

// Effective returns the value of a repository option, falling back to
// [main], with the file and line it came from; ok is false when neither
// sets it.
func (d *Dnf) Effective(i int, keys ...string) (value, file string, line int, ok bool) {
	for _, k := range keys {
		if v, set := d.Repos[i].Options[k]; set {
			return v, d.Repos[i].File, d.RepoLines[i][k], true
		}
	}
	for _, k := range keys {
		if o, set := d.Main[k]; set {
			return o.Value, d.MainFile, o.Line, true
		}
	}
	return "", "", 0, false
}

// Section is one INI section.
type Section struct {
	Name    string
	Line    int
	Options map[string]Option // lower-cased keys; last assignment wins
}

// ParseINI parses the INI dialect of dnf.conf(5) and yum repo files:
// "[section]" headers, "key=value" lines, "#"/";" comments and indented
// continuation lines (used by multi-line gpgkey and baseurl lists).
func ParseINI(b []byte) []Section {
	var out []Section
	var cur *Section
	last := ""
	eachLine(b, func(n int, raw string) {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			return
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			out = append(out, Section{Name: strings.TrimSpace(line[1 : len(line)-1]), Line: n, Options: map[string]Option{}})
			cur, last = &out[len(out)-1], ""
			return
		}
		if cur == nil {
			return
		}
		if (raw[0] == ' ' || raw[0] == '\t') && last != "" {
			o := cur.Options[last]
			o.Value += " " + line
			cur.Options[last] = o
			return
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return
		}
		last = strings.ToLower(strings.TrimSpace(k))
		cur.Options[last] = Option{Value: strings.TrimSpace(v), Line: n}
	})
	return out
}

// Apk is the apk configuration.
type Apk struct {
	Repos []Repo `json:"repos"`
	// Untrusted is set when /etc/apk/config (apk-tools 3) enables
	// allow-untrusted; UntrustedFile and UntrustedLine locate it.
	Untrusted     bool   `json:"allow_untrusted"`
	UntrustedFile string `json:"allow_untrusted_file,omitempty"`
	UntrustedLine int    `json:"allow_untrusted_line,omitempty"`
	// Keys is the number of signing keys in /etc/apk/keys.
	Keys int `json:"keys"`
}

func collectApk(t target.Target) (*Apk, error) {
	b, err := target.ReadFile(t, "etc/apk/repositories")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read apk repositories: %w", err)
	}
	a := &Apk{Repos: ParseApkRepositories(b, "/etc/apk/repositories")}
	if cb, err := target.ReadFile(t, "etc/apk/config"); err == nil {
		if n := ParseApkConfigUntrusted(cb); n > 0 {
			a.Untrusted, a.UntrustedFile, a.UntrustedLine = true, "/etc/apk/config", n
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read apk config: %w", err)
	}
	keys, err := t.ReadDir("etc/apk/keys")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read /etc/apk/keys: %w", err)
	}
	a.Keys = len(keys)
	return a, nil
}

// ParseApkRepositories parses /etc/apk/repositories: one URL or local path
// per line, optionally prefixed by an "@tag"; "#" starts a comment.
func ParseApkRepositories(b []byte, file string) []Repo {
	var out []Repo
	eachLine(b, func(n int, line string) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			return
		}
		f := strings.Fields(line)
		if strings.HasPrefix(f[0], "@") {
			f = f[1:]
		}
		if len(f) == 0 {
			return
		}
		out = append(out, Repo{Manager: "apk", ID: f[0], URIs: []string{f[0]}, Enabled: true, File: file, Line: n})
	})
	return out
}

// ParseApkConfigUntrusted returns the line of an allow-untrusted option in
// apk-tools 3's /etc/apk/config (long options, one per line), or 0.
func ParseApkConfigUntrusted(b []byte) int {
	found := 0
	eachLine(b, func(n int, line string) {
		line = strings.TrimSpace(line)
		if strings.TrimPrefix(line, "--") == "allow-untrusted" {
			found = n
		}
	})
	return found
}
