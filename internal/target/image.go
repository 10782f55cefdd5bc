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

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// imageTarget is the merged filesystem of a container image, held as an
// in-memory index; contents stay in the archive until read.
type imageTarget struct {
	name    string
	root    *inode
	layers  []*layer
	arc     archive
	tempDir string
	// release frees a compressed archive's decompressed copy.
	release func() error

	// mu serialises writes to the spool, which holds the contents of
	// compressed layers' files that are not kept in memory, each layer
	// decompressed once more on the first read of one of its files.
	mu          sync.Mutex
	spool       *os.File
	spoolEnd    int64
	spoolFree   func() error
	spoolBudget *budget
}

var errNotRegular = errors.New("not a regular file")

// ImageLimits bound what reading one container image may cost; a field
// that is zero or negative takes its default. docs/security.md explains
// them.
type ImageLimits struct {
	// MaxBytes bounds the bytes of the layers' tar streams after
	// decompression, summed over all layers (a layer listed twice counts
	// twice), and separately the bytes written to temporary files: a
	// compressed archive's decompressed copy plus the spooled contents of
	// files of compressed layers.
	MaxBytes int64
	// MaxEntries bounds the tar entries over all layers plus the
	// directories the index creates implicitly.
	MaxEntries int
	// MaxNameBytes bounds the total length of entry names and link
	// targets over all layers and the archive itself.
	MaxNameBytes int64
}

// Defaults of ImageLimits: well above real images (the largest public
// images hold a few hundred thousand files in a few GiB) and low enough
// that the in-memory index stays well under 1 GB (docs/performance.md).
const (
	DefaultImageMaxBytes     int64 = 16 << 30
	DefaultImageMaxEntries         = 3 << 19 // 1,572,864: peak RSS at the bound stays near 700 MiB
	DefaultImageMaxNameBytes int64 = 256 << 20
)

// ImageOptions configure OpenImage; the zero value is the defaults.
type ImageOptions struct {
	Limits ImageLimits
	// TempDir holds the unnamed temporary files (default os.TempDir()).
	TempDir string
}

func (o ImageOptions) limits() imageLimits {
	lim := defaultImageLimits
	if o.Limits.MaxBytes > 0 {
		lim.maxBytes = o.Limits.MaxBytes
	}
	if o.Limits.MaxEntries > 0 {
		lim.maxEntries = o.Limits.MaxEntries
	}
	if o.Limits.MaxNameBytes > 0 {
		lim.maxNameBytes = o.Limits.MaxNameBytes
	}
	return lim
}

// ErrImageLimit is wrapped by the error for an image over its ImageLimits.
var ErrImageLimit = errImageLimit

// OpenImage opens a container image archive read-only: a "docker save"
// tarball (classic or OCI-based), an OCI image layout directory, or a tar of
// one. The archive may itself be gzip or zstd compressed. Layers are applied
// in order with whiteouts into an in-memory index, each decompressed once
// and checked against its digest; nothing is unpacked. Reading stops with
// ctx, and when the image exceeds opts.Limits (ErrImageLimit). A FIFO or
// device given as the image is refused, not waited on.
func OpenImage(ctx context.Context, file string, opts ImageOptions) (Target, error) {
	return openImage(ctx, file, opts.limits(), opts.TempDir)
}

func openImage(ctx context.Context, file string, lim imageLimits, tempDir string) (_ Target, err error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", file, err)
	}
	t := &imageTarget{name: abs, tempDir: tempDir, spoolBudget: newBudget(lim.maxBytes, "bytes in temporary files")}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	names := newBudget(lim.maxNameBytes, "bytes of entry names")
	f, fi, err := fileutil.OpenNonblock(abs)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	switch {
	case fi.IsDir():
		f.Close()
		r, err := os.OpenRoot(abs)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		t.arc = &dirArchive{root: r}
	case fi.Mode().IsRegular():
		if f, err = t.openArchiveFile(ctx, f); err != nil {
			return nil, fmt.Errorf("image %s: %w", file, err)
		}
		a, err := openTarArchive(ctx, f, names)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("image %s: %w", file, err)
		}
		t.arc = a
	default:
		f.Close()
		return nil, fmt.Errorf("image: %w; an image is an archive file or an OCI layout directory", fileutil.NotRegularError(file, fi.Mode()))
	}
	t.layers, err = imageLayers(t.arc, lim)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", file, err)
	}
	b := newTreeBuilder(ctx, lim, names)
	for i, l := range t.layers {
		if err := b.apply(i, l); err != nil {
			return nil, fmt.Errorf("image %s: %w", file, err)
		}
	}
	t.root = b.root
	return t, nil
}

