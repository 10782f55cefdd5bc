package fim

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"sync/atomic"

	"lukechampine.com/blake3"

	"github.com/cradle-cra/cradle/internal/target"
)

// bufSize is the read size: large reads keep per-call overhead out of
// hashing throughput (256 KiB to 4 MiB measured within a few percent on
// a page-cached file; 1 MiB was the cheapest).
const bufSize = 1 << 20

// maxAttempts bounds re-reads of a file that changes while hashed.
const maxAttempts = 3

// hasher is one hashing worker's state, reused for every file it reads:
// the read buffer and the digest states. A walk of a system tree hashes
// over a hundred thousand mostly small files, where allocating (and
// zeroing) a buffer and the digests per file cost more CPU than
// opening the file.
type hasher struct {
	buf            []byte
	s256, s512, b3 hash.Hash
	hs             []hash.Hash
}

// states resets and returns the digests e wants ("-" marks them).
func (h *hasher) states(e *Entry) []hash.Hash {
	h.hs = h.hs[:0]
	if e.SHA256 != "" {
		if h.s256 == nil {
			h.s256 = sha256.New()
		}
		h.s256.Reset()
		h.hs = append(h.hs, h.s256)
	}
	if e.SHA512 != "" {
		if h.s512 == nil {
			h.s512 = sha512.New()
		}
		h.s512.Reset()
		h.hs = append(h.hs, h.s512)
	}
	if e.BLAKE3 != "" {
		if h.b3 == nil {
			h.b3 = blake3.New(32, nil)
		}
		h.b3.Reset()
		h.hs = append(h.hs, h.b3)
	}
	return h.hs
}

// hashFile fills e's wanted digests ("-" marks them) from the file rel,
// read first from f when the walk opened it (hashFile closes it).
// The open handle is stat'ed before and after reading: a file that
// changed meanwhile is read again, and after maxAttempts marked
// unstable. e's metadata is taken from the handle, so it describes the
// content that was hashed.
func (h *hasher) hashFile(ctx context.Context, op *target.BulkOpener, rel string, f target.BulkFile, e *Entry, lim *limiter, read *atomic.Int64) error {
	var before, after Entry
	for range maxAttempts {
		stated, err := h.hashOnce(ctx, op, rel, f, e, lim, read, &before, &after)
		f = nil // a file read again is opened again
		if err != nil {
			return err
		}
		if !stated {
			return nil
		}
		if statSame(&before, &after) {
			e.Type, e.Mode, e.UID, e.GID = after.Type, after.Mode, after.UID, after.GID
			e.Size, e.Mtime, e.Ctime, e.Inode, e.Links = after.Size, after.Mtime, after.Ctime, after.Inode, after.Links
			return nil
		}
	}
	e.Unstable = true
	return nil
}

// hashOnce reads the file once into e's digests and, where the backend
// can stat an open file (stated), describes it before and after the
// read; read counts the bytes as they are read (for progress), lim
// paces them.
func (h *hasher) hashOnce(ctx context.Context, op *target.BulkOpener, rel string, f target.BulkFile, e *Entry, lim *limiter,
	read *atomic.Int64, before, after *Entry) (stated bool, err error) {
	if f == nil {
		if f, err = op.Open(rel); err != nil {
			return false, err
		}
	}
	defer f.Close()
	if stated, err = openEntry(f, e.Path, before); err != nil {
		return false, err
	}
	if stated && before.Type != TypeFile {
		// Replaced by something else since the walk saw it: never read
		// a device or FIFO.
		return false, &fs.PathError{Op: "open", Path: e.Path, Err: errors.New("no longer a regular file")}
	}
	hs := h.states(e)
	if h.buf == nil {
		h.buf = make([]byte, bufSize)
	}
	buf := h.buf[:lim.chunk()]
	var n int64
	for !stated || n < before.Size {
		m, rerr := f.Read(buf)
		for _, d := range hs {
			d.Write(buf[:m])
		}
		n += int64(m)
		read.Add(int64(m))
		if err := lim.take(ctx, m); err != nil {
			return false, err
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return false, rerr
		}
	}
	// Reading stops at the size fstat gave, saving the read that would
	// return EOF: a file that grew meanwhile has another size or mtime
	// after, and is read again.
	var sum [64]byte
	if e.SHA256 != "" {
		e.SHA256 = hex.EncodeToString(h.s256.Sum(sum[:0]))
	}
	if e.SHA512 != "" {
		e.SHA512 = hex.EncodeToString(h.s512.Sum(sum[:0]))
	}
	if e.BLAKE3 != "" {
		e.BLAKE3 = hex.EncodeToString(h.b3.Sum(sum[:0]))
	}
	if !stated {
		return false, nil
	}
	if _, err = openEntry(f, e.Path, after); err != nil {
		return false, err
	}
	return true, nil
}

// openEntry describes the open file f as the entry path in dst; ok is
// false when the backend cannot stat an open file.
func openEntry(f target.BulkFile, path string, dst *Entry) (ok bool, err error) {
	fi, ok, err := f.Stat()
	if err != nil || !ok {
		return false, err
	}
	fillEntry(dst, path, fi)
	return true, nil
}
