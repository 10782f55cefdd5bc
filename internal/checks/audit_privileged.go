package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/auditrules"
	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// auditPrivilegedTemplate requires an execution audit rule for every
// setuid or setgid program in the target's inventory (the filesystem-wide
// walk), the generated rule set of SCAP Security Guide's
// audit_rules_privileged_commands:
//
//	audit_privileged: {uid_min: 1000}
//
// A program is covered by "-a always,exit -F path=P -F perm=x
// -F auid>=UID_MIN -F auid!=unset" (any order, a lower auid threshold,
// "-1"/"4294967295" for unset, no perm field meaning every access, an arch
// field only for the native b64) or by a watch "-w P -p x", which records
// every execution, a superset. The rules are those augenrules merges.
type auditPrivilegedTemplate struct{}

type auditPrivilegedArgs struct {
	UIDMin int64 `yaml:"uid_min"`
}

type auditPrivilegedCheck struct {
	fields []auditrules.Field
}

func (auditPrivilegedTemplate) Name() string { return "audit_privileged" }

func (auditPrivilegedTemplate) New(n *yaml.Node) (check.Check, error) {
	var a auditPrivilegedArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.UIDMin <= 0 {
		return nil, check.ArgErrorf(n, "uid_min must be a positive UID")
	}
	return &auditPrivilegedCheck{fields: []auditrules.Field{
		{Name: "auid", Op: ">=", Value: strconv.FormatInt(a.UIDMin, 10)},
		{Name: "auid", Op: "!=", Value: "unset"},
	}}, nil
}

func (c *auditPrivilegedCheck) Fixable() bool { return true }

// maxPrivilegedEvidence bounds the programs listed in one result.
const maxPrivilegedEvidence = 100

// privilegedRule is the rule the fix writes for program p.
func (c *auditPrivilegedCheck) privilegedRule(p string) string {
	r := "-a always,exit -F path=" + p + " -F perm=x"
	for _, f := range c.fields {
		r += " -F " + f.String()
	}
	return r + " -k privileged"
}

// missing returns the setuid/setgid programs without a covering rule and
// the rules that cover the others.
func (c *auditPrivilegedCheck) missing(set *auditrules.Set, list *fswalk.List) (miss []string, covered []result.Evidence) {
	for _, e := range list.Entries {
		if r := c.coveredBy(set, e.Path); r != nil {
			covered = append(covered, result.Evidence{Expected: c.privilegedRule(e.Path), Observed: r.Raw, File: r.File, Line: r.Line})
			continue
		}
		miss = append(miss, e.Path)
	}
	return miss, covered
}

func (c *auditPrivilegedCheck) coveredBy(set *auditrules.Set, p string) *auditrules.Rule {
	want := target.Abs(p)
	for i := range set.Rules {
		r := &set.Rules[i]
		switch r.Kind {
		case "watch":
			if target.Abs(r.Path) == want && strings.ContainsRune(r.Perms, 'x') {
				return r
			}
		case "syscall":
			if r.Action != "always" || r.List != "exit" || !hasFields(r, c.fields) {
				continue
			}
			if _, ok := r.Field("arch"); ok && !archMatches(r, "b64") {
				continue
			}
			pf, ok := r.Field("path")
			if !ok || pf.Op != "=" || target.Abs(pf.Value) != want {
				continue
			}
			if pm, ok := r.Field("perm"); ok && !strings.ContainsRune(pm.Value, 'x') {
				continue
			}
			return r
		}
	}
	return nil
}

func (c *auditPrivilegedCheck) inventory(f *facts.Store) (*auditrules.Set, *fswalk.List, *check.Outcome) {
	set, err := auditrules.Get(f)
	if err != nil {
		o := check.FromErr("read audit rules", err)
		return nil, nil, &o
	}
	if !set.Installed {
		o := check.NotApplicable("auditd is not installed (no /etc/audit)")
		return nil, nil, &o
	}
	fw, err := fswalk.Get(f)
	if err != nil {
		o := check.FromErr("walk the filesystem", err)
		return nil, nil, &o
	}
	if fw.SetID.Truncated() {
		o := check.Errorf("%d setuid/setgid files, more than the %d kept: the rest cannot be evaluated", fw.SetID.Total, len(fw.SetID.Entries))
		return nil, nil, &o
	}
	if fw.UnreadableTotal > 0 {
		o := check.Errorf("%d paths could not be read (first: %s: %s): the setuid inventory is incomplete; run as root", fw.UnreadableTotal, fw.Unreadable[0].Path, fw.Unreadable[0].Err)
		return nil, nil, &o
	}
	return set, &fw.SetID, nil
}

func (c *auditPrivilegedCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	set, list, o := c.inventory(f)
	if o != nil {
		return *o
	}
	if len(list.Entries) == 0 {
		return check.Pass(result.Evidence{Expected: "an execution audit rule per setuid/setgid program", Observed: "no setuid or setgid programs"})
	}
	miss, covered := c.missing(set, list)
	if len(miss) == 0 {
		return check.Pass(covered...)
	}
	where := "/etc/audit/rules.d"
	var bad []result.Evidence
	for i, p := range miss {
		if i == maxPrivilegedEvidence {
			bad = append(bad, result.Evidence{Observed: fmt.Sprintf("and %d more programs without a rule", len(miss)-i)})
			break
		}
		bad = append(bad, result.Evidence{Expected: c.privilegedRule(p), Observed: "no execution audit rule for setuid/setgid " + p, File: where})
	}
	return check.Fail(bad...)
}

// auditPrivilegedRules is the rules.d file the fix writes: augenrules
// merges rules.d in "ls -v" order and moves the last -e to the end, so the
// rules load before an immutable flag in any file.
const auditPrivilegedRules = "etc/audit/rules.d/50-privileged.rules"

// Remediate writes a rule for each program without one, keeping the
// rules already in the file.
func (c *auditPrivilegedCheck) Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error {
	set, err := auditrules.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading audit rules: %w", err)
	}
	_, list, o := c.inventory(f)
	if o != nil || !set.Installed {
		return nil
	}
	miss, _ := c.missing(set, list)
	if len(miss) == 0 {
		return nil
	}
	b, _, err := fixReadOptional(ch, auditPrivilegedRules)
	if err != nil {
		return err
	}
	lines := fixLines(b)
	if len(lines) == 0 {
		lines = []string{"## Execution of setuid/setgid programs, added by cradle fix (loaded by augenrules)."}
	}
	var unsafe []string
	n := 0
	for _, p := range miss {
		if !auditSafePath(p) {
			unsafe = append(unsafe, strconv.Quote(p))
			continue
		}
		lines = append(lines, c.privilegedRule(p))
		n++
	}
	if len(unsafe) > 0 {
		ch.Defer("audit setuid/setgid programs whose names cannot be written in a rule",
			"names with blanks, quotes or control characters would change the rule file: "+strings.Join(unsafe, ", ")+"; remove the setuid bit or audit the directory instead")
	}
	if n == 0 {
		return nil
	}
	if err := ch.WriteFile(auditPrivilegedRules, fixJoin(lines), 0o640,
		fmt.Sprintf("audit the execution of %d setuid/setgid programs", n)); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectOther, Subject: "audit rules", Value: fmt.Sprintf("execution of %d privileged programs audited", n)})
	return nil
}

// auditSafePath reports whether p can be written as one auditctl token: a
// setuid file is any user's to name (chmod u+s on their own file), and a
// blank, quote, '#' or newline in it would split the rule or add lines.
func auditSafePath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '#' {
			return false
		}
	}
	return true
}

var _ check.Remediator = (*auditPrivilegedCheck)(nil)
