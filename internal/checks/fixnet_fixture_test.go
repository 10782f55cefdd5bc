package checks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cradle-cra/cradle/internal/baseline"
	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestFixnetOnBrokenFixture breaks a copy of the debootstrap tree with the
// integration scenarios and requires every failing rule of the sshd,
// sysctl, module, mount, audit and limits templates to pass on its
// planned fix, alone and with all of them planned into one change set.
func TestFixnetOnBrokenFixture(t *testing.T) {
	base := os.Getenv("CRADLE_TEST_ROOTFS")
	if base == "" || os.Geteuid() != 0 {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("needs CRADLE_TEST_ROOTFS and root")
		}
		t.Skip("needs CRADLE_TEST_ROOTFS and root to copy the tree")
	}
	dir := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v: %s", err, out)
	}
	for _, s := range []string{"ssh", "sysctl", "kmod", "mounts", "audit", "coredump"} {
		script := filepath.Join("..", "integration", "testdata", "scenarios", s+".break.sh")
		if out, err := exec.Command("bash", script, dir).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", script, err, out)
		}
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := baseline.Load(reg)
	if err != nil {
		t.Fatal(err)
	}
	templates := []string{"sshd_option", "sshd_crypto", "sysctl", "kernel_module_disabled", "mount_option", "audit_rule", "limits"}
	ctx := context.Background()
	all := remedy.New(tg)
	type planned struct {
		id string
		c  check.Check
	}
	var fixed []planned
	failing := 0
	for _, r := range set.Rules {
		if !slices.Contains(templates, r.Template) {
			continue
		}
		c, err := r.Instantiate(reg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Evaluate(ctx, facts.NewStore(ctx, tg)).Status != result.Fail {
			continue
		}
		failing++
		rem, ok := c.(check.Remediator)
		if !ok {
			t.Errorf("%s: %T is no Remediator", r.ID, c)
			continue
		}
		meta := remedy.Meta{Disruption: r.Fix.Disruption, Reboot: r.Fix.Reboot, Strategy: r.Fix.Strategy}
		// Alone.
		ch := remedy.New(tg)
		ch.Begin(r.ID, meta)
		if err := rem.Remediate(ctx, facts.NewStore(ctx, tg), ch); err != nil {
			t.Errorf("%s: %v", r.ID, err)
			continue
		}
		deferred := len(ch.Ops()) > 0
		for _, op := range ch.Ops() {
			deferred = deferred && op.Deferred()
		}
		if deferred {
			t.Logf("%s: deferred: %s", r.ID, ch.Ops()[0].Reason)
			continue
		}
		if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status != result.Pass {
			t.Errorf("%s: %s after its fix: %s %+v", r.ID, o.Status, o.Reason, o.Evidence)
		}
		// Together, as cradle fix plans a profile.
		if c.Evaluate(ctx, facts.NewStore(ctx, all.Overlay())).Status == result.Fail {
			all.Begin(r.ID, meta)
			if err := rem.Remediate(ctx, facts.NewStore(ctx, tg), all); err != nil {
				t.Errorf("%s (combined): %v", r.ID, err)
			}
		}
		fixed = append(fixed, planned{r.ID, c})
	}
	if failing < 60 {
		t.Errorf("only %d rules fail on the broken tree; the scenarios changed?", failing)
	}
	for _, p := range fixed {
		if o := p.c.Evaluate(ctx, facts.NewStore(ctx, all.Overlay())); o.Status != result.Pass {
			t.Errorf("%s: %s with every fix planned together: %+v", p.id, o.Status, o.Evidence)
		}
	}
	t.Logf("%d failing rules, %d fixed; combined plan writes %d paths", failing, len(fixed), len(all.Final()))
}
