package integration

import (
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// xattrs renders a path's extended attributes (symlinks not followed),
// sorted, for the tree hash.
func xattrs(p string) string {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n <= 0 {
		return ""
	}
	names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
	sort.Strings(names)
	var b strings.Builder
	val := make([]byte, 64<<10)
	for _, name := range names {
		m, err := unix.Lgetxattr(p, name, val)
		if err != nil {
			continue
		}
		b.WriteString(name + "=" + string(val[:m]) + "\x00")
	}
	return b.String()
}
