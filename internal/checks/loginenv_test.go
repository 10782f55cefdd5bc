package checks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const debProfile = `# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH
if [ -d /etc/profile.d ]; then
  for i in /etc/profile.d/*.sh; do
    if [ -r $i ]; then
      . $i
    fi
  done
  unset i
fi
`

func TestShellUmask(t *testing.T) {
	const prof = `{paths: [/etc/profile, /etc/profile.d/*.sh], umask: "027", required: true}`
	runAuthCases(t, shellUmaskTemplate{}, []authCase{
		{"none set", prof, map[string]any{"etc/profile": debProfile}, result.Fail, "no umask set in /etc/profile"},
		{"set at the end", prof, map[string]any{"etc/profile": debProfile + "umask 027\n"}, result.Pass, "umask 027"},
		{"weaker in profile.d", prof, map[string]any{"etc/profile": debProfile + "umask 077\n", "etc/profile.d/x.sh": "[ -n \"$X\" ] && umask 022 # loose\n"}, result.Fail, "File:/etc/profile.d/x.sh Line:1"},
		{"inside a conditional", prof, map[string]any{"etc/profile": "if true; then umask 002; fi\n"}, result.Fail, "umask 002"},
		{"comment and printing ignored", prof, map[string]any{"etc/profile": "# umask 000\numask\numask -S\necho '# umask 000'\numask 0077\n"}, result.Pass, "umask 0077"},
		{"symbolic", prof, map[string]any{"etc/profile": "umask u=rwx,g=rx,o=\n"}, result.Pass, "u=rwx,g=rx,o="},
		{"symbolic too open", prof, map[string]any{"etc/profile": "umask u=rwx,g=rwx,o=rx\n"}, result.Fail, "o=rx"},
		{"symbolic names no group", prof, map[string]any{"etc/profile": "umask o=\n"}, result.Error, "classes it does not name keep the inherited umask"},
		{"symbolic names only user", prof, map[string]any{"etc/profile": "umask u=rwx\n"}, result.Error, "umask u=rwx at /etc/profile:1"},
		{"symbolic partial too open", prof, map[string]any{"etc/profile": "umask o=rx\n"}, result.Fail, "o=rx"},
		{"symbolic partial names what 027 needs", prof, map[string]any{"etc/profile": "umask g=rx,o=\n"}, result.Pass, "g=rx,o="},
		{"symbolic all", prof, map[string]any{"etc/profile": "umask o=rwx,a=rx\n"}, result.Fail, "a=rx"},
		{"symbolic partial beside a failing one", prof, map[string]any{"etc/profile": "umask o=\numask 002\n"}, result.Fail, "umask 002"},
		{"not required", `{paths: [/etc/bash.bashrc], umask: "027"}`, map[string]any{"etc/bash.bashrc": "PS1='$ '\n"}, result.Pass, "no umask set"},
		{"no files", prof, map[string]any{"etc/hostname": "x\n"}, result.NotApplicable, "none of"},
	})
	runArgErrors(t, shellUmaskTemplate{}, []string{`{paths: [/etc/profile], umask: "99"}`, `{umask: "027"}`})
}

func TestShellUmaskFix(t *testing.T) {
	const prof = `{paths: [/etc/profile, /etc/profile.d/*.sh], umask: "027", required: true}`
	ch := fixRoundTrip(t, shellUmaskTemplate{}, prof, targettest.Tree(t, map[string]string{"etc/profile": debProfile}))
	if got := planned(t, ch, "etc/profile"); !strings.HasSuffix(got, "unset i\nfi\numask 027\n") {
		t.Errorf("planned /etc/profile:\n%s", got)
	}
	ch = fixRoundTrip(t, shellUmaskTemplate{}, prof, targettest.Tree(t, map[string]string{"etc/profile": debProfile + "umask 027\n", "etc/profile.d/x.sh": "  umask 002  # group\n"}))
	if got := planned(t, ch, "etc/profile.d/x.sh"); got != "  umask 027  # group\n" {
		t.Errorf("planned x.sh %q", got)
	}
	// A symbolic umask that leaves group to the inherited umask is not
	// rewritten: cradle does not know the value to keep.
	tg := targettest.Tree(t, map[string]string{"etc/profile": debProfile + "umask o=\n"})
	ops := planFix(t, newCheck(t, shellUmaskTemplate{}, prof), tg).Ops()
	if len(ops) != 1 || !ops[0].Deferred() || !strings.Contains(ops[0].Reason, "inherited umask") {
		t.Errorf("ops %+v", ops)
	}
}

