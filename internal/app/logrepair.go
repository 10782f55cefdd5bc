package app

import (
	"context"
	"fmt"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/target"
)

// LogRepairOutput says what a repair did; Intact when nothing was wrong.
type LogRepairOutput struct {
	Target string
	changelog.RepairResult
}

// LogRepair makes a damaged change log appendable again: the entries that
// verify are kept, the rest is saved aside and cut, and a signed
// log-repair entry records what was lost.
func (a *App) LogRepair(ctx context.Context, s target.Spec, c Change) (*LogRepairOutput, error) {
	l, _, err := a.changeControl(s, c)
	if err != nil {
		return nil, err
	}
	if c.Reason == "" {
		c.Reason = "change log repaired"
	}
	res, err := l.Repair(ctx, changelog.Entry{ChangeRef: c.ChangeRef, Reason: c.Reason, Actor: changelog.Actor{Actor: c.Actor}})
	if err != nil {
		return nil, appendErr(fmt.Errorf("log repair: %w", err))
	}
	return &LogRepairOutput{Target: l.Target, RepairResult: res}, nil
}
