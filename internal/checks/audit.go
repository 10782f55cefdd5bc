package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/auditrules"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// auditRuleTemplate requires audit rules (as augenrules loads them):
//
//	audit_rule: {watches: [/etc/passwd, /etc/shadow], perms: wa}
//	audit_rule: {syscalls: [adjtimex, settimeofday], arch: [b64, b32], fields: ["auid>=1000", "auid!=unset"]}
//	audit_rule: {control: "-e", value: "2"}           the last -e is 2 (immutable)
//	audit_rule: {control: "-b", min: 8192}
//
// A watch is met by "-w PATH -p PERMS" or an exit rule with -F path= (or
// dir=) and -F perm=, when its permissions include perms. Syscalls are met
// per arch by the union of "always,exit" rules for that arch carrying all
// the required fields (order-insensitive; "auid!=unset", "auid!=-1" and
// "auid!=4294967295" are the same). Every listed element must be present.
// A target without /etc/audit is not_applicable (auditd not installed).
type auditRuleTemplate struct{}

type auditRuleArgs struct {
	Watches  []string `yaml:"watches"`
	Perms    string   `yaml:"perms"`
	Syscalls []string `yaml:"syscalls"`
	Arch     []string `yaml:"arch"`
	Fields   []string `yaml:"fields"`
	Control  string   `yaml:"control"`
	Value    string   `yaml:"value"`
	Min      *int64   `yaml:"min"`
}

type auditRuleCheck struct {
	a      auditRuleArgs
	fields []auditrules.Field
}

func (auditRuleTemplate) Name() string { return "audit_rule" }

func (auditRuleTemplate) New(n *yaml.Node) (check.Check, error) {
	var a auditRuleArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Control != "" {
		if len(a.Watches)+len(a.Syscalls)+len(a.Fields)+len(a.Arch) > 0 || a.Perms != "" {
			return nil, check.ArgErrorf(n, "control cannot be combined with watches or syscalls")
		}
		if (a.Value == "") == (a.Min == nil) {
			return nil, check.ArgErrorf(n, "control needs exactly one of value and min")
		}
		return &auditRuleCheck{a: a}, nil
	}
	if a.Value != "" || a.Min != nil {
		return nil, check.ArgErrorf(n, "value and min only apply to control")
	}
	if len(a.Watches) == 0 && len(a.Syscalls) == 0 {
		return nil, check.ArgErrorf(n, "set watches, syscalls or control")
	}
	if len(a.Watches) > 0 {
		if a.Perms == "" {
			a.Perms = "wa"
		}
		if strings.Trim(a.Perms, "rwxa") != "" {
			return nil, check.ArgErrorf(n, "perms %q: use the letters r, w, x, a", a.Perms)
		}
	} else if a.Perms != "" {
		return nil, check.ArgErrorf(n, "perms applies to watches")
	}
	if len(a.Syscalls) > 0 && len(a.Arch) == 0 {
		return nil, check.ArgErrorf(n, "syscalls need arch (b64, b32)")
	}
	c := &auditRuleCheck{a: a}
	for _, s := range a.Fields {
		f, ok := parseAuditField(s)
		if !ok {
			return nil, check.ArgErrorf(n, "field %q is not NAME OP VALUE", s)
		}
		c.fields = append(c.fields, f)
	}
	return c, nil
}

func parseAuditField(s string) (auditrules.Field, bool) {
	r, ok := auditrules.ParseLine("-a always,exit -F " + s)
	if !ok || len(r.Fields) != 1 {
		return auditrules.Field{}, false
	}
	return normField(r.Fields[0]), true
}

// normField canonicalises equivalent spellings of a field.
func normField(f auditrules.Field) auditrules.Field {
	if f.Name == "auid" || f.Name == "loginuid" {
		switch f.Value {
		case "-1", "4294967295", "unset":
			f.Value = "unset"
		}
	}
	return f
}

func (c *auditRuleCheck) Fixable() bool { return true }

