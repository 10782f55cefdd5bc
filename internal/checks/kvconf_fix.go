package checks

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Remediate sets the key on its effective line (or adds it where the
// program reads it), disables later conflicting lines, or for absent
// comments out every setting of the key.
func (c *configKVCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	cfg, err := kvconf.Collect(ctx, ch.Overlay(), c.src)
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	name := strings.Join(c.a.Keys, "/")
	if why := kvStopped(cfg); why != "" {
		ch.Defer("set "+c.expected(name), why)
		return nil
	}
	effect := remedy.Effect{Kind: kvEffectKind(c.a.Paths), Subject: name}
	if c.a.Absent {
		var bad []kvconf.Entry
		for _, e := range cfg.Entries {
			if c.matches(e) && (cfg.Syntax != kvconf.Systemd || e.Value != "") {
				bad = append(bad, e)
			}
		}
		if err := kvComment(ch, c.src, bad, "disable "+name); err != nil {
			return err
		}
		ch.Effect(effect)
		return nil
	}
	var eff *kvconf.Entry
	for _, k := range c.a.Keys {
		if x := cfg.Lookup(c.a.Section, k, c.a.FirstWins, c.a.CaseInsensitive); x != nil {
			if eff == nil || (!c.a.FirstWins && later(cfg, x, eff)) || (c.a.FirstWins && later(cfg, eff, x)) {
				eff = x
			}
		}
	}
	cur, has := "", false
	if eff != nil && (cfg.Syntax != kvconf.Systemd || eff.Value != "") {
		cur, has = eff.Value, true
	} else if c.a.Default != nil {
		cur, has = *c.a.Default, true
	}
	cands := c.candidates(cur, has, c.a.Default)
	if c.a.FixValue != "" && c.ok(c.a.FixValue) {
		cands = append(cands, c.a.FixValue)
	}
	if len(cands) == 0 {
		ch.Defer("set "+c.expected(name), "no value satisfying the rule can be chosen automatically (site-specific setting)")
		return nil
	}
	key := c.a.Keys[0]
	if eff != nil {
		key = eff.Key
	}
	val, note := cands[0], ""
	if g := kvGuards[c.a.Guard]; g != nil {
		v, err := g(ctx, ch, key, cands)
		if err != nil {
			return err
		}
		if v.Defer != "" {
			ch.Defer("set "+c.expected(name), v.Defer)
			return nil
		}
		val, note = v.Value, v.Note
	}
	summary := fmt.Sprintf("set %s %s", key, val)
	if note != "" {
		summary += " (" + note + ")"
	}
	if err := kvSet(ctx, ch, c.src, c.a.Section, key, val, kvOpts{first: c.a.FirstWins, fold: c.a.CaseInsensitive, entry: eff}, summary); err != nil {
		return err
	}
	// Other settings of the key that disagree would confuse a reader or,
	// with a different read order, win: disable them.
	cfg, err = kvconf.Collect(ctx, ch.Overlay(), c.src)
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	var dup []kvconf.Entry
	for _, e := range cfg.Entries {
		if c.matches(e) && e.Value != "" && !c.ok(e.Value) {
			dup = append(dup, e)
		}
	}
	if err := kvComment(ch, c.src, dup, "disable conflicting "+key); err != nil {
		return err
	}
	ch.Effect(effect)
	return nil
}

// kvEffectKind classifies a setting for the impact preflight: account and
// password policy files tighten authentication, the rest is other.
func kvEffectKind(paths []string) remedy.EffectKind {
	for _, p := range paths {
		if strings.Contains(p, "login.defs") || strings.Contains(p, "/security/") || strings.Contains(p, "useradd") {
			return remedy.EffectAuthPolicy
		}
	}
	return remedy.EffectOther
}

func (c *configKVCheck) matches(e kvconf.Entry) bool {
	if c.a.Section != "" && e.Section != c.a.Section {
		return false
	}
	for _, k := range c.a.Keys {
		if e.Key == k || c.a.CaseInsensitive && strings.EqualFold(e.Key, k) {
			return true
		}
	}
	return false
}

// candidates lists the values meeting the spec, best first: the allowed
// values, the bound of a numeric range (the most permissive compliant
// value, to change behaviour least), the current umask with the required
// bits added, and the built-in default when that complies.
func (v *valueSpec) candidates(cur string, has bool, def *string) []string {
	var cands []string
	cands = append(cands, v.Allowed...)
	if v.Max != nil {
		cands = append(cands, strconv.FormatInt(*v.Max, 10))
	}
	if v.Min != nil {
		cands = append(cands, strconv.FormatInt(*v.Min, 10))
	}
	if v.Umask != "" {
		base := "022"
		if has {
			base = strings.TrimSpace(cur)
		}
		u, err := strconv.ParseUint(base, 8, 32)
		if err != nil {
			u, base = 0o22, "022"
		}
		w := max(len(base), 3)
		cands = append(cands, fmt.Sprintf("%0*o", w, u|v.umask))
	}
	if def != nil {
		cands = append(cands, *def)
	}
	var out []string
	for _, c := range cands {
		if v.ok(c) && !(v.Present && c == "") && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// kvGuardResult is a guard's verdict: the value to set (with a note for
// the plan), or the reason to defer.
type kvGuardResult struct {
	Value, Note, Defer string
}

// kvGuard checks a setting's preconditions on the planned state and picks
// the first safe value among the compliant candidates.
type kvGuard func(ctx context.Context, ch *remedy.Changes, key string, cands []string) (kvGuardResult, error)

// kvGuards are the preconditions a config_kv rule can name with guard.
var kvGuards = map[string]kvGuard{
	"auditd_action":       auditdActionGuard,
	"cracklib_dictionary": cracklibGuard,
}

func kvGuardNames() []string { return slices.Sorted(maps.Keys(kvGuards)) }

type kvOpts struct {
	first, fold bool
	// entry is the effective setting to rewrite, when known.
	entry *kvconf.Entry
}

// kvSet makes key = value the effective setting of src: it rewrites the
// effective line in place, or adds the key to the main file (next to a
// commented example of it, inside section for systemd syntax).
func kvSet(ctx context.Context, ch *remedy.Changes, src kvconf.Source, section, key, value string, o kvOpts, summary string) error {
	e := o.entry
	if e == nil {
		cfg, err := kvconf.Collect(ctx, ch.Overlay(), src)
		if err != nil {
			return fmt.Errorf("read configuration: %w", err)
		}
		e = cfg.Lookup(section, key, o.first, o.fold)
	}
	if e != nil {
		f, err := kvEditFile(ch, src, e.File)
		if err != nil {
			return err
		}
		last := e.Line
		if src.Syntax == kvconf.Systemd {
			last = f.continued(e.Line)
		}
		f.set(e.Line, kvRewrite(src.Syntax, f.line(e.Line), value))
		for n := e.Line + 1; n <= last; n++ {
			f.comment(n)
		}
		return f.write(ch, 0o644, summary)
	}
	cfg, err := kvconf.Collect(ctx, ch.Overlay(), src)
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	f, err := readText(ch, kvMainFile(cfg, src))
	if err != nil {
		return err
	}
	line := key + kvSeparator(src.Syntax, f, cfg) + value
	if equalsLike(src.Syntax) && value == "" {
		line = key
	}
	kvInsert(f, src.Syntax, section, key, line)
	return f.write(ch, 0o644, summary)
}

// kvMainFile picks where a new setting goes: the first file read that an
// administrator owns (under /etc), else the first plain path of src. For
// libpwquality that is the main file, read after its drop-ins so that
// what is added there wins.
func kvMainFile(cfg *kvconf.Config, src kvconf.Source) string {
	if src.Syntax == kvconf.Pwquality {
		return src.Paths[len(src.Paths)-1]
	}
	for _, f := range cfg.Files {
		if strings.HasPrefix(f, "/etc/") {
			return f
		}
	}
	for _, p := range src.Paths {
		if !strings.ContainsAny(path.Base(p), "*?[") {
			return p
		}
	}
	return src.Paths[0]
}

// kvEditFile reads file for editing. A systemd drop-in shipped outside
// /etc is overridden by a copy of the same name under /etc instead of
// being edited, as systemd lets /etc mask vendor drop-ins.
func kvEditFile(ch *remedy.Changes, src kvconf.Source, file string) (*textFile, error) {
	f, err := readText(ch, file)
	if err != nil {
		return nil, err
	}
	if src.Syntax == kvconf.Systemd && src.DropIns {
		rel := target.Clean(file)
		for _, pre := range []string{"usr/lib/", "usr/local/lib/", "run/"} {
			if rest, ok := strings.CutPrefix(rel, pre); ok {
				f.path = "etc/" + rest
				break
			}
		}
	}
	return f, nil
}

// kvComment disables the lines of entries.
func kvComment(ch *remedy.Changes, src kvconf.Source, entries []kvconf.Entry, summary string) error {
	byFile := map[string][]kvconf.Entry{}
	var order []string
	for _, e := range entries {
		if _, ok := byFile[e.File]; !ok {
			order = append(order, e.File)
		}
		byFile[e.File] = append(byFile[e.File], e)
	}
	for _, file := range order {
		f, err := kvEditFile(ch, src, file)
		if err != nil {
			return err
		}
		for _, e := range byFile[file] {
			last := e.Line
			if src.Syntax == kvconf.Systemd {
				last = f.continued(e.Line)
			}
			for n := e.Line; n <= last; n++ {
				f.comment(n)
			}
		}
		if err := f.write(ch, 0o644, summary); err != nil {
			return err
		}
	}
	return nil
}

// kvRewrite replaces the value of a setting line, keeping indentation,
// the separator, quoting and a trailing comment.
func kvRewrite(syn kvconf.Syntax, line, value string) string {
	indent := leadingBlank(line)
	body := strings.TrimRight(line[len(indent):], "\r")
	cr := line[len(indent)+len(body):]
	if syn == kvconf.Pwquality {
		return indent + pwqRewrite(body, value) + cr
	}
	if syn == kvconf.Space {
		i := strings.IndexAny(body, " \t")
		if i < 0 {
			return indent + body + " " + value + cr
		}
		j := len(body) - len(strings.TrimLeft(body[i:], " \t"))
		return indent + body[:j] + requote(body[j:], value) + cr
	}
	eq := strings.IndexByte(body, '=')
	if eq < 0 {
		if value == "" {
			return line
		}
		sep := " = "
		if syn == kvconf.Systemd {
			sep = "="
		}
		return indent + strings.TrimRight(body, " \t") + sep + value + cr
	}
	if value == "" && syn == kvconf.Equals {
		return indent + strings.TrimRight(body[:eq], " \t") + cr
	}
	j := eq + 1
	for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
		j++
	}
	rest, comment := body[j:], ""
	if syn == kvconf.Equals && !strings.HasPrefix(rest, `"`) && !strings.HasPrefix(rest, "'") {
		if k := strings.IndexByte(rest, '#'); k > 0 && (rest[k-1] == ' ' || rest[k-1] == '\t') {
			v := strings.TrimRight(rest[:k], " \t")
			rest, comment = v, rest[len(v):]
		}
	}
	return indent + body[:j] + requote(strings.TrimRight(rest, " \t"), value) + comment + cr
}

// pwqRewrite rewrites a pwquality.conf line: the name ends at a blank or
// '=' ("minlen 8" is a setting too) and '#' starts a comment anywhere.
func pwqRewrite(body, value string) string {
	comment := ""
	if k := strings.IndexByte(body, '#'); k >= 0 {
		body, comment = body[:k], body[k:]
	}
	name, rest := body, ""
	if i := strings.IndexAny(body, " \t="); i >= 0 {
		name, rest = body[:i], body[i:]
	}
	trail := rest[len(strings.TrimRight(rest, " \t")):]
	sep := " = "
	if j := strings.IndexByte(rest, '='); j >= 0 {
		after := rest[j+1:]
		sep = rest[:j+1] + after[:len(after)-len(strings.TrimLeft(after, " \t"))]
	}
	if value == "" {
		return name + trail + comment
	}
	if comment != "" && trail == "" {
		trail = " "
	}
	return name + sep + value + trail + comment
}

// equalsLike reports whether syn writes "key = value" and a bare key for
// a flag.
func equalsLike(syn kvconf.Syntax) bool { return syn == kvconf.Equals || syn == kvconf.Pwquality }

// kvStopped says why a setting cannot be fixed in a configuration whose
// reader stops early: whatever is written after the stop is not applied.
func kvStopped(cfg *kvconf.Config) string {
	if cfg.Stopped == nil {
		return ""
	}
	return fmt.Sprintf("libpwquality stops reading its configuration at %s, so no setting after it takes effect: correct or remove that line first", cfg.Stopped)
}

// requote quotes value the way old was quoted.
func requote(old, value string) string {
	old = strings.TrimSpace(old)
	if len(old) >= 2 && (old[0] == '"' || old[0] == '\'') && old[len(old)-1] == old[0] {
		return string(old[0]) + value + string(old[0])
	}
	return value
}

// kvSeparator follows the file's style between key and value.
func kvSeparator(syn kvconf.Syntax, f *textFile, cfg *kvconf.Config) string {
	if syn == kvconf.Systemd {
		return "="
	}
	for _, e := range cfg.Entries {
		if e.File != target.Abs(f.path) {
			continue
		}
		l := strings.TrimLeft(f.line(e.Line), " \t")
		rest := strings.TrimPrefix(l, e.Key)
		if syn == kvconf.Space {
			if sep := rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))]; sep != "" {
				return sep
			}
			continue
		}
		if k := strings.IndexByte(rest, '='); k >= 0 {
			after := rest[k+1:]
			return rest[:k+1] + after[:len(after)-len(strings.TrimLeft(after, " \t"))]
		}
	}
	if syn == kvconf.Space {
		return " "
	}
	return " = "
}

