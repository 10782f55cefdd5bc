package checks

import (
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const (
	debPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/bin/bash
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
toor:x:0:0:root alias:/root:/bin/bash
legacy::1003:1003::/home/legacy:/usr/sbin/nologin
`
	debShadow = `root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
bin:$6$salt$hashhashhash:19000:0:99999:7:::
sync:*:19000:0:99999:7:::
# a comment line
alice:$y$j9T$salt$hash:19500:0:99999:7:::
toor::19000:0:99999:7:::
`
	rhelPasswd = `root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/bin/sh
alice:x:1000:1000::/home/alice:/bin/bash
`
	rhelShadow = `root:!!:19000:0:99999:7:::
bin:*:19000:0:99999:7:::
adm:!!:19000:0:99999:7:::
alice:$6$salt$hash:19500:0:99999:7
`
)

func TestAccountPropertyFix(t *testing.T) {
	deb := map[string]string{"etc/passwd": debPasswd, "etc/shadow": debShadow, "etc/group": "root:x:0:\n", "usr/sbin/nologin": "",
		"etc/login.defs": "UID_MIN 1000\n"}
	rhel := map[string]string{"etc/passwd": rhelPasswd, "etc/shadow": rhelShadow, "etc/group": "root:x:0:\n", "usr/sbin/nologin": ""}
	tests := []struct {
		name, args string
		files      map[string]string
		file       string
		want, not  []string
		deferred   bool
	}{
		{"max days", `{property: password_max_days, value: 365}`, deb, "etc/shadow",
			[]string{"alice:$y$j9T$salt$hash:19500:0:365:7:::\n", "bin:$6$salt$hashhashhash:19000:0:365:7:::\n", "root:*:19000:0:99999:7:::\n", "# a comment line\n"}, nil, false},
		{"inactive pads short entries", `{property: password_inactive, value: 45}`, rhel, "etc/shadow",
			[]string{"alice:$6$salt$hash:19500:0:99999:7:45::\n", "root:!!:19000:0:99999:7:::\n"}, nil, false},
		{"warn days", `{property: password_warn_days, value: 14}`, deb, "etc/shadow",
			[]string{"alice:$y$j9T$salt$hash:19500:0:99999:14:::\n"}, nil, false},
		{"nologin Debian", `{property: system_accounts_nologin, exempt: [sync]}`, deb, "etc/passwd",
			[]string{"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n", "sync:x:4:65534:sync:/bin:/bin/sync\n", "root:x:0:0:root:/root:/bin/bash\n"}, nil, false},
		{"nologin RHEL", `{property: system_accounts_nologin}`, rhel, "etc/passwd",
			[]string{"adm:x:3:4:adm:/var/adm:/usr/sbin/nologin\n"}, nil, false},
		{"locked system accounts", `{property: system_accounts_locked}`, deb, "etc/shadow",
			[]string{"bin:!$6$salt$hashhashhash:19000:", "daemon:*:"}, nil, false},
		{"empty passwords locked in shadow and passwd", `{property: no_empty_passwords}`, deb, "etc/shadow",
			[]string{"toor:!:19000:"}, nil, false},
		{"root gid", `{property: root_gid0}`, map[string]string{"etc/passwd": "root:x:0:1:root:/root:/bin/bash\n"}, "etc/passwd",
			[]string{"root:x:0:0:root:/root:/bin/bash\n"}, nil, false},
		{"root's empty password is deferred", `{property: no_empty_passwords}`,
			map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "etc/shadow": "root::19000:0:99999:7:::\n"}, "etc/shadow",
			[]string{"root::19000"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, accountPropertyTemplate{}, tt.args, targettest.Tree(t, tt.files))
			got := planned(t, ch, tt.file)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("planned %s lacks %q:\n%s", tt.file, w, got)
				}
			}
			deferred := false
			for _, op := range ch.Ops() {
				deferred = deferred || op.Deferred()
				if !op.Deferred() && len(op.Effects) == 0 {
					t.Errorf("op %s %s has no effect", op.Kind, op.Path)
				}
			}
			if deferred != tt.deferred {
				t.Errorf("deferred %v, want %v", deferred, tt.deferred)
			}
		})
	}
	t.Run("empty passwd field", func(t *testing.T) {
		ch := fixRoundTrip(t, accountPropertyTemplate{}, `{property: no_empty_passwords}`, targettest.Tree(t, deb))
		if got := planned(t, ch, "etc/passwd"); !strings.Contains(got, "legacy:!:1003:") {
			t.Errorf("passwd:\n%s", got)
		}
		for _, op := range ch.Ops() {
			if op.Kind == remedy.KindWrite && (strings.Contains(op.Diff, "\n-root:") || strings.Contains(op.Diff, "\n+root:")) {
				t.Errorf("diff touches root:\n%s", op.Diff)
			}
		}
	})
}

// Rewriting /etc/shadow keeps its mode (and, being a write of an existing
// file, its owner).
func TestAccountPropertyFixKeepsShadowMode(t *testing.T) {
	tg := modeTree(t, map[string]string{"etc/passwd": debPasswd, "etc/shadow": debShadow}, map[string]os.FileMode{"etc/shadow": 0o640}, nil)
	ch := fixRoundTrip(t, accountPropertyTemplate{}, `{property: password_min_days, value: 1}`, tg)
	fin := ch.Final()
	if len(fin) != 1 || fin[0].Path != "etc/shadow" || fin[0].ModeSet || fin[0].OwnerSet {
		t.Fatalf("final %+v", fin)
	}
	if fi, _ := ch.Overlay().Stat("etc/shadow"); fi.Mode.Perm() != 0o640 {
		t.Fatalf("mode %v", fi.Mode)
	}
	diff := ch.Ops()[0].Diff
	if strings.Count(diff, "\n-") != 2 || strings.Contains(diff, "-root") {
		t.Fatalf("diff:\n%s", diff)
	}
}

func TestAccountPropertyFixHomeDirs(t *testing.T) {
	dir := targettest.Dir(t, map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:0:0::/home/alice:/bin/bash\n", "home/alice/.profile": "", "root/.profile": ""})
	if err := os.Chmod(dir+"/home/alice", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir+"/root", 0o700); err != nil {
		t.Fatal(err)
	}
	tg := openDir(t, dir)
	ch := fixRoundTrip(t, accountPropertyTemplate{}, `{property: home_dirs}`, tg)
	var chmod, deferred int
	for _, op := range ch.Ops() {
		switch op.Kind {
		case remedy.KindChmod:
			chmod++
			if op.Path != "/home/alice" || op.To != "0750" {
				t.Errorf("chmod %+v", op)
			}
		case remedy.KindDeferred:
			deferred++
		}
	}
	if chmod != 1 || deferred != 0 {
		t.Fatalf("ops %+v", ch.Ops())
	}
	// A missing home directory is created empty, private and owned by
	// the account (its missing parent root-owned).
	tg = targettest.Tree(t, map[string]string{"etc/passwd": "bob:x:1001:1001::/home/bob:/bin/bash\n"})
	ch = fixRoundTrip(t, accountPropertyTemplate{}, `{property: home_dirs}`, tg)
	ops := ch.Ops()
	if len(ops) != 2 || ops[1].Kind != remedy.KindMkdir || ops[1].Path != "/home/bob" || ops[1].To != "0750 1001:1001" {
		t.Fatalf("ops %+v", ops)
	}
}
