package checks

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Debian's pam-auth-update builds the blocks between its markers in
// /etc/pam.d/common-* from the enabled profiles in /usr/share/pam-configs
// and records what it wrote in /var/lib/pam/<type>. On its next run (every
// package that ships a profile runs it) it compares the blocks with that
// record: option changes on recorded lines are kept, but a line it did not
// write makes it refuse to update ("local modifications"), and --force
// then drops the line. So a module cradle adds on such a system goes into
// a profile of its own, and the blocks and the record are rebuilt exactly
// as pam-auth-update would rebuild them: the hardening is in effect at
// once and survives later runs.

const (
	pamConfigsDir   = "usr/share/pam-configs"
	pamSavedDir     = "var/lib/pam"
	pauPrimary      = `# here are the per-package modules (the "Primary" block)`
	pauFallback     = "# here's the fallback if no module succeeds"
	pauAdditional   = `# and here are more per-package modules (the "Additional" block)`
	pauEnd          = "# end of pam-auth-update config"
	pauProfileLimit = 256
)

// pauTypes are the files pam-auth-update manages, in its order.
var pauTypes = []string{"auth", "account", "password", "session", "session-noninteractive"}

// pamProfile is a profile cradle writes to /usr/share/pam-configs.
type pamProfile struct {
	File     string // file name
	Title    string
	Priority int
	// Stacks maps a field stem ("Auth", "Account", "Password",
	// "Session") to its block type and lines.
	Stacks []pamProfileStack
	// Enable names an existing profile to enable instead of writing one.
	Enable string
}

type pamProfileStack struct {
	Field, Block string
	Lines        []string
	Initial      []string // lines when the profile is first in its block
}

func (p pamProfile) render() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Name: %s\nDefault: yes\nPriority: %d\n", p.Title, p.Priority)
	for _, s := range p.Stacks {
		fmt.Fprintf(&b, "%s-Type: %s\n%s:\n", s.Field, s.Block, s.Field)
		for _, l := range s.Lines {
			b.WriteString("\t" + l + "\n")
		}
		if len(s.Initial) > 0 {
			fmt.Fprintf(&b, "%s-Initial:\n", s.Field)
			for _, l := range s.Initial {
				b.WriteString("\t" + l + "\n")
			}
		}
	}
	return b.Bytes()
}

// The faillock profiles: preauth (and the account line that resets the
// count after a successful login) before pam_unix (priority 256), authfail
// after every module of the Primary block.
var (
	faillockPreauthProfile = pamProfile{File: "cradle-faillock", Title: "Lock accounts after failed logins (cradle)", Priority: 512,
		Stacks: []pamProfileStack{
			{Field: "Auth", Block: "Primary", Lines: []string{"required\t\t\tpam_faillock.so preauth"}},
			{Field: "Account", Block: "Primary", Lines: []string{"required\t\t\tpam_faillock.so"}},
		}}
	faillockAuthfailProfile = pamProfile{File: "cradle-faillock-authfail", Title: "Count failed logins (cradle)", Priority: 0,
		Stacks: []pamProfileStack{{Field: "Auth", Block: "Primary", Lines: []string{"[default=die]\t\t\tpam_faillock.so authfail"}}}}
	faillockAccountProfile = pamProfile{File: "cradle-faillock-account", Title: "Reset the failed-login count on success (cradle)", Priority: 512,
		Stacks: []pamProfileStack{{Field: "Account", Block: "Primary", Lines: []string{"required\t\t\tpam_faillock.so"}}}}
)

// pamModuleProfiles returns the profiles that put module into the typ
// stack before pam_unix.
func pamModuleProfiles(prof map[string]pauProfile, typ, module string) []pamProfile {
	field := strings.ToUpper(typ[:1]) + typ[1:]
	// A package's own profile for the module wins (pwquality).
	names := make([]string, 0, len(prof))
	for n := range prof {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := prof[n]
		if p.f[field+"-Type"] == "Primary" && pauHasModule(p.f[field], module) && p.priority() > 256 {
			return []pamProfile{{Enable: n}}
		}
	}
	if module == "pam_faillock.so" && typ == "auth" {
		return []pamProfile{faillockPreauthProfile, faillockAuthfailProfile}
	}
	control := "required"
	lines := []string{control + "\t\t\t" + module}
	var initial []string
	if typ == "password" {
		// After another password module, take the new password it read.
		control = "requisite"
		initial = []string{control + "\t\t\t" + module}
		lines = []string{control + "\t\t\t" + module + " use_authtok"}
	}
	name := strings.TrimSuffix(strings.TrimPrefix(module, "pam_"), ".so")
	return []pamProfile{{File: "cradle-" + name, Title: module + " (cradle)", Priority: 512,
		Stacks: []pamProfileStack{{Field: field, Block: "Primary", Lines: lines, Initial: initial}}}}
}

