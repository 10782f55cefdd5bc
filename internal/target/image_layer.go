package target

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// imageLimits bound what a hostile image can make cradle hold or do.
type imageLimits struct {
	maxBytes     int64 // layer bytes after decompression, over all layers; also bounds spooled bytes
	maxEntries   int   // tar headers over all layers, plus implicit parent directories
	maxNameBytes int64 // entry names and link targets over all layers and the outer archive
	maxMem       int64 // file contents held in memory over the whole image
	maxInline    int64 // largest file held in memory
	// Files over smallFile may fill only maxLargeMem of maxMem, so large
	// files early in a layer cannot crowd out the small configuration files
	// checks read, whatever the order of the tar.
	smallFile   int64
	maxLargeMem int64
	maxPath     int // longest tar entry name
	maxLayers   int
}

var defaultImageLimits = imageLimits{
	maxBytes:     DefaultImageMaxBytes,
	maxEntries:   DefaultImageMaxEntries,
	maxNameBytes: DefaultImageMaxNameBytes,
	maxMem:       192 << 20,
	maxInline:    1 << 20,
	smallFile:    64 << 10,
	maxLargeMem:  64 << 20,
	maxPath:      4096,
	maxLayers:    256,
}

// inode is one path of the merged image tree. Hard links share ino and
// content, as they share an inode on disk.
//
// Fields are packed (80 bytes) because a hostile image may make millions.
type inode struct {
	mode  fs.FileMode
	uid   uint32
	gid   uint32
	layer int32 // newest layer that wrote this node or a descendant
	mnsec int32 // nanoseconds of the mtime; -1: no mtime (the zero time)
	size  int64
	mtime int64  // seconds since the epoch
	link  string // symlink target, verbatim
	ino   uint64
	data  *content          // regular files
	kids  map[string]*inode // directories
}

func (n *inode) setMtime(t time.Time) { n.mtime, n.mnsec = t.Unix(), int32(t.Nanosecond()) }

func (n *inode) modTime() time.Time {
	if n.mnsec < 0 {
		return time.Time{}
	}
	return time.Unix(n.mtime, int64(n.mnsec))
}

// content locates a regular file's bytes (48 bytes, packed like inode).
type content struct {
	layer int16 // maxLayers fits
	loc   contentLoc
	large bool // counted in largeMem
	nlink uint32
	size  int64
	// off is, for locBlob, the offset in the layer blob; for locLazy,
	// -(ordinal+1) of the tar header in its layer until spooled, then the
	// offset in the spool.
	off int64
	mem []byte // locMem
}

type contentLoc uint8

const (
	locMem  contentLoc = iota // held in memory
	locBlob                   // in place in an uncompressed layer blob
	locLazy                   // in a compressed layer: spooled on first read
)

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
	// digest is the blob's expected digest, diffID the expected digest of
	// its uncompressed tar stream; either may be empty (not known).
	digest, diffID string

	lazy     []*content // contents left in the compressed blob, in tar order
	spool    sync.Once
	spoolErr error
}

// errUnsupportedCompression is returned for layers and archives cradle
// cannot decompress (xz, lz4) or whose encoding it does not recognise.
var errUnsupportedCompression = errors.New("unsupported compression")

// sniffCompression identifies a blob's compression from its first bytes.
// An uncompressed tar has "ustar" at offset 257 or starts with an
// all-zero end-of-archive block; anything else is refused rather than
// guessed.
func sniffCompression(s *section) (compression, error) {
	var m [512]byte
	n, _ := io.ReadFull(s.reader(), m[:])
	b := m[:n]
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return compGzip, nil
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}),
		len(b) >= 4 && b[0]&0xf0 == 0x50 && bytes.Equal(b[1:4], []byte{0x2a, 0x4d, 0x18}): // zstd skippable frame
		return compZstd, nil
	case bytes.HasPrefix(b, []byte("BZh")):
		return compBzip2, nil
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return 0, fmt.Errorf("xz: %w (decompress it first, or save the image with gzip or zstd)", errUnsupportedCompression)
	case bytes.HasPrefix(b, []byte{0x04, 0x22, 0x4d, 0x18}):
		return 0, fmt.Errorf("lz4: %w", errUnsupportedCompression)
	case n == 0, n >= 262 && bytes.HasPrefix(b[257:], []byte("ustar")), n == 512 && allZero(b):
		return compNone, nil
	}
	head := b[:min(len(b), 8)]
	return 0, fmt.Errorf("neither a tar nor gzip, zstd or bzip2 (starts with % x): %w", head, errUnsupportedCompression)
}

var zeros [64 << 10]byte

