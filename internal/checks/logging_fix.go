package checks

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/rsyslog"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// Remediate removes the excess permission bits of each offending file.
func (c *dirFilesModeCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay()))
	if o.Status != result.Fail {
		return nil
	}
	for _, ev := range o.Evidence {
		fi, err := ch.Lstat(ev.File)
		if err != nil {
			return fmt.Errorf("stat %s: %w", ev.File, err)
		}
		if !fi.Mode.IsRegular() {
			continue
		}
		m := PermBits(fi.Mode) & c.maxMode
		if err := ch.Chmod(ev.File, remedy.ModeFromUnix(m), fmt.Sprintf("chmod %04o %s", m, ev.File)); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: target.Abs(target.Clean(c.a.Dir)), Value: fmt.Sprintf("%04o", c.maxMode)})
	return nil
}

// Remediate lowers every file create mode rsyslog reads to within the
// limit (legacy directive, omfile module default, action parameters), and
// when none is set adds "$FileCreateMode" to /etc/rsyslog.conf before the
// first include or rule, so it applies to every action that follows.
func (c *rsyslogFileModeCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	cfg, err := rsyslog.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("read rsyslog configuration: %w", err)
	}
	if !cfg.Present {
		return nil
	}
	mode := func(v string) (string, bool) {
		m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
		if err != nil {
			return fmt.Sprintf("%04o", c.max&0o640), true
		}
		if uint32(m)&^c.max == 0 {
			return "", false
		}
		return fmt.Sprintf("%04o", uint32(m)&c.max), true
	}
	defaultSet := false
	files := map[string]*textFile{}
	var order []string
	get := func(file string) (*textFile, error) {
		if f, ok := files[file]; ok {
			return f, nil
		}
		f, err := readText(ch, file)
		if err != nil {
			return nil, err
		}
		files[file] = f
		order = append(order, file)
		return f, nil
	}
	for _, st := range cfg.Statements {
		switch {
		case st.Kind == "directive" && strings.EqualFold(st.Name, "FileCreateMode"):
			defaultSet = true
			if nv, bad := mode(st.Value); bad {
				f, err := get(st.File)
				if err != nil {
					return err
				}
				l := f.line(st.Line)
				f.set(st.Line, strings.Replace(l, st.Value, nv, 1))
			}
		case st.Kind == "module" && strings.EqualFold(strings.TrimPrefix(st.Params["load"], "builtin:"), "omfile"),
			st.Kind == "action" && strings.EqualFold(st.Params["type"], "omfile"):
			v, ok := st.Params["filecreatemode"]
			if !ok {
				continue
			}
			if st.Kind == "module" {
				defaultSet = true
			}
			if nv, bad := mode(v); bad {
				f, err := get(st.File)
				if err != nil {
					return err
				}
				if !rsyslogSetParam(f, st.Line, "filecreatemode", nv) {
					return fmt.Errorf("%s:%d: fileCreateMode not found", st.File, st.Line)
				}
			}
		}
	}
	// 0640 is the distributions' choice; a stricter limit is used as is.
	want := fmt.Sprintf("%04o", c.max&0o640)
	if !defaultSet {
		f, err := get("/etc/rsyslog.conf")
		if err != nil {
			return err
		}
		f.insert(rsyslogRulesStart(f), "$FileCreateMode "+want)
	}
	for _, file := range order {
		if err := files[file].write(ch, 0o644, "rsyslog creates log files with mode "+want+" or stricter"); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectPermissions, Subject: "rsyslog log files", Value: want})
	return nil
}

// rsyslogSetParam replaces the value of param (case-insensitive) in the
// object starting at line n.
func rsyslogSetParam(f *textFile, n int, param, value string) bool {
	for i := n; i <= len(f.lines) && i < n+64; i++ {
		l := f.line(i)
		k := strings.Index(strings.ToLower(l), param)
		if k < 0 {
			if i > n && strings.Contains(l, ")") {
				return false
			}
			continue
		}
		j := k + len(param)
		for j < len(l) && (l[j] == ' ' || l[j] == '\t' || l[j] == '=') {
			j++
		}
		end := j
		if j < len(l) && (l[j] == '"' || l[j] == '\'') {
			q := l[j]
			end = strings.IndexByte(l[j+1:], q)
			if end < 0 {
				return false
			}
			f.set(i, l[:j+1]+value+l[j+1+end:])
			return true
		}
		for end < len(l) && l[end] != ' ' && l[end] != ')' && l[end] != '\t' {
			end++
		}
		f.set(i, l[:j]+value+l[end:])
		return true
	}
	return false
}

// rsyslogRulesStart returns the line before which global directives still
// apply to every action: the first include or rule line (anything but
// comments, "$" directives and module()/global() objects).
func rsyslogRulesStart(f *textFile) int {
	depth := 0
	for n := 1; n <= len(f.lines); n++ {
		t := strings.TrimSpace(f.line(n))
		if depth > 0 {
			depth += strings.Count(t, "(") - strings.Count(t, ")")
			continue
		}
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		lt := strings.ToLower(t)
		if strings.HasPrefix(t, "$") {
			if strings.HasPrefix(lt, "$includeconfig") {
				return n
			}
			continue
		}
		if obj := strings.ToLower(objectNameOf(t)); obj == "module" || obj == "global" {
			depth = strings.Count(t, "(") - strings.Count(t, ")")
			continue
		}
		return n
	}
	return len(f.lines) + 1
}

func objectNameOf(t string) string {
	i := strings.IndexByte(t, '(')
	if i <= 0 {
		return ""
	}
	return strings.TrimSpace(t[:i])
}

// Remediate comments out the flagged network input modules, inputs and
// legacy listener directives (every line of a multi-line object).
func (c *rsyslogInputCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay()))
	if o.Status != result.Fail {
		return nil
	}
	byFile := map[string][]int{}
	var order []string
	for _, ev := range o.Evidence {
		if _, ok := byFile[ev.File]; !ok {
			order = append(order, ev.File)
		}
		byFile[ev.File] = append(byFile[ev.File], ev.Line)
	}
	for _, file := range order {
		f, err := readText(ch, file)
		if err != nil {
			return err
		}
		for _, n := range byFile[file] {
			depth := 0
			for i := n; i <= len(f.lines); i++ {
				l := f.line(i)
				if !strings.HasPrefix(strings.TrimSpace(l), "$") {
					depth += strings.Count(l, "(") - strings.Count(l, ")")
				}
				f.comment(i)
				if depth <= 0 {
					break
				}
			}
		}
		if err := f.write(ch, 0o644, "disable rsyslog network input in "+path.Base(file)); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectOther, Subject: "rsyslog network input", Value: orList(c.a.Forbid)})
	return nil
}
