package mounts

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func tree(t *testing.T, live bool, files map[string]string) target.Target {
	t.Helper()
	return targettest.Open(t, live, files)
}

// A Debian installer fstab and a RHEL (anaconda) one.
const debianFstab = `# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
# / was on /dev/vda1 during installation
UUID=3f1c0b6e-1111-4c1e-9a3c-5d2f0e9b7a11 /               ext4    errors=remount-ro 0       1
# swap was on /dev/vda5 during installation
UUID=9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b none            swap    sw              0       0
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
tmpfs /tmp tmpfs defaults,nodev,nosuid 0 0
/tmp /var/tmp none bind,nodev,nosuid,noexec 0 0
LABEL=my\040data /srv/my\040data xfs defaults
`

const rhelFstab = `
#
# /etc/fstab
# Created by anaconda on Tue Jan  9 10:00:00 2024
#
/dev/mapper/rhel-root   /                       xfs     defaults        0 0
UUID=0b4d6c1e-aaaa-bbbb-cccc-1234567890ab /boot                   xfs     defaults        0 0
/dev/mapper/rhel-home   /home                   xfs     defaults,nodev        0 0
/dev/mapper/rhel-swap   none                    swap    defaults        0 0
`

func TestParse(t *testing.T) {
	got := Parse([]byte(debianFstab), "/etc/fstab", "fstab")
	if len(got) != 6 {
		t.Fatalf("%d entries: %+v", len(got), got)
	}
	want := Entry{Spec: "LABEL=my data", Dir: "/srv/my data", Type: "xfs", Options: []string{"defaults"}, File: "/etc/fstab", Line: 11, Origin: "fstab"}
	if !reflect.DeepEqual(got[5], want) {
		t.Errorf("escaped entry %+v", got[5])
	}
	if got[1].Dir != "none" || got[1].Type != "swap" {
		t.Errorf("swap %+v", got[1])
	}
	r := Parse([]byte(rhelFstab), "/etc/fstab", "fstab")
	if len(r) != 4 || r[2].Dir != "/home" || r[2].Line != 8 {
		t.Errorf("rhel %+v", r)
	}
}

func TestHasOption(t *testing.T) {
	tests := []struct {
		opts string
		opt  string
		want bool
	}{
		{"defaults,nodev", "nodev", true},
		{"nodev,defaults", "nodev", false},
		{"nodev,dev", "nodev", false},
		{"rw,nosuid,nodev,noexec,relatime", "noexec", true},
		{"user,noauto", "nosuid", true},
		{"user,exec", "noexec", false},
		{"defaults", "nosuid", false},
		{"ro", "ro", true},
	}
	for _, tt := range tests {
		if got := HasOption(strings.Split(tt.opts, ","), tt.opt); got != tt.want {
			t.Errorf("HasOption(%s, %s) = %v", tt.opts, tt.opt, got)
		}
	}
}

func TestUnitName(t *testing.T) {
	tests := map[string]string{"/tmp": "tmp.mount", "/var/tmp": "var-tmp.mount", "/var/log/audit/": "var-log-audit.mount", "/": "-.mount", "/srv/a-b": `srv-a\x2db.mount`}
	for in, want := range tests {
		if got := UnitName(in); got != want {
			t.Errorf("UnitName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigured(t *testing.T) {
	tg := tree(t, false, map[string]string{
		"etc/fstab":                        debianFstab,
		"usr/lib/systemd/systemd":          "",
		"usr/lib/systemd/system/tmp.mount": "[Unit]\nDescription=Temporary Directory /tmp\n[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev,size=50%%,nr_inodes=1m\n",
		"usr/lib/systemd/system/local-fs.target.wants/tmp.mount": "->../tmp.mount",
		"etc/systemd/system/var-log.mount":                       "[Mount]\nWhat=/dev/vg/log\nWhere=/var/log\nType=ext4\nOptions=nodev,nosuid,noexec\n",
		"etc/systemd/system/local-fs.target.wants/var-log.mount": "->../var-log.mount",
		"etc/systemd/system/home.mount":                          "[Mount]\nWhere=/home\n",
	})
	tb, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir, origin, file string
		ok                bool
	}{
		{"/tmp", "fstab", "/etc/fstab", true}, // fstab outranks the vendor unit
		{"/var/tmp", "fstab", "/etc/fstab", true},
		{"/var/log", "unit", "/etc/systemd/system/var-log.mount", true},
		{"/home", "", "", false}, // unit not enabled
		{"/dev/shm", "builtin", "(systemd built-in API mount)", true},
		{"/var/log/audit", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			e, ok, err := tb.Configured(tt.dir)
			if err != nil || ok != tt.ok || e.Origin != tt.origin || e.File != tt.file {
				t.Errorf("Configured = %+v %v %v", e, ok, err)
			}
		})
	}
	tg2 := tree(t, false, map[string]string{
		"usr/lib/systemd/system/tmp.mount":                       "[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev\n",
		"usr/lib/systemd/system/local-fs.target.wants/tmp.mount": "->../tmp.mount",
	})
	tb2, _ := Collect(context.Background(), tg2)
	if e, ok, _ := tb2.Configured("/tmp"); !ok || !HasOption(e.Options, "nosuid") || HasOption(e.Options, "noexec") {
		t.Errorf("vendor tmp.mount %+v", e)
	}
	tg3 := tree(t, false, map[string]string{
		"usr/lib/systemd/system/tmp.mount":                       "[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\n",
		"usr/lib/systemd/system/local-fs.target.wants/tmp.mount": "->../tmp.mount",
		"etc/systemd/system/tmp.mount":                           "->/dev/null",
	})
	tb3, _ := Collect(context.Background(), tg3)
	if _, ok, _ := tb3.Configured("/tmp"); ok {
		t.Error("masked tmp.mount used")
	}
}

func TestRunning(t *testing.T) {
	tg := tree(t, true, map[string]string{
		"etc/fstab": "tmpfs /tmp tmpfs defaults 0 0\n",
		"proc/self/mounts": "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
			"tmpfs /tmp tmpfs rw,relatime 0 0\n" +
			"tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,relatime,inode64 0 0\n",
	})
	tb, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := tb.RunningEntry("/tmp/")
	if !ok || e.Line != 3 || !HasOption(e.Options, "noexec") || tb.RunningSource != "/proc/self/mounts" {
		t.Errorf("running /tmp %+v", e)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(debianFstab))
	f.Add([]byte(rhelFstab))
	f.Add([]byte("a\\0 b\\1 c d\\777 x y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range Parse(b, "/etc/fstab", "fstab") {
			HasOption(e.Options, "nodev")
			UnitName(e.Dir)
		}
		ParseUnit(b)
	})
}
