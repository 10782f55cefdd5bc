package checks

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/auditrules"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/collect/mounts"
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

// auditdConf is auditd's configuration file.
var auditdConf = kvconf.Source{Syntax: kvconf.Equals, Paths: []string{"/etc/audit/auditd.conf"}}

// auditdSendmail is the program auditd runs for the email actions.
const auditdSendmail = "usr/lib/sendmail"

// auditdActionGuard is the config_kv guard for auditd's disk actions. It
// keeps the first compliant action that cannot take the host down here:
//   - single and halt only when the audit log directory is a separate
//     filesystem: on a shared one, any process filling the disk would
//     drop the host to single-user mode (sshd stops) or halt it;
//   - email only when /usr/lib/sendmail (an MTA) exists, else auditd
//     logs an error and nobody is told;
//   - exec never: it needs a site-specific program.
//
// max_log_file_action keep_logs is set, and the plan says when the logs
// then fill the root filesystem.
func auditdActionGuard(ctx context.Context, ch *remedy.Changes, key string, cands []string) (kvGuardResult, error) {
	dir, sep, where, err := auditdLogFilesystem(ctx, ch)
	if err != nil {
		return kvGuardResult{}, err
	}
	var why []string
	for _, v := range cands {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "single", "halt":
			if !sep {
				why = append(why, fmt.Sprintf("%s needs %s on a separate filesystem (%s): on a shared one a disk filled by anything would stop the host and its sshd", v, dir, where))
				continue
			}
		case "email":
			if !ch.Exists(auditdSendmail) {
				why = append(why, v+" needs an MTA (/usr/lib/sendmail, which auditd runs): there is none, so nobody would be told")
				continue
			}
		case "exec":
			why = append(why, v+" needs a site-specific program")
			continue
		case "keep_logs":
			if !sep {
				return kvGuardResult{Value: v, Note: fmt.Sprintf("%s is not a separate filesystem (%s): kept logs fill the filesystem it shares until admin_space_left_action acts; give it its own or rotate", dir, where)}, nil
			}
		}
		return kvGuardResult{Value: v}, nil
	}
	return kvGuardResult{Defer: "no safe value for " + key + " on this system: " + strings.Join(why, "; ")}, nil
}

// auditdLogFilesystem reports whether the directory of auditd's log_file
// is its own filesystem: from the running mount table on a live host,
// else from fstab and mount units; where names the source.
func auditdLogFilesystem(ctx context.Context, ch *remedy.Changes) (dir string, sep bool, where string, err error) {
	logFile := "/var/log/audit/audit.log"
	cfg, err := kvconf.Collect(ctx, ch.Overlay(), auditdConf)
	if err != nil {
		return "", false, "", fmt.Errorf("read auditd.conf: %w", err)
	}
	if e := cfg.Lookup("", "log_file", false, false); e != nil && path.IsAbs(e.Value) {
		logFile = e.Value
	}
	dir = path.Dir(path.Clean(logFile))
	tb, err := mounts.Collect(ctx, ch.Overlay())
	if err != nil {
		return "", false, "", fmt.Errorf("read mounts: %w", err)
	}
	if ch.Live() && tb.Running != nil {
		_, sep = tb.RunningEntry(dir)
		return dir, sep, "running mounts, " + tb.RunningSource, nil
	}
	_, sep, err = tb.Configured(dir)
	if err != nil {
		return "", false, "", fmt.Errorf("read mount units: %w", err)
	}
	return dir, sep, "fstab and mount units", nil
}
