package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/tailor"
	"github.com/cradle-cra/cradle/internal/target"
)

// ApproveInput approves the target's current state as its baseline.
type ApproveInput struct {
	Target    target.Spec
	Selection Selection
	Change    Change
	Progress  Progress
}

// ApproveOutput describes the stored snapshot and its log entry.
type ApproveOutput struct {
	Target   string
	Snapshot *drift.Snapshot
	// Path and Digest identify the stored snapshot; Seq is the change
	// log entry recording the approval.
	Path, Digest string
	Seq          uint64
}

// Approve scans the target through a recorder, signs the snapshot of the
// result and of every file the rules read, stores it (keeping the
// previous one) and records the approval in the change log. An approval
// the log does not show is undone.
func (a *App) Approve(ctx context.Context, in ApproveInput) (*ApproveOutput, error) {
	// The log holds the signing key; open it first so that a policy
	// refusal comes before the scan.
	l, h, err := a.changeControl(in.Target, in.Change)
	if err != nil {
		return nil, err
	}
	o := drift.Options{Profile: in.Selection.Profile, Rules: in.Selection.Rules}
	if o.Tailoring, err = readDriftInput(in.Selection.Tailoring); err != nil {
		return nil, err
	}
	if o.Waivers, err = readDriftInput(in.Selection.Waivers); err != nil {
		return nil, err
	}
	files, err := ReadRuleFiles(in.Selection.RuleFiles)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		o.RuleFiles = append(o.RuleFiles, drift.Input{Name: f.Name, Content: string(f.Data)})
	}
	snap, err := a.recordedScan(ctx, in.Target, o, nil, in.Progress)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if o.Waivers != nil {
		w, err := tailor.ParseWaivers(o.Waivers.Name, []byte(o.Waivers.Content))
		if err != nil {
			return nil, Input(err)
		}
		if err := recordWaiverChanges(ctx, h, l, w, in.Change.ChangeRef, in.Change.Actor, now); err != nil {
			return nil, fmt.Errorf("record waiver changes: %w", appendErr(err))
		}
	}
	identity := in.Target.ID()
	snap.Target, snap.ApprovedAt = identity, now
	snap.Approval = drift.Approval{Actor: in.Change.Actor, OSUser: changelog.CurrentUser().Name, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason}
	data, digest, err := drift.Sign(snap, l.Signer)
	if err != nil {
		return nil, err
	}
	dir := h.Snapshots(in.Target.Key())
	prevDigest := ""
	if prev, d, err := drift.Load(dir, l.Keys, identity); err == nil && prev != nil {
		prevDigest = d
	}
	prev, err := drift.Store(dir, data, now)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, drift.ApprovedFile)
	details, _ := json.Marshal(map[string]any{
		"profile": snap.Options.Profile, "rules": len(snap.Rules), "files": len(snap.Files),
		"summary": snap.Summary, "snapshot": path,
	})
	entry := changelog.Entry{
		Action: changelog.ActionApprove, Rules: in.Selection.Rules, ChangeRef: in.Change.ChangeRef, Reason: in.Change.Reason,
		Actor: changelog.Actor{Actor: in.Change.Actor}, After: map[string]string{"snapshot": digest}, Details: details,
	}
	if prevDigest != "" {
		entry.Before = map[string]string{"snapshot": prevDigest}
	}
	e, err := l.Append(context.WithoutCancel(ctx), entry)
	if err != nil {
		if rerr := drift.Restore(dir, prev); rerr != nil {
			return nil, errors.Join(appendErr(err), fmt.Errorf("restore the previous snapshot: %w", rerr))
		}
		return nil, appendErr(err)
	}
	if snap.FilesTruncated {
		a.warn(fmt.Errorf("more than %d paths; the rest are not in the snapshot", drift.MaxFiles))
	}
	return &ApproveOutput{Target: identity, Snapshot: snap, Path: path, Digest: digest, Seq: e.Seq}, nil
}

func readDriftInput(path string) (*drift.Input, error) {
	if path == "" {
		return nil, nil
	}
	b, err := ReadInput(path, rules.MaxFileSize)
	if err != nil {
		return nil, err
	}
	return &drift.Input{Name: path, Content: string(b)}, nil
}

