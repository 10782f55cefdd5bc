package checks

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// fsTree builds a target with accounts and the given modes; owners maps
// paths to uid:gid (applied only when running as root).
func fsTree(t *testing.T, modes map[string]fs.FileMode, owners map[string][2]int) target.Target {
	t.Helper()
	uid, gid := os.Getuid(), os.Getgid()
	tg := kcTree(t, false, map[string]string{
		"etc/passwd": fmt.Sprintf("root:x:0:0::/root:/bin/sh\nme:x:%d:%d::/:/bin/sh\n", uid, gid),
		"etc/group":  fmt.Sprintf("root:x:0:\nme:x:%d:\n", gid),
	})
	root := tg.Name()
	for p, m := range modes {
		full := filepath.Join(root, p)
		if m.IsDir() {
			os.MkdirAll(full, 0o755)
		} else {
			os.MkdirAll(filepath.Dir(full), 0o755)
			os.WriteFile(full, []byte("x"), 0o644)
		}
		if err := os.Chmod(full, m); err != nil {
			t.Fatal(err)
		}
	}
	for p, o := range owners {
		if err := os.Lchown(filepath.Join(root, p), o[0], o[1]); err != nil {
			t.Fatal(err)
		}
	}
	return tg
}

func TestFSWorldWritable(t *testing.T) {
	clean := map[string]fs.FileMode{"tmp": fs.ModeDir | fs.ModeSticky | 0o777, "usr/bin/ls": 0o755}
	dirty := map[string]fs.FileMode{
		"tmp": fs.ModeDir | fs.ModeSticky | 0o777, "srv/data/open": 0o666, "srv/drop": fs.ModeDir | 0o777,
		"var/lib/app/cache": 0o666,
	}
	tests := []struct {
		name   string
		modes  map[string]fs.FileMode
		args   string
		want   result.Status
		files  []string
		substr string
	}{
		{"files clean", clean, `{kind: files}`, result.Pass, nil, "no world-writable regular files"},
		{"files dirty", dirty, `{kind: files}`, result.Fail, []string{"/srv/data/open", "/var/lib/app/cache"}, "file mode 0666"},
		{"files excluded", dirty, `{kind: files, exclude: [/var/lib/app/**, /srv/*/open]}`, result.Pass, nil, "2 excluded"},
		{"dirs clean", clean, `{kind: dirs_without_sticky}`, result.Pass, nil, ""},
		{"dirs dirty", dirty, `{kind: dirs_without_sticky}`, result.Fail, []string{"/srv/drop"}, "directory mode 0777"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := kcEval(t, fsWorldWritableTemplate{}, tc.args, fsTree(t, tc.modes, nil))
			checkFSOutcome(t, o, tc.want, tc.files, tc.substr)
		})
	}
	for _, bad := range []string{`{kind: all}`, `{kind: files, exclude: [relative]}`, `{kind: files, exclude: ["/["]}`, `{kind: files, bogus: 1}`} {
		if err := kcNewErr(fsWorldWritableTemplate{}, bad); err == nil {
			t.Errorf("New(%s) accepted", bad)
		}
	}
}

func checkFSOutcome(t *testing.T, o check.Outcome, want result.Status, files []string, substr string) {
	t.Helper()
	if o.Status != want {
		t.Fatalf("status %s, want %s (%s %+v)", o.Status, want, o.Reason, o.Evidence)
	}
	var got []string
	all := ""
	for _, e := range o.Evidence {
		if e.File != "" {
			got = append(got, e.File)
		}
		all += e.Observed + "\n"
	}
	if strings.Join(got, " ") != strings.Join(files, " ") {
		t.Fatalf("evidence files %v, want %v", got, files)
	}
	if !strings.Contains(all, substr) {
		t.Fatalf("evidence %q lacks %q", all, substr)
	}
}

