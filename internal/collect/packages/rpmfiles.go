package packages

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/cradle-cra/cradle/internal/target"
)

// RPM header tags of the file list.
const (
	rpmTagFileModes   = 1030 // INT16 array
	rpmTagFileDigests = 1035 // STRING_ARRAY, hex ("" for non-regular files)
	rpmTagFileFlags   = 1037 // INT32 array
	rpmTagDirIndexes  = 1116 // INT32 array
	rpmTagBaseNames   = 1117 // STRING_ARRAY
	rpmTagDirNames    = 1118 // STRING_ARRAY
	rpmTagDigestAlgo  = 5011 // INT32: PGPHASHALGO, MD5 when absent

	rpmTypeInt16 = 3

	// RPMFileConfig and RPMFileGhost are FILEFLAGS bits.
	RPMFileConfig = 1 << 0
	RPMFileGhost  = 1 << 6

	// maxRPMFiles bounds the files of one header.
	maxRPMFiles = 1 << 20
)

// RPMFile is one file of an rpm header.
type RPMFile struct {
	Path   string
	Digest string // hex, "" for directories, symlinks and the like
	Flags  uint32
	Mode   uint16
}

// RPMDigestAlgos maps rpm's PGPHASHALGO numbers to algorithm names.
var RPMDigestAlgos = map[uint32]string{1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512"}

// ParseRPMFiles decodes the file list of an rpmdb header blob: paths
// (dirnames[dirindex] + basename), digests and flags, and the digest
// algorithm name ("" when unknown). Inconsistent arrays are an error.
func ParseRPMFiles(b []byte) (files []RPMFile, algo string, err error) {
	tags := map[uint32][2]uint32{} // tag -> type, count; offsets below
	offs := map[uint32]uint32{}
	if len(b) < 8 {
		return nil, "", fmt.Errorf("%w: too short", errRPMHeader)
	}
	il, dl := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	if il == 0 || il > 0xffff || dl > 256<<20 {
		return nil, "", fmt.Errorf("%w: index %d entries, %d data bytes", errRPMHeader, il, dl)
	}
	idxEnd := 8 + uint64(il)*16
	if idxEnd+uint64(dl) > uint64(len(b)) {
		return nil, "", fmt.Errorf("%w: truncated", errRPMHeader)
	}
	data := b[idxEnd : idxEnd+uint64(dl)]
	for i := uint64(0); i < uint64(il); i++ {
		e := b[8+i*16 : 8+i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		tags[tag] = [2]uint32{binary.BigEndian.Uint32(e[4:8]), binary.BigEndian.Uint32(e[12:16])}
		offs[tag] = binary.BigEndian.Uint32(e[8:12])
	}
	strs := func(tag uint32) ([]string, error) {
		tc, ok := tags[tag]
		if !ok {
			return nil, nil
		}
		if tc[0] != rpmTypeArray || tc[1] > maxRPMFiles || uint64(offs[tag]) > uint64(len(data)) {
			return nil, fmt.Errorf("%w: tag %d", errRPMHeader, tag)
		}
		rest := data[offs[tag]:]
		out := make([]string, 0, tc[1])
		for range tc[1] {
			end := bytes.IndexByte(rest, 0)
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated string in tag %d", errRPMHeader, tag)
			}
			out = append(out, string(rest[:end]))
			rest = rest[end+1:]
		}
		return out, nil
	}
	ints := func(tag, typ uint32) ([]uint32, error) {
		tc, ok := tags[tag]
		if !ok {
			return nil, nil
		}
		size := uint64(4)
		if typ == rpmTypeInt16 {
			size = 2
		}
		if tc[0] != typ || tc[1] > maxRPMFiles || uint64(offs[tag])+uint64(tc[1])*size > uint64(len(data)) {
			return nil, fmt.Errorf("%w: tag %d", errRPMHeader, tag)
		}
		out := make([]uint32, tc[1])
		for i := range out {
			p := data[uint64(offs[tag])+uint64(i)*size:]
			if size == 2 {
				out[i] = uint32(binary.BigEndian.Uint16(p))
			} else {
				out[i] = binary.BigEndian.Uint32(p)
			}
		}
		return out, nil
	}
	base, err := strs(rpmTagBaseNames)
	if err != nil || len(base) == 0 {
		return nil, "", err
	}
	dirs, err := strs(rpmTagDirNames)
	if err != nil {
		return nil, "", err
	}
	digests, err := strs(rpmTagFileDigests)
	if err != nil {
		return nil, "", err
	}
	idx, err := ints(rpmTagDirIndexes, rpmTypeInt32)
	if err != nil {
		return nil, "", err
	}
	flags, err := ints(rpmTagFileFlags, rpmTypeInt32)
	if err != nil {
		return nil, "", err
	}
	modes, err := ints(rpmTagFileModes, rpmTypeInt16)
	if err != nil {
		return nil, "", err
	}
	n := len(base)
	if len(idx) != n || (digests != nil && len(digests) != n) || (flags != nil && len(flags) != n) || (modes != nil && len(modes) != n) {
		return nil, "", fmt.Errorf("%w: file arrays of different lengths", errRPMHeader)
	}
	algo = "md5"
	if a, err := ints(rpmTagDigestAlgo, rpmTypeInt32); err == nil && len(a) > 0 {
		algo = RPMDigestAlgos[a[0]]
	}
	files = make([]RPMFile, n)
	for i := range base {
		if int(idx[i]) >= len(dirs) {
			return nil, "", fmt.Errorf("%w: directory index out of range", errRPMHeader)
		}
		f := RPMFile{Path: dirs[idx[i]] + base[i]}
		if digests != nil {
			f.Digest = digests[i]
		}
		if flags != nil {
			f.Flags = flags[i]
		}
		if modes != nil {
			f.Mode = uint16(modes[i])
		}
		files[i] = f
	}
	return files, algo, nil
}

// EachRPMHeader calls fn with the identity and the file list of every
// package in the target's SQLite rpmdb, and returns the database's path;
// fs.ErrNotExist when there is none.
func EachRPMHeader(ctx context.Context, t target.Target, fn func(h RPMHeader, files []RPMFile, algo string) error) (string, error) {
	for _, p := range rpmSQLitePaths {
		fi, err := t.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return target.Abs(p), err
		}
		ra, size, closeDB, err := openReaderAt(t, p, fi.Size)
		if err != nil {
			return target.Abs(p), err
		}
		defer closeDB()
		sq, err := openSQLite(ra, size)
		if err != nil {
			return target.Abs(p), err
		}
		if wfi, err := t.Stat(p + "-wal"); err == nil && wfi.Size > 0 {
			var w io.ReaderAt
			var n int64
			var closeWAL func()
			if w, n, closeWAL, err = openReaderAt(t, p+"-wal", wfi.Size); err != nil {
				return target.Abs(p), err
			}
			defer closeWAL()
			if err := sq.attachWAL(w, n); err != nil {
				return target.Abs(p), err
			}
		}
		root, err := sq.tableRoot("Packages")
		if err != nil {
			return target.Abs(p), err
		}
		return target.Abs(p), sq.scanTable(root, func(rowid int64, rec []sqlValue) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(rec) < 2 || rec[1].b == nil {
				return fmt.Errorf("%w: Packages row %d has no blob", errSQLite, rowid)
			}
			h, err := ParseRPMHeader(rec[1].b)
			if err != nil {
				return fmt.Errorf("Packages row %d: %w", rowid, err)
			}
			files, algo, err := ParseRPMFiles(rec[1].b)
			if err != nil {
				return fmt.Errorf("Packages row %d (%s): %w", rowid, h.Name, err)
			}
			return fn(h, files, algo)
		})
	}
	return "", fs.ErrNotExist
}
