package checks

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

func TestFSSystemPaths(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to set owners")
	}
	modes := map[string]fs.FileMode{
		"usr/bin/ls":          0o755,
		"usr/bin/chage":       fs.ModeSetgid | 0o755,
		"usr/local/bin/tool":  0o775,
		"usr/lib/x/lib.so":    0o644,
		"usr/lib/x":           fs.ModeDir | 0o755,
		"usr/lib/open":        fs.ModeDir | 0o777,
		"usr/sbin/daemon":     0o755,
		"srv/app/bin/run":     0o777,
		"usr/local/sbin/mine": 0o755,
	}
	owners := map[string][2]int{"usr/bin/chage": {0, 42}, "usr/sbin/daemon": {0, 1000}, "usr/local/sbin/mine": {1000, 0}, "usr/lib/x": {1000, 1000}}
	bins := `[/bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin]`
	tests := []struct {
		name, args string
		status     result.Status
		files      []string
	}{
		{"binaries writable", `{dirs: ` + bins + `, type: files, property: writable}`, result.Fail, []string{"/usr/local/bin/tool"}},
		{"binaries owned", `{dirs: ` + bins + `, type: files, property: ownership}`, result.Fail, []string{"/usr/local/sbin/mine", "/usr/sbin/daemon"}},
		{"library dirs writable", `{dirs: [/usr/lib], type: dirs, property: writable}`, result.Fail, []string{"/usr/lib/open"}},
		{"library dirs owned", `{dirs: [/usr/lib], type: dirs, property: ownership}`, result.Fail, []string{"/usr/lib/x"}},
		{"library files", `{dirs: [/lib, /usr/lib], type: files, property: writable}`, result.Pass, nil},
		{"binary dirs", `{dirs: ` + bins + `, type: dirs, property: ownership}`, result.Pass, nil},
		{"excluded", `{dirs: ` + bins + `, type: files, property: writable, exclude: [/usr/local/**]}`, result.Pass, nil},
		{"owner by uid", `{dirs: [/usr/local/sbin], type: files, property: ownership, owner: [root, "1000"]}`, result.Pass, nil},
		{"higher system gid bound", `{dirs: [/usr/sbin], type: files, property: ownership, max_system_gid: 1000}`, result.Pass, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, fsSystemPathsTemplate{}, tt.args, fsTree(t, modes, owners))
			if o.Status != tt.status {
				t.Fatalf("status %s, want %s: %s %+v", o.Status, tt.status, o.Reason, o.Evidence)
			}
			var files []string
			for _, e := range o.Evidence {
				if e.File != "" {
					files = append(files, e.File)
				}
			}
			if strings.Join(files, " ") != strings.Join(tt.files, " ") {
				t.Errorf("files %v, want %v", files, tt.files)
			}
		})
	}
}

func TestFSSystemPathsArgs(t *testing.T) {
	for _, args := range []string{`{}`, `{dirs: [/etc], type: files, property: writable}`, `{dirs: [/usr/bin], type: links, property: writable}`,
		`{dirs: [/usr/bin], type: files, property: mode}`, `{dirs: [/usr/bin], type: files, property: writable, owner: [root]}`} {
		if err := kcNewErr(fsSystemPathsTemplate{}, args); err == nil {
			t.Errorf("New(%s) accepted", args)
		}
	}
}

func TestFSSystemPathsFix(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to set owners")
	}
	tg := fsTree(t, map[string]fs.FileMode{"usr/local/bin/tool": 0o775, "usr/local/bin/sg": fs.ModeSetgid | 0o755, "usr/bin/ls": 0o755},
		map[string][2]int{"usr/local/bin/tool": {1000, 1000}, "usr/local/bin/sg": {1000, 0}})
	// chown cleared the setgid bit fsTree set first.
	if err := os.Chmod(filepath.Join(tg.Name(), "usr/local/bin/sg"), fs.ModeSetgid|0o755); err != nil {
		t.Fatal(err)
	}
	ch := fixRoundTrip(t, fsSystemPathsTemplate{}, `{dirs: [/usr/local/bin], type: files, property: writable}`, tg)
	if len(ch.Ops()) != 1 || !strings.Contains(ch.Ops()[0].Summary, "remove group and other write permission from /usr/local/bin/tool") {
		t.Errorf("writable fix: %+v", ch.Ops())
	}
	ch = planFix(t, newCheck(t, fsSystemPathsTemplate{}, `{dirs: [/usr/local/bin], type: files, property: ownership}`), tg)
	var sums []string
	for _, op := range ch.Ops() {
		sums = append(sums, string(op.Kind)+": "+op.Summary)
	}
	got := strings.Join(sums, "\n")
	if !strings.Contains(got, "set owner root and group root of /usr/local/bin/tool") || !strings.Contains(got, "change the ownership of /usr/local/bin/sg") {
		t.Errorf("ownership fix:\n%s", got)
	}
}
