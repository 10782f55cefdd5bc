package probes

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestPartition(t *testing.T) {
	files := map[string]string{
		"etc/fstab":        "UUID=1 / ext4 errors=remount-ro 0 1\ntmpfs /tmp tmpfs nodev,nosuid 0 0\n/swap none swap sw 0 0\n",
		"proc/self/mounts": "/dev/vda1 / ext4 rw,relatime 0 0\ntmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n",
	}
	off := targettest.Tree(t, files)
	c := collect(t, off, object("partition", nil, ent("mount_point", "/tmp")))
	equal(t, "options", field(c, "mount_options"), "nodev|nosuid")
	if !strings.Contains(strings.Join(c.Notes, " "), "fstab") {
		t.Errorf("offline notes %q do not name fstab", c.Notes)
	}
	c = collect(t, off, object("partition", nil, ent("mount_point", "/dev/shm")))
	equal(t, "offline /dev/shm", field(c, "mount_point"))

	live := targettest.LiveTree(t, files)
	c = collect(t, live, object("partition", nil, ent("mount_point", "/dev/shm")))
	equal(t, "live options", field(c, "mount_options"), "rw|nosuid|nodev")
	c = collect(t, live, object("partition", nil, ent("mount_point", "/tmp")))
	equal(t, "live /tmp", field(c, "mount_point"))
}
