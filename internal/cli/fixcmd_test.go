package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestFixCommands drives plan, preflight refusal, --force, apply, runs and
// rollback end to end on a small tree.
func TestFixCommands(t *testing.T) {
	root := targettest.Dir(t, map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config": "# test\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nUsePAM yes\n",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
		"var/log/auth.log":    "2026-11-20T10:00:00.123456+00:00 host sshd[100]: Accepted password for root from 192.0.2.7 port 50022 ssh2\n",
	})
	orig, err := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	run := func(want int, args ...string) string {
		t.Helper()
		out, errs, code := runIn(t, env, args...)
		if code != want {
			t.Fatalf("cradle %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
		}
		return out
	}
	decode := func(s string) fix.Document {
		t.Helper()
		var d fix.Document
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		return d
	}
	rule := []string{"--root", root, "--rule", "ssh.permit_root_login"}

	// Dry run: a plan with a diff, nothing written.
	d := decode(run(0, append([]string{"fix", "--no-preflight", "--format", "json"}, rule...)...))
	if len(d.Plan) != 1 || d.Plan[0].Path != "/etc/ssh/sshd_config" || !strings.Contains(d.Plan[0].Diff, "+PermitRootLogin") {
		t.Fatalf("plan = %+v", d.Plan)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(orig) {
		t.Fatal("dry run changed the target")
	}
	// Root logged in with a password recently: the preflight refuses.
	d = decode(run(3, append([]string{"fix", "--apply", "--format", "json"}, rule...)...))
	if len(d.Refused) == 0 || d.Rules[0].Status != fix.StatusRefused || d.Rules[0].Impact == nil || !strings.Contains(strings.Join(d.Rules[0].Impact.Evidence, " "), "192.0.2.7") {
		t.Fatalf("not refused with evidence: %+v", d.Rules)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(orig) {
		t.Fatal("refused fix changed the target")
	}
	// Forced: applied and verified.
	d = decode(run(0, append([]string{"fix", "--apply", "--force", "ssh.permit_root_login", "--change-ref", "CHG-7", "--format", "json"}, rule...)...))
	if d.Run == nil || d.Rules[0].Status != fix.StatusFixed {
		t.Fatalf("forced apply: %+v %+v", d.Run, d.Rules)
	}
	if d2 := decode(run(0, append([]string{"fix", "--no-preflight", "--format", "json"}, rule...)...)); len(d2.Plan) != 0 {
		t.Fatalf("second plan not empty: %+v", d2.Plan)
	}
	out := run(0, "runs", "--root", root)
	if !strings.Contains(out, d.Run.ID) || !strings.Contains(out, "CHG-7") || !strings.Contains(out, "applied") {
		t.Fatalf("runs:\n%s", out)
	}
	var raw struct {
		Entries []struct {
			Action string            `json:"action"`
			Before map[string]string `json:"before"`
			After  map[string]string `json:"after"`
		} `json:"entries"`
	}
	json.Unmarshal([]byte(run(0, "log", "--root", root, "--format", "json")), &raw)
	if len(raw.Entries) != 1 || raw.Entries[0].Action != "apply" {
		t.Fatalf("log: %+v", raw.Entries)
	}
	b4, af := raw.Entries[0].Before["/etc/ssh/sshd_config"], raw.Entries[0].After["/etc/ssh/sshd_config"]
	if !strings.HasPrefix(b4, "file sha256:") || !strings.HasPrefix(af, "file sha256:") || b4 == af || b4[len(b4)-19:] != af[len(af)-19:] {
		t.Fatalf("before %q after %q", b4, af)
	}
	if !strings.Contains(d.Run.Rollback, "--root "+root) {
		t.Fatalf("rollback hint %q", d.Run.Rollback)
	}
	run(2, "rollback", "--root", root, "no-such-run")
	run(0, "rollback", "--root", root, d.Run.ID)
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(orig) {
		t.Fatalf("rollback did not restore:\n%s", b)
	}
	if out := run(0, "runs", "--root", root); !strings.Contains(out, "rolled_back") {
		t.Fatalf("runs after rollback:\n%s", out)
	}
	// Rolling back again does nothing, says so, and logs nothing.
	entries := func() int {
		raw.Entries = nil
		json.Unmarshal([]byte(run(0, "log", "--root", root, "--format", "json")), &raw)
		return len(raw.Entries)
	}
	n := entries()
	if out := run(0, "rollback", "--root", root, d.Run.ID); !strings.Contains(out, "already rolled back") {
		t.Fatalf("second rollback:\n%s", out)
	}
	if got := entries(); got != n {
		t.Fatalf("second rollback appended %d log entries", got-n)
	}
	run(0, "log", "verify", "--root", root)

	// A log that cannot be appended stops --apply before it changes
	// anything; after "log repair" the fix goes through.
	logDir := filepath.Join(env["CRADLE_HOME"], "logs")
	heads, _ := filepath.Glob(filepath.Join(logDir, "*.head"))
	if len(heads) != 1 {
		t.Fatalf("heads: %v", heads)
	}
	os.Remove(heads[0])
	_, errs, code := runIn(t, env, append([]string{"fix", "--apply", "--force", "ssh.permit_root_login"}, rule...)...)
	if code != 2 || !strings.Contains(errs, "nothing was changed") {
		t.Fatalf("apply on a damaged log: exit %d\n%s", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(orig) {
		t.Fatal("apply changed the target although the change log could not record it")
	}
	run(3, "log", "verify", "--root", root)
	if out := run(0, "log", "repair", "--root", root, "--reason", "head lost"); !strings.Contains(out, "kept 2 entries") {
		t.Fatalf("repair: %s", out)
	}
	run(0, "log", "verify", "--root", root)
	run(0, "log", "repair", "--root", root)
	run(0, append([]string{"fix", "--apply", "--force", "ssh.permit_root_login"}, rule...)...)
	run(0, "log", "verify", "--root", root)

	// Usage errors.
	run(2, "fix", "--image", "x.tar", "--apply")
	run(2, "fix", "--root", root, "--max-disruption", "extreme")
	run(2, "fix", "--root", root, "--force", "no.such.rule")
	run(2, "fix", "--root", root, "--learn", "1s")
}

// TestWaiverChangesLogged: waivers that appear or disappear between uses
// with change-control commands are recorded in the change log.
func TestWaiverChangesLogged(t *testing.T) {
	root := targettest.Dir(t, map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n"})
	dir := t.TempDir()
	w1 := filepath.Join(dir, "w1.yaml")
	w0 := filepath.Join(dir, "w0.yaml")
	os.WriteFile(w1, []byte("waivers:\n  - rule: ssh.x11_forwarding\n    justification: lab rig needs X11\n    owner: lab@example.com\n    expires: 2099-01-01\n"), 0o600)
	os.WriteFile(w0, []byte("waivers: []\n"), 0o600)
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	actions := func() []string {
		out, errs, code := runIn(t, env, "log", "--root", root, "--format", "json")
		if code != 0 {
			t.Fatalf("log: %d %s", code, errs)
		}
		var d struct {
			Entries []struct {
				Action string   `json:"action"`
				Rules  []string `json:"rules"`
			} `json:"entries"`
		}
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		var a []string
		for _, e := range d.Entries {
			a = append(a, e.Action)
		}
		return a
	}
	for _, w := range []string{w1, w1, w0} {
		if _, errs, code := runIn(t, env, "baseline", "approve", "--root", root, "--rule", "ssh.x11_forwarding", "--waivers", w); code != 0 {
			t.Fatalf("approve: %d %s", code, errs)
		}
	}
	got := strings.Join(actions(), ",")
	if got != "waiver-add,approve,approve,waiver-remove,approve" {
		t.Fatalf("actions = %s", got)
	}
}

// A planned chmod of a file hard-linked to one outside the target is
// left alone: the apply reports it as skipped and exits 3, and the file
// outside keeps its mode.
func TestFixApplySkipsHardLinked(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (owners)")
	}
	root := targettest.Dir(t, map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/passwd":     "root:x:0:0:root:/root:/bin/bash\n",
	})
	outside := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(outside, []byte("root:*:19000:0:99999:7:::\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(root, "etc/shadow")); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	out, errs, code := runIn(t, env, "fix", "--root", root, "--rule", "file.shadow.permissions", "--apply", "--no-preflight", "--format", "json")
	if code != 3 || !strings.Contains(errs, "left as they are") {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, out, errs)
	}
	var d fix.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Skipped) != 1 || d.Skipped[0].Path != "/etc/shadow" || !strings.Contains(d.Skipped[0].Reason, "hard links") || d.Rules[0].Status != fix.StatusSkipped {
		t.Fatalf("skipped = %+v, rules %+v", d.Skipped, d.Rules)
	}
	if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o644 {
		t.Errorf("the file outside the target changed: %v", fi.Mode())
	}
}

// A rollback that cannot restore a path restores the rest, lists the
// path, logs what it did and exits 3; run again once the cause is gone,
// it finishes.
func TestRollbackIncomplete(t *testing.T) {
	root := targettest.Dir(t, map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config": "PermitRootLogin yes\n",
		"etc/shadow":          "root:*:19000:0:99999:7:::\n",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":           "root:x:0:\nshadow:x:42:\n",
	})
	if err := os.Chmod(filepath.Join(root, "etc/shadow"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	out, errs, code := runIn(t, env, "fix", "--root", root, "--rule", "ssh.permit_root_login", "--rule", "file.shadow.permissions", "--apply", "--no-preflight", "--format", "json")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	var d fix.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	ssh := filepath.Join(root, "etc/ssh")
	if exec.Command("chattr", "+i", ssh).Run() != nil {
		t.Skip("no chattr +i here")
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", ssh).Run() })
	out, errs, code = runIn(t, env, "rollback", "--root", root, d.Run.ID)
	if code != 3 || !strings.Contains(out, "not restored: /etc/ssh/sshd_config") {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, out, errs)
	}
	if fi, _ := os.Stat(filepath.Join(root, "etc/shadow")); fi.Mode().Perm() != 0o644 {
		t.Errorf("the rest was not restored: shadow %v", fi.Mode())
	}
	if err := exec.Command("chattr", "-i", ssh).Run(); err != nil {
		t.Fatal(err)
	}
	if out, errs, code = runIn(t, env, "rollback", "--root", root, d.Run.ID); code != 0 {
		t.Fatalf("second rollback: exit %d\n%s\n%s", code, out, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(ssh, "sshd_config")); string(b) != "PermitRootLogin yes\n" {
		t.Errorf("sshd_config = %q", b)
	}
	out, _, _ = runIn(t, env, "log", "--root", root, "--format", "json")
	if n := strings.Count(out, `"action": "rollback"`); n != 2 || !strings.Contains(out, "not_restored") {
		t.Errorf("%d rollback entries in the log:\n%s", n, out)
	}
}