func TestFSSUID(t *testing.T) {
	modes := map[string]fs.FileMode{
		"usr/bin/su":       fs.ModeSetuid | 0o755,
		"usr/bin/wall":     fs.ModeSetgid | 0o755,
		"usr/local/bin/sh": fs.ModeSetuid | 0o755,
		"opt/tool":         fs.ModeSetuid | 0o775,
	}
	tests := []struct {
		name  string
		args  string
		want  result.Status
		files []string
	}{
		{"allow-list", `{allowed: [/usr/bin/su, /usr/bin/wall]}`, result.Fail, []string{"/opt/tool", "/usr/local/bin/sh"}},
		{"allow-list glob", `{allowed: ["/usr/bin/*", /usr/local/bin/sh, /opt/**]}`, result.Pass, nil},
		{"writable", `{forbid_writable: true}`, result.Fail, []string{"/opt/tool"}},
		{"both", `{allowed: [/usr/bin/su, /usr/bin/wall, /opt/tool], forbid_writable: true}`, result.Fail, []string{"/opt/tool", "/usr/local/bin/sh"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := kcEval(t, fsSUIDTemplate{}, tc.args, fsTree(t, modes, nil))
			if o.Status != tc.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tc.want, o.Reason, o.Evidence)
			}
			var got []string
			for _, e := range o.Evidence {
				if e.File != "" {
					got = append(got, e.File)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.files, " ") {
				t.Fatalf("evidence files %v, want %v", got, tc.files)
			}
		})
	}
	if err := kcNewErr(fsSUIDTemplate{}, `{}`); err == nil {
		t.Error("fs_suid without criteria accepted")
	}
}

func TestFSUnowned(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown to unknown ids")
	}
	modes := map[string]fs.FileMode{"opt/orphan": 0o644, "srv/grp": 0o644, "home/x": fs.ModeDir | 0o755}
	owners := map[string][2]int{"opt/orphan": {4242, 0}, "srv/grp": {0, 4343}, "home/x": {5000, 5000}}
	tests := []struct {
		name  string
		args  string
		want  result.Status
		files []string
	}{
		{"unowned", `{}`, result.Fail, []string{"/home/x", "/opt/orphan", "/srv/grp"}},
		{"excluded", `{exclude: [/home/**, /home/x, /opt/orphan, /srv/grp]}`, result.Pass, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := kcEval(t, fsUnownedTemplate{}, tc.args, fsTree(t, modes, owners))
			if o.Status != tc.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tc.want, o.Reason, o.Evidence)
			}
			var got []string
			for _, e := range o.Evidence {
				if e.File != "" {
					got = append(got, e.File)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.files, " ") {
				t.Fatalf("evidence files %v, want %v", got, tc.files)
			}
		})
	}
	t.Run("no accounts", func(t *testing.T) {
		o := kcEval(t, fsUnownedTemplate{}, `{}`, kcTree(t, false, map[string]string{"usr/bin/x": "x"}))
		if o.Status != result.NotApplicable {
			t.Fatalf("status %s (%s)", o.Status, o.Reason)
		}
	})
}

// TestFSListBounds covers what a walk can leave incomplete: unreadable
// directories (not root) and lists cut at their bound.
func TestFSListBounds(t *testing.T) {
	ww := func(n int) fswalk.List {
		l := fswalk.List{Total: n}
		for i := range min(n, 3) {
			l.Entries = append(l.Entries, fswalk.Entry{Path: fmt.Sprintf("/srv/f%d", i), Mode: 0o666})
		}
		return l
	}
	tests := []struct {
		name   string
		facts  fswalk.Facts
		args   string
		want   result.Status
		reason string
	}{
		{"unreadable and clean", fswalk.Facts{UnreadableTotal: 2, Unreadable: []fswalk.Unreadable{{Path: "/root", Err: "open: permission denied"}}}, `{kind: files}`, result.Error, "run as root"},
		{"unreadable but failing", fswalk.Facts{WorldWritableFiles: ww(1), UnreadableTotal: 1, Unreadable: []fswalk.Unreadable{{Path: "/root", Err: "open: permission denied"}}}, `{kind: files}`, result.Fail, ""},
		{"truncated, kept excluded", fswalk.Facts{WorldWritableFiles: ww(5000)}, `{kind: files, exclude: [/srv/**]}`, result.Error, "cannot be evaluated"},
		{"truncated, kept failing", fswalk.Facts{WorldWritableFiles: ww(5000)}, `{kind: files}`, result.Fail, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := kcTree(t, false, map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.args), &doc); err != nil {
				t.Fatal(err)
			}
			c, err := fsWorldWritableTemplate{}.New(doc.Content[0])
			if err != nil {
				t.Fatal(err)
			}
			store := facts.NewStore(context.Background(), tg)
			f := tc.facts
			facts.Get(store, fswalk.Key, func(context.Context, *facts.Store) (*fswalk.Facts, error) { return &f, nil })
			o := c.Evaluate(context.Background(), store)
			if o.Status != tc.want || !strings.Contains(o.Reason, tc.reason) {
				t.Fatalf("status %s (%s), want %s with %q", o.Status, o.Reason, tc.want, tc.reason)
			}
		})
	}
}
