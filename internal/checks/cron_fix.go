package checks

import (
	"context"
	"fmt"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Remediate creates the allow list with root only (0640 root:root), or
// removes the deny list.
func (c *schedulerAccessCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	switch c.a.Require {
	case "allow_list":
		p := target.Abs(target.Clean(c.a.Allow))
		if err := ch.WriteFile(p, []byte("root\n"), 0o640, fmt.Sprintf("create %s allowing root only", p)); err != nil {
			return err
		}
	case "no_deny_list":
		p := target.Abs(target.Clean(c.a.Deny))
		if err := ch.Remove(p, "remove "+p); err != nil {
			return err
		}
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectSchedulerLimit, Subject: first(c.a.Binaries)})
	return nil
}
