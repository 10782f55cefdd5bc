package checks

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// Remediate edits the PAM stacks the check evaluates, one change at a
// time against the planned state (services often share a file): module
// arguments are set or removed on the module's lines, or in the module's
// configuration file when the line does not carry them; a required module
// that is missing is inserted where it belongs relative to pam_unix; a
// forbidden one is commented out.
func (c *pamOptionCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	for range 64 {
		ov := ch.Overlay()
		cfg, err := pam.Collect(ctx, ov)
		if err != nil {
			return fmt.Errorf("read PAM configuration: %w", err)
		}
		var modCfg *kvconf.Config
		if c.src != nil {
			if modCfg, err = kvconf.Collect(ctx, ov, *c.src); err != nil {
				return fmt.Errorf("read module configuration: %w", err)
			}
		}
		more, err := c.fixStep(ctx, ch, cfg, modCfg)
		if err != nil {
			return err
		}
		if !more {
			ch.Effect(remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: c.a.Module, Value: c.expected()})
			return nil
		}
	}
	return fmt.Errorf("PAM fix for %s does not converge", c.a.Module)
}

// fixStep makes one change; it reports whether it changed something (and
// the stacks must be read again).
func (c *pamOptionCheck) fixStep(ctx context.Context, ch *remedy.Changes, cfg *pam.Config, modCfg *kvconf.Config) (bool, error) {
	for _, svc := range c.a.Services {
		stack, err := cfg.Stack(svc, c.a.Type)
		if errors.Is(err, pam.ErrNoService) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("PAM service %s: %w", svc, err)
		}
		if why, err := c.notEnforced(cfg, svc); err != nil || why != "" {
			if err != nil {
				return false, err
			}
			// Reordering a stack's control flow changes who can log in:
			// left to the administrator.
			ch.Defer("make "+c.a.Module+" binding in the "+c.a.Type+" stack of "+svc, why)
			continue
		}
		found := false
		for i := range stack {
			e := &stack[i]
			if e.ModuleName() != c.a.Module && e.Module != c.a.Module {
				continue
			}
			found = true
			if c.a.Present != nil && !*c.a.Present {
				if why := authselectManaged(ch, e.File, c.a.Module, ""); why != "" {
					ch.Defer("disable "+c.a.Module+" in "+e.File, why)
					return false, nil
				}
				if done, err := pamDisableByProfile(ch, e.File, c.a.Type, c.a.Module); done || err != nil {
					return done, err
				}
				return true, pamEditLine(ch, e, nil, "disable "+c.a.Module)
			}
			if _, ok := c.judge(e, modCfg); ok {
				continue
			}
			return c.fixArgs(ctx, ch, e, modCfg)
		}
		if !found && c.a.Present != nil && *c.a.Present {
			return c.insertModule(ctx, ch, cfg, svc, stack)
		}
		if found && c.faillockAuth() {
			if ok, err := faillockResets(cfg, svc, stack); err != nil || ok {
				if err != nil {
					return false, fmt.Errorf("PAM service %s: %w", svc, err)
				}
				continue
			}
			if more, err := c.faillockAccount(ch, cfg, svc); more || err != nil {
				return more, err
			}
		}
	}
	return false, nil
}

// notEnforced says why a required module that is in svc's stack binds no
// successful run (skipped by a jump, after a sufficient or done, or its
// failure ignored), or "" when one of its lines is enforced or it is
// missing (then inserted).
func (c *pamOptionCheck) notEnforced(cfg *pam.Config, svc string) (string, error) {
	if !c.required() {
		return "", nil
	}
	nodes, err := cfg.Flow(svc, c.a.Type)
	if err != nil {
		return "", fmt.Errorf("PAM service %s: %w", svc, err)
	}
	var whys []string
	for i := range nodes {
		e := &nodes[i].Entry
		if nodes[i].Substack || e.ModuleName() != c.a.Module && e.Module != c.a.Module {
			continue
		}
		v, err := pam.Judge(nodes, i)
		if err != nil {
			return "", fmt.Errorf("PAM service %s: %w", svc, err)
		}
		ok, why := c.counts(v)
		if ok {
			return "", nil
		}
		whys = append(whys, fmt.Sprintf("%s:%d is not enforced: %s", e.File, e.Line, why))
	}
	return strings.Join(whys, "; "), nil
}

