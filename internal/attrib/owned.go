package attrib

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

// dpkg keeps a package's md5sums as it was unpacked: when another
// package takes a file over (Replaces:), dpkg removes the path from the
// old package's .list but leaves its md5sums line, whose digest is then
// the old content's. Only lines for files the package's .list still
// names are trusted; a package without a readable .list keeps them all.

// readList reads the .list of p: the set of absolute, clean paths
// (found false when there is none).
func readList(t target.Target, p packages.Package, only Paths) (set map[string]bool, found bool, err error) {
	for _, name := range infoNames(p) {
		b, err := target.ReadFileLimit(t, dpkgDir+"/info/"+name+".list", MaxMD5Sums)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, true, fmt.Errorf("file list of %s: %w", p.Name, err)
		}
		set = map[string]bool{}
		err = eachLine(b, func(l []byte) {
			l = bytes.TrimRight(l, "\r")
			if len(l) == 0 || l[0] != '/' || len(l) > maxPathBytes || string(l) == "/." {
				return
			}
			if only != nil && !only.has(l) {
				return
			}
			set[path.Clean(string(l))] = true
		})
		if err != nil {
			return nil, true, fmt.Errorf("file list of %s: %w", p.Name, err)
		}
		return set, true, nil
	}
	return nil, false, nil
}

// owned keeps the sums of files the list names, under their own path or
// their /usr-merge alias (the list may spell /bin/x where md5sums has
// usr/bin/x, or the other way round); dropped counts the others.
func owned(sums []Sum, list map[string]bool) (kept []Sum, dropped int) {
	kept = sums[:0]
	for _, s := range sums {
		if list[s.Path] || (usrAlias(s.Path) != "" && list[usrAlias(s.Path)]) {
			kept = append(kept, s)
			continue
		}
		dropped++
	}
	return kept, dropped
}
