package target

import (
	"context"
	"errors"
	"io/fs"
	"path"
)

// walkDir is the portable walk over a directory target. It visits every
// entry without following symlinks and never leaves the root.
func walkDir(ctx context.Context, d *dirTarget, opts WalkOptions, fn WalkFunc) error {
	skip := skipSet(opts.Skip)
	var visit func(rel string) error
	visit = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := d.root.Open(d.rel(rel))
		if err != nil {
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		ents, err := f.ReadDir(-1)
		f.Close()
		if err != nil && len(ents) == 0 {
			return nil
		}
		for _, e := range ents {
			child := path.Join(rel, e.Name())
			fi, err := d.root.Lstat(d.rel(child))
			if err != nil {
				continue
			}
			info := fromOS(child, fi)
			if err := fn(info); err != nil {
				return err
			}
			if fi.IsDir() && !skip[child] {
				if err := visit(child); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit("")
}

func skipSet(prefixes []string) map[string]bool {
	m := make(map[string]bool, len(prefixes))
	for _, p := range prefixes {
		m[Clean(p)] = true
	}
	return m
}

