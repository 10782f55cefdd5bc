package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/pkgtrust"
	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// lineEdits are changes to a text file by 1-based line number, applied in
// one pass so the line numbers a collector reported stay valid.
type lineEdits struct {
	replace map[int]string
	del     map[int]bool
	after   map[int][]string // inserted after the line (0: at the top)
}

func newLineEdits() *lineEdits {
	return &lineEdits{replace: map[int]string{}, del: map[int]bool{}, after: map[int][]string{}}
}

func (e *lineEdits) empty() bool { return len(e.replace)+len(e.del)+len(e.after) == 0 }

// apply returns b edited; line endings of kept lines are preserved.
func (e *lineEdits) apply(b []byte) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var out strings.Builder
	for _, s := range e.after[0] {
		out.WriteString(s + "\n")
	}
	for i, l := range lines {
		n := i + 1
		switch {
		case e.del[n]:
		case hasKey(e.replace, n):
			eol := l[len(strings.TrimRight(l, "\r\n")):]
			if eol == "" {
				eol = "\n"
			}
			out.WriteString(e.replace[n] + eol)
		default:
			out.WriteString(l)
		}
		if ins := e.after[n]; len(ins) > 0 {
			if !strings.HasSuffix(l, "\n") && !e.del[n] {
				out.WriteString("\n")
			}
			for _, s := range ins {
				out.WriteString(s + "\n")
			}
		}
	}
	return []byte(out.String())
}

func hasKey(m map[int]string, k int) bool { _, ok := m[k]; return ok }

// fileLines returns the lines of a planned file without line endings.
func fileLines(ch *remedy.Changes, file string) ([]string, []byte, error) {
	b, err := ch.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines, b, nil
}

// editFile applies edits to file in the plan.
func editFile(ch *remedy.Changes, file string, e *lineEdits, summary string) error {
	if e.empty() {
		return nil
	}
	b, err := ch.ReadFile(file)
	if err != nil {
		return err
	}
	return ch.WriteFile(file, e.apply(b), 0o644, summary)
}

// setINIValue rewrites the value of a "key = value" line, keeping the key
// as written and the spacing around "=".
func setINIValue(line, value string) string {
	i := strings.IndexByte(line, '=')
	if i < 0 {
		return line
	}
	rest := line[i+1:]
	return line[:i+1] + rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))] + value
}

// Remediate removes the APT source options that disable signature checks,
// turns gpgcheck (and with repo_gpgcheck, repo_gpgcheck) on for DNF
// repositories, and drops apk's allow-untrusted.
func (c *repoSignaturesCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	tr, err := pkgtrust.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read repository configuration: %w", err)
	}
	edits := map[string]*lineEdits{}
	edit := func(file string) *lineEdits {
		if edits[file] == nil {
			edits[file] = newLineEdits()
		}
		return edits[file]
	}
	var order []string
	note := func(file string) {
		if !slices.Contains(order, file) {
			order = append(order, file)
		}
	}
	if tr.Apt != nil && slices.Contains(c.managers, "apt") {
		for _, r := range tr.Apt.Sources {
			if !r.Enabled || !aptInsecure(r.Options) {
				continue
			}
			lines, _, err := fileLines(ch, r.File)
			if err != nil {
				return err
			}
			if strings.HasSuffix(r.File, ".sources") {
				deb822DropInsecure(lines, r.Line, edit(r.File))
			} else if r.Line <= len(lines) {
				if nl, ok := sourcesLineDropInsecure(lines[r.Line-1]); ok {
					edit(r.File).replace[r.Line] = nl
				}
			}
			note(r.File)
		}
	}
	if d := tr.Dnf; d != nil && slices.Contains(c.managers, "dnf") {
		keys := [][]string{{"pkg_gpgcheck", "gpgcheck"}}
		if c.a.RepoGPGCheck {
			keys = append(keys, []string{"repo_gpgcheck"})
		}
		mainFixed := map[string]bool{}
		for i, r := range d.Repos {
			if !r.Enabled {
				continue
			}
			for _, k := range keys {
				v, file, line, ok := d.Effective(i, k...)
				if ok && pkgtrust.AptBool(v, false) {
					continue
				}
				name := k[len(k)-1]
				if ok && file == r.File {
					lines, _, err := fileLines(ch, file)
					if err != nil {
						return err
					}
					edit(file).replace[line] = setINIValue(lines[line-1], "1")
				} else {
					// Unset, or off in [main]: the repository's own
					// setting overrides [main].
					e := edit(r.File)
					e.after[r.Line] = append(e.after[r.Line], name+"=1")
					if ok && !mainFixed[name] {
						mainFixed[name] = true
						lines, _, err := fileLines(ch, file)
						if err != nil {
							return err
						}
						edit(file).replace[line] = setINIValue(lines[line-1], "1")
						note(file)
					}
				}
				note(r.File)
			}
		}
	}
	if a := tr.Apk; a != nil && slices.Contains(c.managers, "apk") && a.Untrusted {
		edit(a.UntrustedFile).del[a.UntrustedLine] = true
		note(a.UntrustedFile)
	}
	for _, f := range order {
		if err := editFile(ch, f, edits[f], "verify package signatures for every repository in "+f); err != nil {
			return err
		}
	}
	return nil
}

