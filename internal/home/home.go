// Package home locates the directory where cradle keeps its own state
// (keys, journals, logs, snapshots): $CRADLE_HOME, else /var/lib/cradle for
// root, else the XDG state directory. State never goes inside a scanned
// target; callers key it by target identity under this directory.
package home

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Dir resolves the state directory from the environment (getenv) and the
// effective user id (uid < 0 when unknown, e.g. on Windows).
func Dir(getenv func(string) string, uid int) (string, error) {
	if d := getenv("CRADLE_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", fmt.Errorf("CRADLE_HOME must be an absolute path, got %q", d)
		}
		return filepath.Clean(d), nil
	}
	if uid == 0 && runtime.GOOS != "windows" {
		return "/var/lib/cradle", nil
	}
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "cradle"), nil
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "cradle"), nil
		}
	}
	h := getenv("HOME")
	if h == "" {
		return "", errors.New("cannot locate a state directory: set CRADLE_HOME")
	}
	return filepath.Join(h, ".local", "state", "cradle"), nil
}

// Ensure creates dir with owner-only permissions if missing and refuses it,
// or any directory below it, when group or others can write it or another
// user owns it (state includes signing keys and the journals rollback acts
// on).
func Ensure(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if err := checkDir(dir, fi); err != nil {
		return err
	}
	return checkTree(dir)
}
