package target

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// imageLimits bound what a hostile image can make cradle hold or do.
type imageLimits struct {
	maxEntries int   // tar headers over all layers
	maxMem     int64 // file contents held in memory over the whole image
	maxInline  int64 // largest file held in memory
	// Files over smallFile may fill only maxLargeMem of maxMem, so large
	// files early in a layer cannot crowd out the small configuration files
	// checks read, whatever the order of the tar.
	smallFile   int64
	maxLargeMem int64
	maxPath     int // longest tar entry name
	maxLayers   int
}

var defaultImageLimits = imageLimits{
	maxEntries:  1 << 21,
	maxMem:      192 << 20,
	maxInline:   1 << 20,
	smallFile:   64 << 10,
	maxLargeMem: 64 << 20,
	maxPath:     4096,
	maxLayers:   256,
}

// inode is one path of the merged image tree. Hard links share ino and
// content, as they share an inode on disk.
type inode struct {
	mode  fs.FileMode
	uid   uint32
	gid   uint32
	size  int64
	mtime time.Time
	link  string // symlink target, verbatim
	ino   uint64
	data  *content          // regular files
	kids  map[string]*inode // directories
	layer int               // newest layer that wrote this node or a descendant
}

// content locates a regular file's bytes: in memory, at an offset of an
// uncompressed layer, or as the entry-th header of a compressed layer that
// is decompressed again on demand.
type content struct {
	nlink uint64
	size  int64
	mem   []byte
	inMem bool
	large bool // counted in largeMem
	layer int
	entry int
	name  string // header name, checked again on a lazy read
	off   int64  // data offset in an uncompressed layer blob; -1 if unknown
}

// compression is a layer blob's encoding, sniffed from its magic bytes
// rather than trusted from the manifest's media type.
type compression int

const (
	compNone compression = iota
	compGzip
	compZstd
	compBzip2
)

func (c compression) String() string {
	return [...]string{"uncompressed", "gzip", "zstd", "bzip2"}[c]
}

// section is a byte range of a file: a layer blob inside an archive.
type section struct {
	ra   io.ReaderAt
	off  int64
	size int64
}

func (s *section) reader() *io.SectionReader { return io.NewSectionReader(s.ra, s.off, s.size) }

// layer is one filesystem changeset of the image, oldest first.
type layer struct {
	blob *section
	comp compression
	desc string // for error messages: digest or archive member
}

func sniffCompression(s *section) compression {
	var m [4]byte
	n, _ := s.reader().Read(m[:])
	b := m[:n]
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return compGzip
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return compZstd
	case bytes.HasPrefix(b, []byte("BZh")):
		return compBzip2
	}
	return compNone
}

// maxZstdWindow bounds the decoder's memory; zstd's own recommendation
// for decoders is 8 MiB, long-distance mode uses up to 128 MiB.
const maxZstdWindow = 128 << 20

// decompress returns the layer's tar stream; for uncompressed layers it is
// the seekable section itself, so data offsets can be recorded.
func decompress(r io.Reader, c compression) (io.Reader, func(), error) {
	switch c {
	case compGzip:
		zr, err := gzip.NewReader(bufio.NewReaderSize(r, 64<<10))
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case compZstd:
		zr, err := zstd.NewReader(bufio.NewReaderSize(r, 64<<10), zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	case compBzip2:
		return bzip2.NewReader(bufio.NewReaderSize(r, 64<<10)), func() {}, nil
	}
	return r, func() {}, nil
}

// treeBuilder applies layers to the merged tree.
type treeBuilder struct {
	lim      imageLimits
	root     *inode
	entries  int
	mem      int64
	largeMem int64
	ino      uint64
}

func newTreeBuilder(lim imageLimits) *treeBuilder {
	b := &treeBuilder{lim: lim}
	b.root = b.newDir(0o755, -1)
	return b
}

func (b *treeBuilder) nextIno() uint64 {
	b.ino++
	return b.ino
}

func (b *treeBuilder) newDir(perm fs.FileMode, layer int) *inode {
	return &inode{mode: fs.ModeDir | perm, ino: b.nextIno(), kids: map[string]*inode{}, layer: layer}
}

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

var errImageLimit = errors.New("image exceeds cradle's limits")

// apply merges layer idx into the tree: whiteouts and opaque markers hide
// what lower layers wrote, later entries replace earlier ones. Paths are
// cleaned into the root and symlinks are never followed while building, so
// no entry can land outside the tree.
func (b *treeBuilder) apply(idx int, l *layer) error {
	sr := l.blob.reader()
	r, done, err := decompress(sr, l.comp)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.desc, err)
	}
	defer done()
	tr := tar.NewReader(r)
	for ordinal := 0; ; ordinal++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("layer %s (%s): %w", l.desc, l.comp, err)
		}
		b.entries++
		if b.entries > b.lim.maxEntries {
			return fmt.Errorf("layer %s: more than %d entries: %w", l.desc, b.lim.maxEntries, errImageLimit)
		}
		if len(h.Name) > b.lim.maxPath || len(h.Linkname) > b.lim.maxPath {
			return fmt.Errorf("layer %s: entry name longer than %d bytes: %w", l.desc, b.lim.maxPath, errImageLimit)
		}
		p := Clean(h.Name)
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if base == opaqueMarker {
			if d := b.lookup(dir); d != nil && d.kids != nil {
				prune(d, idx, b)
			}
			continue
		}
		if strings.HasPrefix(base, whiteoutPrefix) {
			name := base[len(whiteoutPrefix):]
			if name == "" || name == "." || name == ".." || strings.HasPrefix(name, whiteoutPrefix) {
				continue // AUFS metadata (.wh..wh.plnk etc.) or nonsense
			}
			if d := b.lookup(dir); d != nil && d.kids != nil {
				if n := d.kids[name]; n != nil {
					if n.layer < idx {
						b.release(n)
						delete(d.kids, name)
					} else if n.kids != nil {
						prune(n, idx, b)
					}
				}
			}
			continue
		}
		var n *inode
		switch h.Typeflag {
		case tar.TypeDir:
			if p == "" {
				b.root.mode = h.FileInfo().Mode()
				b.root.uid, b.root.gid, b.root.mtime = uint32(h.Uid), uint32(h.Gid), h.ModTime
				continue
			}
			n = &inode{kids: map[string]*inode{}}
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			c := &content{nlink: 1, size: h.Size, layer: idx, entry: ordinal, name: h.Name, off: -1}
			sparse := h.Typeflag == tar.TypeGNUSparse || hasSparseRecords(h)
			switch {
			case l.comp == compNone && !sparse:
				if off, err := sr.Seek(0, io.SeekCurrent); err == nil {
					c.off = off
				}
			case b.inline(p, h.Size):
				buf := make([]byte, h.Size)
				if _, err := io.ReadFull(tr, buf); err != nil {
					return fmt.Errorf("layer %s: %s: %w", l.desc, h.Name, err)
				}
				c.mem, c.inMem = buf, true
				b.mem += h.Size
				c.large = h.Size > b.lim.smallFile && !strings.HasPrefix(p, "etc/") && !strings.HasPrefix(p, "var/lib/")
				if c.large {
					b.largeMem += h.Size
				}
			}
			n = &inode{data: c, size: h.Size}
		case tar.TypeSymlink:
			n = &inode{link: h.Linkname, size: int64(len(h.Linkname))}
		case tar.TypeLink:
			t := b.lookup(Clean(h.Linkname))
			if t == nil || t.kids != nil || Clean(h.Linkname) == p {
				continue // dangling or a directory: not representable
			}
			cp := *t
			cp.layer = idx
			if cp.data != nil {
				cp.data.nlink++
			}
			if err := b.place(p, &cp, idx); err != nil {
				return fmt.Errorf("layer %s: %w", l.desc, err)
			}
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			n = &inode{}
		default:
			continue // global headers, vendor extensions
		}
		if p == "" {
			continue // only a directory can be the root
		}
		n.mode = h.FileInfo().Mode() // type, permission and setuid/setgid/sticky bits
		n.uid, n.gid, n.mtime = uint32(h.Uid), uint32(h.Gid), h.ModTime
		n.ino = b.nextIno()
		if err := b.place(p, n, idx); err != nil {
			return fmt.Errorf("layer %s: %w", l.desc, err)
		}
	}
}