func pauHasModule(lines, module string) bool {
	for _, l := range strings.Split(lines, "\n") {
		if m := pauLine.FindStringSubmatch(l); m != nil {
			f := strings.Fields(m[1])
			if mod := f[len(f)-1]; mod == module || strings.HasSuffix(mod, "/"+module) {
				return true
			}
		}
	}
	return false
}

// insertByProfile adds the check's module through pam-auth-update
// profiles when the anchor's file is managed by pam-auth-update.
func (c *pamOptionCheck) insertByProfile(ch *remedy.Changes, anchor *pam.Entry) (bool, error) {
	st, ok, err := pauLoad(ch, anchor.File)
	if err != nil || !ok {
		return false, err
	}
	return st.apply(ch, pamModuleProfiles(st.profiles, c.a.Type, c.a.Module), "add "+c.a.Module+" to the "+c.a.Type+" stack")
}

// pamInsertByProfile writes profiles when anchor's file is managed by
// pam-auth-update; it reports false when it is not.
func pamInsertByProfile(ch *remedy.Changes, anchor *pam.Entry, profiles []pamProfile) (bool, error) {
	st, ok, err := pauLoad(ch, anchor.File)
	if err != nil || !ok {
		return false, err
	}
	return st.apply(ch, profiles, "add profile "+profiles[0].File)
}

// pamDisableByProfile removes module's lines of type typ from a common file
// pam-auth-update manages by disabling the enabled profiles that add it;
// it reports false when the file is not managed so or no profile adds it.
func pamDisableByProfile(ch *remedy.Changes, file, typ, module string) (bool, error) {
	st, ok, err := pauLoad(ch, file)
	if err != nil || !ok {
		return false, err
	}
	field := strings.ToUpper(typ[:1]) + typ[1:]
	var off []string
	for _, m := range st.mods {
		p, ok := st.profiles[m]
		if ok && !slices.Contains(off, m) && (pauHasModule(p.f[field], module) || pauHasModule(p.f[field+"-Initial"], module)) {
			off = append(off, m)
		}
	}
	if len(off) == 0 {
		return false, nil
	}
	return st.rebuild(ch, nil, off, "disable the pam-auth-update profile "+strings.Join(off, ", ")+", which adds "+module)
}

// pauProfile is a parsed profile: its fields as pam-auth-update reads
// them (continuation lines joined with "\n").
type pauProfile struct {
	f         map[string]string
	conflicts map[string]bool
}

func (p pauProfile) priority() int { return pauNum(p.f["Priority"]) }

// pauNum converts like Perl's numeric context: leading digits, else 0.
func pauNum(s string) int {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || i == 0 && s[i] == '-') {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n
}

var (
	pauField = regexp.MustCompile(`^(\S+):\s+(.*)\s*$`)
	// pauLine splits a module line into control plus module, and options.
	pauLine = regexp.MustCompile(`^((\[[^]]+\]|\w+)\s+\S+)\s*(.*)`)
	// pauJump drops the jump count, pauEnd the "end" jump, of a control.
	pauJump   = regexp.MustCompile(`(\[[^0-9]*)[0-9]+(.*\])`)
	pauEndJmp = regexp.MustCompile(`(\[.*)end(.*\])`)
)

// pauUnmanagedNote warns, for a common file that carries pam-auth-update's
// markers but was not rebuilt through profiles (local changes, or no
// record), that "pam-auth-update --force" would drop a line cradle adds.
func pauUnmanagedNote(f *textFile) string {
	if !strings.HasPrefix(f.path, "etc/pam.d/common-") || !slices.ContainsFunc(f.lines, func(l string) bool { return strings.HasPrefix(l, pauPrimary) }) {
		return ""
	}
	return " (pam-auth-update cannot merge the local changes in this file, so it leaves it alone; pam-auth-update --force would drop this line)"
}

