package home

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxTreeEntries bounds the walk of the state directory.
const maxTreeEntries = 1 << 20

var errTreeTooLarge = errors.New("state directory has more than a million entries")

// checkTree walks every directory below dir (which Ensure checked) and
// refuses one that is writable by group or others, belongs to another
// user, or is reached through a symlink: anyone who could write there
// could plant a journal record, key, log or snapshot that cradle, running
// as root, would trust or act on.
func checkTree(dir string) error {
	n := 0
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
		if n++; n > maxTreeEntries {
			return errTreeTooLarge
		}
		if p == dir {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				return fmt.Errorf("state directory %s is a symlink to a directory; cradle's state must not be redirected", p)
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
		return checkDir(p, fi)
	})
}

// checkDir refuses a state directory others can write or that another
// user owns.
func checkDir(p string, fi fs.FileInfo) error {
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("state directory %s is writable by group or others (mode %04o); run: chmod go-w %s", p, fi.Mode().Perm(), p)
	}
	if uid, other := ownedByOther(fi); other {
		return fmt.Errorf("state directory %s belongs to uid %d, not to the user running cradle", p, uid)
	}
	return nil
}