// kvInsert adds line for key: after a commented-out example of the key
// (where administrators look for it), else at the end of section (systemd)
// or of the file.
func kvInsert(f *textFile, syn kvconf.Syntax, section, key, line string) {
	lo, hi := 1, len(f.lines)
	if syn == kvconf.Systemd && section != "" {
		start := 0
		for i, l := range f.lines {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") && t[1:len(t)-1] == section {
				start = i + 1
			}
		}
		if start == 0 {
			if k := len(f.lines); k > 0 && strings.TrimSpace(f.lines[k-1]) != "" {
				f.appendLine("") // a blank line before the new section
			}
			f.appendLine("[" + section + "]")
			f.appendLine(line)
			return
		}
		lo, hi = start+1, len(f.lines)
		for n := lo; n <= len(f.lines); n++ {
			if t := strings.TrimSpace(f.line(n)); strings.HasPrefix(t, "[") {
				hi = n - 1
				break
			}
		}
	}
	example := 0
	for n := lo; n <= hi; n++ {
		t := strings.TrimSpace(f.line(n))
		if !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, ";") {
			continue
		}
		t = strings.TrimLeft(t, "#; \t")
		if rest, ok := strings.CutPrefix(t, key); ok && (rest == "" || strings.ContainsAny(rest[:1], " \t=")) {
			example = n
		}
	}
	if example > 0 {
		f.insert(example+1, line)
		return
	}
	if syn == kvconf.Systemd && section != "" {
		last := lo - 1
		for n := lo; n <= hi; n++ {
			if strings.TrimSpace(f.line(n)) != "" {
				last = n
			}
		}
		f.insert(last+1, line)
		return
	}
	f.appendLine(line)
}
