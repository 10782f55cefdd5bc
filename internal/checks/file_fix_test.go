package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// modeTree builds a tree, then sets modes ("path": 0o4755) and owners
// ("path": {uid, gid}); owners need root.
func modeTree(t *testing.T, files map[string]string, modes map[string]os.FileMode, owners map[string][2]int) target.Target {
	t.Helper()
	dir := targettest.Dir(t, files)
	for p, m := range modes {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	for p, o := range owners {
		if os.Geteuid() != 0 {
			t.Skip("chown needs root")
		}
		if err := os.Lchown(filepath.Join(dir, p), o[0], o[1]); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

const (
	fileDebPasswd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n_chrony:x:101:102:Chrony daemon,,,:/var/lib/chrony:/usr/sbin/nologin\n"
	debGroup      = "root:x:0:\ndaemon:x:1:\nshadow:x:42:\n_chrony:x:102:\n"
)

func TestFileModeFix(t *testing.T) {
	files := map[string]string{
		"etc/passwd":             fileDebPasswd,
		"etc/group":              debGroup,
		"etc/shadow":             "root:*:19000:0:99999:7:::\n",
		"etc/chrony/chrony.keys": "1 SHA256 HEX:00\n",
		"etc/sudoers":            "root ALL=(ALL:ALL) ALL\n",
		"etc/issue":              "Debian\n",
		"etc/issue.net":          "->issue",
	}
	tests := []struct {
		name   string
		args   string
		modes  map[string]os.FileMode
		owners map[string][2]int
		want   []string
	}{
		{"shadow readable", `{paths: [/etc/shadow], max_mode: "0640", owner: [root], group: [root, shadow]}`,
			map[string]os.FileMode{"etc/shadow": 0o644}, nil,
			[]string{"file.chmod /etc/shadow 0644 -> 0640"}},
		{"chown by the target's names", `{paths: [/etc/shadow], max_mode: "0640", owner: [root], group: [shadow]}`,
			map[string]os.FileMode{"etc/shadow": 0o640}, map[string][2]int{"etc/shadow": {101, 0}},
			[]string{"file.chown /etc/shadow 101:0 -> 0:42"}},
		{"chrony keys", `{paths: [/etc/chrony/chrony.keys, /etc/chrony.keys], max_mode: "0640", owner: [root]}`,
			map[string]os.FileMode{"etc/chrony/chrony.keys": 0o644}, nil,
			[]string{"file.chmod /etc/chrony/chrony.keys 0644 -> 0640"}},
		{"special bits", `{paths: [/etc/sudoers], max_mode: "0440"}`,
			map[string]os.FileMode{"etc/sudoers": 0o666 | os.ModeSetuid}, nil,
			[]string{"file.chmod /etc/sudoers 4666 -> 0440"}},
		{"through a symlink", `{paths: [/etc/issue.net], max_mode: "0644"}`,
			map[string]os.FileMode{"etc/issue": 0o666}, nil,
			[]string{"file.chmod /etc/issue 0666 -> 0644"}},
		{"missing: fail", `{paths: [/etc/security/opasswd], max_mode: "0600", missing: fail}`, nil, nil,
			[]string{"deferred create /etc/security/opasswd"}},
		{"unknown owner", `{paths: [/etc/shadow], owner: [nosuchuser]}`, nil, nil,
			[]string{"deferred change the owner of /etc/shadow: none of nosuchuser is a user in the target's /etc/passwd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, fileModeTemplate{}, tt.args, modeTree(t, files, tt.modes, tt.owners))
			ops := opLines(ch)
			for _, w := range tt.want {
				if !hasOp(ops, w) {
					t.Errorf("no op %q in\n%s", w, strings.Join(ops, "\n"))
				}
			}
			for _, op := range ch.Ops() {
				if !op.Deferred() && len(op.Effects) == 0 {
					t.Errorf("op %s %s has no effect", op.Kind, op.Path)
				}
			}
		})
	}
}

func TestFileExistsFix(t *testing.T) {
	tg := pkTree(t, map[string]string{
		"etc/hosts.equiv":  "+ +\n",
		"etc/shosts.equiv": "->hosts.equiv",
	})
	ch := fixRoundTrip(t, fileExistsTemplate{}, `{paths: [/etc/hosts.equiv, /etc/shosts.equiv], present: false}`, tg)
	ops := opLines(ch)
	for _, w := range []string{"file.remove /etc/hosts.equiv file", "file.remove /etc/shosts.equiv symlink to hosts.equiv"} {
		if !hasOp(ops, w) {
			t.Errorf("no op %q in\n%s", w, strings.Join(ops, "\n"))
		}
	}
	if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectPermissions, Subject: "/etc/hosts.equiv"}) {
		t.Error("no permissions effect")
	}
	// A directory is not removed.
	ch = fixRoundTrip(t, fileExistsTemplate{}, `{paths: [/etc/hosts.equiv], present: false}`, pkTree(t, map[string]string{"etc/hosts.equiv/x": ""}))
	if ops := opLines(ch); len(ops) != 1 || !strings.HasPrefix(ops[0], "deferred remove /etc/hosts.equiv") {
		t.Errorf("ops %q", ops)
	}
}