func aptInsecure(opts map[string]string) bool {
	for _, o := range aptInsecureOptions {
		if v, ok := opts[o]; ok && pkgtrust.AptBool(v, false) {
			return true
		}
	}
	return false
}

// aptOptionInsecure reports whether a "key=value" source option (or
// deb822 field) turns signature checks off.
func aptOptionInsecure(key, value string) bool {
	k := strings.TrimRight(strings.ToLower(strings.TrimSpace(key)), "+-")
	return slices.Contains(aptInsecureOptions, k) && pkgtrust.AptBool(value, false)
}

// sourcesLineDropInsecure removes the insecure options from the
// "[ ... ]" list of a one-line source; an emptied list is dropped.
func sourcesLineDropInsecure(line string) (string, bool) {
	open := strings.IndexByte(line, '[')
	end := strings.IndexByte(line, ']')
	if open < 0 || end < open {
		return line, false
	}
	var kept []string
	for _, kv := range strings.Fields(line[open+1 : end]) {
		k, v, _ := strings.Cut(kv, "=")
		if !aptOptionInsecure(k, v) {
			kept = append(kept, kv)
		}
	}
	if len(kept) == 0 {
		return line[:open] + strings.TrimLeft(line[end+1:], " \t"), true
	}
	return line[:open] + "[" + strings.Join(kept, " ") + "]" + line[end+1:], true
}

