package target

import (
	"context"
	"runtime"
	"strings"
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
