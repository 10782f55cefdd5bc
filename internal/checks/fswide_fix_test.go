package checks

import (
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

func TestFSWideFix(t *testing.T) {
	files := map[string]string{
		"etc/passwd":              debPasswd,
		"etc/group":               debGroup,
		"etc/cradle-app/app.conf": "token=shared\n",
		"srv/dropbox/.keep":       "",
		"tmp/.keep":               "",
		"var/lib/app/cache.db":    "",
		"usr/bin/su":              "",
		"usr/bin/passwd":          "",
		"usr/local/bin/rootsh":    "#!/bin/sh\n",
		"usr/bin/wall":            "",
	}
	modes := map[string]os.FileMode{
		"etc/cradle-app/app.conf": 0o666,
		"srv/dropbox":             0o777,
		"tmp":                     0o777 | os.ModeSticky,
		"var/lib/app/cache.db":    0o666,
		"usr/bin/su":              0o755 | os.ModeSetuid,
		"usr/bin/passwd":          0o755 | os.ModeSetuid,
		"usr/local/bin/rootsh":    0o775 | os.ModeSetuid,
		"usr/bin/wall":            0o755 | os.ModeSetgid,
	}
	tests := []struct {
		name, tmpl, args string
		want             []string
		deny             []string
	}{
		{"files", "ww", `{kind: files, exclude: [/var/lib/app/**]}`,
			[]string{"file.chmod /etc/cradle-app/app.conf 0666 -> 0664"}, []string{"cache.db"}},
		{"dirs", "ww", `{kind: dirs_without_sticky}`,
			[]string{"file.chmod /srv/dropbox 0777 -> 1777"}, []string{"/tmp"}},
		{"suid writable", "suid", `{forbid_writable: true}`,
			[]string{"file.chmod /usr/local/bin/rootsh 4775 -> 4755"}, []string{"/usr/bin/su"}},
		{"suid allow-list", "suid", `{allowed: [/usr/bin/su, /usr/bin/passwd]}`,
			[]string{"file.chmod /usr/local/bin/rootsh 4775 -> 0775", "file.chmod /usr/bin/wall 2755 -> 0755"}, []string{"/usr/bin/su"}},
		{"suid both", "suid", `{allowed: [/usr/bin/su, /usr/bin/passwd, /usr/local/bin/*], forbid_writable: true}`,
			[]string{"file.chmod /usr/local/bin/rootsh 4775 -> 4755", "file.chmod /usr/bin/wall 2755 -> 0755"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ch *remedy.Changes
			tg := modeTree(t, files, modes, nil)
			if tt.tmpl == "ww" {
				ch = fixRoundTrip(t, fsWorldWritableTemplate{}, tt.args, tg)
			} else {
				ch = fixRoundTrip(t, fsSUIDTemplate{}, tt.args, tg)
			}
			ops := opLines(ch)
			for _, w := range tt.want {
				if !hasOp(ops, w) {
					t.Errorf("no op %q in\n%s", w, strings.Join(ops, "\n"))
				}
			}
			for _, d := range tt.deny {
				if hasOp(ops, d) {
					t.Errorf("unexpected op %q in\n%s", d, strings.Join(ops, "\n"))
				}
			}
			for _, op := range ch.Ops() {
				if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectPermissions, Subject: op.Path}) {
					t.Errorf("no permissions effect for %s", op.Path)
				}
			}
		})
	}
}
