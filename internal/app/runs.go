package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/target"
)

// runs opens the journal store of a target that fix can change.
func (a *App) runs(s target.Spec) (*journal.Store, error) {
	if _, ok := writableRoot(s); !ok {
		return nil, Usagef("%s cannot be changed, so it has no fix runs", s.ID())
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	return journal.Open(h.Runs(s.Key()))
}

// writableRoot is the directory fix writes into: the host's "/" or a root
// filesystem; an image is rebuilt, not patched.
func writableRoot(s target.Spec) (string, bool) { return s.Dir() }

// Runs lists the fix runs applied to the target, newest first (the
// run_list document).
func (a *App) Runs(_ context.Context, s target.Spec) (*journal.RunList, error) {
	store, err := a.runs(s)
	if err != nil {
		return nil, err
	}
	runs, err := store.List()
	if err != nil {
		return nil, err
	}
	return journal.NewRunList(s.ID(), runs), nil
}

// RollbackInput selects the run to roll back.
type RollbackInput struct {
	Target target.Spec
	RunID  string
	// Force restores even paths changed after the run, and rolls back a
	// run the change log has no apply entry for.
	Force  bool
	Change Change
}

// RollbackOutput lists what was restored, and what could not be.
type RollbackOutput struct {
	RunID    string
	Restored []string
	Removed  []string
	Failed   []journal.Failure
	// Already is set when the run had been rolled back before: nothing
	// was done and nothing was logged.
	Already bool
}

// Rollback restores everything a run changed and records it in the
// change log. The run must match the seal of its apply entry in the signed
// log (Findings otherwise); a run without one, and paths changed since
// the run, refuse it (Usage) unless forced.
func (a *App) Rollback(ctx context.Context, in RollbackInput) (*RollbackOutput, error) {
	store, err := a.runs(in.Target)
	if err != nil {
		return nil, err
	}
	clog, _, err := a.changeControl(in.Target, in.Change)
	if err != nil {
		return nil, err
	}
	run, err := store.Get(in.RunID)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Usagef("no run %q for %s (see cradle runs)", in.RunID, in.Target.ID())
	}
	if err != nil {
		return nil, err
	}
	// A run restores into the target it was made on, never another one
	// whose state directory it was copied into.
	if run.Target != "" {
		if owner, err := target.ParseSpec(run.Target); err != nil || owner.ID() != in.Target.ID() {
			return nil, Input(fmt.Errorf("run %s was made on %s, not on %s", run.ID, run.Target, in.Target.ID()))
		}
	}
	if err := a.checkRunRecorded(clog, store, run.ID, in.Force); err != nil {
		return nil, err
	}
	opts := journal.RollbackOptions{Force: in.Force}
	if in.Target.IsHost() {
		opts.Runtime = fix.HostRuntime{}
	}
	root, _ := writableRoot(in.Target)
	res, err := store.Rollback(ctx, root, run.ID, opts)
	switch {
	case errors.Is(err, journal.ErrChanged):
		return nil, Input(fmt.Errorf("%w\nroll back later runs first, or use --force", err))
	case errors.Is(err, journal.ErrRootChanged):
		return nil, Input(err)
	case err != nil && !errors.Is(err, journal.ErrIncomplete):
		return nil, fmt.Errorf("rollback %s: %w (it can be run again)", run.ID, err)
	}
	out := &RollbackOutput{RunID: run.ID, Restored: res.Restored, Removed: res.Removed, Failed: res.Failed, Already: res.Already}
	if res.Already {
		return out, nil // nothing done, nothing to record
	}
	detail := map[string]any{"run": run.ID, "restored": len(res.Restored), "removed": len(res.Removed)}
	if len(res.Failed) > 0 {
		detail["not_restored"] = res.Failed
	}
	details, _ := json.Marshal(detail)
	if _, err := clog.Append(ctx, changelog.Entry{
		Action: changelog.ActionRollback, Rules: run.Rules, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason,
		Actor: changelog.Actor{Actor: in.Change.Actor}, Details: details,
	}); err != nil {
		return nil, fmt.Errorf("run %s rolled back, but the change log could not be written: %w", run.ID, appendErr(err))
	}
	if len(res.Failed) > 0 {
		// Everything else was restored; the run can be rolled back again.
		return out, Findingsf("run %s: %d path(s) could not be restored; everything else was. Fix the cause and run the rollback again", run.ID, len(res.Failed))
	}
	return out, nil
}