func hasSparseRecords(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// place puts n at p, creating missing parents. A non-directory parent is
// replaced by a directory, as an upper directory hides a lower file in
// overlayfs; a directory over a directory merges.
func (b *treeBuilder) place(p string, n *inode, idx int) error {
	parts := strings.Split(p, "/")
	d := b.root
	d.layer = idx
	for _, part := range parts[:len(parts)-1] {
		c := d.kids[part]
		if c == nil || c.kids == nil {
			if c != nil {
				b.release(c)
			}
			// Implicit parents are nodes too: count them, or a few deep
			// names would build an unbounded tree.
			b.entries++
			if b.entries > b.lim.maxEntries {
				return fmt.Errorf("more than %d tree nodes: %w", b.lim.maxEntries, errImageLimit)
			}
			c = b.newDir(0o755, idx)
			d.kids[part] = c
		}
		c.layer = idx
		d = c
	}
	base := parts[len(parts)-1]
	n.layer = idx
	if old := d.kids[base]; old != nil {
		if old.kids != nil && n.kids != nil {
			old.mode, old.uid, old.gid, old.mtime = n.mode, n.uid, n.gid, n.mtime
			old.layer = idx
			return nil
		}
		b.release(old)
	}
	d.kids[base] = n
	return nil
}

// lookup finds the node at a cleaned path without following symlinks.
func (b *treeBuilder) lookup(p string) *inode {
	return lookupNode(b.root, p)
}

func lookupNode(root *inode, p string) *inode {
	n := root
	if p == "" {
		return n
	}
	for part := range strings.SplitSeq(p, "/") {
		if n.kids == nil {
			return nil
		}
		n = n.kids[part]
		if n == nil {
			return nil
		}
	}
	return n
}

// inline reports whether the file at p of size n is kept in memory. Small
// files and those where configuration and package databases live share the
// whole budget; other large files only maxLargeMem of it.
func (b *treeBuilder) inline(p string, n int64) bool {
	if n > b.lim.maxInline || b.mem+n > b.lim.maxMem {
		return false
	}
	if n <= b.lim.smallFile || strings.HasPrefix(p, "etc/") || strings.HasPrefix(p, "var/lib/") {
		return true
	}
	return b.largeMem+n <= b.lim.maxLargeMem
}

// release forgets a removed subtree's in-memory contents once no hard link
// refers to them.
func (b *treeBuilder) release(n *inode) {
	if n.data != nil {
		n.data.nlink--
		if n.data.nlink == 0 && n.data.inMem {
			b.mem -= int64(len(n.data.mem))
			if n.data.large {
				b.largeMem -= int64(len(n.data.mem))
			}
			n.data.mem = nil
		}
	}
	for _, k := range n.kids {
		b.release(k)
	}
}

// prune removes from d's subtree everything written by layers below idx:
// an opaque directory hides the whole lower tree.
func prune(d *inode, idx int, b *treeBuilder) {
	for name, k := range d.kids {
		if k.layer < idx {
			b.release(k)
			delete(d.kids, name)
		} else if k.kids != nil {
			prune(k, idx, b)
		}
	}
}
