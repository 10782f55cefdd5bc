package target

import (
	"context"
	"io/fs"
	"runtime"
	"strings"
	"syscall"
)

// walkDir walks a directory target: every entry below the root, the root
// itself included, without following symlinks and without leaving the root.
// The Linux implementation (walk_linux.go) reads directories with getdents64
// and stats entries with fstatat relative to an open parent descriptor;
// other systems use the portable walk in walk_other.go.
func walkDir(ctx context.Context, d *dirTarget, opts WalkOptions, fn WalkFunc) error {
	return walkDirImpl(ctx, d, opts, fn)
}

// defaultWalkWorkers keeps a filesystem-wide walk from monopolising a host:
// beyond a few workers, metadata walks are bound by the kernel's dentry and
// inode caches, not by CPU.
func defaultWalkWorkers(n int) int {
	if n > 0 {
		return n
	}
	return min(4, max(2, runtime.GOMAXPROCS(0)))
}

func skipSet(prefixes []string) map[string]bool {
	m := make(map[string]bool, len(prefixes))
	for _, p := range prefixes {
		m[Clean(p)] = true
	}
	return m
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	var b strings.Builder
	b.Grow(len(dir) + 1 + len(name))
	b.WriteString(dir)
	b.WriteByte('/')
	b.WriteString(name)
	return b.String()
}

// portableProbe is the DirProbe of the portable walk (walk_other.go): the
// listing it read, and Lstat through the target, component by component.
type portableProbe struct {
	d    *dirTarget
	dir  string
	ents []fs.DirEntry
}

func (p *portableProbe) Has(name string) (fs.FileMode, bool) {
	for _, e := range p.ents {
		if e.Name() == name {
			return e.Type(), true
		}
	}
	return 0, false
}

// Lstat checks that every leading component is a directory, not a
// symlink, before the last one is stated.
func (p *portableProbe) Lstat(rel string) (FileInfo, error) {
	cur := p.dir
	for {
		name, tail, more := strings.Cut(rel, "/")
		fi, err := p.d.Lstat(joinRel(cur, name))
		if err != nil || !more {
			return fi, err
		}
		if !fi.Mode.IsDir() {
			return FileInfo{}, &fs.PathError{Op: "lstat", Path: Abs(joinRel(cur, name)), Err: syscall.ENOTDIR}
		}
		cur, rel = joinRel(cur, name), tail
	}
}
