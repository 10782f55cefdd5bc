package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/tailor"
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

// openFixLog opens the target's change log for --apply, refusing before
// anything is planned or written when policy requires a change reference,
// and records waiver changes (even when the plan turns out empty).
func openFixLog(cmd *cobra.Command, env *Env, f *fixFlags, waivers *tailor.Waivers) (*changelog.Log, error) {
	clog, err := openChangeLog(env, f.root, "", f.key)
	if err != nil {
		return nil, err
	}
	if clog.RequireChangeRef && f.changeRef == "" {
		return nil, &ExitError{Code: ExitUsage, Err: changelog.ErrChangeRefRequired}
	}
	if err := recordWaiverChanges(cmd.Context(), env, clog, waivers, f.changeRef, f.actor, time.Now()); err != nil {
		return nil, fmt.Errorf("record waiver changes: %w", appendErr(err))
	}
	return clog, nil
}

// applyFix validates, journals and applies the plan, verifies the rules
// on the changed target and records the run in the change log. When the
// apply fails part-way the document (with the run's state) is returned
// along with the error.
func applyFix(cmd *cobra.Command, env *Env, f *fixFlags, eng *engine.Engine, plan *fix.Plan, fo fix.Options, clog *changelog.Log) (*fix.Document, error) {
	ctx := cmd.Context()
	final := plan.Changes.Final()
	if err := fix.Validate(ctx, final, plan.Target.Live(), fix.Validators()); err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	store, ident, err := openRuns(env, f.root)
	if err != nil {
		return nil, err
	}
	before := describeBefore(plan.Target, final)
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
	if done == nil {
		// Nothing was journaled, so nothing was changed: no log entry.
		return nil, fmt.Errorf("apply: %w", applyErr)
	}
	doc := fix.NewDocument(plan, "apply")
	doc.Run = &fix.RunRef{ID: done.ID, State: done.State, Paths: len(done.Paths), Rollback: "cradle rollback " + rootFlag(f.root) + done.ID}
	detail := map[string]any{"run": done.ID, "state": done.State, "operations": len(plan.Applied), "profile": plan.Before.Profile}
	entry := changelog.Entry{
		Action: changelog.ActionApply, Rules: run.Rules, ChangeRef: f.changeRef, Reason: f.reason,
		Actor: changelog.Actor{Actor: f.actor}, Before: before,
	}
	if applyErr == nil {
		entry.After = describeAfter(final, before)
	} else {
		detail["error"] = applyErr.Error()
	}
	entry.Details, _ = json.Marshal(detail)
	if _, err := clog.Append(ctx, entry); err != nil && applyErr == nil {
		applyErr = fmt.Errorf("changes applied as run %s, but the change log could not be written: %w", done.ID, err)
	}
	if applyErr != nil {
		return doc, fmt.Errorf("apply: %w (undo what was done with: %s)", applyErr, doc.Run.Rollback)
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

// describeBefore states what each changed path is before the run, the
// way describeAfter states it after: type, content digest or link target,
// mode and owner; symlinks are described, not followed.
func describeBefore(t target.Target, final []remedy.PathChange) map[string]string {
	out := map[string]string{}
	for _, pc := range final {
		fi, err := t.Lstat(pc.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out[target.Abs(pc.Path)] = "absent"
		case err != nil:
			out[target.Abs(pc.Path)] = "unreadable"
		default:
			digest := ""
			if fi.Mode.IsRegular() {
				if b, err := target.ReadFile(t, pc.Path); err == nil {
					digest = contentDigest(b)
				} else {
					digest = "unreadable"
				}
			}
			out[target.Abs(pc.Path)] = describe(fi.Mode, digest, fi.Link, remedy.ModeToUnix(fi.Mode), fi.UID, fi.GID)
		}
	}
	return out
}

func describe(m fs.FileMode, digest, link string, mode, uid, gid uint32) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink " + link
	case m.IsDir():
		return fmt.Sprintf("directory mode %04o owner %d:%d", mode, uid, gid)
	case m.IsRegular():
		return fmt.Sprintf("file %s mode %04o owner %d:%d", digest, mode, uid, gid)
	}
	return fmt.Sprintf("special mode %04o owner %d:%d", mode, uid, gid)
}

func describeAfter(final []remedy.PathChange, before map[string]string) map[string]string {
	out := map[string]string{}
	for _, pc := range final {
		p := target.Abs(pc.Path)
		// Unset mode or owner keep what was there.
		var mode, uid, gid uint32
		var digest string
		fmt.Sscanf(strings.TrimPrefix(before[p], "file "), "%s mode %o owner %d:%d", &digest, &mode, &uid, &gid)
		if strings.HasPrefix(before[p], "directory ") {
			fmt.Sscanf(before[p], "directory mode %o owner %d:%d", &mode, &uid, &gid)
		}
		if pc.ModeSet {
			mode = remedy.ModeToUnix(pc.Mode)
		}
		if pc.OwnerSet {
			uid, gid = pc.UID, pc.GID
		}
		switch pc.Action {
		case remedy.ActWrite:
			out[p] = describe(0, contentDigest(pc.Data), "", mode, uid, gid)
		case remedy.ActRemove:
			out[p] = "absent"
		case remedy.ActSymlink:
			out[p] = "symlink " + pc.Link
		case remedy.ActMkdir:
			out[p] = describe(fs.ModeDir, "", "", mode, uid, gid)
		case remedy.ActMeta:
			if strings.HasPrefix(before[p], "directory ") {
				out[p] = describe(fs.ModeDir, "", "", mode, uid, gid)
			} else {
				out[p] = describe(0, digest, "", mode, uid, gid)
			}
		}
	}
	return out
}

func contentDigest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}