// pauParseProfile reads a profile in pam-auth-update's format.
func pauParseProfile(b []byte) pauProfile {
	p := pauProfile{f: map[string]string{}, conflicts: map[string]bool{}}
	field := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		l := sc.Text()
		if m := pauField.FindStringSubmatch(l + "\n"); m != nil && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
			field = strings.TrimSuffix(m[1], "-Final")
			if field == "Conflicts" {
				for _, c := range strings.Split(m[2], ", ") {
					p.conflicts[c] = true
				}
				continue
			}
			p.f[field] = m[2]
			continue
		}
		if field == "" {
			continue
		}
		if l = strings.TrimSpace(l); l != "" {
			p.f[field] += "\n" + l
		}
		if strings.Contains(p.f[field], "pam_tally") {
			p.f["disabled"] = "1"
		}
		p.f[field] = strings.TrimLeft(p.f[field], "\n\t ")
	}
	if _, ok := p.f["Session-Interactive-Only"]; !ok {
		for _, s := range []string{"-Type", "", "-Initial"} {
			if v, ok := p.f["Session"+s]; ok {
				p.f["Session-noninteractive"+s] = v
			}
		}
	}
	return p
}

// pauState is pam-auth-update's view of a target.
type pauState struct {
	profiles map[string]pauProfile
	files    map[string][]byte // common-<type> content
	saved    map[string][]byte
	diff     map[string]*pauDiff
	mods     []string // profiles enabled now, as found in the blocks
	seen     []byte
}

// pauDiff is the administrator's option changes on profile lines, keyed
// by control and module with the jump counts removed.
type pauDiff struct {
	add, remove map[string]map[string]bool
}

// pauLoad reads pam-auth-update's state when file is one of the common-*
// files it manages and the blocks match its record (so a later run keeps
// them); ok is false otherwise and the caller edits the file directly.
func pauLoad(ch *remedy.Changes, file string) (*pauState, bool, error) {
	f := target.Abs(file)
	if !strings.HasPrefix(f, "/etc/pam.d/common-") || !slices.Contains(pauTypes, strings.TrimPrefix(f, "/etc/pam.d/common-")) {
		return nil, false, nil
	}
	ents, err := ch.Overlay().ReadDir(pamConfigsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pam-auth-update profiles: %w", err)
	}
	st := &pauState{profiles: map[string]pauProfile{}, files: map[string][]byte{}, saved: map[string][]byte{}, diff: map[string]*pauDiff{}}
	if len(ents) > pauProfileLimit {
		return nil, false, fmt.Errorf("pam-auth-update profiles: more than %d in /%s", pauProfileLimit, pamConfigsDir)
	}
	for _, e := range ents {
		n := e.Name
		if strings.HasSuffix(n, "~") || strings.HasPrefix(n, "#") && strings.HasSuffix(n, "#") || e.Type.IsDir() {
			continue
		}
		b, err := target.ReadFileLimit(ch.Overlay(), pamConfigsDir+"/"+n, 64<<10)
		if err != nil {
			return nil, false, fmt.Errorf("pam-auth-update profile %s: %w", n, err)
		}
		if p := pauParseProfile(b); p.f["disabled"] == "" {
			st.profiles[n] = p
		}
	}
	for _, typ := range pauTypes {
		cur, ok, err := fixReadOptional(ch, "etc/pam.d/common-"+typ)
		if err != nil || !ok {
			return nil, false, err
		}
		saved, ok, err := fixReadOptional(ch, pamSavedDir+"/"+typ)
		if err != nil || !ok {
			return nil, false, err
		}
		d, mods, ok := pauDiffType(typ, cur, saved)
		if !ok {
			return nil, false, nil
		}
		st.files[typ], st.saved[typ], st.diff[typ] = cur, saved, d
		st.mods = append(st.mods, mods...)
	}
	st.seen, _, err = fixReadOptional(ch, pamSavedDir+"/seen")
	return st, err == nil, err
}

