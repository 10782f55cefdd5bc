package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/access/accesstest"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestApplyRolledBackWhenAccessBreaks: a way in that the plan kept but
// the changed target lost (here a key removed between plan and apply)
// rolls the run back at once, logs it, and the error says why.
func TestApplyRolledBackWhenAccessBreaks(t *testing.T) {
	files := accesstest.Appliance(time.Now())
	files["etc/os-release"] = "ID=debian\nVERSION_ID=\"12\"\n"
	files["etc/ssh/sshd_config"] = "PermitRootLogin yes\n" + files["etc/ssh/sshd_config"]
	root := accesstest.Tree(t, files).Name()
	spec, err := target.NewSpec(target.KindRootFS, root)
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := fixture(t)
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	p := &hookProgress{end: func() {
		os.Remove(filepath.Join(root, "home/cloud/.ssh/authorized_keys"))
	}}
	out, err := a.Fix(context.Background(), FixInput{Target: spec, Selection: Selection{Rules: []string{sshRule}}, Apply: true, NoPreflight: true, Progress: p})
	wantClass(t, err, Findings)
	if !strings.Contains(err.Error(), "cloud: SSH key login: no authorized key") || !strings.Contains(err.Error(), "was rolled back") {
		t.Errorf("error %v", err)
	}
	if out == nil || out.Document.Run == nil || out.Document.Run.State != journal.StateRolledBack {
		t.Fatalf("document %+v", out)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(orig) {
		t.Errorf("sshd_config not restored:\n%s", b)
	}
	show, err := a.LogShow(context.Background(), spec)
	if err != nil || len(show.Entries) != 2 || show.Entries[1].Action != "rollback" || !strings.Contains(show.Entries[1].Reason, "access verification failed") {
		t.Fatalf("log: %+v, %v", show, err)
	}
}
