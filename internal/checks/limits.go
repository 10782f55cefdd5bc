package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/limits"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
)

// limitsTemplate bounds a pam_limits resource limit for everyone:
//
//	limits: {item: core, type: hard, max: 0}
//
// The last "*" entry for item of the type (or "-") must be within max, and
// no entry of any other domain may raise it above max (user and group
// entries take precedence over "*" in pam_limits). "unlimited" and
// "infinity" exceed any max.
type limitsTemplate struct{}

type limitsArgs struct {
	Item string `yaml:"item"`
	Type string `yaml:"type"`
	Max  *int64 `yaml:"max"`
}

type limitsCheck struct{ a limitsArgs }

func (limitsTemplate) Name() string { return "limits" }

func (limitsTemplate) New(n *yaml.Node) (check.Check, error) {
	var a limitsArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Item == "" || a.Max == nil {
		return nil, check.ArgErrorf(n, "item and max are required")
	}
	if a.Type != "soft" && a.Type != "hard" {
		return nil, check.ArgErrorf(n, "type must be soft or hard")
	}
	return &limitsCheck{a}, nil
}

func (c *limitsCheck) Fixable() bool { return true }

func (c *limitsCheck) within(v string) bool {
	n, err := strconv.ParseInt(v, 10, 64)
	return err == nil && n <= *c.a.Max
}

func (c *limitsCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := limits.Get(f)
	if err != nil {
		return check.FromErr("read limits configuration", err)
	}
	if len(cfg.Files) == 0 {
		return check.NotApplicable("pam_limits is not configured (no /etc/security/limits.conf)")
	}
	exp := fmt.Sprintf("* %s %s <= %d", c.a.Type, c.a.Item, *c.a.Max)
	var wildcard *limits.Entry
	var bad []result.Evidence
	for i := range cfg.Entries {
		e := &cfg.Entries[i]
		if e.Item != c.a.Item || e.Type != c.a.Type && e.Type != "-" {
			continue
		}
		if e.Domain == "*" {
			wildcard = e
			continue
		}
		if !c.within(e.Value) {
			bad = append(bad, result.Evidence{Expected: exp, Observed: strings.Join([]string{e.Domain, e.Type, e.Item, e.Value}, " "), File: e.File, Line: e.Line})
		}
	}
	if wildcard == nil {
		bad = append([]result.Evidence{{Expected: exp, Observed: fmt.Sprintf("no * %s %s entry", c.a.Type, c.a.Item), File: cfg.Files[0]}}, bad...)
		return check.Fail(bad...)
	}
	ev := result.Evidence{Expected: exp, Observed: strings.Join([]string{"*", wildcard.Type, wildcard.Item, wildcard.Value}, " "), File: wildcard.File, Line: wildcard.Line}
	if !c.within(wildcard.Value) {
		bad = append([]result.Evidence{ev}, bad...)
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(ev)
}