// deb822DropInsecure deletes the insecure fields (with their continuation
// lines) of the stanza starting at line first.
func deb822DropInsecure(lines []string, first int, e *lineEdits) {
	dropping := false
	for n := first; n <= len(lines); n++ {
		l := lines[n-1]
		if strings.TrimSpace(l) == "" {
			return
		}
		if l[0] == ' ' || l[0] == '\t' {
			if dropping {
				e.del[n] = true
			}
			continue
		}
		if l[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		dropping = ok && aptOptionInsecure(k, v)
		if dropping {
			e.del[n] = true
		}
	}
}

// aptFixFile is where apt_conf fixes set options. It sorts late among
// apt.conf.d parts; settings that would still win over it are commented
// out with aptFixComment.
const (
	aptFixFile    = "etc/apt/apt.conf.d/99-cradle.conf"
	aptFixComment = "//cradle: "
)

// Remediate sets the option in /etc/apt/apt.conf.d/99-cradle.conf and
// comments out assignments (and #clear directives) read after it that
// would override it.
func (c *aptConfCheck) Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error {
	key := c.a.Keys[0]
	var stmt, summary string
	switch {
	case c.a.ItemContains != nil:
		item, ok := securityOrigin(f, key)
		if !ok || !slices.ContainsFunc(c.a.ItemContains, func(s string) bool { return strings.Contains(strings.ToLower(item), strings.ToLower(s)) }) {
			ch.Defer("add a security origin to "+strings.Join(c.a.Keys, " or "),
				"no known origin entry for this distribution contains "+orList(c.a.ItemContains))
			return nil
		}
		stmt = fmt.Sprintf("%s { %q; };", key, item)
		summary = fmt.Sprintf("add %q to %s", item, key)
	case c.a.Enabled != nil:
		v := map[bool]string{true: "true", false: "false"}[*c.a.Enabled]
		if strings.Contains(strings.ToLower(key), "::periodic::") {
			v = map[bool]string{true: "1", false: "0"}[*c.a.Enabled]
		}
		stmt = fmt.Sprintf("%s %q;", key, v)
		summary = fmt.Sprintf("set %s %q", key, v)
	default:
		stmt = fmt.Sprintf("%s %q;", key, c.a.Allowed[0])
		summary = fmt.Sprintf("set %s %q", key, c.a.Allowed[0])
	}
	if err := c.writeAptFix(ch, key, stmt, summary); err != nil {
		return err
	}
	ours := target.Abs(aptFixFile)
	for range 32 {
		ov := ch.Overlay()
		if c.Evaluate(ctx, facts.NewStore(ctx, ov)).Status == result.Pass {
			return nil
		}
		tr, err := pkgtrust.Collect(ctx, ov)
		if err != nil {
			return fmt.Errorf("read APT configuration: %w", err)
		}
		if tr.Apt == nil {
			return nil
		}
		conf := tr.Apt.Conf
		later := conf.Files[slices.Index(conf.Files, ours)+1:]
		if c.a.ItemContains == nil {
			if asg, set := conf.Lookup(key); set && asg.File != ours {
				done, err := commentAptLine(ch, asg.File, asg.Line, key)
				if err != nil || !done {
					return err
				}
				continue
			}
		}
		progressed, err := commentAptClears(ch, later, key)
		if err != nil {
			return err
		}
		if !progressed {
			ch.Defer(summary, "a later APT configuration file still overrides "+ours+" in a way that cannot be commented out line by line")
			return nil
		}
	}
	return nil
}

// writeAptFix adds stmt to the fix file, replacing an earlier statement
// of the same key there.
func (c *aptConfCheck) writeAptFix(ch *remedy.Changes, key, stmt, summary string) error {
	b, err := ch.ReadFile(aptFixFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err != nil {
		b = []byte("// Settings required by hardening rules, written by cradle fix.\n")
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	replaced := false
	for i, l := range lines {
		k, _, _ := strings.Cut(strings.TrimSpace(l), " ")
		if strings.EqualFold(k, key) {
			if c.a.ItemContains != nil && l != stmt {
				continue // keep other list items; add ours
			}
			lines[i], replaced = stmt, true
		}
	}
	if !replaced {
		lines = append(lines, stmt)
	}
	return ch.WriteFile(aptFixFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644, summary)
}

// commentAptLine comments out the assignment of key at file:line. A line
// that also opens or closes a block cannot be commented alone: the fix is
// deferred then (done false).
func commentAptLine(ch *remedy.Changes, file string, line int, key string) (bool, error) {
	lines, _, err := fileLines(ch, file)
	if err != nil {
		return false, err
	}
	if line < 1 || line > len(lines) {
		return false, fmt.Errorf("%s:%d: no such line", file, line)
	}
	l := lines[line-1]
	if strings.ContainsAny(l, "{}") || !strings.Contains(l, ";") {
		ch.Defer("override "+key+" set in "+file, fmt.Sprintf("%s:%d sets %s inside a block on one line; edit it by hand", file, line, key))
		return false, nil
	}
	e := newLineEdits()
	e.replace[line] = aptFixComment + l
	return true, editFile(ch, file, e, fmt.Sprintf("comment out %s in %s (overrides %s)", key, file, target.Abs(aptFixFile)))
}

// commentAptClears comments out "#clear" directives in files read after
// the fix file that clear key or a scope holding it.
func commentAptClears(ch *remedy.Changes, files []string, key string) (bool, error) {
	lk := strings.ToLower(key)
	progressed := false
	for _, file := range files {
		lines, _, err := fileLines(ch, file)
		if err != nil {
			return false, err
		}
		e := newLineEdits()
		for i, l := range lines {
			t := strings.TrimSpace(l)
			arg, ok := strings.CutPrefix(t, "#clear")
			if !ok {
				continue
			}
			arg = strings.ToLower(strings.Trim(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(arg), ";")), `"`))
			if arg == lk || strings.HasPrefix(lk, arg+"::") {
				e.replace[i+1] = aptFixComment + l
			}
		}
		if !e.empty() {
			progressed = true
			if err := editFile(ch, file, e, fmt.Sprintf("comment out #clear %s in %s (discards %s)", key, file, target.Abs(aptFixFile))); err != nil {
				return false, err
			}
		}
	}
	return progressed, nil
}

// securityOrigin is the unattended-upgrades entry for the distribution's
// security archive, in the syntax of key (Origins-Pattern or
// Allowed-Origins).
func securityOrigin(f *facts.Store, key string) (string, bool) {
	osr, _ := osrelease.Get(f)
	id := ""
	if osr != nil {
		id = osr.ID
	}
	lk := strings.ToLower(key)
	switch {
	case strings.HasSuffix(lk, "::origins-pattern") && id == "ubuntu":
		return "origin=Ubuntu,archive=${distro_codename}-security", true
	case strings.HasSuffix(lk, "::origins-pattern"):
		return "origin=Debian,codename=${distro_codename}-security,label=Debian-Security", true
	case strings.HasSuffix(lk, "::allowed-origins"):
		return "${distro_id}:${distro_codename}-security", true
	}
	return "", false
}

// dnfAutomaticConf is dnf-automatic's configuration.
const dnfAutomaticConf = "etc/dnf/automatic.conf"

// Remediate makes dnf-automatic apply updates: apply_updates = yes in
// [commands] of /etc/dnf/automatic.conf with dnf-automatic.timer (or
// dnf5-automatic.timer) enabled, or dnf-automatic-install.timer enabled
// when there is no configuration file.
func (dnfAutomaticCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	cfg, err := systemd.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read service configuration: %w", err)
	}
	if cfg.Init != systemd.Systemd {
		return nil
	}
	missing := func(string) string {
		return "dnf-automatic's timers are not installed; install package dnf-automatic (dnf5-plugin-automatic on dnf5) first"
	}
	var enabled, installed string
	for _, u := range []string{"dnf-automatic.timer", "dnf5-automatic.timer"} {
		us, err := cfg.State(u)
		if err != nil {
			return fmt.Errorf("unit %s: %w", u, err)
		}
		switch {
		case us.State == systemd.Enabled && enabled == "":
			enabled = u
		case us.State != systemd.Absent && installed == "":
			installed = u
		}
	}
	_, confErr := ch.Stat(dnfAutomaticConf)
	install, err := cfg.State("dnf-automatic-install.timer")
	if err != nil {
		return fmt.Errorf("unit dnf-automatic-install.timer: %w", err)
	}
	switch {
	case enabled != "":
		return setAutomaticApply(ch)
	case installed != "" && confErr == nil:
		if err := setAutomaticApply(ch); err != nil {
			return err
		}
		return enableUnit(ch, installed, missing)
	case install.State != systemd.Absent:
		return enableUnit(ch, "dnf-automatic-install.timer", missing)
	case installed != "":
		if err := setAutomaticApply(ch); err != nil {
			return err
		}
		return enableUnit(ch, installed, missing)
	}
	ch.Defer("enable automatic updates with dnf-automatic", missing(""))
	return nil
}