func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeros))
		if !bytes.Equal(b[:n], zeros[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// holeWriter writes sequentially from off into f but skips all-zero
// chunks, leaving holes: a spooled run of zeros, the usual filler of a
// decompression bomb, then costs no disk. The caller extends f to the
// final offset.
type holeWriter struct {
	f   *os.File
	off int64
}

func (w *holeWriter) Write(p []byte) (int, error) {
	for done := 0; done < len(p); {
		c := p[done:min(len(p), done+len(zeros))]
		if !allZero(c) {
			if _, err := w.f.WriteAt(c, w.off); err != nil {
				return done, err
			}
		}
		w.off += int64(len(c))
		done += len(c)
	}
	return len(p), nil
}

// extend makes f at least w.off long, so a final hole reads as zeros.
func (w *holeWriter) extend() error {
	fi, err := w.f.Stat()
	if err != nil || fi.Size() >= w.off {
		return err
	}
	return w.f.Truncate(w.off)
}

// checkLayerMediaType refuses layer media types that are not a (possibly
// compressed) filesystem tar, naming the type. The compression itself is
// still sniffed from the blob, since tools mislabel it.
func checkLayerMediaType(mt string) error {
	switch {
	case mt == "":
		return nil
	case strings.Contains(mt, "encrypted"):
		return fmt.Errorf("media type %q: encrypted layers are not supported", mt)
	case strings.HasSuffix(mt, "xz"):
		return fmt.Errorf("media type %q: xz: %w", mt, errUnsupportedCompression)
	case !strings.Contains(mt, "tar"):
		return fmt.Errorf("media type %q: not a filesystem layer", mt)
	}
	return nil
}

// maxZstdWindow bounds the decoder's memory; zstd's own recommendation
// for decoders is 8 MiB, long-distance mode uses up to 128 MiB.
const maxZstdWindow = 128 << 20

// decompress returns the layer's tar stream.
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

// budget is a count-down shared by every reader of one image, so a layer
// listed many times, or many layers, cannot together exceed it.
type budget struct {
	left  int64
	limit int64
	what  string // "decompressed bytes", for the error
}

func newBudget(limit int64, what string) *budget {
	return &budget{left: limit, limit: limit, what: what}
}

func (b *budget) take(n int64) error {
	b.left -= n
	if b.left < 0 {
		return fmt.Errorf("more than %d %s: %w", b.limit, b.what, errImageLimit)
	}
	return nil
}

// meteredReader counts the bytes read through it against a budget (if
// any) and stops when the context is cancelled; n is the stream position.
type meteredReader struct {
	ctx context.Context
	r   io.Reader
	b   *budget
	n   int64
}

func (m *meteredReader) Read(p []byte) (int, error) {
	if err := m.ctx.Err(); err != nil {
		return 0, err
	}
	if m.b != nil && m.b.left < int64(len(p)) {
		p = p[:max(m.b.left, 0)+1] // one byte over shows the stream goes on
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if m.b != nil {
		if berr := m.b.take(int64(n)); berr != nil {
			return n, berr
		}
	}
	return n, err
}

// treeBuilder applies layers to the merged tree.
type treeBuilder struct {
	ctx      context.Context
	lim      imageLimits
	root     *inode
	entries  int
	names    *budget
	bytes    *budget
	mem      int64
	largeMem int64
	ino      uint64
}

func newTreeBuilder(ctx context.Context, lim imageLimits, names *budget) *treeBuilder {
	b := &treeBuilder{ctx: ctx, lim: lim, names: names, bytes: newBudget(lim.maxBytes, "bytes of decompressed layers")}
	b.root = b.newDir(0o755, -1)
	return b
}

func (b *treeBuilder) nextIno() uint64 {
	b.ino++
	return b.ino
}

func (b *treeBuilder) newDir(perm fs.FileMode, layer int32) *inode {
	return &inode{mode: fs.ModeDir | perm, ino: b.nextIno(), kids: map[string]*inode{}, layer: layer, mnsec: -1}
}

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

var errImageLimit = errors.New("image exceeds cradle's limits (see docs/security.md to raise them)")

// errDigestMismatch is returned for a layer or blob whose content does not
// match the digest the image's manifest or configuration records.
var errDigestMismatch = errors.New("content does not match its digest")

// apply merges layer idx into the tree: whiteouts and opaque markers hide
// what lower layers wrote, later entries replace earlier ones. Paths are
// cleaned into the root and symlinks are never followed while building, so
// no entry can land outside the tree. The layer is decompressed once: small
// files are kept in memory, uncompressed layers are read in place later,
// and other files are located by their ordinal for the spool. The blob and
// its uncompressed stream are hashed on the way and checked against the
// digests the image records.
func (b *treeBuilder) apply(idx int, l *layer) error {
	raw := &meteredReader{ctx: b.ctx, r: l.blob.reader()}
	var src io.Reader = raw
	var blobSum, diffSum hash.Hash
	var err error
	if l.digest != "" {
		if blobSum, err = digestHash(l.digest); err != nil {
			return fmt.Errorf("layer %s: %w", l.desc, err)
		}
		src = io.TeeReader(raw, blobSum)
	}
	r, done, err := decompress(src, l.comp)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.desc, err)
	}
	defer done()
	// For an uncompressed layer, mr.n is the offset in the blob: tar.Reader
	// reads no further than it must.
	mr := &meteredReader{ctx: b.ctx, r: r, b: b.bytes}
	var stream io.Reader = mr
	if l.diffID != "" {
		if diffSum, err = digestHash(l.diffID); err != nil {
			return fmt.Errorf("layer %s: diff ID: %w", l.desc, err)
		}
		stream = io.TeeReader(mr, diffSum)
	}
	if err := b.entriesOf(int32(idx), l, tar.NewReader(stream), mr); err != nil {
		return fmt.Errorf("layer %s: %w", l.desc, err)
	}
	if diffSum != nil {
		if _, err := io.Copy(io.Discard, stream); err != nil {
			return fmt.Errorf("layer %s (%s): %w", l.desc, l.comp, err)
		}
		if err := checkSum(l.diffID, diffSum); err != nil {
			return fmt.Errorf("layer %s: uncompressed %w", l.desc, err)
		}
	}
	if blobSum != nil {
		if _, err := io.Copy(io.Discard, src); err != nil {
			return fmt.Errorf("layer %s: %w", l.desc, err)
		}
		if err := checkSum(l.digest, blobSum); err != nil {
			return fmt.Errorf("layer %s: %w", l.desc, err)
		}
	}
	return nil
}

func (b *treeBuilder) entriesOf(idx int32, l *layer, tr *tar.Reader, mr *meteredReader) error {
	for ordinal := 0; ; ordinal++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, errImageLimit) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return fmt.Errorf("%s: %w", l.comp, err)
		}
		b.entries++
		if b.entries > b.lim.maxEntries {
			return fmt.Errorf("more than %d entries: %w", b.lim.maxEntries, errImageLimit)
		}
		if len(h.Name) > b.lim.maxPath || len(h.Linkname) > b.lim.maxPath {
			return fmt.Errorf("entry name longer than %d bytes: %w", b.lim.maxPath, errImageLimit)
		}
		if err := b.names.take(int64(len(h.Name) + len(h.Linkname))); err != nil {
			return err
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
				b.root.uid, b.root.gid = uint32(h.Uid), uint32(h.Gid)
				b.root.setMtime(h.ModTime)
				continue
			}
			n = &inode{kids: map[string]*inode{}}
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			c := &content{nlink: 1, size: h.Size, layer: int16(idx)}
			sparse := h.Typeflag == tar.TypeGNUSparse || hasSparseRecords(h)
			switch {
			case l.comp == compNone && !sparse:
				c.loc, c.off = locBlob, mr.n
			case b.inline(p, h.Size):
				buf := make([]byte, h.Size)
				if _, err := io.ReadFull(tr, buf); err != nil {
					return fmt.Errorf("%s: %w", h.Name, err)
				}
				c.loc, c.mem = locMem, buf
				b.mem += h.Size
				c.large = h.Size > b.lim.smallFile && !strings.HasPrefix(p, "etc/") && !strings.HasPrefix(p, "var/lib/")
				if c.large {
					b.largeMem += h.Size
				}
			default:
				c.loc, c.off = locLazy, -int64(ordinal)-1
				l.lazy = append(l.lazy, c)
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
				return err
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
		n.uid, n.gid = uint32(h.Uid), uint32(h.Gid)
		n.setMtime(h.ModTime)
		n.ino = b.nextIno()
		if err := b.place(p, n, idx); err != nil {
			return err
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
// overlayfs; a directory over a directory merges. Names are copied out of
// the entry's path so the index keeps only the components.
func (b *treeBuilder) place(p string, n *inode, idx int32) error {
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
			d.kids[strings.Clone(part)] = c
		}
		c.layer = idx
		d = c
	}
	base := parts[len(parts)-1]
	n.layer = idx
	if old := d.kids[base]; old != nil {
		if old.kids != nil && n.kids != nil {
			old.mode, old.uid, old.gid, old.mtime, old.mnsec = n.mode, n.uid, n.gid, n.mtime, n.mnsec
			old.layer = idx
			return nil
		}
		b.release(old)
	}
	d.kids[strings.Clone(base)] = n
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
// refers to them; unreferenced lazy contents are then not spooled.
func (b *treeBuilder) release(n *inode) {
	if n.data != nil {
		n.data.nlink--
		if n.data.nlink == 0 && n.data.loc == locMem {
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
func prune(d *inode, idx int32, b *treeBuilder) {
	for name, k := range d.kids {
		if k.layer < idx {
			b.release(k)
			delete(d.kids, name)
		} else if k.kids != nil {
			prune(k, idx, b)
		}
	}
}
