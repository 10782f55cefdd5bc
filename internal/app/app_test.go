package app

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const sshRule = "ssh.permit_root_login"

// fixture is a small Debian-like tree whose sshd permits root login, and
// an App with its own state directory.
func fixture(t *testing.T) (*App, target.Spec, string) {
	t.Helper()
	root := targettest.Dir(t, map[string]string{
		"etc/os-release":              "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config":         "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n",
		"etc/ssh/sshd_config.d/.keep": "",
		"etc/passwd":                  "root:x:0:0:root:/root:/bin/bash\n",
		"usr/sbin/sshd":               "",
	})
	spec, err := target.NewSpec(target.KindRootFS, root)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	var mu sync.Mutex
	a := &App{Getenv: func(k string) string { return map[string]string{"CRADLE_HOME": state}[k] }, UID: os.Geteuid(), Version: "test",
		Warn: func(err error) { mu.Lock(); defer mu.Unlock(); t.Logf("warning: %v", err) }}
	return a, spec, root
}

func wantClass(t *testing.T, err error, c Class) {
	t.Helper()
	if ClassOf(err) != c {
		t.Fatalf("error %v: class %d, want %d", err, ClassOf(err), c)
	}
}

func TestScanAndGate(t *testing.T) {
	a, spec, _ := fixture(t)
	ctx := context.Background()
	out, err := a.Scan(ctx, ScanInput{Target: spec, Selection: Selection{Rules: []string{sshRule}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Report.Results) != 1 || out.Report.Results[0].Status != result.Fail {
		t.Fatalf("results %+v", out.Report.Results)
	}
	wantClass(t, Gate(out.Report, result.SeverityInfo), Findings)
	if err := Gate(out.Report, 0); err != nil {
		t.Fatalf("gate off: %v", err)
	}
	_, err = a.Scan(ctx, ScanInput{Target: spec, Selection: Selection{Profile: "nope"}})
	wantClass(t, err, Usage)
	_, err = a.Scan(ctx, ScanInput{Target: spec, Selection: Selection{Waivers: filepath.Join(t.TempDir(), "missing.yaml")}})
	wantClass(t, err, Usage)
	gone, _ := target.NewSpec(target.KindRootFS, filepath.Join(t.TempDir(), "missing"))
	_, err = a.Scan(ctx, ScanInput{Target: gone})
	wantClass(t, err, Usage)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Scan(cctx, ScanInput{Target: spec}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled scan: %v", err)
	}
}

func TestLogUseCases(t *testing.T) {
	a, spec, _ := fixture(t)
	ctx := context.Background()
	show, err := a.LogShow(ctx, spec)
	if err != nil || len(show.Entries) != 0 || show.Target != spec.ID() {
		t.Fatalf("empty log: %+v, %v", show, err)
	}
	_, err = a.LogVerify(ctx, LogVerifyInput{Target: spec})
	wantClass(t, err, Usage)
	_, err = a.LogAppend(ctx, LogAppendInput{Target: spec, Action: ActionManual})
	wantClass(t, err, Usage)
	_, err = a.LogAppend(ctx, LogAppendInput{Target: spec, Action: "nope", Change: Change{Reason: "r"}})
	wantClass(t, err, Usage)
	out, err := a.LogAppend(ctx, LogAppendInput{Target: spec, Action: ActionManual, Rules: []string{sshRule}, Change: Change{Reason: "opened a port", ChangeRef: "CHG-1"}})
	if err != nil || out.Seq != 1 || out.Target != spec.ID() {
		t.Fatalf("append: %+v, %v", out, err)
	}
	show, err = a.LogShow(ctx, spec)
	if err != nil || len(show.Entries) != 1 || show.Entries[0].ChangeRef != "CHG-1" {
		t.Fatalf("show: %+v, %v", show, err)
	}
	s, err := a.LogVerify(ctx, LogVerifyInput{Target: spec})
	if err != nil || s.Entries != 1 {
		t.Fatalf("verify: %+v, %v", s, err)
	}
	// A tampered log is a finding.
	b, _ := os.ReadFile(show.Path)
	os.WriteFile(show.Path, append(b, b...), 0o600) // entry 1 twice
	_, err = a.LogVerify(ctx, LogVerifyInput{Target: spec})
	wantClass(t, err, Findings)
	// The policy is enforced before anything is written.
	h, _ := a.Home()
	os.WriteFile(h.Policy(), []byte("require_change_ref: true\n"), 0o600)
	_, err = a.Approve(ctx, ApproveInput{Target: spec, Selection: Selection{Rules: []string{sshRule}}})
	wantClass(t, err, Usage)
	if _, err := os.Stat(h.Snapshots(spec.Key())); err == nil {
		t.Fatal("snapshot stored without the required change reference")
	}
}

func TestApproveDriftWatch(t *testing.T) {
	a, spec, root := fixture(t)
	ctx := context.Background()
	_, err := a.Drift(ctx, DriftInput{Target: spec})
	wantClass(t, err, Usage) // no snapshot yet
	ap, err := a.Approve(ctx, ApproveInput{Target: spec, Selection: Selection{Rules: []string{sshRule}}, Change: Change{Reason: "baseline"}})
	if err != nil || ap.Target != spec.ID() || ap.Seq != 1 || !strings.HasPrefix(ap.Digest, "sha256:") {
		t.Fatalf("approve: %+v, %v", ap, err)
	}
	out, err := a.Drift(ctx, DriftInput{Target: spec})
	if err != nil || len(out.Report.Items) != 0 || out.Verdict() != nil || out.Report.Snapshot != ap.Digest || out.Report.Kind != "drift_report" {
		t.Fatalf("drift right after approval: %+v, %v", out, err)
	}
	os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte("Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n"), 0o644)
	out, err = a.Drift(ctx, DriftInput{Target: spec})
	if err != nil || len(out.Report.Items) == 0 {
		t.Fatalf("drift after a change: %+v, %v", out, err)
	}
	wantClass(t, out.Verdict(), Findings)

	var events strings.Builder
	if err := a.Watch(ctx, WatchInput{Target: spec, Interval: time.Hour, IOPrio: "none", Once: true, Events: &events}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(events.String(), `"event":"drift"`) {
		t.Fatalf("events: %s", events.String())
	}
	err = a.Watch(ctx, WatchInput{Target: spec, Interval: time.Second, MinInterval: time.Minute, IOPrio: "none"})
	wantClass(t, err, Usage)

	// A watch stops cleanly when its context ends.
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- a.Watch(cctx, WatchInput{Target: spec, Interval: time.Hour, IOPrio: "none", Events: &strings.Builder{}})
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("watch: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop after cancellation")
	}

	// A tampered snapshot is a finding.
	h, _ := a.Home()
	p := filepath.Join(h.Snapshots(spec.Key()), drift.ApprovedFile)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"signatures"`, `"signatures_"`, 1)), 0o600)
	_, err = a.Drift(ctx, DriftInput{Target: spec})
	wantClass(t, err, Findings)
}

func TestFixRunsRollback(t *testing.T) {
	a, spec, root := fixture(t)
	ctx := context.Background()
	sel := Selection{Rules: []string{sshRule}}
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))

	plan, err := a.Fix(ctx, FixInput{Target: spec, Selection: sel, NoPreflight: true})
	if err != nil || plan.Document.Mode != "plan" || len(plan.Document.Plan) != 1 || plan.Verdict() != nil {
		t.Fatalf("plan: %+v, %v", plan, err)
	}
	image, _ := target.NewSpec(target.KindImage, filepath.Join(root, "app.tar"))
	_, err = a.Fix(ctx, FixInput{Target: image, Selection: sel, Apply: true})
	wantClass(t, err, Usage)
	_, err = a.Fix(ctx, FixInput{Target: spec, Selection: sel, Learn: time.Minute})
	wantClass(t, err, Usage)
	_, err = a.Fix(ctx, FixInput{Target: spec, Selection: sel, Force: []string{"no.such.rule"}})
	wantClass(t, err, Usage)

	applied, err := a.Fix(ctx, FixInput{Target: spec, Selection: sel, Apply: true, NoPreflight: true, Change: Change{ChangeRef: "CHG-9"}})
	if err != nil || applied.Document.Run == nil || applied.Document.Rules[0].Status != fix.StatusFixed {
		t.Fatalf("apply: %+v, %v", applied, err)
	}
	if want := "cradle rollback --root " + filepath.FromSlash(spec.Path) + " "; !strings.HasPrefix(applied.Document.Run.Rollback, want) {
		t.Fatalf("rollback hint %q", applied.Document.Run.Rollback)
	}
	list, err := a.Runs(ctx, spec)
	if err != nil || len(list.Runs) != 1 || list.Runs[0].ChangeRef != "CHG-9" || list.Target != spec.ID() {
		t.Fatalf("runs: %+v, %v", list, err)
	}
	runs := list.Runs
	_, err = a.Rollback(ctx, RollbackInput{Target: spec, RunID: "20000101T000000Z-0000"})
	wantClass(t, err, Usage)
	rb, err := a.Rollback(ctx, RollbackInput{Target: spec, RunID: runs[0].ID})
	if err != nil || len(rb.Restored) != 1 {
		t.Fatalf("rollback: %+v, %v", rb, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(orig) {
		t.Fatal("rollback did not restore the file")
	}
	show, err := a.LogShow(ctx, spec)
	if err != nil || len(show.Entries) != 2 || show.Entries[0].Action != "apply" || show.Entries[1].Action != "rollback" {
		t.Fatalf("log after apply and rollback: %+v, %v", show, err)
	}
	if _, err := a.Runs(ctx, image); ClassOf(err) != Usage {
		t.Fatalf("runs of an image: %v", err)
	}
}

// TestApplyRefusedWhenTargetChangedIsUsage: an apply refused before
// anything changed (the tree no longer matches the plan) is the
// operator's to resolve, not an internal error.
func TestApplyRefusedWhenTargetChangedIsUsage(t *testing.T) {
	a, spec, root := fixture(t)
	sel := Selection{Rules: []string{"ssh.permit_root_login"}}
	// Plan against a tree, then make the planned file vanish behind a
	// symlink before applying: the journal refuses.
	var once sync.Once
	p := &hookProgress{end: func() {
		once.Do(func() {
			os.Rename(filepath.Join(root, "etc/ssh"), filepath.Join(root, "etc/ssh.moved"))
			os.Symlink("/nonexistent", filepath.Join(root, "etc/ssh"))
		})
	}}
	_, err := a.Fix(context.Background(), FixInput{Target: spec, Selection: sel, Apply: true, NoPreflight: true, Progress: p})
	if err == nil {
		t.Skip("the journal accepted the changed tree")
	}
	wantClass(t, err, Usage)
}

type hookProgress struct {
	NoProgress
	end func()
}

func (h *hookProgress) End() { h.end() }

// TestInterruptedApplyIsJournaledAndLogged: a fix cancelled after it was
// planned leaves a journaled run that the change log records and that
// rolls back, and the error says how.
func TestInterruptedApplyIsJournaledAndLogged(t *testing.T) {
	a, spec, root := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &hookProgress{end: cancel} // cancelled once the plan is made
	out, err := a.Fix(ctx, FixInput{Target: spec, Selection: Selection{Rules: []string{sshRule}}, Apply: true, NoPreflight: true, Progress: p})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fix = %v", err)
	}
	if out == nil || out.Document.Run == nil || !strings.Contains(err.Error(), out.Document.Run.Rollback) {
		t.Fatalf("no run to roll back in %+v (%v)", out, err)
	}
	show, err := a.LogShow(context.Background(), spec)
	if err != nil || len(show.Entries) != 1 || !strings.Contains(string(show.Entries[0].Details), "canceled") {
		t.Fatalf("log: %+v, %v", show, err)
	}
	if _, err := a.Rollback(context.Background(), RollbackInput{Target: spec, RunID: out.Document.Run.ID}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); !strings.Contains(string(b), "PermitRootLogin yes") {
		t.Fatalf("not restored: %s", b)
	}
}

// TestRollbackRefusesAnotherTargetsRun: a run copied into another
// target's state is not restored there.
func TestRollbackRefusesAnotherTargetsRun(t *testing.T) {
	a, spec, _ := fixture(t)
	ctx := context.Background()
	sel := Selection{Rules: []string{sshRule}}
	out, err := a.Fix(ctx, FixInput{Target: spec, Selection: sel, Apply: true, NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := target.NewSpec(target.KindRootFS, t.TempDir())
	h, _ := a.Home()
	if err := os.MkdirAll(filepath.Dir(h.Runs(other.Key())), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(h.Runs(spec.Key()), h.Runs(other.Key())); err != nil {
		t.Fatal(err)
	}
	_, err = a.Rollback(ctx, RollbackInput{Target: other, RunID: out.Document.Run.ID})
	wantClass(t, err, Usage)
	if err == nil || !strings.Contains(err.Error(), "was made on "+spec.ID()) {
		t.Fatalf("Rollback = %v", err)
	}
}

// TestWatchWarnings: problems that do not stop a watch (here a damaged
// drift state) reach App.Warn.
func TestWatchWarnings(t *testing.T) {
	a, spec, _ := fixture(t)
	var mu sync.Mutex
	var warned []string
	a.Warn = func(err error) { mu.Lock(); defer mu.Unlock(); warned = append(warned, err.Error()) }
	ctx := context.Background()
	if _, err := a.Approve(ctx, ApproveInput{Target: spec, Selection: Selection{Rules: []string{sshRule}}}); err != nil {
		t.Fatal(err)
	}
	h, _ := a.Home()
	if err := os.WriteFile(filepath.Join(h.Snapshots(spec.Key()), drift.StateFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Watch(ctx, WatchInput{Target: spec, Interval: time.Hour, IOPrio: "none", Once: true, Events: io.Discard}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warned) == 0 {
		t.Fatal("no warning for a damaged drift state")
	}
}

// recProgress records what a use case reports.
type recProgress struct {
	mu          sync.Mutex
	rules, ends int
	max         [2]int // the highest done reported, with its total
}

func (r *recProgress) Rules(done, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rules++
	if done > r.max[0] {
		r.max = [2]int{done, total}
	}
}
func (r *recProgress) Learning(time.Duration, time.Duration, int) {}
func (r *recProgress) Note(string)                                {}
func (r *recProgress) End()                                       { r.mu.Lock(); r.ends++; r.mu.Unlock() }

// TestProgressReported: scans report their progress through the input's
// Progress, never to a terminal, and end it.
func TestProgressReported(t *testing.T) {
	a, spec, _ := fixture(t)
	p := &recProgress{}
	out, err := a.Scan(context.Background(), ScanInput{Target: spec, Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	n := len(out.Report.Results)
	if p.rules != n || p.max != [2]int{n, n} || p.ends != 1 {
		t.Fatalf("progress %+v for %d rules", p, n)
	}
}
