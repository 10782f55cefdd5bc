package target

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// dirTarget serves the live host ("/") and offline root filesystems. Every
// open goes through an os.Root, so even a path raced into a symlink after
// resolution cannot leave the root.
type dirTarget struct {
	kind Kind
	dir  string
	root *os.Root
	fast *beneath // nil where unavailable (dirfast_linux.go)
}

// OpenHost opens the live host.
func OpenHost() (Target, error) {
	return openDir(KindHost, string(filepath.Separator))
}

// OpenRootFS opens an offline root filesystem at dir.
func OpenRootFS(dir string) (Target, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("root filesystem %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("root filesystem: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("root filesystem %s: not a directory", dir)
	}
	return openDir(KindRootFS, abs)
}

// OpenLiveRoot opens dir as the root of a running system whose /proc and
// /sys are inside it (a container with the host's /proc, or a test fixture
// tree with proc files): runtime facts are read from dir/proc.
func OpenLiveRoot(dir string) (Target, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("live root %s: %w", dir, err)
	}
	t, err := openDir(KindHost, abs)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func openDir(kind Kind, dir string) (*dirTarget, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open target root: %w", err)
	}
	return &dirTarget{kind: kind, dir: dir, root: r, fast: newBeneath(r)}, nil
}

func (d *dirTarget) Kind() Kind   { return d.kind }
func (d *dirTarget) Name() string { return d.dir }
func (d *dirTarget) Live() bool   { return d.kind == KindHost }
func (d *dirTarget) Close() error { d.fast.close(); return d.root.Close() }

func (d *dirTarget) rel(p string) string {
	if p == "" {
		return "."
	}
	return filepath.FromSlash(p)
}

func (d *dirTarget) lstatMode(rel string) (fs.FileMode, error) {
	fi, err := d.root.Lstat(d.rel(rel))
	if err != nil {
		return 0, err
	}
	return fi.Mode(), nil
}

func (d *dirTarget) readlinkRaw(rel string) (string, error) {
	return d.root.Readlink(d.rel(rel))
}

func (d *dirTarget) Open(name string) (io.ReadCloser, error) {
	if f, ok := d.fast.openFile(name); ok {
		return f, nil
	}
	p, err := resolve(d, name, true)
	if err != nil {
		return nil, err
	}
	f, err := openRegular(d.root, d.rel(p))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: Abs(name), Err: unwrapPathErr(err)}
	}
	return f, nil
}

// openRegular opens rel for reading only if it is a regular file: a FIFO
// would block for ever and a device node in an offline tree would read the
// scanning host's device. The open is non-blocking so a FIFO cannot hang
// it (O_NONBLOCK has no effect on regular files), and the type is checked
// on the opened handle, so a file swapped after a Stat is caught too.
func openRegular(root *os.Root, rel string) (*os.File, error) {
	f, err := root.OpenFile(rel, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case fi.IsDir():
		f.Close()
		return nil, errIsDir
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, errNotRegular
	}
	return f, nil
}

func (d *dirTarget) Stat(name string) (FileInfo, error) {
	if fi, ok := d.fast.stat(name); ok {
		return fi, nil
	}
	p, err := resolve(d, name, true)
	if err != nil {
		return FileInfo{}, err
	}
	return d.lstatResolved(name, p)
}

func (d *dirTarget) Lstat(name string) (FileInfo, error) {
	if fi, ok := d.fast.lstat(name); ok {
		return fi, nil
	}
	p, err := resolve(d, name, false)
	if err != nil {
		return FileInfo{}, err
	}
	return d.lstatResolved(name, p)
}

func (d *dirTarget) lstatResolved(name, p string) (FileInfo, error) {
	fi, err := d.root.Lstat(d.rel(p))
	if err != nil {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: Abs(name), Err: unwrapPathErr(err)}
	}
	out := fromOS(p, fi)
	if fi.Mode()&fs.ModeSymlink != 0 {
		out.Link, _ = d.root.Readlink(d.rel(p))
	}
	return out, nil
}

func (d *dirTarget) Readlink(name string) (string, error) {
	if l, ok := d.fast.readlink(name); ok {
		return l, nil
	}
	p, err := resolve(d, name, false)
	if err != nil {
		return "", err
	}
	l, err := d.root.Readlink(d.rel(p))
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: Abs(name), Err: unwrapPathErr(err)}
	}
	return l, nil
}

func (d *dirTarget) ReadDir(name string) ([]DirEntry, error) {
	if f, ok := d.fast.openDir(name); ok {
		return readDirFile(f, name)
	}
	p, err := resolve(d, name, true)
	if err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(d.rel(p), os.O_RDONLY|openDirectory|openNonblock, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: Abs(name), Err: unwrapPathErr(err)}
	}
	return readDirFile(f, name)
}

// readDirFile lists the open directory f (named name) and closes it.
func readDirFile(f *os.File, name string) ([]DirEntry, error) {
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: Abs(name), Err: unwrapPathErr(err)}
	}
	out := make([]DirEntry, 0, len(ents))
	for _, e := range ents {
		out = append(out, DirEntry{Name: e.Name(), Type: e.Type()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (d *dirTarget) Walk(ctx context.Context, opts WalkOptions, fn WalkFunc) error {
	return walkDir(ctx, d, opts, fn)
}
