package target

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// memLinks is an in-memory tree for the resolver: directories, files and
// symlinks by root-relative path.
type memLinks map[string]memNode

type memNode struct {
	mode fs.FileMode
	link string
}

func (m memLinks) lstatMode(rel string) (fs.FileMode, error) {
	n, ok := m[rel]
	if !ok {
		return 0, fs.ErrNotExist
	}
	return n.mode, nil
}

func (m memLinks) readlinkRaw(rel string) (string, error) {
	n, ok := m[rel]
	if !ok {
		return "", fs.ErrNotExist
	}
	if n.mode&fs.ModeSymlink == 0 {
		return "", syscall.EINVAL
	}
	return n.link, nil
}

// buildTree parses spec lines "D path", "F path" and "L path target" into
// the in-memory tree and the same tree on disk under dir. Paths are
// sanitised into short relative names; a path below a non-directory is
// skipped, as the filesystem would refuse it.
func buildTree(spec, dir string) memLinks {
	m := memLinks{"": {mode: fs.ModeDir}}
	for i, line := range strings.Split(spec, "\n") {
		if i >= 32 {
			break
		}
		kind, rest, _ := strings.Cut(line, " ")
		name, target, _ := strings.Cut(rest, " ")
		var parts []string
		for _, c := range strings.Split(name, "/") {
			if c == "" || c == "." || c == ".." || len(c) > 16 || strings.ContainsAny(c, "\x00\\") {
				continue
			}
			parts = append(parts, c)
		}
		if len(parts) == 0 || len(parts) > 6 || strings.Contains(target, "\x00") || len(target) > 64 {
			continue
		}
		ok := true
		for j := 1; j < len(parts); j++ {
			p := strings.Join(parts[:j], "/")
			if n, seen := m[p]; seen && !n.mode.IsDir() {
				ok = false
				break
			}
			m[p] = memNode{mode: fs.ModeDir}
		}
		p := strings.Join(parts, "/")
		if _, seen := m[p]; !ok || seen {
			continue
		}
		disk := filepath.Join(dir, filepath.FromSlash(p))
		if os.MkdirAll(filepath.Dir(disk), 0o755) != nil {
			continue
		}
		switch kind {
		case "D":
			if os.Mkdir(disk, 0o755) == nil {
				m[p] = memNode{mode: fs.ModeDir}
			}
		case "F":
			if os.WriteFile(disk, []byte(p), 0o644) == nil {
				m[p] = memNode{}
			}
		case "L":
			if target != "" && os.Symlink(target, disk) == nil {
				m[p] = memNode{mode: fs.ModeSymlink, link: target}
			}
		}
	}
	return m
}

// FuzzResolve drives the chroot resolver over arbitrary trees of
// directories and symlinks, in memory and on disk through the directory
// target: both must agree, and a resolved path must stay inside the root
// with no symlink before its last component.
func FuzzResolve(f *testing.F) {
	f.Add("D etc\nF etc/passwd\nL etc/abs /etc/passwd\nL etc/up ../../../../etc/passwd", "etc/abs", true)
	f.Add("L a b\nL b a", "a/x", true)
	f.Add("D d\nL d/l /\nL d/p ..", "d/l/d/p/d/l/../etc", false)
	f.Add("F f\nL l f/x", "l", true)
	f.Add("L r /proc/self/root/etc", "r/passwd", true)
	if runtime.GOOS == "windows" {
		f.Skip("symlinks need privileges on Windows")
	}
	f.Fuzz(func(t *testing.T, spec, query string, follow bool) {
		if len(query) > 256 {
			return
		}
		dir := t.TempDir()
		m := buildTree(spec, dir)
		got, err := resolve(m, query, follow)
		d, derr := openDir(KindRootFS, dir)
		if derr != nil {
			t.Fatal(derr)
		}
		defer d.Close()
		dgot, dirErr := resolve(d, query, follow)
		if (err == nil) != (dirErr == nil) || got != dgot || errors.Is(err, ErrLoop) != errors.Is(dirErr, ErrLoop) {
			t.Fatalf("memory %q, %v; directory %q, %v", got, err, dgot, dirErr)
		}
		if err != nil {
			return
		}
		if got != Clean(got) || strings.HasPrefix(got, "/") {
			t.Fatalf("resolved %q is not a clean root-relative path", got)
		}
		parts := strings.Split(got, "/")
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			if got == "" {
				break
			}
			n, ok := m[p]
			last := i == len(parts)-1
			switch {
			case !last && (!ok || !n.mode.IsDir()):
				t.Fatalf("resolved %q: component %q is not a directory", got, p)
			case last && follow && (!ok || n.mode&fs.ModeSymlink != 0):
				t.Fatalf("resolved %q: final component is a symlink or missing", got)
			}
		}
	})
}
