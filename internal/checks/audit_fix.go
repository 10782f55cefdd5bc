package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/auditrules"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// auditFixRules is the rules.d file cradle appends audit rules to;
// augenrules concatenates rules.d in "ls -v" order into audit.rules.
const auditFixRules = "etc/audit/rules.d/cradle.rules"

const auditFixHeader = "## Audit rules added by cradle fix (loaded by augenrules)."

// Remediate appends the missing watches and syscall rules, or the control
// setting, to cradle.rules. The immutable flag (-e 2) stays the last
// line loaded: an earlier one would make the kernel reject the new rules.
func (c *auditRuleCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	set, err := auditrules.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading audit rules: %w", err)
	}
	if !set.Installed {
		return nil
	}
	var add []string
	if c.a.Control != "" {
		v := c.a.Value
		if c.a.Min != nil {
			v = strconv.FormatInt(*c.a.Min, 10)
		}
		add = append(add, c.a.Control+" "+v)
	}
	for _, w := range c.a.Watches {
		if findWatch(set, w, c.a.Perms) == nil {
			add = append(add, fmt.Sprintf("-w %s -p %s -k cradle", w, c.a.Perms))
		}
	}
	for _, arch := range c.a.Arch {
		var missing []string
		for _, s := range c.a.Syscalls {
			if !auditCovered(set, arch, s, c.fields) {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			continue
		}
		r := fmt.Sprintf("-a always,exit -F arch=%s -S %s", arch, strings.Join(missing, ","))
		for _, f := range c.fields {
			r += " -F " + f.String()
		}
		add = append(add, r+" -k cradle")
	}
	if len(add) > 0 {
		if err := auditAppend(ch, add, "add audit rules: "+strings.Join(add, "; ")); err != nil {
			return err
		}
	}
	// A later file can still override a control setting (the last -b or
	// -e wins): comment those out until ours is in effect.
	for range 64 {
		if c.a.Control == "" || c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())).Status != result.Fail {
			break
		}
		set, err = auditrules.Collect(ctx, ch.Overlay())
		if err != nil {
			return fmt.Errorf("reading planned audit rules: %w", err)
		}
		r := set.Last(c.a.Control)
		if r == nil || r.File == target.Abs(auditFixRules) {
			break
		}
		if err := fixCommentOut(ch, r.File, []int{r.Line}, fmt.Sprintf("comment out %q, which overrides %s", r.Raw, target.Abs(auditFixRules))); err != nil {
			return err
		}
	}
	if err := auditKeepImmutableLast(ctx, ch); err != nil {
		return err
	}
	e := remedy.Effect{Kind: remedy.EffectOther, Subject: "audit rules", Value: strings.Join(add, "; ")}
	if c.a.Control == "-e" && c.a.Value == "2" {
		e.Subject = "audit rules immutable until reboot"
	}
	ch.Effect(e)
	return nil
}

func auditCovered(set *auditrules.Set, arch, syscall string, fields []auditrules.Field) bool {
	for i := range set.Rules {
		r := &set.Rules[i]
		if r.Kind != "syscall" || r.Action != "always" || r.List != "exit" || !archMatches(r, arch) || !hasFields(r, fields) {
			continue
		}
		for _, s := range r.Syscalls {
			if s == syscall || s == "all" {
				return true
			}
		}
	}
	return false
}

// auditAppend adds lines to cradle.rules, before its own -e line if it
// has one.
func auditAppend(ch *remedy.Changes, add []string, summary string) error {
	b, _, err := fixReadOptional(ch, auditFixRules)
	if err != nil {
		return err
	}
	lines := fixLines(b)
	if len(lines) == 0 {
		lines = []string{auditFixHeader}
	}
	var tail []string
	for len(lines) > 0 && auditIsEnable(lines[len(lines)-1]) {
		tail = append([]string{lines[len(lines)-1]}, tail...)
		lines = lines[:len(lines)-1]
	}
	for _, a := range add {
		if auditIsEnable(a) {
			tail = []string{a}
			continue
		}
		lines = append(lines, a)
	}
	lines = append(lines, tail...)
	return ch.WriteFile(auditFixRules, fixJoin(lines), 0o640, summary)
}

func auditIsEnable(l string) bool {
	f := strings.Fields(l)
	return len(f) == 2 && f[0] == "-e"
}

// auditKeepImmutableLast moves "-e 2" after cradle's rules when a file
// loaded earlier sets it: the kernel refuses rule changes after it.
func auditKeepImmutableLast(ctx context.Context, ch *remedy.Changes) error {
	set, err := auditrules.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading planned audit rules: %w", err)
	}
	ours := target.Abs(auditFixRules)
	lastOurs := -1
	for i, r := range set.Rules {
		if r.File == ours && r.Kind != "control" {
			lastOurs = i
		}
	}
	var g fixGroupLines
	for i, r := range set.Rules {
		if i < lastOurs && r.Kind == "control" && r.Option == "-e" && r.Value == "2" && r.File != ours {
			g.add(r.File, r.Line)
		}
	}
	if len(g.files) == 0 {
		return nil
	}
	if err := g.commentOut(ch, "move the immutable flag (-e 2) after the rules cradle adds"); err != nil {
		return err
	}
	return auditAppend(ch, []string{"-e 2"}, "keep the audit rules immutable (-e 2) as the last line loaded")
}

var _ check.Remediator = (*auditRuleCheck)(nil)
