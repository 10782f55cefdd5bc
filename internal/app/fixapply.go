package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/digest"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// apply validates, journals and applies the plan, verifies the rules on
// the changed target and records the run in the change log. When the
// apply fails part-way the document (with the run's state) is returned
// along with the error.
func (a *App) apply(ctx context.Context, in FixInput, eng *engine.Engine, plan *fix.Plan, fo fix.Options, clog *changelog.Log) (*fix.Document, error) {
	final := plan.Changes.Final()
	if err := fix.Validate(ctx, final, plan.Target.Live(), fix.Validators()); err != nil {
		return nil, Input(err)
	}
	// A change the log cannot record is not made.
	if err := clog.CheckAppendable(ctx); err != nil {
		return nil, appendErr(fmt.Errorf("nothing was changed: %w", err))
	}
	store, err := a.runs(in.Target)
	if err != nil {
		return nil, err
	}
	before := statesBefore(plan.Target, final)
	now := time.Now().UTC()
	run := journal.Run{
		ID: store.NewID(now), Time: now, User: changelog.Actor{OSUser: changelog.CurrentUser()}.String(),
		Actor: in.Change.Actor, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason,
		Target: in.Target.ID(), Rules: plan.RuleIDs(), Ops: len(plan.Applied), Root: plan.Root,
	}
	opts := journal.ApplyOptions{}
	if plan.Target.Live() {
		opts.Runtime = fix.HostRuntime{}
	}
	root, _ := writableRoot(in.Target)
	done, applyErr := store.Apply(ctx, root, run, final, plan.Changes.RuntimeChanges(), opts)
	if done == nil {
		// Nothing was journaled, so nothing was changed and nothing is
		// logged: the target no longer matches the plan, another run holds
		// it, or it cannot be opened — the operator's to resolve.
		if ctx.Err() != nil {
			return nil, fmt.Errorf("apply: %w", applyErr)
		}
		return nil, Input(fmt.Errorf("apply: %w (nothing was changed)", applyErr))
	}
	doc := fix.NewDocument(plan, "apply")
	doc.Run = &fix.RunRef{ID: done.ID, State: done.State, Paths: len(done.Paths), Rollback: rollbackCommand(in.Target, done.ID)}
	doc.MarkSkipped(done.Skipped)
	detail := map[string]any{"run": done.ID, "state": done.State, "operations": len(plan.Applied), "profile": plan.Before.Profile}
	if len(done.Skipped) > 0 {
		detail["skipped"] = done.Skipped
	}
	if err := sealDetails(store, done.ID, detail); err != nil && applyErr == nil {
		applyErr = err
	}
	// The log describes the paths the run changed, not those it skipped.
	changed := make(map[string]bool, len(done.Paths)) // a set: runs may change 100,000s of paths
	for _, p := range done.Paths {
		changed[p] = true
	}
	final = slices.DeleteFunc(final, func(pc remedy.PathChange) bool { return !changed[target.Abs(pc.Path)] })
	maps.DeleteFunc(before, func(p string, _ pathState) bool { return !changed[p] })
	entry := changelog.Entry{
		Action: changelog.ActionApply, Rules: run.Rules, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason,
		Actor: changelog.Actor{Actor: in.Change.Actor}, Before: stateStrings(before),
	}
	if applyErr == nil {
		entry.After = stateStrings(statesAfter(final, before))
	} else {
		detail["error"] = applyErr.Error()
	}
	entry.Details, _ = json.Marshal(detail)
	// The entry is written even when the context is cancelled: the run
	// changed the target and the log must say so.
	if _, err := clog.Append(context.WithoutCancel(ctx), entry); err != nil && applyErr == nil {
		applyErr = fmt.Errorf("changes applied as run %s, but the change log could not be written: %w", done.ID, err)
	}
	if applyErr != nil {
		return doc, fmt.Errorf("apply: %w (undo what was done with: %s)", applyErr, doc.Run.Rollback)
	}
	// Verify on a fresh view of the changed target.
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if err := a.verifyAccess(ctx, in, plan, t, doc); err != nil {
		return doc, err
	}
	after, err := fix.Rescan(ctx, eng, t, fo.Engine, plan.RuleIDs())
	if err != nil {
		return doc, fmt.Errorf("verify: %w", err)
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

// verifyAccess checks that whoever could get in and escalate in the
// planned state still can on the changed target (and, on the live host,
// that sshd -t and visudo -c accept it); otherwise the run is rolled
// back at once and the error says why.
func (a *App) verifyAccess(ctx context.Context, in FixInput, plan *fix.Plan, t target.Target, doc *fix.Document) error {
	problems, err := plan.VerifyAccess(ctx, t)
	if err != nil {
		return fmt.Errorf("verify access: %w (undo the run with: %s)", err, doc.Run.Rollback)
	}
	if len(problems) == 0 {
		return nil
	}
	why := strings.Join(problems, "; ")
	ch := in.Change
	ch.Reason = "access verification failed after apply: " + why
	if _, err := a.Rollback(context.WithoutCancel(ctx), RollbackInput{Target: in.Target, RunID: doc.Run.ID, Change: ch}); err != nil {
		return fmt.Errorf("after the changes %s; rolling back failed: %w (undo the run with: %s)", why, err, doc.Run.Rollback)
	}
	doc.Run.State = journal.StateRolledBack
	return Findingsf("after the changes %s; run %s was rolled back", why, doc.Run.ID)
}

// rollbackCommand is the command that undoes a run.
func rollbackCommand(s target.Spec, id string) string {
	if s.IsHost() {
		return "cradle rollback " + id
	}
	dir, _ := s.Dir()
	return "cradle rollback --root " + dir + " " + id
}

// pathState is what the change log says about one path before or after a
// run: type, content digest or link target, mode and owner (symlinks are
// described, not followed).
type pathState struct {
	kind           string // "absent", "unreadable", "file", "directory", "symlink", "special"
	digest, link   string
	mode, uid, gid uint32
}

func (s pathState) String() string {
	switch s.kind {
	case "absent", "unreadable":
		return s.kind
	case "symlink":
		return "symlink " + s.link
	case "file":
		return fmt.Sprintf("file %s mode %04o owner %d:%d", s.digest, s.mode, s.uid, s.gid)
	}
	return fmt.Sprintf("%s mode %04o owner %d:%d", s.kind, s.mode, s.uid, s.gid)
}

// statesBefore reads the state of every changed path from the target.
func statesBefore(t target.Target, final []remedy.PathChange) map[string]pathState {
	out := map[string]pathState{}
	for _, pc := range final {
		fi, err := t.Lstat(pc.Path)
		st := pathState{kind: "unreadable"}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			st.kind = "absent"
		case err == nil:
			st = pathState{kind: "special", link: fi.Link, mode: remedy.ModeToUnix(fi.Mode), uid: fi.UID, gid: fi.GID}
			switch {
			case fi.Mode&fs.ModeSymlink != 0:
				st.kind = "symlink"
			case fi.Mode.IsDir():
				st.kind = "directory"
			case fi.Mode.IsRegular():
				st.kind, st.digest = "file", "unreadable"
				if b, err := target.ReadFile(t, pc.Path); err == nil {
					st.digest = digest.SHA256(b)
				}
			}
		}
		out[target.Abs(pc.Path)] = st
	}
	return out
}

// statesAfter derives each path's state after the run from the change and
// the state before it (mode and owner not set by the change are kept).
func statesAfter(final []remedy.PathChange, before map[string]pathState) map[string]pathState {
	out := map[string]pathState{}
	for _, pc := range final {
		p := target.Abs(pc.Path)
		st := before[p]
		if pc.ModeSet {
			st.mode = remedy.ModeToUnix(pc.Mode)
		}
		if pc.OwnerSet {
			st.uid, st.gid = pc.UID, pc.GID
		}
		switch pc.Action {
		case remedy.ActWrite:
			st.kind, st.digest, st.link = "file", digest.SHA256(pc.Data), ""
		case remedy.ActRemove:
			st = pathState{kind: "absent"}
		case remedy.ActSymlink:
			st = pathState{kind: "symlink", link: pc.Link}
		case remedy.ActMkdir:
			st.kind, st.digest, st.link = "directory", "", ""
		}
		out[p] = st
	}
	return out
}

func stateStrings(m map[string]pathState) map[string]string {
	out := make(map[string]string, len(m))
	for p, st := range m {
		out[p] = st.String()
	}
	return out
}