func TestRootPath(t *testing.T) {
	runAuthCases(t, rootPathTemplate{}, []authCase{
		{"Debian", `{check: entries}`, map[string]any{"etc/profile": debProfile, "etc/login.defs": "ENV_SUPATH\tPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"}, result.Pass, "File:/etc/login.defs"},
		{"dot in root's profile", `{check: entries}`, map[string]any{"etc/profile": debProfile, "root/.profile": "export PATH=$PATH:.\n"}, result.Fail, `"." is the current directory`},
		{"empty entry in environment", `{check: entries}`, map[string]any{"etc/environment": "PATH=\"/usr/bin::/bin\"\n"}, result.Fail, "an empty entry"},
		{"relative in ENV_SUPATH", `{check: entries}`, map[string]any{"etc/login.defs": "ENV_SUPATH PATH=bin:/usr/bin\n"}, result.Fail, "a relative directory"},
		{"trailing colon in bashrc", `{check: entries}`, map[string]any{"root/.bashrc": "PATH=\"/root/bin:${PATH}:\"\n"}, result.Fail, "an empty entry"},
		{"nothing set", `{check: entries}`, map[string]any{"etc/hostname": "x\n"}, result.NotApplicable, "no PATH set"},
	})
	runArgErrors(t, rootPathTemplate{}, []string{`{check: all}`})
}

func TestRootPathDirs(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"usr/bin", "usr/local/bin", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/profile"), []byte("PATH=/usr/local/bin:/usr/bin:/nonexistent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "usr/local/bin"), 0o775); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := newCheck(t, rootPathTemplate{}, `{check: dirs}`)
	ctx := context.Background()
	o := c.Evaluate(ctx, facts.NewStore(ctx, tg))
	if o.Status != result.Fail || !strings.Contains(o.Evidence[0].Observed, "/usr/local/bin is mode 0775") {
		t.Fatalf("%s %+v", o.Status, o.Evidence)
	}
	ch := fixRoundTrip(t, rootPathTemplate{}, `{check: dirs}`, tg)
	fi, err := ch.Stat("usr/local/bin")
	if err != nil || fi.Mode.Perm() != 0o755 {
		t.Errorf("planned mode %v (%v), want 0755", fi.Mode, err)
	}
}

func TestRootPathFix(t *testing.T) {
	ch := fixRoundTrip(t, rootPathTemplate{}, `{check: entries}`, targettest.Tree(t, map[string]string{"root/.profile": "export PATH=\".:$PATH::/opt/bin\"\n"}))
	if got := planned(t, ch, "root/.profile"); got != "export PATH=\"$PATH:/opt/bin\"\n" {
		t.Errorf("planned %q", got)
	}
}

func FuzzShellLine(f *testing.F) {
	f.Add("if [ x ]; then umask 027; fi # c")
	f.Add(`export PATH="/a:$PATH" 'x#y' \"`)
	f.Add("umask u=rwx,g=rx,a=")
	f.Fuzz(func(t *testing.T, line string) {
		for _, w := range shellCommands(stripShellComment(line)) {
			if len(w) == 0 {
				t.Fatal("empty command")
			}
			_ = unquoteShell(w[0])
			if len(w) > 1 {
				if v, k, ok := parseUmask(w[1]); ok && (v > 0o777 || v&^k != 0) {
					t.Fatalf("umask %q = %o", w[1], v)
				}
			}
		}
	})
}