func (c *auditRuleCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	set, err := auditrules.Get(f)
	if err != nil {
		return check.FromErr("read audit rules", err)
	}
	if !set.Installed {
		return check.NotApplicable("auditd is not installed (no /etc/audit)")
	}
	where := "/etc/audit/rules.d"
	if len(set.Files) > 0 {
		where = set.Files[len(set.Files)-1]
	}
	if c.a.Control != "" {
		return c.control(set, where)
	}
	var good, bad []result.Evidence
	for _, w := range c.a.Watches {
		exp := fmt.Sprintf("-w %s -p %s", w, c.a.Perms)
		if r := findWatch(set, w, c.a.Perms); r != nil {
			good = append(good, result.Evidence{Expected: exp, Observed: r.Raw, File: r.File, Line: r.Line})
		} else {
			bad = append(bad, result.Evidence{Expected: exp, Observed: "no watch on " + w + " with permissions " + c.a.Perms, File: where})
		}
	}
	for _, arch := range c.a.Arch {
		exp := fmt.Sprintf("-a always,exit -F arch=%s -S %s", arch, strings.Join(c.a.Syscalls, ","))
		for _, fl := range c.fields {
			exp += " -F " + fl.String()
		}
		covered := map[string]*auditrules.Rule{}
		for i := range set.Rules {
			r := &set.Rules[i]
			if r.Kind != "syscall" || r.Action != "always" || r.List != "exit" || !archMatches(r, arch) || !hasFields(r, c.fields) {
				continue
			}
			for _, s := range r.Syscalls {
				if covered[s] == nil {
					covered[s] = r
				}
			}
		}
		var missing []string
		lines := map[*auditrules.Rule]bool{}
		for _, s := range c.a.Syscalls {
			r := covered[s]
			if r == nil {
				r = covered["all"]
			}
			if r == nil {
				missing = append(missing, s)
				continue
			}
			lines[r] = true
		}
		if len(missing) > 0 {
			bad = append(bad, result.Evidence{Expected: exp, Observed: fmt.Sprintf("arch=%s: no rule for %s", arch, strings.Join(missing, ", ")), File: where})
			continue
		}
		for i := range set.Rules {
			if r := &set.Rules[i]; lines[r] {
				good = append(good, result.Evidence{Expected: exp, Observed: r.Raw, File: r.File, Line: r.Line})
			}
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(good...)
}

func (c *auditRuleCheck) control(set *auditrules.Set, where string) check.Outcome {
	exp := c.a.Control + " " + c.a.Value
	if c.a.Min != nil {
		exp = fmt.Sprintf("%s >= %d", c.a.Control, *c.a.Min)
	}
	r := set.Last(c.a.Control)
	if r == nil {
		return check.Fail(result.Evidence{Expected: exp, Observed: c.a.Control + " not set", File: where})
	}
	ev := result.Evidence{Expected: exp, Observed: r.Raw, File: r.File, Line: r.Line}
	ok := r.Value == c.a.Value
	if c.a.Min != nil {
		v, err := strconv.ParseInt(r.Value, 10, 64)
		ok = err == nil && v >= *c.a.Min
	}
	if ok {
		return check.Pass(ev)
	}
	return check.Fail(ev)
}

func findWatch(set *auditrules.Set, p, perms string) *auditrules.Rule {
	want := target.Abs(p)
	for i := range set.Rules {
		r := &set.Rules[i]
		switch r.Kind {
		case "watch":
			if target.Abs(r.Path) == want && permsCover(r.Perms, perms) {
				return r
			}
		case "syscall":
			if r.Action != "always" || r.List != "exit" {
				continue
			}
			pf, ok := r.Field("path")
			if !ok {
				pf, ok = r.Field("dir")
			}
			if !ok || pf.Op != "=" || target.Abs(pf.Value) != want {
				continue
			}
			perm := "rwxa"
			if f, ok := r.Field("perm"); ok {
				perm = f.Value
			}
			if permsCover(perm, perms) {
				return r
			}
		}
	}
	return nil
}

func permsCover(have, want string) bool {
	for _, c := range want {
		if !strings.ContainsRune(have, c) {
			return false
		}
	}
	return true
}

func archMatches(r *auditrules.Rule, arch string) bool {
	f, ok := r.Field("arch")
	if !ok {
		return true
	}
	v := f.Value
	switch v {
	case "x86_64", "aarch64", "ppc64", "ppc64le", "s390x":
		v = "b64"
	case "i386", "i686", "arm", "s390", "ppc":
		v = "b32"
	}
	return f.Op == "=" && v == arch
}

func hasFields(r *auditrules.Rule, want []auditrules.Field) bool {
	for _, w := range want {
		if !slices.ContainsFunc(r.Fields, func(f auditrules.Field) bool {
			f = normField(f)
			if f.Name != w.Name {
				return false
			}
			if f.Op == w.Op && f.Value == w.Value {
				return true
			}
			// A lower ">=" threshold covers a higher one.
			if f.Op == ">=" && w.Op == ">=" {
				a, err1 := strconv.ParseInt(f.Value, 10, 64)
				b, err2 := strconv.ParseInt(w.Value, 10, 64)
				return err1 == nil && err2 == nil && a <= b
			}
			return false
		}) {
			return false
		}
	}
	return true
}
