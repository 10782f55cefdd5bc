package remedy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/target"
)

// Overlay returns a read-only view of the target as it will be once the
// plan is applied. Checks re-run against it to verify a plan before
// anything is written, and templates read through it so their edits
// compose.
func (c *Changes) Overlay() target.Target { return &overlay{c: c} }

type overlay struct{ c *Changes }

func (o *overlay) Kind() target.Kind { return o.c.base.Kind() }
func (o *overlay) Name() string      { return o.c.base.Name() }
func (o *overlay) Live() bool        { return o.c.base.Live() }
func (o *overlay) Close() error      { return nil }

// Planned marks the view as the state a plan leaves on disk: collectors
// of runtime state the plan does not change (the running firewall) read
// the persisted configuration instead, which is what the plan edits.
func (o *overlay) Planned() bool { return true }

// lstatMode and readlinkRaw serve target.Resolve for symlink-free parents.
func (o *overlay) raw(rel string) (target.FileInfo, error) {
	if n, ok := o.c.nodes[rel]; ok {
		if !n.exists {
			return target.FileInfo{}, &fs.PathError{Op: "lstat", Path: target.Abs(rel), Err: fs.ErrNotExist}
		}
		fi := n.orig
		fi.Path = rel
		fi.Mode = n.typ | n.mode
		fi.UID, fi.GID = n.uid, n.gid
		fi.Link = n.link
		if n.dataSet {
			fi.Size = int64(len(n.data))
		}
		if n.typ == fs.ModeSymlink {
			fi.Size = int64(len(n.link))
		}
		return fi, nil
	}
	return o.c.base.Lstat(rel)
}

type overlayLinks struct{ o *overlay }

func (l overlayLinks) Lstat(name string) (target.FileInfo, error) { return l.o.raw(target.Clean(name)) }
func (l overlayLinks) Readlink(name string) (string, error) {
	fi, err := l.o.raw(target.Clean(name))
	if err != nil {
		return "", err
	}
	if fi.Mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: target.Abs(name), Err: fs.ErrInvalid}
	}
	if fi.Link != "" {
		return fi.Link, nil
	}
	return l.o.c.base.Readlink(target.Clean(name))
}

// The resolver only calls Lstat and Readlink; the rest of the interface is
// never reached through overlayLinks.
func (l overlayLinks) Kind() target.Kind                  { return l.o.Kind() }
func (l overlayLinks) Name() string                       { return l.o.Name() }
func (l overlayLinks) Live() bool                         { return l.o.Live() }
func (l overlayLinks) Open(string) (io.ReadCloser, error) { return nil, errors.ErrUnsupported }
func (l overlayLinks) Stat(string) (target.FileInfo, error) {
	return target.FileInfo{}, errors.ErrUnsupported
}
func (l overlayLinks) ReadDir(string) ([]target.DirEntry, error) { return nil, errors.ErrUnsupported }
func (l overlayLinks) Walk(context.Context, target.WalkOptions, target.WalkFunc) error {
	return errors.ErrUnsupported
}
func (l overlayLinks) Close() error { return nil }

func (o *overlay) resolve(name string, follow bool) (string, error) {
	return target.Resolve(overlayLinks{o}, name, follow)
}

func (o *overlay) Lstat(name string) (target.FileInfo, error) {
	p, err := o.resolve(name, false)
	if err != nil {
		return target.FileInfo{}, err
	}
	return o.raw(p)
}

func (o *overlay) Stat(name string) (target.FileInfo, error) {
	p, err := o.resolve(name, true)
	if err != nil {
		return target.FileInfo{}, err
	}
	return o.raw(p)
}

func (o *overlay) Readlink(name string) (string, error) {
	p, err := o.resolve(name, false)
	if err != nil {
		return "", err
	}
	return overlayLinks{o}.Readlink(p)
}

func (o *overlay) Open(name string) (io.ReadCloser, error) {
	p, err := o.resolve(name, true)
	if err != nil {
		return nil, err
	}
	// A planned runtime sysctl shows as the running value, so checks of
	// live hosts verify the plan too.
	if strings.HasPrefix(p, "proc/sys/") {
		for i := len(o.c.runtime) - 1; i >= 0; i-- {
			r := o.c.runtime[i]
			if r.Kind == KindSysctl && sysctl.ProcPath(r.Key) == p {
				return io.NopCloser(strings.NewReader(r.Value + "\n")), nil
			}
		}
	}
	if n, ok := o.c.nodes[p]; ok {
		switch {
		case !n.exists:
			return nil, &fs.PathError{Op: "open", Path: target.Abs(p), Err: fs.ErrNotExist}
		case n.typ == fs.ModeDir:
			return nil, &fs.PathError{Op: "open", Path: target.Abs(p), Err: errors.New("is a directory")}
		case n.dataSet:
			return io.NopCloser(bytes.NewReader(n.data)), nil
		}
	}
	return o.c.base.Open(p)
}

func (o *overlay) ReadDir(name string) ([]target.DirEntry, error) {
	p, err := o.resolve(name, true)
	if err != nil {
		return nil, err
	}
	ents, err := o.c.base.ReadDir(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		if n, ok := o.c.nodes[p]; !ok || !n.exists || n.typ != fs.ModeDir {
			return nil, err
		}
	}
	byName := map[string]int{}
	for i, e := range ents {
		byName[e.Name] = i
	}
	drop := map[string]bool{}
	for base := range o.c.children[p] {
		k := base
		if p != "" {
			k = p + "/" + base
		}
		n, ok := o.c.nodes[k]
		if !ok {
			continue // planned by a rule that was aborted
		}
		i, had := byName[base]
		switch {
		case !n.exists && had:
			drop[base] = true
		case n.exists && had:
			ents[i].Type = n.typ
		case n.exists:
			byName[base] = len(ents)
			ents = append(ents, target.DirEntry{Name: base, Type: n.typ})
		}
	}
	ents = slices.DeleteFunc(ents, func(e target.DirEntry) bool { return drop[e.Name] })
	slices.SortFunc(ents, func(a, b target.DirEntry) int { return strings.Compare(a.Name, b.Name) })
	return ents, nil
}

func (o *overlay) Walk(ctx context.Context, opts target.WalkOptions, fn target.WalkFunc) error {
	err := o.c.base.Walk(ctx, opts, func(fi target.FileInfo) error {
		if _, ok := o.c.nodes[fi.Path]; ok {
			nfi, err := o.raw(fi.Path)
			if err != nil {
				return nil // removed by the plan
			}
			nfi.Dev, nfi.Ino, nfi.Nlink = fi.Dev, fi.Ino, fi.Nlink
			fi = nfi
		}
		return fn(fi)
	})
	if err != nil {
		return err
	}
	for k, n := range o.c.nodes {
		if n.exists && !n.origExists {
			fi, err := o.raw(k)
			if err != nil {
				continue
			}
			if err := fn(fi); err != nil {
				return err
			}
		}
	}
	return nil
}
