// Package sshd collects the effective OpenSSH server configuration of a
// target: /etc/ssh/sshd_config with its Include files expanded (globs,
// relative to /etc/ssh, depth-bounded as sshd does), first-value-wins per
// keyword except for keywords that accumulate, Match blocks kept apart from
// the global values, and sshd's compiled-in defaults for what is unset.
// Every value carries the file and line it came from.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// MainConfig is the server configuration file sshd reads by default.
const MainConfig = "etc/ssh/sshd_config"

// maxDepth is sshd's include nesting limit (SERVCONF_MAX_DEPTH).
const maxDepth = 16

// maxFiles bounds how many files one configuration may pull in.
const maxFiles = 512

// Match is one Match block.
type Match struct {
	Criteria []string `json:"criteria"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	// chain is the Match current at each enclosing include level, from
	// the main file down (nil where that file had none yet).
	chain []*Match
}

func (m *Match) String() string {
	return "Match " + strings.Join(m.Criteria, " ")
}

// Directive is one keyword occurrence in the configuration.
type Directive struct {
	Keyword string   `json:"keyword"`
	Args    []string `json:"args"`
	File    string   `json:"file"` // absolute path in the target
	Line    int      `json:"line"`
	// Match is the innermost block the directive is in (in its own file
	// or, through Include, in a file that included it); nil for global
	// directives.
	Match *Match `json:"match,omitempty"`
	// chain is the Match current at each include level from the main
	// file down to the directive's own file, for activeIn.
	chain []*Match
}

// Value renders the directive's arguments as sshd -T would join them.
func (d Directive) Value() string { return strings.Join(d.Args, " ") }

// Config is the server configuration of a target.
type Config struct {
	// Installed is false when neither sshd_config nor an sshd binary exists.
	Installed bool `json:"installed"`
	// Present says whether the main configuration file exists.
	Present bool `json:"present"`
	// Directives in the order sshd reads them: command-line options first
	// (the RHEL 8 crypto policy), then the files with includes expanded.
	Directives []Directive `json:"directives"`
	Matches    []*Match    `json:"matches"`
	Files      []string    `json:"files"`
	Version    Version     `json:"version"`
	// Problems are configuration errors sshd would reject (bad lines,
	// include loops); checks report them as notes.
	Problems []string `json:"problems,omitempty"`
}

// Key is the fact-store key.
const Key = "sshd"

// Get returns the memoised server configuration. It builds on the
// store's package inventory and os-release facts for the server version.
func Get(s *facts.Store) (*Config, error) { return facts.Get(s, Key, collect) }

var binaries = []string{"usr/sbin/sshd", "sbin/sshd", "usr/bin/sshd"}

// Collect reads the sshd configuration of t with facts of its own, for
// callers outside a scan (the planned state of a fix, preflight checks).
func Collect(ctx context.Context, t target.Target) (*Config, error) {
	return collect(ctx, facts.NewStore(ctx, t))
}

func collect(ctx context.Context, s *facts.Store) (*Config, error) {
	return collectFile(s, MainConfig)
}

// collectFile reads the configuration starting at main (sshd -f);
// relative Include paths still resolve against /etc/ssh, as in sshd.
func collectFile(s *facts.Store, main string) (*Config, error) {
	t := s.Target()
	c := &Config{}
	if _, err := t.Stat(main); err == nil {
		c.Installed, c.Present = true, true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	for _, b := range binaries {
		if target.Exists(t, b) {
			c.Installed = true
		}
	}
	if !c.Installed {
		return c, nil
	}
	c.Version = detectVersion(s)
	if err := c.cryptoPolicy(t); err != nil {
		return nil, err
	}
	if c.Present {
		r := &resolver{t: t, c: c, seen: map[string]int{}}
		if err := r.file(main, 0, nil); err != nil {
			return nil, err
		}
		c.Problems = append(c.Problems, c.anyProblems(nil)...)
		c.Problems = append(c.Problems, c.methodProblems()...)
	}
	return c, nil
}

type resolver struct {
	t     target.Target
	c     *Config
	seen  map[string]int
	files int
}

// file reads one configuration file; chain is the Match current at each
// include level above it.
func (r *resolver) file(rel string, depth int, chain []*Match) error {
	r.files++
	if r.files > maxFiles {
		r.c.Problems = append(r.c.Problems, fmt.Sprintf("more than %d included files; stopped at %s", maxFiles, target.Abs(rel)))
		return nil
	}
	b, err := target.ReadFile(r.t, rel)
	if err != nil {
		return fmt.Errorf("sshd configuration: %w", err)
	}
	abs := target.Abs(rel)
	if r.seen[abs] == 0 {
		r.c.Files = append(r.c.Files, abs)
	}
	r.seen[abs]++
	var cur *Match
	here := func() []*Match { return append(append([]*Match(nil), chain...), cur) }
	for _, l := range Parse(b) {
		if l.Err != "" {
			r.c.Problems = append(r.c.Problems, fmt.Sprintf("%s:%d: %s: %s", abs, l.Num, l.Keyword, l.Err))
			continue
		}
		if !Known(l.Keyword) {
			// sshd refuses to start on an unknown keyword; keep going
			// so the rest is still evaluated, but say so.
			r.c.Problems = append(r.c.Problems, fmt.Sprintf("%s:%d: unknown keyword %q", abs, l.Num, l.Keyword))
		}
		switch l.Keyword {
		case "Include":
			for _, pat := range l.Args {
				if depth+1 > maxDepth {
					r.c.Problems = append(r.c.Problems, fmt.Sprintf("%s:%d: Include nested too deeply", abs, l.Num))
					break
				}
				if !strings.HasPrefix(pat, "/") {
					pat = "/etc/ssh/" + pat
				}
				paths, err := Glob(r.t, pat)
				if err != nil {
					return fmt.Errorf("sshd configuration %s:%d: Include %s: %w", abs, l.Num, pat, err)
				}
				for _, p := range paths {
					if err := r.file(p, depth+1, here()); err != nil {
						return err
					}
				}
			}
		case "Match":
			cur = &Match{Criteria: l.Args, File: abs, Line: l.Num, chain: append([]*Match(nil), chain...)}
			if _, err := evalMatch(l.Args, nil); err != nil {
				r.c.Problems = append(r.c.Problems, fmt.Sprintf("%s:%d: bad Match condition: %v", abs, l.Num, err))
			}
			r.c.Matches = append(r.c.Matches, cur)
		default:
			d := Directive{Keyword: l.Keyword, Args: l.Args, File: abs, Line: l.Num, chain: here()}
			d.Match = innermost(d.chain)
			// At start-up sshd refuses a global-only keyword in a block
			// that does not match every connection (servconf.c
			// process_server_config_line_depth: "not allowed within a
			// Match block"); inside "Match all" it is a global line.
			if Known(l.Keyword) && !matchAllowed(l.Spelling) && !activeIn(d.chain, nil) {
				r.c.Problems = append(r.c.Problems, fmt.Sprintf("%s:%d: %s is not allowed within a Match block", abs, l.Num, l.Keyword))
			}
			r.c.Directives = append(r.c.Directives, d)
		}
	}
	return nil
}

// maxGlob bounds the matches of one Include pattern.
const maxGlob = 1024

// Glob expands an absolute glob(3) pattern inside t and returns sorted
// root-relative regular files. Like glob(3), a wildcard does not match a
// leading dot, and a pattern without matches yields nothing.
func Glob(t target.Target, pattern string) ([]string, error) {
	parts := strings.Split(strings.Trim(path.Clean("/"+pattern), "/"), "/")
	cur := []string{""}
	for i, part := range parts {
		if _, err := path.Match(part, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
		}
		last := i == len(parts)-1
		var next []string
		for _, dir := range cur {
			if !strings.ContainsAny(part, "*?[\\") {
				next = append(next, path.Join(dir, part))
				continue
			}
			ents, err := t.ReadDir(dir)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isNotDir(err) {
					continue
				}
				return nil, err
			}
			for _, e := range ents {
				if strings.HasPrefix(e.Name, ".") && !strings.HasPrefix(part, ".") {
					continue
				}
				if ok, _ := path.Match(part, e.Name); ok {
					next = append(next, path.Join(dir, e.Name))
				}
				if len(next) > maxGlob {
					return nil, fmt.Errorf("pattern %q matches more than %d files", pattern, maxGlob)
				}
			}
		}
		if !last && len(next) == 0 {
			return nil, nil
		}
		cur = next
	}
	var out []string
	for _, p := range cur {
		fi, err := t.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		if fi.Mode.IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}

func isNotDir(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not a directory")
}

// cryptoPolicy reads the RHEL 8 crypto-policies back end, which sshd gets
// as -o command-line options (CRYPTO_POLICY in the unit's environment);
// command-line options take precedence over the files. RHEL 9 and later
// include the back end as an ordinary configuration file instead.
func (c *Config) cryptoPolicy(t target.Target) error {
	const backend = "etc/crypto-policies/back-ends/opensshserver.config"
	b, err := target.ReadFile(t, backend)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("sshd crypto policy: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "CRYPTO_POLICY=") {
		return nil
	}
	// An explicit empty CRYPTO_POLICY= in /etc/sysconfig/sshd opts out.
	if sc, err := target.ReadFile(t, "etc/sysconfig/sshd"); err == nil {
		for _, l := range strings.Split(string(sc), "\n") {
			if strings.TrimSpace(l) == "CRYPTO_POLICY=" {
				return nil
			}
		}
	}
	// The value is one shell-quoted string of options.
	quoted, _ := splitArgs(strings.TrimPrefix(s, "CRYPTO_POLICY="))
	for _, a := range strings.Fields(strings.Join(quoted, " ")) {
		o, ok := strings.CutPrefix(a, "-o")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			continue
		}
		c.Directives = append(c.Directives, Directive{Keyword: Canonical(k), Args: []string{v}, File: target.Abs(backend), Line: 1})
		c.Files = append(c.Files, target.Abs(backend))
	}
	return nil
}

// detectVersion finds the OpenSSH server release from the package
// inventory or, failing that, from the distribution release.
func detectVersion(s *facts.Store) Version {
	if db, err := packages.Get(s); err == nil {
		for _, p := range db.Match("openssh-server") {
			if ver, ok := ParseVersion(p.Version); ok {
				ver.Source = p.Manager + " openssh-server " + p.Version
				return ver
			}
		}
	}
	info, err := osrelease.Get(s)
	if err != nil || info == nil {
		return Version{}
	}
	major, _, _ := strings.Cut(info.VersionID, ".")
	ids := info.Families()
	table := map[string]map[string]Version{
		"debian": {"10": {Major: 7, Minor: 9}, "11": {Major: 8, Minor: 4}, "12": {Major: 9, Minor: 2}, "13": {Major: 10, Minor: 0}},
		"ubuntu": {"20": {Major: 8, Minor: 2}, "22": {Major: 8, Minor: 9}, "24": {Major: 9, Minor: 6}},
		"rhel":   {"8": {Major: 8, Minor: 0}, "9": {Major: 8, Minor: 7}, "10": {Major: 9, Minor: 9}},
	}
	for _, id := range ids {
		if m, ok := table[id]; ok {
			if v, ok := m[major]; ok {
				v.Source = "distribution " + info.ID + " " + info.VersionID
				return v
			}
		}
	}
	return Version{}
}

// Value is the effective setting of one keyword.
type Value struct {
	Keyword string `json:"keyword"`
	// Args is the effective value: the first global occurrence, or all
	// of them for accumulating keywords, or the default.
	Args []string `json:"args"`
	// Sources are the directives the value came from; empty for defaults.
	Sources []Directive `json:"sources,omitempty"`
	// Default is true when the keyword is unset and Args is sshd's
	// compiled-in default; Known is false when unset without a known default.
	Default bool `json:"default"`
	Known   bool `json:"known"`
	// Overrides are Match-block directives that set the keyword for some
	// connections.
	Overrides []Directive `json:"overrides,omitempty"`
}

// String renders the value as one string.
func (v Value) String() string { return strings.Join(v.Args, " ") }

// Effective returns the effective value of keyword for a connection no
// conditional Match block selects, as `sshd -T` without -C prints it
// ("Match all" blocks apply); Overrides are the directives of Match
// blocks that set the keyword for some connections.
func (c *Config) Effective(keyword string) Value {
	v := c.effective(keyword, &Conn{none: true})
	for _, d := range c.Directives {
		if d.Keyword == v.Keyword && d.Match != nil && !activeIn(d.chain, nil) && !activeIn(d.chain, &Conn{none: true}) {
			v.Overrides = append(v.Overrides, d)
		}
	}
	return v
}

// EffectiveFor returns the effective value of keyword for one connection,
// as `sshd -T -C user=…,host=…,addr=…,laddr=…,lport=…` prints it: the
// global value (start-up pass: first occurrence wins, accumulating
// keywords collect every occurrence) unless a keyword a Match block may
// set is set by the blocks matching conn, whose first value (or, for
// accumulating keywords, all their values) replaces it (servconf.c
// parse_server_match_config and copy_set_server_options).
func (c *Config) EffectiveFor(keyword string, conn Conn) Value {
	conn.none = false
	return c.effective(keyword, &conn)
}

func (c *Config) effective(keyword string, conn *Conn) Value {
	k := Canonical(keyword)
	v := Value{Keyword: k}
	if Deprecated(k) {
		return v
	}
	add := func(v *Value, d Directive) {
		switch {
		case lastWins[k]:
			v.Args, v.Sources = d.Args, []Directive{d}
			return
		case k == "RekeyLimit" && len(v.Sources) > 0:
			// The interval is an option of its own: the first line that
			// gives one other than "none" sets it (servconf.c sRekeyLimit).
			if len(v.Args) > 1 && v.Args[1] == "none" && len(d.Args) > 1 && d.Args[1] != "none" {
				v.Args = []string{v.Args[0], d.Args[1]}
				v.Sources = append(v.Sources, d)
			}
			return
		case k == "RekeyLimit":
			v.Args = append([]string{d.Args[0]}, "none")
			if len(d.Args) > 1 {
				v.Args[1] = d.Args[1]
			}
			v.Sources = []Directive{d}
			return
		}
		if multi[k] {
			v.Args = append(append([]string(nil), v.Args...), d.Args...)
			v.Sources = append(v.Sources, d)
		} else if len(v.Sources) == 0 {
			v.Args = d.Args
			v.Sources = []Directive{d}
		}
	}
	var m Value
	perConn := MatchKeyword(k)
	for _, d := range c.Directives {
		if d.Keyword != k {
			continue
		}
		if activeIn(d.chain, nil) {
			add(&v, d)
		}
		if perConn && activeIn(d.chain, conn) {
			add(&m, d)
		}
	}
	switch {
	case k == "RekeyLimit" && len(m.Sources) > 0 && len(v.Sources) > 0:
		// copy_set_server_options copies the size and the interval
		// separately: a block that sets only the size keeps the global
		// interval.
		args := []string{m.Args[0], m.Args[1]}
		if args[1] == "none" {
			args[1] = v.Args[1]
		}
		v.Args, v.Sources = args, append(m.Sources, v.Sources...)
	case len(m.Sources) > 0:
		v.Args, v.Sources = m.Args, m.Sources
	}
	if isCrypto(k) {
		def, _ := DefaultAlgorithms(k, c.Version)
		if len(v.Sources) == 0 {
			v.Args, v.Default, v.Known = []string{strings.Join(def, ",")}, true, true
			return v
		}
		v.Args = []string{strings.Join(AssembleAlgorithms(k, strings.Join(v.Args, ""), def), ",")}
		v.Known = true
		return v
	}
	if len(v.Sources) > 0 {
		v.Known = true
		return v
	}
	if d, ok := Default(k, c.Version); ok {
		v.Args, v.Default, v.Known = []string{d}, true, true
	}
	return v
}

// ProblemsFor returns the configuration errors sshd reports when it
// evaluates the configuration for conn: those of start-up and the ones
// only its per-connection pass meets.
func (c *Config) ProblemsFor(conn Conn) []string {
	conn.none = false
	return append(append([]string(nil), c.Problems...), c.anyProblems(&conn)...)
}

// anyProblems finds "AuthenticationMethods any" after a pass already has
// a value: servconf.c checks "any" against the methods set so far on
// every line, active or not, and fails ("any" must appear alone).
func (c *Config) anyProblems(conn *Conn) []string {
	var out []string
	set := false
	for _, d := range c.Directives {
		if d.Keyword != "AuthenticationMethods" {
			continue
		}
		for _, a := range d.Args {
			if a == "any" && set {
				out = append(out, fmt.Sprintf("%s:%d: \"any\" must appear alone in AuthenticationMethods", d.File, d.Line))
				break
			}
		}
		set = set || activeIn(d.chain, conn)
	}
	return out
}

// methodEnabled names the keyword that enables each authentication
// method (auth2.c authmethods[] and their "enabled" options).
var methodEnabled = map[string]string{
	"publickey": "PubkeyAuthentication", "password": "PasswordAuthentication",
	"keyboard-interactive": "KbdInteractiveAuthentication", "hostbased": "HostbasedAuthentication",
	"gssapi-with-mic": "GSSAPIAuthentication",
}

// methodProblems is sshd.c's start-up check: with AuthenticationMethods
// set, at least one of its lists must use only enabled methods, or sshd
// refuses to start ("cannot be satisfied by enabled authentication
// methods"). It uses the start-up values, before any Match but "all".
func (c *Config) methodProblems() []string {
	am := c.effective("AuthenticationMethods", nil)
	if len(am.Sources) == 0 || (len(am.Args) == 1 && am.Args[0] == "any") {
		return nil
	}
	for _, list := range am.Args {
		ok := true
		for _, m := range strings.Split(list, ",") {
			m, _, _ = strings.Cut(m, ":")
			if k, known := methodEnabled[m]; known && !strings.EqualFold(c.effective(k, nil).String(), "yes") {
				ok = false
			}
		}
		if ok {
			return nil
		}
	}
	d := am.Sources[0]
	return []string{fmt.Sprintf("%s:%d: AuthenticationMethods cannot be satisfied by enabled authentication methods", d.File, d.Line)}
}

// innermost is the Match a directive with chain is in, nil for none.
func innermost(chain []*Match) *Match {
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i] != nil {
			return chain[i]
		}
	}
	return nil
}

// Algorithms returns the effective algorithm list of a crypto keyword and
// the value it came from.
func (c *Config) Algorithms(keyword string) ([]string, Value) {
	v := c.Effective(keyword)
	if len(v.Args) == 0 {
		return nil, v
	}
	return splitList(v.Args[0]), v
}

// OverrideAlgorithms computes the list a Match-block directive yields.
func (c *Config) OverrideAlgorithms(d Directive) []string {
	def, _ := DefaultAlgorithms(d.Keyword, c.Version)
	return AssembleAlgorithms(d.Keyword, strings.Join(d.Args, ""), def)
}
