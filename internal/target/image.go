package target

// Container images are read by a small purpose-built reader rather than
// go-containerregistry: cradle needs only local archives (docker save, OCI
// layouts), must bound every size a hostile archive controls, keeps file
// contents lazily in place instead of extracting, and resolves symlinks
// with the same chroot resolver as directory targets. That is a few hundred
// lines; the library would add registry, auth and mutation code cradle never
// runs.

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
)

// imageTarget is the merged filesystem of a container image, held as an
// in-memory index; contents stay in the archive until read.
type imageTarget struct {
	name   string
	root   *inode
	layers []*layer
	arc    archive
	spool  string // temp copy of a compressed archive, removed on Close

	// cache keeps files read lazily from compressed layers, so a file read
	// by several checks is decompressed once.
	mu         sync.Mutex
	cache      map[*content][]byte
	cacheBytes int64
}

// maxLazyCache bounds the lazily read contents kept in memory.
const maxLazyCache = 32 << 20

var errNotRegular = errors.New("not a regular file")

// OpenImage opens a container image archive read-only: a "docker save"
// tarball (classic or OCI-based), an OCI image layout directory, or a tar of
// one. The archive may itself be gzip or zstd compressed. Layers are applied
// in order with whiteouts into an in-memory tree; nothing is unpacked.
func OpenImage(file string) (Target, error) {
	return openImage(file, defaultImageLimits)
}

func openImage(file string, lim imageLimits) (_ Target, err error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", file, err)
	}
	t := &imageTarget{name: abs}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if fi.IsDir() {
		r, err := os.OpenRoot(abs)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		t.arc = &dirArchive{root: r}
	} else {
		f, err := t.openArchiveFile(abs)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", file, err)
		}
		a, err := openTarArchive(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("image %s: %w", file, err)
		}
		t.arc = a
	}
	t.layers, err = imageLayers(t.arc, lim)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", file, err)
	}
	b := newTreeBuilder(lim)
	for i, l := range t.layers {
		if err := b.apply(i, l); err != nil {
			return nil, fmt.Errorf("image %s: %w", file, err)
		}
	}
	t.root = b.root
	return t, nil
}

// maxSpoolSize bounds the decompressed copy of a compressed archive.
const maxSpoolSize = 64 << 30

// openArchiveFile opens the archive; a compressed one ("docker save | gzip")
// is decompressed once into a temporary file, since layers are read in place
// by offset.
func (t *imageTarget) openArchiveFile(p string) (*os.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	comp := sniffCompression(&section{ra: f, size: fi.Size()})
	if comp == compNone {
		return f, nil
	}
	defer f.Close()
	r, done, err := decompress(f, comp)
	if err != nil {
		return nil, err
	}
	defer done()
	tmp, err := os.CreateTemp("", "cradle-image-*.tar")
	if err != nil {
		return nil, fmt.Errorf("decompress %s archive: %w", comp, err)
	}
	t.spool = tmp.Name()
	n, err := io.Copy(tmp, io.LimitReader(r, maxSpoolSize+1))
	if err == nil && n > maxSpoolSize {
		err = fmt.Errorf("decompressed size over %d bytes: %w", int64(maxSpoolSize), errImageLimit)
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("decompress %s archive: %w", comp, err)
	}
	return tmp, nil
}

func (t *imageTarget) Kind() Kind   { return KindImage }
func (t *imageTarget) Name() string { return t.name }
func (t *imageTarget) Live() bool   { return false }

func (t *imageTarget) Close() error {
	var err error
	if t.arc != nil {
		err = t.arc.Close()
		t.arc = nil
	}
	if t.spool != "" {
		err = errors.Join(err, os.Remove(t.spool))
		t.spool = ""
	}
	return err
}

func (t *imageTarget) lstatMode(rel string) (fs.FileMode, error) {
	n := lookupNode(t.root, rel)
	if n == nil {
		return 0, fs.ErrNotExist
	}
	return n.mode, nil
}

func (t *imageTarget) readlinkRaw(rel string) (string, error) {
	n := lookupNode(t.root, rel)
	if n == nil {
		return "", fs.ErrNotExist
	}
	if n.mode&fs.ModeSymlink == 0 {
		return "", syscall.EINVAL
	}
	return n.link, nil
}

// node resolves name and returns its node.
func (t *imageTarget) node(op, name string, follow bool) (string, *inode, error) {
	p, err := resolve(t, name, follow)
	if err != nil {
		return "", nil, err
	}
	n := lookupNode(t.root, p)
	if n == nil {
		return "", nil, errNotExist(op, name)
	}
	return p, n, nil
}