// faillockAccount adds pam_faillock to svc's account stack when its auth
// stack has it: the account step resets the failure count after a
// successful login, so failures never add up across good logins.
func (c *pamOptionCheck) faillockAccount(ch *remedy.Changes, cfg *pam.Config, svc string) (bool, error) {
	stack, err := cfg.Stack(svc, "account")
	if errors.Is(err, pam.ErrNoService) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("PAM service %s: %w", svc, err)
	}
	var anchor *pam.Entry
	for i := range stack {
		switch stack[i].ModuleName() {
		case "pam_faillock.so":
			return false, nil
		case "pam_unix.so":
			if anchor == nil {
				anchor = &stack[i]
			}
		}
	}
	if anchor == nil {
		return false, nil
	}
	if why := authselectManaged(ch, anchor.File, "pam_faillock.so", ""); why != "" {
		ch.Defer("add pam_faillock.so to the account stack of "+svc, why)
		return false, nil
	}
	if done, err := pamInsertByProfile(ch, anchor, []pamProfile{faillockAccountProfile}); done || err != nil {
		return done, err
	}
	f, err := pamFile(ch, anchor.File)
	if err != nil {
		return false, err
	}
	pamInsert(f, anchor.Line, "account", pamFormat(f.line(anchor.Line), "account", "required", "pam_faillock.so"))
	return true, f.write(ch, 0o644, "add pam_faillock.so to the account stack (a successful login resets the failure count)")
}

// hashFlags are pam_unix's hashing options; only one should be given.
var hashFlags = []string{"md5", "bigcrypt", "sha256", "sha512", "blowfish", "yescrypt", "gost_yescrypt"}

func (c *pamOptionCheck) fixArgs(ctx context.Context, ch *remedy.Changes, e *pam.Entry, modCfg *kvconf.Config) (bool, error) {
	args := slices.Clone(e.Args)
	var what []string
	for _, k := range c.keys {
		lv, lset := e.Arg(k)
		v, set, inCfg := lv, lset, false
		if !set && modCfg != nil {
			if ce := modCfg.Lookup("", k, false, false); ce != nil {
				v, set, inCfg = ce.Value, true, true
			}
		}
		if !set {
			if d, has := c.a.Defaults[k]; has {
				v, set = d, true
			}
		}
		if sat(c.cons[k], v, set) {
			continue
		}
		nv, nset, ok := pickValue(c.cons[k], v, set)
		if !ok {
			ch.Defer(fmt.Sprintf("set %s %s on %s", k, c.a.Args[k], c.a.Module), "no value meets the constraint")
			return false, nil
		}
		if nset && pamNeedsDictionary(c.a.Module, k, nv) {
			if why, err := pwqualityDictionaryMissing(ctx, ch, e, k == "dictcheck"); err != nil || why != "" {
				if err == nil {
					ch.Defer(fmt.Sprintf("set %s on %s", pamArg(k, nv), c.a.Module), why)
				}
				return false, err
			}
		}
		switch {
		case !nset:
			args = pamRemoveArg(args, k)
			what = append(what, "remove "+k)
			if inCfg {
				var ents []kvconf.Entry
				for _, ce := range modCfg.Entries {
					if ce.Key == k || modCfg.Syntax == kvconf.Pwquality && strings.EqualFold(ce.Key, k) {
						ents = append(ents, ce)
					}
				}
				if err := kvComment(ch, *c.src, ents, "disable "+k+" for "+c.a.Module); err != nil {
					return false, err
				}
			}
		case !lset && modCfg != nil && len(modCfg.Files) > 0 && modCfg.Stopped == nil:
			// The module reads its own configuration file: keep the
			// setting there, where the distribution's tools expect it.
			// When its reader stops early a setting there may never be
			// read; the module argument, applied after it, is.
			if err := kvSet(ctx, ch, *c.src, "", k, nv, kvOpts{}, fmt.Sprintf("set %s for %s", pamArg(k, nv), c.a.Module)); err != nil {
				return false, err
			}
		default:
			args = pamSetArg(args, k, nv)
			what = append(what, "set "+pamArg(k, nv))
		}
	}
	if len(c.a.AnyFlag) > 0 {
		has := false
		for _, fl := range c.a.AnyFlag {
			if _, set := e.Arg(fl); set {
				has = true
			}
		}
		if !has {
			for _, h := range hashFlags {
				if !slices.Contains(c.a.AnyFlag, h) {
					args = pamRemoveArg(args, h)
				}
			}
			args = append(args, c.a.AnyFlag[0])
			what = append(what, "use "+c.a.AnyFlag[0])
		}
	}
	if !slices.Equal(args, e.Args) {
		if why := authselectManaged(ch, e.File, c.a.Module, strings.Join(what, ", ")); why != "" {
			ch.Defer(strings.Join(what, ", ")+" on "+c.a.Module+" in "+e.File, why)
			return false, nil
		}
		if err := pamEditLine(ch, e, args, strings.Join(what, ", ")+" on "+c.a.Module); err != nil {
			return false, err
		}
	}
	return true, nil
}

