package fix_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/target"
)

// lockoutRules are the rules whose fixes can take away a way in or up.
var lockoutRules = []string{
	"sudo.no_nopasswd", "sudo.no_authenticate_disabled",
	"accounts.password_max_days", "accounts.password_min_days", "accounts.password_warn_days",
	"accounts.password_inactive", "accounts.no_empty_passwords",
	"accounts.system_accounts_locked", "accounts.system_accounts_nologin",
}

// lockoutDir copies the checks' lock-out fixture (a Debian 12 account
// database and sudoers policy: an administrator with a key and an old
// password, a cloud-init administrator with a locked password and
// NOPASSWD: ALL, an automation rule, a service account) into a new root.
func lockoutDir(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "checks", "testdata", "lockout")
	dst := filepath.Join(t.TempDir(), "root")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(filepath.ToSlash(rel), "bin/") || strings.HasPrefix(filepath.ToSlash(rel), "usr/sbin/") {
			mode = 0o755
		}
		return os.WriteFile(out, b, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestPlanLocksNoOneOut plans the strict and product fixes of every rule
// that touches sudo or accounts, and models who can log in and escalate
// before and on the planned state: the only ways lost are "sudo -n" of
// accounts that have a password (they type it now); the cloud-init
// administrator, the automation rule and the administrator whose password
// is years old keep everything, their rules deferred with the reason.
func TestPlanLocksNoOneOut(t *testing.T) {
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)
	for _, profile := range []string{"strict", "product"} {
		t.Run(profile, func(t *testing.T) {
			tg, err := target.OpenRootFS(lockoutDir(t))
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			ctx := context.Background()
			opts := fix.Options{Engine: engine.Options{Profile: profile, RuleIDs: lockoutRules, Now: now}}
			// Removing a NOPASSWD tag from accounts with a usable password
			// keeps their sudo (they type the password): the access check
			// notes the narrowing and does not refuse it; whether scripts
			// rely on the tag is the preflight's sudo.password_required verdict.
			plan, err := fix.Make(ctx, eng, tg, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, rf := range plan.Rules {
				if rf.Rule == "sudo.no_nopasswd" && (rf.Status == fix.StatusRefused || !strings.Contains(rf.Reason, "alice: sudo -n /usr/bin/apt-get update (as root): now needs a password")) {
					t.Errorf("sudo.no_nopasswd: %s %s", rf.Status, rf.Reason)
				}
			}
			before, err := access.Compute(ctx, tg, now)
			if err != nil {
				t.Fatal(err)
			}
			after, err := access.Compute(ctx, plan.Changes.Overlay(), now)
			if err != nil {
				t.Fatal(err)
			}
			typed := 0
			for _, l := range access.Diff(before, after) {
				if strings.HasPrefix(l.Way, "sudo -n ") && l.Reason == "now needs a password" && slices.Contains([]string{"alice", "bob"}, l.User) {
					typed++
					continue
				}
				t.Errorf("lost: %s", l)
			}
			if typed == 0 {
				t.Error("no NOPASSWD tag was removed")
			}
			var deferred []string
			for _, op := range plan.Deferred {
				deferred = append(deferred, op.Rule+": "+op.Summary)
			}
			for _, rf := range plan.Rules {
				t.Logf("%s: %s %s", rf.Rule, rf.Status, rf.Reason)
			}
			want := []string{
				"sudo.no_nopasswd: keep the NOPASSWD rule for cloud (/etc/sudoers.d/90-cloud-init-users:4)",
				"sudo.no_nopasswd: keep the NOPASSWD rule for ops (/etc/sudoers.d/ops:2)",
				"accounts.password_max_days: set password_max_days to 365 for alice",
			}
			for _, w := range want {
				if !slices.Contains(deferred, w) {
					t.Errorf("not deferred: %s (deferred: %q)", w, deferred)
				}
			}
		})
	}
}
