package fix

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/access/accesstest"
	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/target"
)

// applianceTree is accesstest's Debian 12 appliance with its os-release.
func applianceTree(t *testing.T, now time.Time) target.Target {
	t.Helper()
	files := accesstest.Appliance(now)
	files["etc/os-release"] = "ID=debian\nVERSION_ID=\"12\"\n"
	return accesstest.Tree(t, files)
}

// TestAccessRefusesLockout plans the strict rules that lock people out
// on such an appliance: they are refused before anything is written,
// with the accounts and ways they would take away; forcing one applies
// it and says what it takes away.
func TestAccessRefusesLockout(t *testing.T) {
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ids := []string{"sudo.no_nopasswd", "accounts.password_max_days", "ssh.password_authentication"}
	for _, tc := range []struct {
		name  string
		force []string
		want  map[string][]string // rule → status, then substrings of its reason
	}{
		{"refused", nil, map[string][]string{
			"sudo.no_nopasswd": {StatusRefused, "would lock out: ",
				"cloud: sudo ALL (as ALL): no sudoers rule grants it any more",
				"ops: sudo /usr/bin/systemctl restart nginx (as ALL): no sudoers rule grants it any more",
				"--force sudo.no_nopasswd"},
			"accounts.password_max_days": {StatusRefused,
				"admin: SSH key login: PAM account management requires a password change first: password expired since ",
				"admin: sudo ALL (as ALL:ALL): PAM account management requires a password change first"},
			"ssh.password_authentication": {StatusPlanned, "narrows how accounts get in (each keeps another way): admin: SSH password login: sshd PasswordAuthentication no"},
		}},
		{"forced", []string{"sudo.no_nopasswd"}, map[string][]string{
			"sudo.no_nopasswd":           {StatusPlanned, "forced although it locks out: cloud: sudo ALL (as ALL)"},
			"accounts.password_max_days": {StatusRefused},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := applianceTree(t, now)
			p, err := Make(context.Background(), eng, tg, Options{Engine: engine.Options{Profile: "strict", RuleIDs: ids, Now: now}, Force: tc.force})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]RuleFix{}
			for _, rf := range p.Rules {
				got[rf.Rule] = rf
			}
			for rule, want := range tc.want {
				rf, ok := got[rule]
				if !ok {
					t.Errorf("%s not planned; rules %+v", rule, p.Rules)
					continue
				}
				if rf.Status != want[0] {
					t.Errorf("%s: status %s (%s), want %s", rule, rf.Status, rf.Reason, want[0])
				}
				for _, s := range want[1:] {
					if !strings.Contains(rf.Reason, s) {
						t.Errorf("%s: reason %q lacks %q", rule, rf.Reason, s)
					}
				}
			}
			// Nothing of a refused rule is in the plan.
			for _, pc := range p.Changes.Final() {
				if pc.Path == "etc/shadow" || (tc.force == nil && strings.HasPrefix(pc.Path, "etc/sudoers")) {
					t.Errorf("refused rule's change planned: %s", pc.Path)
				}
			}
			if problems, err := p.VerifyAccess(context.Background(), p.Changes.Overlay()); err != nil || len(problems) != 0 {
				t.Errorf("the planned state verifies with problems %v, %v", problems, err)
			}
		})
	}
}

// TestVerifyAccess: after an apply, what worked in the planned state and
// does not in the real target is reported, so the run is rolled back.
func TestVerifyAccess(t *testing.T) {
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tg := applianceTree(t, now)
	p, err := Make(context.Background(), eng, tg, Options{Engine: engine.Options{Profile: "strict", RuleIDs: []string{"ssh.password_authentication"}, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	// Someone locks the cloud administrator's key away behind the plan.
	if err := os.Remove(filepath.Join(tg.Name(), "home/cloud/.ssh/authorized_keys")); err != nil {
		t.Fatal(err)
	}
	problems, err := p.VerifyAccess(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cloud: SSH key login: no authorized key"; len(problems) != 1 || problems[0] != want {
		t.Errorf("problems %q, want %q", problems, want)
	}
}
