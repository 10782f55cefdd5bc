package checks

import (
	"context"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// schedulerAccessTemplate checks the allow/deny lists of cron or at, only
// when the scheduler is installed:
//
//	scheduler_access: {binaries: [/usr/bin/crontab], allow: /etc/cron.allow, require: allow_list}
//	scheduler_access: {binaries: [/usr/bin/at], deny: /etc/at.deny, require: no_deny_list}
//
// None of binaries existing means the scheduler is not installed:
// not_applicable.
type schedulerAccessTemplate struct{}

type schedulerAccessArgs struct {
	Binaries []string `yaml:"binaries"`
	Allow    string   `yaml:"allow"`
	Deny     string   `yaml:"deny"`
	Require  string   `yaml:"require"`
}

type schedulerAccessCheck struct{ a schedulerAccessArgs }

func (schedulerAccessTemplate) Name() string { return "scheduler_access" }

func (schedulerAccessTemplate) New(n *yaml.Node) (check.Check, error) {
	var a schedulerAccessArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Binaries) == 0 {
		return nil, check.ArgErrorf(n, "binaries: at least one path is required")
	}
	switch {
	case a.Require == "allow_list" && a.Allow != "" && a.Deny == "":
	case a.Require == "no_deny_list" && a.Deny != "" && a.Allow == "":
	default:
		return nil, check.ArgErrorf(n, "use require: allow_list with allow, or require: no_deny_list with deny")
	}
	return &schedulerAccessCheck{a}, nil
}

func (c *schedulerAccessCheck) Fixable() bool { return true }

func (c *schedulerAccessCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	t := f.Target()
	installed := false
	for _, b := range c.a.Binaries {
		if _, err := t.Stat(b); err == nil {
			installed = true
			break
		} else if !isNotExist(err) {
			return check.FromErr("stat "+target.Abs(b), err)
		}
	}
	if !installed {
		return check.NotApplicable("not installed (none of %s exists)", orList(c.a.Binaries))
	}
	p, want := c.a.Allow, true
	if c.a.Require == "no_deny_list" {
		p, want = c.a.Deny, false
	}
	_, err := t.Lstat(p)
	if err != nil && !isNotExist(err) {
		return check.FromErr("stat "+target.Abs(p), err)
	}
	ev := result.Evidence{Expected: wantWord(want), Observed: wantWord(err == nil), File: target.Abs(p)}
	if (err == nil) == want {
		return check.Pass(ev)
	}
	return check.Fail(ev)
}

func wantWord(present bool) string {
	if present {
		return "present"
	}
	return "absent"
}
