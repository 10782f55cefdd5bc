package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/limits"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// limitsFixConf is the limits.d file cradle sets limits in.
const limitsFixConf = "etc/security/limits.d/cradle.conf"

const limitsFixHeader = "# Resource limits set by cradle fix (pam_limits)."

// Remediate sets "* TYPE ITEM MAX" in cradle.conf and comments out the
// entries that would still win over it: a later "*" entry above the
// bound, and user or group entries above it (they take precedence over
// "*" in pam_limits).
func (c *limitsCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	cfg, err := limits.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading limits configuration: %w", err)
	}
	if len(cfg.Files) == 0 {
		return nil
	}
	value := strconv.FormatInt(*c.a.Max, 10)
	var wildcard *limits.Entry
	for i := range cfg.Entries {
		e := &cfg.Entries[i]
		if e.Domain == "*" && e.Item == c.a.Item && (e.Type == c.a.Type || e.Type == "-") {
			wildcard = e
		}
	}
	if wildcard == nil || !c.within(wildcard.Value) {
		if err := c.setWildcard(ch, value); err != nil {
			return err
		}
		if cfg, err = limits.Collect(ctx, ch.Overlay()); err != nil {
			return fmt.Errorf("reading planned limits configuration: %w", err)
		}
	}
	ours := target.Abs(limitsFixConf)
	var g fixGroupLines
	seenOurs := false
	for _, e := range cfg.Entries {
		if e.File == ours && e.Domain == "*" && e.Item == c.a.Item && e.Type == c.a.Type {
			seenOurs = true
			continue
		}
		if e.Item != c.a.Item || (e.Type != c.a.Type && e.Type != "-") || c.within(e.Value) {
			continue
		}
		if e.Domain != "*" || seenOurs {
			g.add(e.File, e.Line)
		}
	}
	if err := g.commentOut(ch, fmt.Sprintf("comment out %s %s limits above %s, which override the cradle setting", c.a.Type, c.a.Item, value)); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectAuthPolicy, Subject: "limits " + c.a.Type + " " + c.a.Item, Value: value})
	return nil
}

func (c *limitsCheck) setWildcard(ch *remedy.Changes, value string) error {
	b, _, err := fixReadOptional(ch, limitsFixConf)
	if err != nil {
		return err
	}
	lines := fixLines(b)
	if len(lines) == 0 {
		lines = []string{limitsFixHeader}
	}
	line := strings.Join([]string{"*", c.a.Type, c.a.Item, value}, "\t")
	set := false
	for _, e := range limits.Parse(b, "") {
		if e.Domain == "*" && e.Item == c.a.Item && e.Type == c.a.Type {
			lines[e.Line-1] = line
			set = true
		}
	}
	if !set {
		lines = append(lines, line)
	}
	return ch.WriteFile(limitsFixConf, fixJoin(lines), 0o644,
		fmt.Sprintf("set the %s %s limit to %s for everyone in %s (applies to new sessions)", c.a.Type, c.a.Item, value, target.Abs(limitsFixConf)))
}
