//go:build linux

package target

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWalkLocalOnlySkipsTmpfs(t *testing.T) {
	root, _ := walkTree(t)
	mnt := filepath.Join(root, "mnt")
	must(t, os.Mkdir(mnt, 0o755))
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	must(t, os.WriteFile(filepath.Join(mnt, "volatile"), nil, 0o666))
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	got := collectWalk(t, tg, WalkOptions{LocalOnly: true})
	if _, ok := got["mnt"]; !ok {
		t.Error("the mount point itself must be visited")
	}
	if _, ok := got["mnt/volatile"]; ok {
		t.Error("LocalOnly walk entered a tmpfs mount")
	}
	if got := collectWalk(t, tg, WalkOptions{}); got["mnt/volatile"].Path == "" {
		t.Error("a walk without LocalOnly must enter the tmpfs mount")
	}
}
