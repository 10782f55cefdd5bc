package fim

import (
	"reflect"
	"strings"
	"testing"
)

// The index a check keeps lends exactly what the entries would.
func TestLendIndexLikeEntries(t *testing.T) {
	d := strings.Repeat("ab", 32)
	old := []*Entry{
		{Path: "/a", Type: TypeFile, Size: 1, Mtime: 2, Ctime: 3, Inode: 4, SHA256: d},
		{Path: "/b", Type: TypeFile, Size: 1, SHA256: d, SHA512: d + d},
		{Path: "/c", Type: TypeFile, Size: 1, Error: "unreadable"},
		{Path: "/d", Type: TypeDir},
	}
	x := (&DB{Entries: old}).Lender()
	m := mapLender((&DB{Entries: old}).Index())
	p := mustPolicy(t, "paths:\n  - path: /\n    attributes: [size, sha256, sha512]\n")
	for _, cur := range []Entry{
		{Path: "/a", Type: TypeFile, Size: 1, Mtime: 2, Ctime: 3, Inode: 4},
		{Path: "/a", Type: TypeFile, Size: 1, Mtime: 2, Ctime: 9, Inode: 4},
		{Path: "/b", Type: TypeFile, Size: 1},
		{Path: "/c", Type: TypeFile, Size: 1},
		{Path: "/e", Type: TypeFile},
	} {
		a, b := cur, cur
		sel := p.For(cur.Path)
		if x.Lend(&a, sel) != m.Lend(&b, sel) || !reflect.DeepEqual(a, b) {
			t.Errorf("%s: index lends %+v, entries %+v", cur.Path, a, b)
		}
	}
}
