package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// openRuns opens the journal store of the target selected by root (the
// live host when empty).
func openRuns(env *Env, root string) (*journal.Store, string, error) {
	id, err := changelog.TargetIdentity(root, "")
	if err != nil {
		return nil, "", usageErr("%v", err)
	}
	dir, err := stateDir(env)
	if err != nil {
		return nil, "", err
	}
	s, err := journal.Open(filepath.Join(dir, "runs", changelog.TargetKey(id)))
	if err != nil {
		return nil, "", err
	}
	return s, id, nil
}

func targetRoot(root string) string {
	if root == "" {
		return "/"
	}
	return root
}

// applyFix validates, journals and applies the plan, verifies the rules
// on the changed target and records the run in the change log.
func applyFix(cmd *cobra.Command, env *Env, f *fixFlags, eng *engine.Engine, plan *fix.Plan, fo fix.Options) (*fix.Document, error) {
	ctx := cmd.Context()
	final := plan.Changes.Final()
	if err := fix.Validate(ctx, final, plan.Target.Live(), fix.Validators()); err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	// The change log is opened first so a missing mandatory change
	// reference stops the run before anything is written.
	clog, err := openChangeLog(env, f.root, "", f.key)
	if err != nil {
		return nil, err
	}
	if clog.RequireChangeRef && f.changeRef == "" {
		return nil, &ExitError{Code: ExitUsage, Err: changelog.ErrChangeRefRequired}
	}
	if err := recordWaiverChanges(ctx, env, clog, fo.Engine.Waivers, f.changeRef, f.actor, time.Now()); err != nil {
		return nil, fmt.Errorf("record waiver changes: %w", appendErr(err))
	}
	store, ident, err := openRuns(env, f.root)
	if err != nil {
		return nil, err
	}
	beforeHashes := digests(plan.Target, final, true)
	now := time.Now().UTC()
	run := journal.Run{
		ID: store.NewID(now), Time: now, User: changelog.Actor{OSUser: changelog.CurrentUser()}.String(), Actor: f.actor, ChangeRef: f.changeRef, Reason: f.reason,
		Target: ident, Rules: plan.RuleIDs(), Ops: len(plan.Applied),
	}
	opts := journal.ApplyOptions{}
	if plan.Target.Live() {
		opts.Runtime = fix.HostRuntime{}
	}
	done, applyErr := store.Apply(ctx, targetRoot(f.root), run, final, plan.Changes.RuntimeChanges(), opts)
	doc := fix.NewDocument(plan, "apply")
	if done != nil {
		doc.Run = &fix.RunRef{ID: done.ID, State: done.State, Paths: len(done.Paths)}
	}
	details, _ := json.Marshal(map[string]any{"run": run.ID, "operations": len(plan.Applied), "profile": plan.Before.Profile})
	entry := changelog.Entry{
		Action: changelog.ActionApply, Rules: run.Rules, ChangeRef: f.changeRef, Reason: f.reason,
		Actor: changelog.Actor{Actor: f.actor}, Before: beforeHashes, After: afterDigests(final), Details: details,
	}
	if _, err := clog.Append(ctx, entry); err != nil && applyErr == nil {
		applyErr = fmt.Errorf("changes applied as run %s, but the change log could not be written: %w", run.ID, err)
	}
	if applyErr != nil {
		return nil, fmt.Errorf("apply: %w (undo what was done with: cradle rollback %s%s)", applyErr, rootFlag(f.root), run.ID)
	}
	// Verify on a fresh view of the changed target.
	t, err := openTarget(&f.scanFlags)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	after, err := fix.Rescan(ctx, eng, t, fo.Engine, plan.RuleIDs())
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for i := range doc.Rules {
		rf := &doc.Rules[i]
		r, ok := after[rf.Rule]
		if !ok || (rf.Status != fix.StatusPlanned && rf.Status != fix.StatusPartial) {
			continue
		}
		doc.Summary[rf.Status]--
		if r.Status == result.Pass {
			rf.Status, rf.Reason = fix.StatusFixed, ""
		} else {
			rf.Status, rf.Reason = fix.StatusStillFails, "after the changes the rule is "+string(r.Status)+": "+r.Reason
		}
		doc.Summary[rf.Status]++
	}
	return doc, nil
}

func rootFlag(root string) string {
	if root == "" {
		return ""
	}
	return "--root " + root + " "
}

// digests maps each changed path to the sha256 of its content in t
// ("absent" when missing, "meta" for non-regular files).
func digests(t target.Target, final []remedy.PathChange, _ bool) map[string]string {
	out := map[string]string{}
	for _, pc := range final {
		b, err := target.ReadFile(t, pc.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out[target.Abs(pc.Path)] = "absent"
		case err != nil:
			out[target.Abs(pc.Path)] = "unreadable"
		default:
			out[target.Abs(pc.Path)] = contentDigest(b)
		}
	}
	return out
}

func afterDigests(final []remedy.PathChange) map[string]string {
	out := map[string]string{}
	for _, pc := range final {
		switch pc.Action {
		case remedy.ActWrite:
			out[target.Abs(pc.Path)] = contentDigest(pc.Data)
		case remedy.ActRemove:
			out[target.Abs(pc.Path)] = "absent"
		case remedy.ActSymlink:
			out[target.Abs(pc.Path)] = "symlink:" + pc.Link
		case remedy.ActMkdir:
			out[target.Abs(pc.Path)] = "directory"
		case remedy.ActMeta:
			out[target.Abs(pc.Path)] = fmt.Sprintf("mode %04o owner %d:%d", remedy.ModeToUnix(pc.Mode), pc.UID, pc.GID)
		}
	}
	return out
}

func contentDigest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}
