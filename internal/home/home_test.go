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
		h.Waivers("k"): "/s/waivers/k.json", h.Policy(): "/s/change-policy.yaml",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