// openArchiveFile returns the archive to index; a compressed one ("docker
// save | gzip") is decompressed once into an unnamed temporary file, since
// layers are read in place by offset.
func (t *imageTarget) openArchiveFile(ctx context.Context, f *os.File) (*os.File, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	comp, err := sniffCompression(&section{ra: f, size: fi.Size()})
	if err != nil || comp == compNone {
		if err != nil {
			f.Close()
		}
		return f, err
	}
	defer f.Close()
	r, done, err := decompress(f, comp)
	if err != nil {
		return nil, err
	}
	defer done()
	tmp, release, err := fileutil.TempFile(t.tempDir)
	if err != nil {
		return nil, fmt.Errorf("decompress %s archive: %w", comp, err)
	}
	t.release = release
	w := &holeWriter{f: tmp}
	_, err = io.Copy(w, &meteredReader{ctx: ctx, r: r, b: t.spoolBudget})
	if err == nil {
		err = w.extend()
	}
	if err != nil {
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
		err = t.arc.Close() // closes a decompressed archive copy too
		t.arc = nil
	}
	if t.release != nil {
		t.release()
		t.release = nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spoolFree != nil {
		err = errors.Join(err, t.spoolFree())
		t.spool, t.spoolFree = nil, nil
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
	fi := FileInfo{Path: p, Mode: n.mode, UID: n.uid, GID: n.gid, Size: n.size, ModTime: n.modTime(), Nlink: 1, Ino: n.ino, Link: n.link}
	switch {
	case n.data != nil:
		fi.Nlink = uint64(n.data.nlink)
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

// sectionFile is a file's bytes in a larger file; it is an io.ReaderAt, so
// readers that need random access (SQLite package databases) need not
// copy it.
type sectionFile struct{ *io.SectionReader }

func (sectionFile) Close() error { return nil }

// openContent returns a file's bytes: from memory, in place from an
// uncompressed layer, or from the spool, which the first read of a file of
// a compressed layer fills with every such file of the layer.
func (t *imageTarget) openContent(c *content) (io.ReadCloser, error) {
	l := t.layers[c.layer]
	switch c.loc {
	case locMem:
		return io.NopCloser(bytes.NewReader(c.mem)), nil
	case locBlob:
		return sectionFile{io.NewSectionReader(l.blob.ra, l.blob.off+c.off, c.size)}, nil
	}
	l.spool.Do(func() { l.spoolErr = t.spoolLayer(l) }) // sets c.off

	if c.off < 0 {
		err := l.spoolErr
		if err == nil {
			err = errors.New("content not found on re-read")
		}
		return nil, fmt.Errorf("layer %s: %w", l.desc, err)
	}
	return sectionFile{io.NewSectionReader(t.spool, c.off, c.size)}, nil
}

// spoolLayer decompresses l once more and copies the contents that are
// still part of the merged tree and not in memory into the spool, an
// unnamed temporary file. The spool's size counts against MaxBytes.
func (t *imageTarget) spoolLayer(l *layer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var want []*content
	for _, c := range l.lazy {
		if c.nlink > 0 {
			want = append(want, c)
		}
	}
	l.lazy = nil
	if len(want) == 0 {
		return nil
	}
	if t.spool == nil {
		f, free, err := fileutil.TempFile(t.tempDir)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		t.spool, t.spoolFree = f, free
	}
	r, done, err := decompress(l.blob.reader(), l.comp)
	if err != nil {
		return err
	}
	defer done()
	tr := tar.NewReader(r)
	for ordinal, next := 0, 0; next < len(want); ordinal++ {
		h, err := tr.Next()
		if err != nil {
			return fmt.Errorf("re-read: %w", err)
		}
		c := want[next]
		if int64(ordinal) != -c.off-1 {
			continue
		}
		next++
		if h.Size != c.size {
			return errors.New("re-read: changed since the image was opened")
		}
		if err := t.spoolBudget.take(c.size); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		w := &holeWriter{f: t.spool, off: t.spoolEnd}
		n, err := io.Copy(w, io.LimitReader(tr, c.size))
		if err == nil && n != c.size {
			err = io.ErrUnexpectedEOF
		}
		if err == nil {
			err = w.extend()
		}
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		c.off = t.spoolEnd
		t.spoolEnd += c.size
	}
	return nil
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
		if opts.Prune != nil && rel != "" && opts.Prune(rel, &imageProbe{t: t, dir: rel, d: d}) != "" {
			return nil
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

// imageProbe is the DirProbe of an image directory: lookups in the merged
// tree, which follow no symlink.
type imageProbe struct {
	t   *imageTarget
	dir string
	d   *inode
}

func (p *imageProbe) Has(name string) (fs.FileMode, bool) {
	n, ok := p.d.kids[name]
	if !ok {
		return 0, false
	}
	return n.mode.Type(), true
}

func (p *imageProbe) Lstat(rel string) (FileInfo, error) {
	n := lookupNode(p.d, rel)
	if n == nil {
		return FileInfo{}, errNotExist("stat", joinRel(p.dir, rel))
	}
	return p.t.info(joinRel(p.dir, rel), n), nil
}