func TestShellTimeout(t *testing.T) {
	const args = `{paths: [/etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc], max: 900}`
	runAuthCases(t, shellTimeoutTemplate{}, []authCase{
		{"not set", args, map[string]any{"etc/profile": debProfile}, result.Fail, "TMOUT not set"},
		{"declare in profile.d", args, map[string]any{"etc/profile": debProfile, "etc/profile.d/tmout.sh": "declare -xr TMOUT=600\n"}, result.Pass, "TMOUT=600"},
		{"readonly quoted", args, map[string]any{"etc/profile": "readonly TMOUT=\"900\"; export TMOUT\n"}, result.Pass, "TMOUT=900"},
		{"too long elsewhere", args, map[string]any{"etc/profile": "TMOUT=600\n", "etc/bash.bashrc": "TMOUT=0\n"}, result.Fail, "File:/etc/bash.bashrc Line:1"},
		{"no files", args, map[string]any{"etc/hostname": "x\n"}, result.NotApplicable, "none of"},
	})
	runArgErrors(t, shellTimeoutTemplate{}, []string{`{paths: [/etc/profile]}`, `{max: 900}`, `{paths: [/etc/profile], max: 0}`})
	ch := fixRoundTrip(t, shellTimeoutTemplate{}, args, targettest.Tree(t, map[string]string{"etc/profile": debProfile}))
	if got := planned(t, ch, "etc/profile.d/cradle-tmout.sh"); !strings.Contains(got, "TMOUT=900\nreadonly TMOUT\nexport TMOUT\n") {
		t.Errorf("planned drop-in %q", got)
	}
	ch = fixRoundTrip(t, shellTimeoutTemplate{}, args, targettest.Tree(t, map[string]string{"etc/profile": "export TMOUT=3600 # one hour\n"}))
	if got := planned(t, ch, "etc/profile"); got != "export TMOUT=900 # one hour\n" {
		t.Errorf("planned %q", got)
	}
}

// TestRootPathDirsFix checks that the dirs fix changes only root-owned,
// non-sticky system command directories and defers every other one.
func TestRootPathDirsFix(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create root- and user-owned directories")
	}
	tests := []struct {
		name     string
		entry    string
		setup    func(t *testing.T, root string)
		chmod    string // path chmodded to 0755, "" none
		deferred string
	}{
		{"system directory", "/usr/local/bin", func(t *testing.T, r string) { mkdirMode(t, r+"/usr/local/bin", 0o777, 0) }, "/usr/local/bin", ""},
		{"merged /usr link", "/bin", func(t *testing.T, r string) {
			mkdirMode(t, r+"/usr/bin", 0o775, 0)
			symlink(t, "usr/bin", r+"/bin")
		}, "/usr/bin", ""},
		{"/tmp", "/tmp", func(t *testing.T, r string) { mkdirMode(t, r+"/tmp", 0o777|os.ModeSticky, 0) }, "", "/tmp is not a system command directory"},
		{"shared team directory", "/srv/team/bin", func(t *testing.T, r string) { mkdirMode(t, r+"/srv/team/bin", 0o775|os.ModeSetgid, 0) }, "", "not a system command directory"},
		{"sticky system directory", "/usr/local/sbin", func(t *testing.T, r string) { mkdirMode(t, r+"/usr/local/sbin", 0o777|os.ModeSticky, 0) }, "", "sticky"},
		{"user's system directory", "/usr/games", func(t *testing.T, r string) { mkdirMode(t, r+"/usr/games", 0o775, 1000) }, "", "owned by uid 1000"},
		{"link out of the list", "/usr/local/bin", func(t *testing.T, r string) {
			mkdirMode(t, r+"/tmp", 0o777|os.ModeSticky, 0)
			if err := os.MkdirAll(r+"/usr/local", 0o755); err != nil {
				t.Fatal(err)
			}
			symlink(t, "/tmp", r+"/usr/local/bin")
		}, "", "/tmp is not a system command directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := targettest.Dir(t, map[string]string{"root/.profile": "PATH=" + tt.entry + ":/nonexistent\n"})
			tt.setup(t, dir)
			ch := fixRoundTrip(t, rootPathTemplate{}, `{check: dirs}`, openDir(t, dir))
			var chmod, deferred []string
			for _, op := range ch.Ops() {
				switch op.Kind {
				case remedy.KindChmod:
					chmod = append(chmod, op.Path+" "+op.To)
				case remedy.KindDeferred:
					deferred = append(deferred, op.Summary+": "+op.Reason)
				}
			}
			if tt.chmod != "" && (len(chmod) != 1 || chmod[0] != tt.chmod+" 0755") {
				t.Errorf("chmod %q, want %s 0755", chmod, tt.chmod)
			}
			if tt.deferred != "" {
				want := "remove " + tt.entry + " from root's PATH in /root/.profile:1"
				if len(chmod) != 0 || len(deferred) != 1 || !strings.Contains(deferred[0], want) || !strings.Contains(deferred[0], tt.deferred) {
					t.Errorf("chmod %q, deferred %q, want %q and %q", chmod, deferred, want, tt.deferred)
				}
			}
		})
	}
}

func mkdirMode(t *testing.T, p string, mode os.FileMode, uid int) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, 0); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, dest, p string) {
	t.Helper()
	if err := os.Symlink(dest, p); err != nil {
		t.Fatal(err)
	}
}