// recordedScan scans the target with the options o through a recorder and
// captures the snapshot of the result over the recorded paths plus extra.
func (a *App) recordedScan(ctx context.Context, s target.Spec, o drift.Options, extra []drift.Recorded, pr Progress) (*drift.Snapshot, error) {
	var files []rules.File
	for _, f := range o.RuleFiles {
		files = append(files, rules.File{Name: f.Name, Data: []byte(f.Content)})
	}
	eng, err := a.catalogFrom(files)
	if err != nil {
		return nil, err
	}
	opts := engine.Options{Profile: o.Profile, RuleIDs: o.Rules}
	if in := o.Tailoring; in != nil {
		if opts.Tailoring, err = tailor.ParseTailoring(in.Name, []byte(in.Content)); err != nil {
			return nil, Input(err)
		}
	}
	if in := o.Waivers; in != nil {
		if opts.Waivers, err = tailor.ParseWaivers(in.Name, []byte(in.Content)); err != nil {
			return nil, Input(err)
		}
	}
	opts.Profile = eng.ResolveProfile(opts)
	plan, err := eng.Plan(opts)
	if err != nil {
		return nil, Input(err)
	}
	t, err := openTarget(ctx, s)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	rec := drift.Record(t)
	p := progressOf(pr)
	opts.Progress = p.Rules
	var rep *result.Report
	rep, err = eng.Scan(ctx, rec, plan, opts)
	p.End()
	if err != nil {
		return nil, err
	}
	snap, err := drift.Capture(ctx, t, append(rec.Paths(), extra...), rep)
	if err != nil {
		return nil, err
	}
	snap.Options = o
	snap.Options.Profile = opts.Profile
	return snap, nil
}

// approved is a target's verified approved snapshot.
type approved struct {
	snap   *drift.Snapshot
	digest string
	dir    string
}

// loadApproved loads and verifies the target's approved snapshot: Usage
// when there is none, Findings when it does not verify or is not the one
// the latest approval in the change log names.
func (a *App) loadApproved(s target.Spec) (*approved, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	// Keys and snapshots are trusted only from a state directory nobody
	// else can write to.
	if err := h.Ensure(); err != nil {
		return nil, Input(err)
	}
	dir := h.Snapshots(s.Key())
	keys, err := signing.LoadKeyring(h.Keys())
	if err != nil {
		return nil, Input(err)
	}
	snap, digest, err := drift.Load(dir, keys, s.ID())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, Usagef("no approved snapshot for %s (run \"cradle baseline approve\" first)", s.ID())
	case errors.Is(err, drift.ErrTampered):
		return nil, &Error{Class: Findings, Err: err}
	case err != nil:
		return nil, Input(err)
	}
	// A replayed older snapshot verifies too: it must be the one the
	// latest approval in the signed log names.
	clog := &changelog.Log{Dir: h.Logs(), Target: s.ID()}
	if err := drift.CheckApproved(filepath.Join(dir, drift.ApprovedFile), digest, clog, keys); err != nil {
		return nil, &Error{Class: Findings, Err: err}
	}
	return &approved{snap: snap, digest: digest, dir: dir}, nil
}

// evaluation is a drift evaluation with the state the watcher needs.
type evaluation struct {
	report *drift.Report
	snap   *drift.Snapshot
	dir    string
	state  *drift.State
	gone   []drift.StateItem
	// unlock releases the drift state, locked from its load until it is
	// saved, so drift and watch on one target keep each other's
	// first-seen times.
	unlock func()
}

// save stores the drift state and releases it.
func (ev *evaluation) save(warn func(error)) {
	if err := ev.state.Save(ev.dir); err != nil {
		warn(err)
	}
	ev.unlock()
}

// evaluate rescans with the snapshot's selection and compares. The state
// is updated in memory and locked; the caller saves it.
func (a *App) evaluate(ctx context.Context, s target.Spec, pr Progress) (*evaluation, error) {
	ap, err := a.loadApproved(s)
	if err != nil {
		return nil, err
	}
	cur, err := a.recordedScan(ctx, s, ap.snap.Options, ap.snap.Paths(), pr)
	if err != nil {
		return nil, err
	}
	ev := &evaluation{snap: ap.snap, dir: ap.dir,
		report: drift.NewReport(s.ID(), ap.snap, ap.digest, time.Now().UTC(), drift.Compare(ap.snap, cur))}
	if ev.unlock, err = fileutil.Lock(ctx, filepath.Join(ap.dir, drift.StateFile+".lock")); err != nil {
		return nil, fmt.Errorf("lock drift state: %w", err)
	}
	state, werr := drift.LoadState(ap.dir, ap.digest)
	a.warn(werr)
	ev.state = state
	ev.gone = state.Update(ev.report.Items, ev.report.CheckedAt)
	return ev, nil
}

// DriftInput selects the target to compare with its approved snapshot.
type DriftInput struct {
	Target   target.Spec
	Progress Progress
}

// DriftOutput is a drift evaluation (the drift_report document).
type DriftOutput struct {
	Report *drift.Report
}

// Drift compares the target with its approved snapshot. Differences are
// in the report; Verdict turns them into a Findings error.
func (a *App) Drift(ctx context.Context, in DriftInput) (*DriftOutput, error) {
	ev, err := a.evaluate(ctx, in.Target, in.Progress)
	if err != nil {
		return nil, err
	}
	ev.save(a.warn)
	return &DriftOutput{Report: ev.report}, nil
}

// Verdict is Findings when the target drifted.
func (o *DriftOutput) Verdict() error {
	r := o.Report
	if len(r.Items) == 0 {
		return nil
	}
	return Findingsf("%d difference(s) from the snapshot approved at %s", len(r.Items), r.ApprovedAt.Format(time.RFC3339))
}
