package target

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
)

// maxSymlinkHops matches Linux's MAXSYMLINKS.
const maxSymlinkHops = 40

// ErrLoop is returned when resolution exceeds maxSymlinkHops.
var ErrLoop = errors.New("too many levels of symbolic links")

// linkReader is the backend view the resolver needs: lstat and readlink of
// a root-relative path whose parent components are already symlink-free.
type linkReader interface {
	lstatMode(rel string) (fs.FileMode, error)
	readlinkRaw(rel string) (string, error)
}

// resolve maps name to a root-relative path without symlink components,
// interpreting absolute link targets relative to the root and clamping ".."
// at the root, as chroot(2) would. When followFinal is false the last
// component is returned as is (for Lstat and Readlink).
func resolve(b linkReader, name string, followFinal bool) (string, error) {
	pending := splitPath(name)
	resolved := make([]string, 0, len(pending))
	hops := 0
	for len(pending) > 0 {
		p := pending[0]
		pending = pending[1:]
		switch p {
		case "", ".":
			continue
		case "..":
			if len(resolved) > 0 {
				resolved = resolved[:len(resolved)-1]
			}
			continue
		}
		cand := strings.Join(append(resolved, p), "/")
		if len(pending) == 0 && !followFinal {
			resolved = append(resolved, p)
			break
		}
		mode, err := b.lstatMode(cand)
		if err != nil {
			return "", &fs.PathError{Op: "resolve", Path: Abs(name), Err: unwrapPathErr(err)}
		}
		if mode&fs.ModeSymlink != 0 {
			hops++
			if hops > maxSymlinkHops {
				return "", &fs.PathError{Op: "resolve", Path: Abs(name), Err: ErrLoop}
			}
			link, err := b.readlinkRaw(cand)
			if err != nil {
				return "", &fs.PathError{Op: "resolve", Path: Abs(name), Err: unwrapPathErr(err)}
			}
			if strings.HasPrefix(link, "/") {
				resolved = resolved[:0]
			}
			pending = append(splitPath(link), pending...)
			continue
		}
		if len(pending) > 0 && !mode.IsDir() {
			return "", &fs.PathError{Op: "resolve", Path: Abs(name), Err: syscall.ENOTDIR}
		}
		resolved = append(resolved, p)
	}
	return strings.Join(resolved, "/"), nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// errNotExist builds the error backends return for a missing path.
func errNotExist(op, name string) error {
	return &fs.PathError{Op: op, Path: Abs(name), Err: fs.ErrNotExist}
}

// targetLinks adapts any Target to the resolver.
type targetLinks struct{ t Target }

func (l targetLinks) lstatMode(rel string) (fs.FileMode, error) {
	fi, err := l.t.Lstat(rel)
	return fi.Mode, err
}

func (l targetLinks) readlinkRaw(rel string) (string, error) { return l.t.Readlink(rel) }

// Resolve maps name to the root-relative path it denotes in t, with every
// symlink component resolved inside the root (chroot semantics). Writers
// use it to find the real file a configuration path stands for; with
// followFinal false a final symlink is kept.
func Resolve(t Target, name string, followFinal bool) (string, error) {
	return resolve(targetLinks{t}, name, followFinal)
}