// setAutomaticApply sets apply_updates = yes in [commands], editing the
// existing line in place.
func setAutomaticApply(ch *remedy.Changes) error {
	const summary = "apply updates automatically (apply_updates = yes in [commands])"
	b, err := ch.ReadFile(dnfAutomaticConf)
	if errors.Is(err, fs.ErrNotExist) {
		return ch.WriteFile(dnfAutomaticConf, []byte("[commands]\napply_updates = yes\n"), 0o644, summary)
	}
	if err != nil {
		return err
	}
	var cmd *pkgtrust.Section
	secs := pkgtrust.ParseINI(b)
	for i := range secs {
		if secs[i].Name == "commands" {
			cmd = &secs[i]
		}
	}
	lines, _, err := fileLines(ch, dnfAutomaticConf)
	if err != nil {
		return err
	}
	e := newLineEdits()
	switch {
	case cmd == nil:
		sep := ""
		if len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) != "" {
			sep = "\n"
		}
		return ch.WriteFile(dnfAutomaticConf, append(b, []byte(terminate(b)+sep+"[commands]\napply_updates = yes\n")...), 0o644, summary)
	default:
		if o, ok := cmd.Options["apply_updates"]; ok {
			e.replace[o.Line] = setINIValue(lines[o.Line-1], "yes")
		} else {
			e.after[cmd.Line] = []string{"apply_updates = yes"}
		}
	}
	return editFile(ch, dnfAutomaticConf, e, summary)
}

// terminate returns the newline b lacks at its end, if any.
func terminate(b []byte) string {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return "\n"
	}
	return ""
}