func (t *imageTarget) info(p string, n *inode) FileInfo {
	fi := FileInfo{Path: p, Mode: n.mode, UID: n.uid, GID: n.gid, Size: n.size, ModTime: n.mtime, Nlink: 1, Ino: n.ino, Link: n.link}
	switch {
	case n.data != nil:
		fi.Nlink = n.data.nlink
	case n.kids != nil:
		fi.Nlink = 2
		for _, k := range n.kids {
			if k.kids != nil {
				fi.Nlink++
			}
		}
	}
	return fi
}

func (t *imageTarget) Stat(name string) (FileInfo, error) {
	p, n, err := t.node("stat", name, true)
	if err != nil {
		return FileInfo{}, err
	}
	return t.info(p, n), nil
}

func (t *imageTarget) Lstat(name string) (FileInfo, error) {
	p, n, err := t.node("stat", name, false)
	if err != nil {
		return FileInfo{}, err
	}
	return t.info(p, n), nil
}

func (t *imageTarget) Readlink(name string) (string, error) {
	_, n, err := t.node("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: Abs(name), Err: syscall.EINVAL}
	}
	return n.link, nil
}

func (t *imageTarget) ReadDir(name string) ([]DirEntry, error) {
	_, n, err := t.node("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if n.kids == nil {
		return nil, &fs.PathError{Op: "readdir", Path: Abs(name), Err: syscall.ENOTDIR}
	}
	out := make([]DirEntry, 0, len(n.kids))
	for k, c := range n.kids {
		out = append(out, DirEntry{Name: k, Type: c.mode.Type()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (t *imageTarget) Open(name string) (io.ReadCloser, error) {
	_, n, err := t.node("open", name, true)
	if err != nil {
		return nil, err
	}
	if n.kids != nil {
		return nil, &fs.PathError{Op: "open", Path: Abs(name), Err: errIsDir}
	}
	if n.data == nil {
		return nil, &fs.PathError{Op: "open", Path: Abs(name), Err: errNotRegular}
	}
	rc, err := t.openContent(n.data)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: Abs(name), Err: err}
	}
	return rc, nil
}

type readCloser struct {
	io.Reader
	close func()
}

func (r *readCloser) Close() error {
	if r.close != nil {
		r.close()
		r.close = nil
	}
	return nil
}

// openContent returns a file's bytes: from memory, by offset from an
// uncompressed layer, or by decompressing the layer again up to the entry.
func (t *imageTarget) openContent(c *content) (io.ReadCloser, error) {
	if c.inMem {
		return io.NopCloser(bytes.NewReader(c.mem)), nil
	}
	l := t.layers[c.layer]
	if c.off >= 0 {
		return io.NopCloser(io.NewSectionReader(l.blob.ra, l.blob.off+c.off, c.size)), nil
	}
	t.mu.Lock()
	b, ok := t.cache[c]
	t.mu.Unlock()
	if ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	rc, err := t.reread(l, c)
	if err != nil || c.size > defaultImageLimits.maxInline {
		return rc, err
	}
	defer rc.Close()
	b, err = io.ReadAll(io.LimitReader(rc, c.size))
	if err != nil {
		return nil, fmt.Errorf("layer %s: re-read: %w", l.desc, err)
	}
	t.mu.Lock()
	if t.cacheBytes+int64(len(b)) <= maxLazyCache {
		if t.cache == nil {
			t.cache = map[*content][]byte{}
		}
		t.cache[c] = b
		t.cacheBytes += int64(len(b))
	}
	t.mu.Unlock()
	return io.NopCloser(bytes.NewReader(b)), nil
}

// reread decompresses the layer again up to the file's entry.
func (t *imageTarget) reread(l *layer, c *content) (io.ReadCloser, error) {
	r, done, err := decompress(l.blob.reader(), l.comp)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.desc, err)
	}
	tr := tar.NewReader(r)
	for i := 0; i <= c.entry; i++ {
		h, err := tr.Next()
		if err != nil {
			done()
			return nil, fmt.Errorf("layer %s: re-read: %w", l.desc, err)
		}
		if i == c.entry && (h.Name != c.name || h.Size != c.size) {
			done()
			return nil, fmt.Errorf("layer %s: changed since the image was opened", l.desc)
		}
	}
	return &readCloser{Reader: tr, close: done}, nil
}

// Walk visits every path of the merged tree in lexical order without
// following symlinks; directories under opts.Skip are reported but not
// descended into.
func (t *imageTarget) Walk(ctx context.Context, opts WalkOptions, fn WalkFunc) error {
	skip := skipSet(opts.Skip)
	var visit func(rel string, d *inode) error
	visit = func(rel string, d *inode) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		names := make([]string, 0, len(d.kids))
		for k := range d.kids {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			c := d.kids[k]
			child := path.Join(rel, k)
			if err := fn(t.info(child, c)); err != nil {
				return err
			}
			if c.kids != nil && !skip[child] {
				if err := visit(child, c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit("", t.root)
}
