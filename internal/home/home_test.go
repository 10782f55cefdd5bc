package home

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX layout")
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name string
		env  map[string]string
		uid  int
		want string
		err  bool
	}{
		{"explicit", map[string]string{"CRADLE_HOME": "/srv/cradle/"}, 1000, "/srv/cradle", false},
		{"relative rejected", map[string]string{"CRADLE_HOME": "state"}, 0, "", true},
		{"root", map[string]string{"HOME": "/root"}, 0, "/var/lib/cradle", false},
		{"xdg", map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/a"}, 1000, "/x/state/cradle", false},
		{"home", map[string]string{"HOME": "/home/a"}, 1000, "/home/a/.local/state/cradle", false},
		{"nothing", map[string]string{}, 1000, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Dir(env(tc.env), tc.uid)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("Dir = %q, %v; want %q (err %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestEnsureRefusesForeignOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 4321, 4321); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(dir); err == nil || !strings.Contains(err.Error(), "belongs to uid 4321") {
		t.Fatalf("Ensure = %v", err)
	}
}

// Every directory below the state directory is checked, not just the top.
func TestEnsureChecksEveryDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"clean", func(t *testing.T, dir string) {}, ""},
		{"logs world-writable", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "logs"), 0o777) }, "logs is writable by group or others"},
		{"run directory group-writable", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "runs", "host-1", "r1"), 0o770)
		}, "r1 is writable"},
		{"runs redirected by a symlink", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "runs"), filepath.Join(dir, "elsewhere"))
			os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "runs"))
		}, "symlink"},
		{"snapshot directory owned by another user", func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("chown needs root")
			}
			os.Chown(filepath.Join(dir, "snapshots", "host-1"), 4321, 4321)
		}, "belongs to uid 4321"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			for _, d := range []string{"keys", "logs", "runs/host-1/r1/blobs", "snapshots/host-1"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			os.WriteFile(filepath.Join(dir, "logs", "host.jsonl"), nil, 0o644) // files are not directories
			tc.setup(t, dir)
			err := Ensure(dir)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Ensure = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLayout(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX layout")
	}
	h, err := Resolve(func(k string) string { return map[string]string{"CRADLE_HOME": "/s"}[k] }, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// State already on disk is found by these paths: they must not change.
	for got, want := range map[string]string{
		h.Keys(): "/s/keys", h.Logs(): "/s/logs", h.Runs("k"): "/s/runs/k", h.Snapshots("k"): "/s/snapshots/k",
		h.Waivers("k"): "/s/waivers/k.json", h.Policy(): "/s/change-policy.yaml", h.FIM("k"): "/s/fim/k.db",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