func pamArg(k, v string) string {
	if v == "" {
		return k
	}
	return k + "=" + v
}

func pamSetArg(args []string, k, v string) []string {
	out, done := args[:0:0], false
	for _, a := range args {
		if ak, _, _ := strings.Cut(a, "="); ak == k {
			if !done {
				out, done = append(out, pamArg(k, v)), true
			}
			continue
		}
		out = append(out, a)
	}
	if !done {
		out = append(out, pamArg(k, v))
	}
	return out
}

func pamRemoveArg(args []string, k string) []string {
	return slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		ak, _, _ := strings.Cut(a, "=")
		return ak == k
	})
}

// pickValue chooses a value meeting cs: candidates are the bounds named in
// the constraint; with a numeric current value the nearest one wins (the
// smallest change in behaviour).
func pickValue(cs []constraint, cur string, curSet bool) (string, bool, bool) {
	type cand struct {
		v   string
		set bool
	}
	var cands []cand
	for _, alt := range cs {
		for _, a := range append([]constraint{alt}, alt.and...) {
			switch a.op {
			case "present":
				cands = append(cands, cand{"", true})
			case "absent", "!=":
				cands = append(cands, cand{"", false})
			case "=":
				cands = append(cands, cand{a.val, true})
			case ">=", "<=":
				cands = append(cands, cand{strconv.FormatInt(a.num, 10), true})
			case ">":
				cands = append(cands, cand{strconv.FormatInt(a.num+1, 10), true})
			case "<":
				cands = append(cands, cand{strconv.FormatInt(a.num-1, 10), true})
			}
		}
	}
	cands = slices.DeleteFunc(cands, func(x cand) bool { return !sat(cs, x.v, x.set) })
	if len(cands) == 0 {
		return "", false, false
	}
	best := cands[0]
	if n, err := strconv.ParseInt(cur, 10, 64); curSet && err == nil {
		dist := int64(-1)
		for _, x := range cands {
			m, err := strconv.ParseInt(x.v, 10, 64)
			if !x.set || err != nil {
				continue
			}
			if d := max(m-n, n-m); dist < 0 || d < dist {
				best, dist = x, d
			}
		}
	}
	return best.v, best.set, true
}

// pamFile reads a PAM file for editing; a vendor file (/usr/lib/pam.d) is
// copied to /etc/pam.d, which takes precedence, rather than edited.
func pamFile(ch *remedy.Changes, file string) (*textFile, error) {
	f, err := readText(ch, file)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(f.path, "usr/lib/pam.d/") {
		f.path = "etc/pam.d/" + path.Base(f.path)
	}
	return f, nil
}

// pamEditLine rewrites e's line with args, or comments it out when args
// is nil.
func pamEditLine(ch *remedy.Changes, e *pam.Entry, args []string, summary string) error {
	f, err := pamFile(ch, e.File)
	if err != nil {
		return err
	}
	if err := pamRewrite(f, e.Line, args); err != nil {
		return fmt.Errorf("%s: %w", e.File, err)
	}
	return f.write(ch, 0o644, summary)
}

