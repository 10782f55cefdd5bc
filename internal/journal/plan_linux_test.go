//go:build linux

package journal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// plan fills in what planning records, from the tree as it is now: the
// root's identity in run and each path's state in its change.
func plan(t testing.TB, root string, run Run, changes []remedy.PathChange) (Run, []remedy.PathChange) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(root, &st); err != nil {
		t.Fatal(err)
	}
	run.Root = &remedy.RootID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
	out := make([]remedy.PathChange, len(changes))
	for i, c := range changes {
		c.Seen = seenNow(t, filepath.Join(root, c.Path), c.Action)
		out[i] = c
	}
	return run, out
}

// seenNow is the planned state of the file at p for action a.
func seenNow(t testing.TB, p string, a remedy.Action) remedy.Seen {
	t.Helper()
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return remedy.Seen{}
	}
	if err != nil {
		t.Fatal(err)
	}
	sys := fi.Sys().(*syscall.Stat_t)
	s := remedy.Seen{Exists: true, Type: fi.Mode().Type(), Mode: fi.Mode() & remedy.PermMask, UID: sys.Uid, GID: sys.Gid}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		s.Link, _ = os.Readlink(p)
	case fi.Mode().IsRegular() && a != remedy.ActMeta:
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		s.SHA256 = hex.EncodeToString(sum[:])
	}
	return s
}

// applyPlanned plans changes against root as it is now and applies them.
func applyPlanned(t testing.TB, s *Store, root string, run Run, changes []remedy.PathChange, rt []remedy.Runtime, opts ApplyOptions) (*Run, error) {
	t.Helper()
	run, changes = plan(t, root, run, changes)
	return s.Apply(context.Background(), root, run, changes, rt, opts)
}