// pauDiffType compares the blocks of a common file with the record, as
// pam-auth-update does before it rewrites them.
func pauDiffType(typ string, cur, saved []byte) (*pauDiff, []string, bool) {
	type rec struct{ mod, line string }
	var recs []rec
	mod := ""
	for _, l := range fixLines(saved) {
		if m, ok := strings.CutPrefix(l, "Module: "); ok {
			mod = m
			continue
		}
		l = pauJump.ReplaceAllString(l, "$1$2")
		l = pauEndJmp.ReplaceAllString(l, "$1$2")
		recs = append(recs, rec{mod, l})
	}
	real := strings.TrimSuffix(typ, "-noninteractive")
	strip := regexp.MustCompile(`^` + regexp.QuoteMeta(real) + `\s+`)
	d := &pauDiff{add: map[string]map[string]bool{}, remove: map[string]map[string]bool{}}
	var mods []string
	state := 0
lines:
	for _, l := range fixLines(cur) {
		switch state {
		case 0:
			if strings.HasPrefix(l, pauPrimary) {
				state = 1
			}
			continue
		case 1:
			l = strip.ReplaceAllString(l, "")
			if strings.HasPrefix(l, pauFallback) {
				state = 2
				continue
			}
		case 2:
			if strings.HasPrefix(l, pauAdditional) {
				state = 3
			}
			continue
		case 3:
			if strings.HasPrefix(l, pauEnd) {
				state = 4
				break lines
			}
			l = strip.ReplaceAllString(l, "")
		}
		l = pauJump.ReplaceAllString(l, "$1$2")
		found, curOpts, prevOpts, key := false, "", []string(nil), ""
		for !found && len(recs) > 0 {
			r := recs[0]
			recs = recs[1:]
			m := pauLine.FindStringSubmatch(r.line)
			if m == nil {
				continue
			}
			if rest, ok := strings.CutPrefix(l, m[1]); ok {
				found, curOpts, prevOpts, key = true, strings.TrimLeft(rest, " \t\r\f\v"), strings.Fields(m[3]), m[1]
				mods = append(mods, r.mod)
			}
		}
		if !found {
			return nil, nil, false
		}
		for _, o := range strings.Fields(curOpts) {
			n := len(prevOpts)
			if prevOpts = slices.DeleteFunc(prevOpts, func(p string) bool { return p == o }); len(prevOpts) == n {
				pauSet(d.add, key, o)
			}
		}
		for _, o := range prevOpts {
			pauSet(d.remove, key, o)
		}
	}
	// pam-auth-update merges a file without the end marker but then fails
	// to write it: such a file is not managed.
	if state < 4 {
		return nil, nil, false
	}
	return d, mods, true
}