// pamRewrite replaces the arguments of the module line starting at n (a
// backslash-continued line becomes one line), or comments it out when
// args is nil.
func pamRewrite(f *textFile, n int, args []string) error {
	last := f.continued(n)
	if args == nil {
		for i := n; i <= last; i++ {
			f.comment(i)
		}
		return nil
	}
	var logical strings.Builder
	for i := n; i <= last; i++ {
		l := f.line(i)
		if i < last {
			l = strings.TrimSuffix(strings.TrimRight(l, " \t\r"), `\`) + " "
		}
		logical.WriteString(l)
	}
	l := logical.String()
	body, comment := l, ""
	if i := strings.IndexByte(l, '#'); i >= 0 {
		body, comment = l[:i], l[i:]
	}
	spans := pamTokenSpans(body)
	if len(spans) < 3 {
		return fmt.Errorf("line %d: not a module line", n)
	}
	nl := body[:spans[2][1]]
	if len(args) > 0 {
		nl += " " + strings.Join(args, " ")
	}
	if comment != "" {
		nl += " " + comment
	}
	f.set(n, nl)
	f.lines = slices.Delete(f.lines, n, last)
	return nil
}

// pamTokenSpans splits like libpam (blanks, "[...]" kept whole) and
// returns each token's byte span.
func pamTokenSpans(s string) [][2]int {
	var out [][2]int
	start, in := -1, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in && c == '\\' && i+1 < len(s) && s[i+1] == ']':
			i++
		case in && c == ']':
			in = false
		case !in && (c == ' ' || c == '\t' || c == '\r'):
			if start >= 0 {
				out = append(out, [2]int{start, i})
				start = -1
			}
			continue
		case !in && c == '[':
			in = true
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// moduleInstalled looks for a PAM module in the usual library directories.
func moduleInstalled(ch *remedy.Changes, module string) bool {
	if path.IsAbs(module) {
		return ch.Exists(module)
	}
	dirs := []string{"lib/security", "lib64/security", "usr/lib/security", "usr/lib64/security"}
	for _, base := range []string{"usr/lib", "lib"} {
		if ents, err := ch.Overlay().ReadDir(base); err == nil {
			for _, e := range ents {
				if strings.Contains(e.Name, "-linux-") {
					dirs = append(dirs, base+"/"+e.Name+"/security")
				}
			}
		}
	}
	for _, d := range dirs {
		if ch.Exists(d + "/" + module) {
			return true
		}
	}
	return false
}

// insertModule adds the missing module to svc's stack: next to pam_unix of
// the same type (in the file that holds it, so every service sharing that
// file gets it), or for modules that gate one service (pam_wheel) in the
// service's own file after pam_rootok. Arguments follow on the next step.
func (c *pamOptionCheck) insertModule(ctx context.Context, ch *remedy.Changes, cfg *pam.Config, svc string, stack []pam.Entry) (bool, error) {
	what := "add " + c.a.Module + " to the " + c.a.Type + " stack of " + svc
	if !moduleInstalled(ch, c.a.Module) {
		ch.Defer(what, c.a.Module+" is not installed: PAM refuses a stack whose required module is missing"+pamPackageHint(c.a.Module))
		return false, nil
	}
	if pamNeedsDictionary(c.a.Module, "", "") {
		if why, err := pwqualityDictionaryMissing(ctx, ch, nil, c.a.Module == "pam_cracklib.so"); err != nil || why != "" {
			if err == nil {
				ch.Defer(what, why)
			}
			return false, err
		}
	}
	var anchor *pam.Entry
	if c.a.Module != "pam_wheel.so" {
		for i := range stack {
			if stack[i].ModuleName() == "pam_unix.so" {
				anchor = &stack[i]
				break
			}
		}
	}
	mod := c.a.Module
	if anchor != nil {
		if why := authselectManaged(ch, anchor.File, mod, ""); why != "" {
			ch.Defer(what, why)
			return false, nil
		}
		if done, err := c.insertByProfile(ch, anchor); done || err != nil {
			return done, err
		}
		f, err := pamFile(ch, anchor.File)
		if err != nil {
			return false, err
		}
		like := f.line(anchor.Line)
		at := anchor.Line
		switch {
		case mod == "pam_faillock.so" && c.a.Type == "auth":
			pamInsert(f, at, c.a.Type, pamFormat(like, "auth", "required", mod, "preauth"))
			pamInsert(f, at+2, c.a.Type, pamFormat(like, "auth", "[default=die]", mod, "authfail"))
		case c.a.Type == "password":
			pamInsert(f, at, c.a.Type, pamFormat(like, "password", "requisite", mod))
			// pam_unix must take the new password the module checked
			// instead of prompting again.
			if _, ok := anchor.Arg("use_authtok"); !ok {
				if err := pamRewrite(f, at+1, append(slices.Clone(anchor.Args), "use_authtok")); err != nil {
					return false, fmt.Errorf("%s: %w", anchor.File, err)
				}
			}
		default:
			pamInsert(f, at, c.a.Type, pamFormat(like, c.a.Type, "required", mod))
		}
		return true, f.write(ch, 0o644, "add "+mod+" to the "+c.a.Type+" stack"+pauUnmanagedNote(f))
	}
	file := cfg.Paths[svc]
	f, err := pamFile(ch, file)
	if err != nil {
		return false, err
	}
	ents := pam.Parse(f.bytes(), file)
	at, like := 0, ""
	for _, e := range ents {
		if e.Type != c.a.Type && e.Type != "" {
			continue
		}
		if e.ModuleName() == "pam_rootok.so" {
			at, like = f.continued(e.Line)+1, f.line(e.Line)
			continue
		}
		if at == 0 {
			at, like = e.Line, f.line(e.Line)
		}
		break
	}
	if at == 0 {
		at = len(f.lines) + 1
	}
	pamInsert(f, at, c.a.Type, pamFormat(like, c.a.Type, "required", mod))
	return true, f.write(ch, 0o644, "add "+mod+" to the "+c.a.Type+" stack of "+svc)
}

// pamFormat lays out a new module line like an existing one: tab
// separated, or with the type and control columns padded to the same
// widths; arguments follow the module after one space.
func pamFormat(like, typ, control, module string, args ...string) string {
	cols := []string{typ, control, module}
	var b strings.Builder
	spans := pamTokenSpans(like)
	for i, col := range cols {
		b.WriteString(col)
		if i == len(cols)-1 {
			break
		}
		switch {
		case strings.Contains(like, "\t") || len(spans) < 3:
			b.WriteByte('\t')
		default:
			b.WriteString(strings.Repeat(" ", max(1, spans[i+1][0]-b.Len())))
		}
	}
	for _, a := range args {
		b.WriteString(" " + a)
	}
	return b.String()
}

// pamInsert puts line before physical line at and widens the numeric
// jumps ("success=N") of earlier lines of the same type that would now
// skip one module fewer.
func pamInsert(f *textFile, at int, typ, line string) {
	ents := pam.Parse(f.bytes(), "")
	var same []pam.Entry
	for _, e := range ents {
		if e.Type == typ {
			same = append(same, e)
		}
	}
	j := len(same) // index the new line takes among same-type lines
	for i, e := range same {
		if e.Line >= at {
			j = i
			break
		}
	}
	for i := 0; i < j; i++ {
		e := same[i]
		if !strings.HasPrefix(e.Control, "[") {
			continue
		}
		ctl := strings.Trim(e.Control, "[]")
		changed := false
		var parts []string
		for _, kv := range strings.Fields(ctl) {
			k, v, ok := strings.Cut(kv, "=")
			if n, err := strconv.Atoi(v); ok && err == nil && i+n >= j {
				kv, changed = k+"="+strconv.Itoa(n+1), true
			}
			parts = append(parts, kv)
		}
		if changed {
			old := f.line(e.Line)
			f.set(e.Line, strings.Replace(old, e.Control, "["+strings.Join(parts, " ")+"]", 1))
		}
	}
	f.insert(at, line)
}
