package checks

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const fxDebianFstab = `# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=3f1c0b6e-1111-4c1e-9a3c-5d2f0e9b7a11 /               ext4    errors=remount-ro 0       1
UUID=0b1d-22aa  /boot/efi       vfat    umask=0077      0       1
/dev/mapper/vg0-home /home      ext4    defaults        0       2
tmpfs           /tmp            tmpfs   defaults,nodev,nosuid,noexec,dev,suid,exec 0 0
/tmp            /var/tmp        none    bind            0       0
`

const fxRHELFstab = `
#
# /etc/fstab
# Created by anaconda on Tue Apr 30 10:00:00 2024
#
/dev/mapper/rhel-root   /                       xfs     defaults        0 0
UUID=9a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b /boot                   xfs     defaults        0 0
/dev/mapper/rhel-home   /home                   xfs     defaults        0 0
/dev/mapper/rhel-swap   none                    swap    defaults        0 0
`

func TestMountOptionFix(t *testing.T) {
	deb := map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n", "etc/fstab": fxDebianFstab}
	rhel := map[string]string{"etc/os-release": "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n", "etc/fstab": fxRHELFstab}
	tmpMount := "[Unit]\nDescription=Temporary Directory /tmp\n\n[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev,size=50%%,nr_inodes=1m\n"
	tests := []struct {
		name  string
		files map[string]string
		args  string
		file  string
		want  string
	}{
		{"negations removed", deb, `{mountpoint: /tmp, options: [nodev, nosuid, noexec]}`, "etc/fstab",
			"tmpfs           /tmp            tmpfs   defaults,nodev,nosuid,noexec 0 0\n"},
		{"bind mount", deb, `{mountpoint: /var/tmp, options: [nodev]}`, "etc/fstab",
			"/tmp            /var/tmp        none    bind,nodev      0       0\n"},
		{"defaults stays, alignment kept", deb, `{mountpoint: /home, options: [nodev]}`, "etc/fstab",
			"/dev/mapper/vg0-home /home      ext4    defaults,nodev  0       2\n"},
		{"rhel home", rhel, `{mountpoint: /home, options: [nodev, nosuid]}`, "etc/fstab",
			"/dev/mapper/rhel-home   /home                   xfs     defaults,nodev,nosuid 0 0\n"},
		{"dev/shm builtin gets an entry", fxMerge(rhel, map[string]string{"usr/lib/systemd/systemd": "ELF"}), `{mountpoint: /dev/shm, options: [noexec]}`, "etc/fstab",
			fxRHELFstab + "tmpfs\t/dev/shm\ttmpfs\tdefaults,nosuid,nodev,strictatime,mode=1777,noexec\t0\t0\n"},
		{"vendor tmp.mount copied", fxMerge(rhel, map[string]string{
			"usr/lib/systemd/system/tmp.mount":                   strings.ReplaceAll(tmpMount, "%%", "%"),
			"etc/systemd/system/local-fs.target.wants/tmp.mount": "->/usr/lib/systemd/system/tmp.mount",
		}), `{mountpoint: /tmp, options: [noexec]}`, "etc/systemd/system/tmp.mount",
			"Options=mode=1777,strictatime,nosuid,nodev,size=50%,nr_inodes=1m,noexec\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, mountOptionTemplate{}, tt.args, fxTree(t, tt.files))
			fxContains(t, tt.file, planned(t, ch, tt.file), tt.want)
			for _, op := range ch.Ops() {
				if op.Kind == remedy.KindWrite && !strings.Contains(op.Summary, "remount or reboot") {
					t.Errorf("summary %q", op.Summary)
				}
			}
			if len(fxEffects(ch)) != 1 || fxEffects(ch)[0].Kind != remedy.EffectMountOptions {
				t.Errorf("effects %+v", fxEffects(ch))
			}
		})
	}
}

func TestMountOptionFixDeferred(t *testing.T) {
	rhel := map[string]string{"etc/os-release": "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n", "etc/fstab": fxRHELFstab}
	ch := fixRoundTrip(t, mountOptionTemplate{}, `{mountpoint: /var/tmp, options: [nodev], require_separate: true}`, fxTree(t, rhel))
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() || !strings.Contains(ops[0].Reason, "not a separate filesystem") {
		t.Errorf("ops %+v", ops)
	}

	// Live: fstab fixed, the running mount is deferred to a remount.
	live := targettest.LiveTree(t, map[string]string{"etc/fstab": fxDebianFstab,
		"proc/self/mounts": "tmpfs /tmp tmpfs rw,relatime 0 0\n/dev/mapper/vg0-home /home ext4 rw,relatime 0 0\n"})
	ch = remedy.New(live)
	fxPlan(t, ch, "mount.home_nodev", mountOptionTemplate{}, `{mountpoint: /home, options: [nodev]}`)
	var kinds []string
	for _, op := range ch.Ops() {
		kinds = append(kinds, string(op.Kind))
	}
	if strings.Join(kinds, " ") != "file.write deferred" {
		t.Errorf("ops %v", kinds)
	}
	fxContains(t, "fstab", planned(t, ch, "etc/fstab"), "/home      ext4    defaults,nodev  0")
}

// Mount rules planned together edit one fstab.
func TestMountOptionFixComposition(t *testing.T) {
	rules := []string{`{mountpoint: /tmp, options: [nodev]}`, `{mountpoint: /tmp, options: [nosuid]}`, `{mountpoint: /tmp, options: [noexec]}`, `{mountpoint: /home, options: [nodev]}`}
	ch := planTogether(t, fxTree(t, map[string]string{"etc/fstab": fxDebianFstab}), "mount", mountOptionTemplate{}, rules...)
	fxContains(t, "fstab", planned(t, ch, "etc/fstab"), "tmpfs   defaults,nodev,nosuid,noexec 0 0\n", "defaults,nodev  0       2\n")
}
