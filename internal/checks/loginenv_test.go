package checks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
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
				if v, ok := parseUmask(w[1]); ok && v > 0o777 {
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

func TestShellFilesCap(t *testing.T) {
	for _, tt := range []struct {
		n, read int
		note    string
	}{
		{3, 3, ""},
		{maxShellFiles, maxShellFiles, ""},
		{maxShellFiles + 44, maxShellFiles, "/etc/profile.d/*.sh: only the first 256 of 300 files read"},
	} {
		files := map[string]string{}
		for i := range tt.n {
			files[fmt.Sprintf("etc/profile.d/%04d.sh", i)] = "umask 022\n"
		}
		lines := 0
		read, notes, err := shellFiles(targettest.Tree(t, files), []string{"/etc/profile.d/*.sh"}, func(string, int, string) { lines++ })
		if err != nil {
			t.Fatal(err)
		}
		if len(read) != tt.read || lines != tt.read || strings.Join(notes, ";") != tt.note {
			t.Errorf("%d files: read %d (%d lines), notes %q; want %d, %q", tt.n, len(read), lines, notes, tt.read, tt.note)
		}
	}
	files := map[string]string{"etc/profile": "umask 027\n"}
	for i := range maxShellFiles + 1 {
		files[fmt.Sprintf("etc/profile.d/%04d.sh", i)] = ""
	}
	o := kcEval(t, shellUmaskTemplate{}, `{paths: [/etc/profile, /etc/profile.d/*.sh], umask: "027"}`, targettest.Tree(t, files))
	if o.Status != result.Pass || !strings.Contains(fmt.Sprint(o.Evidence), "only the first 256 of 257 files read") {
		t.Errorf("umask with a capped glob: %s %+v", o.Status, o.Evidence)
	}
}
