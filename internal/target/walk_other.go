//go:build !linux

package target

import (
	"context"
	"errors"
	"io/fs"
)

// walkDirImpl is the portable walk: sequential, through os.Root, never
// following symlinks. LocalOnly has no mount table to consult here and is
// ignored; offline Linux trees are the meaningful targets on these hosts.
func walkDirImpl(ctx context.Context, d *dirTarget, opts WalkOptions, fn WalkFunc) error {
	skip := skipSet(opts.Skip)
	report := func(p string, err error) error {
		if errors.Is(err, fs.ErrNotExist) || opts.OnError == nil {
			return nil
		}
		return opts.OnError(p, err)
	}
	rfi, err := d.root.Lstat(".")
	if err != nil {
		return &fs.PathError{Op: "walk", Path: "/", Err: unwrapPathErr(err)}
	}
	if err := fn(fromOS("", rfi)); err != nil {
		return err
	}
	var visit func(rel string) error
	visit = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := d.root.Open(d.rel(rel))
		if err != nil {
			return report(rel, err)
		}
		ents, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			if e := report(rel, err); e != nil {
				return e
			}
		}
		if opts.Prune != nil && rel != "" && opts.Prune(rel, &portableProbe{d: d, dir: rel, ents: ents}) != "" {
			return nil
		}
		for _, e := range ents {
			child := joinRel(rel, e.Name())
			fi, err := d.root.Lstat(d.rel(child))
			if err != nil {
				if e := report(child, err); e != nil {
					return e
				}
				continue
			}
			if err := fn(fromOS(child, fi)); err != nil {
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