func pauSet(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

// apply writes the profiles, enables them and rebuilds the blocks and the
// record of every common file. It writes nothing and reports false when
// no common file would change (the profiles cannot add the module); the
// caller then edits the file instead.
func (st *pauState) apply(ch *remedy.Changes, profiles []pamProfile, summary string) (bool, error) {
	return st.rebuild(ch, profiles, nil, summary)
}

// rebuild is apply that also disables the profiles named in off, as
// "pam-auth-update --disable" does.
func (st *pauState) rebuild(ch *remedy.Changes, profiles []pamProfile, off []string, summary string) (bool, error) {
	enabled := slices.DeleteFunc(slices.Clone(st.mods), func(m string) bool { return slices.Contains(off, m) })
	written := map[string][]byte{}
	for _, p := range profiles {
		name := p.Enable
		if name == "" {
			name = p.File
			written[name] = p.render()
			st.profiles[name] = pauParseProfile(written[name])
		}
		for _, e := range enabled {
			if st.profiles[e].conflicts[name] || st.profiles[name].conflicts[e] {
				return false, nil
			}
		}
		enabled = append(enabled, name)
	}
	enabled = slices.DeleteFunc(enabled, func(m string) bool { _, ok := st.profiles[m]; return !ok })
	st.sortProfiles(enabled)
	enabled = slices.Compact(enabled)
	confs, recs := map[string][]byte{}, map[string][]byte{}
	for _, typ := range pauTypes {
		conf, rec := st.build(typ, enabled)
		if !bytes.Equal(conf, st.files[typ]) {
			confs[typ] = conf
		}
		if !bytes.Equal(rec, st.saved[typ]) {
			recs[typ] = rec
		}
	}
	if len(confs) == 0 {
		return false, nil
	}
	for _, p := range profiles {
		b, ok := written[p.File]
		if !ok {
			continue
		}
		old, _, err := fixReadOptional(ch, pamConfigsDir+"/"+p.File)
		if err != nil {
			return false, err
		}
		if !bytes.Equal(old, b) {
			if err := ch.WriteFile(pamConfigsDir+"/"+p.File, b, 0o644, "write the pam-auth-update profile "+p.File); err != nil {
				return false, err
			}
		}
	}
	for _, typ := range pauTypes {
		if conf, ok := confs[typ]; ok {
			if err := ch.WriteFile("etc/pam.d/common-"+typ, conf, 0o644, summary+" (as pam-auth-update builds it)"); err != nil {
				return false, err
			}
		}
		if rec, ok := recs[typ]; ok {
			if err := ch.WriteFile(pamSavedDir+"/"+typ, rec, 0o644, "record the profiles in common-"+typ+" for pam-auth-update"); err != nil {
				return false, err
			}
		}
	}
	// pam-auth-update lists the profiles it has offered in "seen", by
	// priority; cradle adds its own and leaves any it has not offered yet.
	seen := fixLines(st.seen)
	for _, name := range append(slices.Collect(maps.Keys(written)), off...) {
		if !slices.Contains(seen, name) {
			seen = append(seen, name)
		}
	}
	seen = slices.DeleteFunc(seen, func(m string) bool { _, ok := st.profiles[m]; return !ok })
	st.sortProfiles(seen)
	if b := fixJoin(seen); !bytes.Equal(b, st.seen) {
		if err := ch.WriteFile(pamSavedDir+"/seen", b, 0o644, "mark cradle's pam-auth-update profiles as seen"); err != nil {
			return false, err
		}
	}
	return true, nil
}

// sortProfiles orders profile names as pam-auth-update does: by priority,
// highest first, then by name in reverse.
func (st *pauState) sortProfiles(names []string) {
	sort.SliceStable(names, func(i, j int) bool {
		pi, pj := st.profiles[names[i]].priority(), st.profiles[names[j]].priority()
		if pi != pj {
			return pi > pj
		}
		return names[i] > names[j]
	})
}

// lines returns a profile's lines for a stack: the Initial variant when
// it is the first of its block.
func (st *pauState) lines(mod, field string, first bool) string {
	p := st.profiles[mod]
	if v := p.f[field+"-Initial"]; first && v != "" {
		return v
	}
	return p.f[field]
}

// build returns the common file and the record of typ for the enabled
// profiles, with the administrator's option changes merged.
func (st *pauState) build(typ string, enabled []string) (conf, rec []byte) {
	field := strings.ToUpper(typ[:1]) + typ[1:]
	real := strings.TrimSuffix(typ, "-noninteractive")
	adds := map[string]map[string]bool{}
	for k, v := range st.diff[typ].add {
		adds[k] = maps.Clone(v)
	}
	block := func(out *[]string, kind string) {
		var mods []string
		count := 0
		for _, m := range enabled {
			if st.profiles[m].f[field+"-Type"] == kind {
				mods = append(mods, m)
				count += len(pauSplitLines(st.lines(m, field, len(mods) == 1)))
			}
		}
		if kind == "Additional" {
			count--
		}
		if kind == "Primary" && count == 0 {
			*out = append(*out, real+"\t[default=1]\t\t\tpam_permit.so")
		}
		for i, m := range mods {
			for _, l := range pauSplitLines(st.lines(m, field, i == 0)) {
				*out = append(*out, real+"\t"+pauMerge(l, count, adds, st.diff[typ].remove))
				count--
			}
		}
	}
	var out []string
	state := 0
	for _, l := range fixLines(st.files[typ]) {
		switch state {
		case 1:
			if strings.HasPrefix(l, pauFallback) {
				out = append(out, l)
				state = 2
			}
			continue
		case 3:
			if strings.HasPrefix(l, pauEnd) {
				out = append(out, l)
				state = 4
			}
			continue
		}
		out = append(out, l)
		if state == 0 && strings.HasPrefix(l, pauPrimary) {
			block(&out, "Primary")
			state = 1
		} else if state == 2 && strings.HasPrefix(l, pauAdditional) {
			block(&out, "Additional")
			state = 3
		}
	}
	var r bytes.Buffer
	n := 0
	for _, kind := range []string{"Primary", "Additional"} {
		for _, m := range enabled {
			t := st.profiles[m].f[field+"-Type"]
			if t == "" || t != kind {
				continue
			}
			if o := st.lines(m, field, n == 0); o != "" {
				fmt.Fprintf(&r, "Module: %s\n%s\n", m, o)
			}
			n++
		}
		if kind == "Primary" && n == 0 {
			r.WriteString("Module: null\n[default=1]\t\t\tpam_permit.so\n")
		}
		if kind == "Primary" {
			n = 0
		}
	}
	return fixJoin(out), r.Bytes()
}

// pauSplitLines counts lines like Perl's split("\n+"): empty lines do not
// count.
func pauSplitLines(s string) []string {
	return slices.DeleteFunc(strings.Split(s, "\n"), func(l string) bool { return l == "" })
}

// pauMerge renders one profile line at its position (count lines before
// the end of the block, for "end" jumps) with the administrator's option
// changes applied.
func pauMerge(line string, count int, adds, removes map[string]map[string]bool) string {
	m := pauLine.FindStringSubmatch(line)
	if m == nil {
		return line
	}
	modline := strings.ReplaceAll(m[1], "end", strconv.Itoa(count))
	key := pauJump.ReplaceAllString(modline, "$1$2")
	add, rm := adds[key], removes[key]
	var opts []string
	for _, o := range strings.Fields(m[3]) {
		delete(add, o)
		if !rm[o] {
			opts = append(opts, o)
		}
	}
	opts = append(opts, slices.Sorted(maps.Keys(add))...)
	return modline + " " + strings.Join(opts, " ")
}
