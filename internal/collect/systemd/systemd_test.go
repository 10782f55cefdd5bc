package systemd

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

const bookworm = "/var/cache/cradle-fixtures/rootfs-bookworm"

// tree builds a small usrmerged systemd layout.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"usr/lib/systemd/systemd":                         "",
		"usr/lib/systemd/system/ssh.service":              "[Unit]\nDescription=ssh\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n",
		"usr/lib/systemd/system/rpcbind.service":          "[Service]\nExecStart=/sbin/rpcbind\n[Install]\nWantedBy=multi-user.target\n",
		"usr/lib/systemd/system/rpcbind.socket":           "[Socket]\n[Install]\nWantedBy=sockets.target\n",
		"usr/lib/systemd/system/debug-shell.service":      "[Service]\n[Install]\nWantedBy=sysinit.target\n",
		"usr/lib/systemd/system/getty@.service":           "[Service]\n[Install]\nWantedBy=getty.target\n",
		"usr/lib/systemd/system/systemd-journald.service": "[Service]\n# no install section\n",
		"usr/lib/systemd/system/reboot.target":            "[Unit]\n",
		"usr/lib/systemd/system/multi-user.target":        "[Unit]\n",
		"usr/lib/systemd/system/empty.service":            "",
		"etc/init.d/legacy":                               "#!/bin/sh\n",
	}
	for p, c := range files {
		must(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644))
	}
	links := map[string]string{
		"lib": "usr/lib",
		"etc/systemd/system/multi-user.target.wants/ssh.service":   "/lib/systemd/system/ssh.service",
		"etc/systemd/system/sshd.service":                          "/lib/systemd/system/ssh.service",
		"etc/systemd/system/sockets.target.wants/rpcbind.socket":   "/lib/systemd/system/rpcbind.socket",
		"etc/systemd/system/getty.target.wants/getty@tty1.service": "/lib/systemd/system/getty@.service",
		"etc/systemd/system/debug-shell.service":                   "/dev/null",
		"usr/lib/systemd/system/ctrl-alt-del.target":               "reboot.target",
		"usr/lib/systemd/system/default.target":                    "graphical.target",
		"etc/systemd/system/default.target":                        "/lib/systemd/system/multi-user.target",
		"etc/rc2.d/S01legacy":                                      "../init.d/legacy",
	}
	for p, l := range links {
		must(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(t, os.Symlink(l, filepath.Join(dir, p)))
	}
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func collect(t *testing.T, dir string) *Config {
	t.Helper()
	tg, err := target.OpenRootFS(dir)
	must(t, err)
	t.Cleanup(func() { tg.Close() })
	c, err := Collect(context.Background(), tg)
	must(t, err)
	return c
}

func TestState(t *testing.T) {
	c := collect(t, tree(t))
	if c.Init != Systemd || c.DefaultTarget != "multi-user.target" || c.DefaultTargetFile != "/etc/systemd/system/default.target" {
		t.Fatalf("init %q default %q from %q", c.Init, c.DefaultTarget, c.DefaultTargetFile)
	}
	if len(c.Dirs) != 2 {
		t.Errorf("dirs %v: /lib should be deduplicated", c.Dirs)
	}
	tests := []struct{ name, state, unit string }{
		{"ssh.service", Enabled, "ssh.service"},
		{"sshd.service", Enabled, "ssh.service"},
		{"rpcbind.service", Disabled, "rpcbind.service"},
		{"rpcbind.socket", Enabled, "rpcbind.socket"},
		{"debug-shell.service", Masked, "debug-shell.service"},
		{"getty@tty1.service", Enabled, "getty@tty1.service"},
		{"getty@ttyS0.service", Disabled, "getty@ttyS0.service"},
		{"getty@.service", Enabled, "getty@.service"},
		{"systemd-journald.service", Static, "systemd-journald.service"},
		{"ctrl-alt-del.target", Static, "reboot.target"},
		{"empty.service", Masked, "empty.service"},
		{"telnet.socket", Absent, "telnet.socket"},
		{"legacy.service", Enabled, "legacy.service"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := c.State(tc.name)
			must(t, err)
			if s.State != tc.state || s.Unit != tc.unit {
				t.Errorf("got %+v, want %s (%s)", s, tc.state, tc.unit)
			}
		})
	}
}

func TestOpenRC(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "etc/runlevels/default"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "etc/init.d"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "etc/init.d/sshd"), nil, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "etc/init.d/chronyd"), nil, 0o755))
	must(t, os.Symlink("/etc/init.d/sshd", filepath.Join(dir, "etc/runlevels/default/sshd")))
	c := collect(t, dir)
	for name, want := range map[string]string{"sshd.service": Enabled, "chronyd": Disabled, "crond": Absent} {
		s, _ := c.State(name)
		if s.State != want {
			t.Errorf("%s: %+v, want %s", name, s, want)
		}
	}
}

func TestBookworm(t *testing.T) {
	if _, err := os.Stat(bookworm); err != nil {
		t.Skip("fixture rootfs not built")
	}
	c := collect(t, bookworm)
	tests := map[string]string{
		"ssh.service":         Enabled,
		"sshd.service":        Enabled,
		"cron.service":        Enabled,
		"debug-shell.service": Disabled,
		"sudo.service":        Masked,
		"apt-daily.timer":     Enabled,
		"syslog.service":      Enabled,
		"rpcbind.service":     Absent,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := c.State(name)
			must(t, err)
			if s.State != want {
				t.Errorf("got %+v, want %s", s, want)
			}
		})
	}
	if c.DefaultTarget != "graphical.target" {
		t.Errorf("default target %q", c.DefaultTarget)
	}
}

func FuzzHasInstallSection(f *testing.F) {
	f.Add([]byte("[Unit]\n[Install]\nWantedBy=multi-user.target\n"))
	f.Fuzz(func(t *testing.T, b []byte) { HasInstallSection(b) })
}

func TestGeneratorAndRuntime(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"usr/lib/systemd/systemd":                      "",
		"run/systemd/generator/legacy.service":         "[Service]\nExecStart=/etc/init.d/legacy start\n",
		"usr/lib/systemd/system/kdump.service":         "[Service]\n[Install]\nWantedBy=multi-user.target\n",
		"usr/lib/systemd/system/vendor-wanted.service": "[Service]\n",
	}
	for p, c := range files {
		must(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644))
	}
	links := map[string]string{
		"run/systemd/generator/multi-user.target.wants/legacy.service":         "../legacy.service",
		"run/systemd/system/kdump.service":                                     "/dev/null",
		"usr/lib/systemd/system/multi-user.target.wants/vendor-wanted.service": "../vendor-wanted.service",
	}
	for p, l := range links {
		must(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
		must(t, os.Symlink(l, filepath.Join(dir, p)))
	}
	c := collect(t, dir)
	for name, want := range map[string]string{"legacy.service": Enabled, "kdump.service": Masked, "vendor-wanted.service": Enabled} {
		s, err := c.State(name)
		must(t, err)
		if s.State != want {
			t.Errorf("%s: %+v, want %s", name, s, want)
		}
		if name == "vendor-wanted.service" && (len(s.EnabledBy) == 0 || !s.EnabledBy[0].Vendor) {
			t.Errorf("%s: vendor link not marked: %+v", name, s)
		}
	}
}
