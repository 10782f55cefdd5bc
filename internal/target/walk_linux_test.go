//go:build linux

package target

import (
	"io"
	"os"
	"path/filepath"
	"sync"
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

// WalkOptions.Regular receives regular files opened by the walk; every
// other entry (directories, symlinks, FIFOs) goes to fn and is never
// opened.
func TestWalkRegularOpened(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "d/e"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "d/e/f"), []byte("content"), 0o644))
	must(t, os.Symlink("e/f", filepath.Join(root, "d/link")))
	must(t, syscallMkfifo(filepath.Join(root, "d/fifo")))
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	var mu sync.Mutex
	plain, opened := map[string]bool{}, map[string]string{}
	o := WalkOptions{Regular: func(fi FileInfo, f BulkFile) error {
		defer f.Close()
		st, ok, err := f.Stat()
		if err != nil || !ok || st.Size != fi.Size || st.Ino != fi.Ino || !fi.Mode.IsRegular() {
			t.Errorf("%s: stat of the open file %+v %v %v, walk %+v", fi.Path, st, ok, err, fi)
		}
		b, err := io.ReadAll(f)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		opened[fi.Path] = string(b)
		mu.Unlock()
		return nil
	}}
	err = tg.Walk(t.Context(), o, func(fi FileInfo) error {
		mu.Lock()
		plain[fi.Path] = true
		mu.Unlock()
		return nil
	})
	must(t, err)
	if len(opened) != 1 || opened["d/e/f"] != "content" {
		t.Errorf("opened %v", opened)
	}
	for _, p := range []string{"", "d", "d/e", "d/link", "d/fifo"} {
		if !plain[p] {
			t.Errorf("%q not walked", p)
		}
	}
	if plain["d/e/f"] {
		t.Error("a regular file went to fn as well")
	}
}
