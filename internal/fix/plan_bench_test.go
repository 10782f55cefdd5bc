package fix_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/target"
)

// accountsTree writes a root filesystem with n login accounts that fail
// the strict account rules: no password ageing, a system account with a
// shell and a hash, and no home directories.
func accountsTree(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	var passwd, shadow, group strings.Builder
	passwd.WriteString("root:x:0:0:root:/root:/bin/bash\n")
	shadow.WriteString("root:*:19000:0:99999:7:::\n")
	group.WriteString("root:x:0:\nusers:x:100:\n")
	for i := range n {
		name := fmt.Sprintf("user%06d", i)
		uid := 1000 + i
		if i%10 == 0 { // a system account with a shell and a password
			uid = 100 + i%800
			name = fmt.Sprintf("svc%06d", i)
		}
		fmt.Fprintf(&passwd, "%s:x:%d:100::/home/%s:/bin/bash\n", name, uid, name)
		fmt.Fprintf(&shadow, "%s:$6$salt$hash%d:19000:0:99999:7:::\n", name, i)
	}
	files := map[string]string{
		"etc/passwd":       passwd.String(),
		"etc/shadow":       shadow.String(),
		"etc/group":        group.String(),
		"etc/login.defs":   "UID_MIN 1000\nSYS_UID_MAX 999\n",
		"usr/sbin/nologin": "",
		"etc/os-release":   "ID=debian\nVERSION_ID=12\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "home"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

var accountRules = []string{
	"accounts.system_accounts_nologin", "accounts.system_accounts_locked",
	"accounts.password_max_days", "accounts.password_min_days",
	"accounts.password_warn_days", "accounts.password_inactive", "accounts.home_dirs",
}

// BenchmarkPlanAccounts plans the strict account fixes, with the impact
// preflight, for many accounts: the planner must scale linearly.
func BenchmarkPlanAccounts(b *testing.B) {
	eng, err := catalog.Load("bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{5000, 20000, 100000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			tg, err := target.OpenRootFS(accountsTree(b, n))
			if err != nil {
				b.Fatal(err)
			}
			defer tg.Close()
			ctx := context.Background()
			for b.Loop() {
				sig, err := impact.Collect(ctx, tg, impact.Options{})
				if err != nil {
					b.Fatal(err)
				}
				opts := fix.Options{Engine: engine.Options{Profile: "strict", RuleIDs: accountRules}, Impact: sig}
				plan, err := fix.Make(ctx, eng, tg, opts)
				if err != nil {
					b.Fatal(err)
				}
				if len(plan.Applied) == 0 {
					b.Fatal("nothing planned")
				}
			}
		})
	}
}
