package fim

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strings"
	"unsafe"
)

// Format 2 body (docs/fim.md): one record per entry, sorted by path,
// uncompressed. Each record is a uvarint length followed by
//
//	uvarint shared   bytes of the path shared with the previous entry's
//	uvarint n, n bytes  the rest of the path
//	byte    type     (v2Types index)
//	uvarint flags    (v2Has* bits: which optional fields follow)
//	uvarint mode, uid, gid; varint size, mtime
//	then, in flag order: varint ctime, uvarint inode, uvarint links,
//	string target, each digest (raw bytes, or a string when it is not
//	lowercase hex of the digest's length), owner and group names (a
//	uvarint index into the names seen so far, the next index followed by
//	a new string), xattrs (uvarint count, then name and value strings),
//	acl, selinux and error strings.
//
// Strings are a uvarint length and the bytes. Every record must be used
// up exactly; anything else is a malformed body.
const (
	v2HasCtime = 1 << iota
	v2HasInode
	v2HasLinks
	v2HasTarget
	v2SHA256Raw
	v2SHA256Str
	v2SHA512Raw
	v2SHA512Str
	v2BLAKE3Raw
	v2BLAKE3Str
	v2HasOwner
	v2HasGroup
	v2HasXattrs
	v2HasACL
	v2HasSELinux
	v2HasError
	v2Unstable
	v2AllFlags = v2Unstable<<1 - 1
)

var v2Types = [...]string{TypeFile, TypeDir, TypeSymlink, TypeFIFO, TypeSocket, TypeChar, TypeBlock, TypeOther}

// Bounds of the format 2 reader beyond MaxLine (a record's size).
const (
	// maxNames bounds the owner and group names table.
	maxNames = 1 << 16
	// maxXattrs bounds the extended attributes of one entry.
	maxXattrs = 4096
	// pathWorkPerByte bounds the path bytes decoded per body byte: a
	// shared prefix repeats bytes already read, and a stolen key must
	// not turn a small body into unbounded work.
	pathWorkPerByte = 1024
)

// digest sizes in bytes, in flag order.
var v2Digests = [3]struct {
	raw, str uint64
	size     int
}{{v2SHA256Raw, v2SHA256Str, 32}, {v2SHA512Raw, v2SHA512Str, 64}, {v2BLAKE3Raw, v2BLAKE3Str, 32}}

func typeCode(t string) (byte, bool) {
	for i, k := range v2Types {
		if t == k {
			return byte(i), true
		}
	}
	return 0, false
}

// isHexDigest reports whether s is lowercase hex of n bytes, the only
// form stored raw (so that it decodes to the same string).
func isHexDigest(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// v2Writer encodes entries as format 2 records.
type v2Writer struct {
	w     io.Writer
	prev  string
	names map[string]uint64
	rec   []byte
	frame []byte
}

func newV2Writer(w io.Writer) *v2Writer {
	return &v2Writer{w: w, names: map[string]uint64{}}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (v *v2Writer) appendName(b []byte, s string) []byte {
	if i, ok := v.names[s]; ok {
		return binary.AppendUvarint(b, i)
	}
	i := uint64(len(v.names))
	b = binary.AppendUvarint(b, i)
	if i < maxNames {
		v.names[s] = i
	}
	return appendString(b, s)
}

func (v *v2Writer) write(e *Entry) error {
	code, ok := typeCode(e.Type)
	if !ok {
		return fmt.Errorf("%q: unknown type %q", e.Path, e.Type)
	}
	if len(v.names) >= maxNames && (e.OwnerName != "" || e.GroupName != "") {
		// The reader refuses tables beyond maxNames; never write one.
		if _, ok := v.names[e.OwnerName]; !ok && e.OwnerName != "" {
			return fmt.Errorf("%q: more than %d owner and group names", e.Path, maxNames)
		}
		if _, ok := v.names[e.GroupName]; !ok && e.GroupName != "" {
			return fmt.Errorf("%q: more than %d owner and group names", e.Path, maxNames)
		}
	}
	shared := sharedPrefix(v.prev, e.Path)
	digests := [3]string{e.SHA256, e.SHA512, e.BLAKE3}
	var flags uint64
	set := func(c bool, f uint64) {
		if c {
			flags |= f
		}
	}
	set(e.Ctime != 0, v2HasCtime)
	set(e.Inode != 0, v2HasInode)
	set(e.Links != 0, v2HasLinks)
	set(e.Target != "", v2HasTarget)
	for i, d := range v2Digests {
		set(digests[i] != "" && isHexDigest(digests[i], d.size), d.raw)
		set(digests[i] != "" && !isHexDigest(digests[i], d.size), d.str)
	}
	set(e.OwnerName != "", v2HasOwner)
	set(e.GroupName != "", v2HasGroup)
	set(e.Xattrs != nil, v2HasXattrs)
	set(e.ACL != nil, v2HasACL)
	set(e.SELinux != nil, v2HasSELinux)
	set(e.Error != "", v2HasError)
	set(e.Unstable, v2Unstable)

	b := v.rec[:0]
	b = binary.AppendUvarint(b, uint64(shared))
	b = appendString(b, e.Path[shared:])
	b = append(b, code)
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, uint64(e.Mode))
	b = binary.AppendUvarint(b, uint64(e.UID))
	b = binary.AppendUvarint(b, uint64(e.GID))
	b = binary.AppendVarint(b, e.Size)
	b = binary.AppendVarint(b, e.Mtime)
	if flags&v2HasCtime != 0 {
		b = binary.AppendVarint(b, e.Ctime)
	}
	if flags&v2HasInode != 0 {
		b = binary.AppendUvarint(b, e.Inode)
	}
	if flags&v2HasLinks != 0 {
		b = binary.AppendUvarint(b, e.Links)
	}
	if flags&v2HasTarget != 0 {
		b = appendString(b, e.Target)
	}
	for i, d := range v2Digests {
		switch {
		case flags&d.raw != 0:
			b, _ = hex.AppendDecode(b, []byte(digests[i])) // checked by isHexDigest
		case flags&d.str != 0:
			b = appendString(b, digests[i])
		}
	}
	if flags&v2HasOwner != 0 {
		b = v.appendName(b, e.OwnerName)
	}
	if flags&v2HasGroup != 0 {
		b = v.appendName(b, e.GroupName)
	}
	if flags&v2HasXattrs != 0 {
		if len(e.Xattrs) > maxXattrs {
			return fmt.Errorf("%q: more than %d extended attributes", e.Path, maxXattrs)
		}
		keys := make([]string, 0, len(e.Xattrs))
		for k := range e.Xattrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = appendString(b, k)
			b = appendString(b, e.Xattrs[k])
		}
	}
	if flags&v2HasACL != 0 {
		b = appendString(b, *e.ACL)
	}
	if flags&v2HasSELinux != 0 {
		b = appendString(b, *e.SELinux)
	}
	if flags&v2HasError != 0 {
		b = appendString(b, e.Error)
	}
	if len(b) > MaxLine {
		return fmt.Errorf("%q: entry of %d bytes exceeds %d", e.Path, len(b), MaxLine)
	}
	v.rec = b
	v.frame = binary.AppendUvarint(v.frame[:0], uint64(len(b)))
	if _, err := v.w.Write(v.frame); err != nil {
		return err
	}
	if _, err := v.w.Write(b); err != nil {
		return err
	}
	v.prev = e.Path
	return nil
}

// v2Reader decodes format 2 records; every error is a malformed body.
type v2Reader struct {
	br    *bufio.Reader
	n     int // entries decoded
	prev  string
	path  []byte
	names []string
	// read counts body bytes consumed, work the path bytes decoded.
	read, work int64
	strs       []byte
	// slab holds the entries to come: one allocation per 256 entries;
	// with reuse set, every record is decoded into reuse instead.
	slab  []Entry
	reuse *Entry
	// chunk holds the strings of the entries decoded so far with reuse
	// (an index that lives and dies as a whole): one allocation for
	// thousands of entries instead of one each.
	chunk []byte
	// chunkSize is the size of the chunks (strChunk, or bigChunk for a
	// large body read with reuse).
	chunkSize int
	// shared is the length of the prefix the last path shares with the
	// one before it.
	shared int
}

// strChunk is the size of the blocks the decoder's strings are carved
// from; a string of more than a quarter of strChunk gets its own
// allocation. An index of a large body (reuse) takes bigChunk blocks,
// which can be backed by huge pages.
const (
	strChunk = 64 << 10
	bigChunk = 8 << 20
)

// keep returns s as a string carved from the current chunk.
func (v *v2Reader) keep(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > strChunk/4 || v.reuse == nil {
		// Entries handed out whole may outlive one another (a watcher
		// keeps some across reloads): one allocation each.
		return string(s)
	}
	if len(s) > cap(v.chunk)-len(v.chunk) {
		v.chunk = bigSlice[byte](0, max(v.chunkSize, strChunk), false)
	}
	n := len(v.chunk)
	v.chunk = append(v.chunk, s...)
	// The chunk's bytes up to len are never written again.
	return unsafe.String(&v.chunk[n], len(s))
}

// rec is a cursor over one record.
type rec struct {
	b   []byte
	err error
}

func (r *rec) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("bad %s", what)
	}
}

func (r *rec) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rec) varint(what string) int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rec) u32(what string) uint32 {
	v := r.uvarint(what)
	if v > math.MaxUint32 {
		r.fail(what)
		return 0
	}
	return uint32(v)
}

func (r *rec) bytes(n uint64, what string) []byte {
	if n > uint64(len(r.b)) {
		r.fail(what)
		r.b = nil
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *rec) str(what string) []byte { return r.bytes(r.uvarint(what), what) }

func (v *v2Reader) name(r *rec, what string) string {
	i := r.uvarint(what)
	switch {
	case r.err != nil:
		return ""
	case i < uint64(len(v.names)):
		return v.names[i]
	case i == uint64(len(v.names)) && i < maxNames:
		s := string(r.str(what))
		if r.err == nil {
			v.names = append(v.names, s)
		}
		return s
	}
	r.fail(what)
	return ""
}

// next decodes the next record into a new entry.
func (v *v2Reader) next() (*Entry, error) {
	size, err := binary.ReadUvarint(v.br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if size > MaxLine {
		return nil, fmt.Errorf("entry of %d bytes exceeds %d", size, MaxLine)
	}
	b, err := v.br.Peek(int(size))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	v.read += int64(size) + 1
	e, err := v.parse(&rec{b: b})
	if _, derr := v.br.Discard(int(size)); err == nil && derr != nil {
		err = derr
	}
	return e, err
}

func (v *v2Reader) parse(r *rec) (*Entry, error) {
	shared := r.uvarint("path")
	suffix := r.str("path")
	if r.err != nil || shared > uint64(len(v.path)) || (v.n > 0 && shared == uint64(len(v.path)) && len(suffix) == 0) {
		return nil, errors.New("bad path")
	}
	v.path = append(v.path[:shared], suffix...)
	v.shared = int(shared)
	if len(v.path) > MaxLine {
		return nil, fmt.Errorf("path longer than %d bytes", MaxLine)
	}
	if v.work += int64(len(v.path)); v.work > 1<<20+pathWorkPerByte*v.read {
		return nil, errors.New("paths too long for the body's size")
	}
	if len(r.b) == 0 {
		return nil, errors.New("bad type")
	}
	code := r.b[0]
	r.b = r.b[1:]
	if int(code) >= len(v2Types) {
		return nil, fmt.Errorf("bad type %d", code)
	}
	var e *Entry
	if v.reuse != nil {
		e = v.reuse
		*e = Entry{}
	} else {
		if len(v.slab) == 0 {
			v.slab = make([]Entry, 256)
		}
		e = &v.slab[0]
		v.slab = v.slab[1:]
	}
	e.Type = v2Types[code]
	flags := r.uvarint("flags")
	if flags&^v2AllFlags != 0 || flags&(v2SHA256Raw|v2SHA256Str) == v2SHA256Raw|v2SHA256Str ||
		flags&(v2SHA512Raw|v2SHA512Str) == v2SHA512Raw|v2SHA512Str || flags&(v2BLAKE3Raw|v2BLAKE3Str) == v2BLAKE3Raw|v2BLAKE3Str {
		r.fail("flags")
	}
	e.Mode = r.u32("mode")
	e.UID = r.u32("uid")
	e.GID = r.u32("gid")
	e.Size = r.varint("size")
	e.Mtime = r.varint("mtime")
	if flags&v2HasCtime != 0 {
		e.Ctime = r.varint("ctime")
	}
	if flags&v2HasInode != 0 {
		e.Inode = r.uvarint("inode")
	}
	if flags&v2HasLinks != 0 {
		e.Links = r.uvarint("links")
	}
	// The path, link target and digests share one allocation.
	s := append(v.strs[:0], v.path...)
	var target []byte
	if flags&v2HasTarget != 0 {
		target = r.str("target")
		s = append(s, target...)
	}
	var dlen [3]int
	for i, d := range v2Digests {
		n := len(s)
		switch {
		case flags&d.raw != 0:
			s = hex.AppendEncode(s, r.bytes(uint64(d.size), "digest"))
		case flags&d.str != 0:
			s = append(s, r.str("digest")...)
		}
		dlen[i] = len(s) - n
	}
	if r.err != nil {
		return nil, r.err
	}
	v.strs = s
	all := v.keep(s)
	e.Path, all = all[:len(v.path)], all[len(v.path):]
	e.Target, all = all[:len(target)], all[len(target):]
	e.SHA256, all = all[:dlen[0]], all[dlen[0]:]
	e.SHA512, all = all[:dlen[1]], all[dlen[1]:]
	e.BLAKE3 = all[:dlen[2]]
	if flags&v2HasOwner != 0 {
		e.OwnerName = v.name(r, "owner name")
	}
	if flags&v2HasGroup != 0 {
		e.GroupName = v.name(r, "group name")
	}
	if flags&v2HasXattrs != 0 {
		n := r.uvarint("xattrs")
		if n > maxXattrs {
			r.fail("xattrs")
			n = 0
		}
		e.Xattrs = make(map[string]string, n)
		for range n {
			k := string(r.str("xattr name"))
			e.Xattrs[k] = string(r.str("xattr value"))
		}
		if r.err == nil && len(e.Xattrs) != int(n) {
			r.fail("xattrs (duplicate name)")
		}
	}
	if flags&v2HasACL != 0 {
		a := string(r.str("acl"))
		e.ACL = &a
	}
	if flags&v2HasSELinux != 0 {
		l := string(r.str("selinux"))
		e.SELinux = &l
	}
	if flags&v2HasError != 0 {
		e.Error = string(r.str("error"))
	}
	e.Unstable = flags&v2Unstable != 0
	if r.err == nil && len(r.b) != 0 {
		r.fail("entry (trailing bytes)")
	}
	if r.err != nil {
		return nil, r.err
	}
	// Empty optional strings were omitted when written: their presence
	// flag with an empty value is another encoding of the same entry.
	if (flags&v2HasTarget != 0 && e.Target == "") || (flags&v2HasError != 0 && e.Error == "") ||
		(flags&v2HasOwner != 0 && e.OwnerName == "") || (flags&v2HasGroup != 0 && e.GroupName == "") {
		return nil, errors.New("empty optional field")
	}
	return e, nil
}

// decodeV2 decodes a format 2 body: exactly want records, with clean
// absolute paths in strictly increasing order. With reuse, fn gets the
// same Entry for every record (it may keep the strings, not the entry).
func decodeV2(body io.Reader, want int, reuse bool, fn func(*Entry) error) error {
	v := &v2Reader{br: bufio.NewReaderSize(body, MaxLine+binary.MaxVarintLen64)}
	if reuse {
		v.reuse = &Entry{}
		if want > bigChunk/128 { // about 128 bytes of strings an entry
			v.chunkSize = bigChunk
		}
	}
	for v.n < want {
		e, err := v.next()
		if err != nil {
			return fmt.Errorf("entry %d: %w", v.n+1, err)
		}
		if !strings.HasPrefix(e.Path, "/") || path.Clean(e.Path) != e.Path || strings.IndexByte(e.Path, 0) >= 0 {
			return fmt.Errorf("entry %d: bad path %q", v.n+1, e.Path)
		}
		// The paths share their first v.shared bytes (prefix coding).
		if v.n > 0 && e.Path[v.shared:] <= v.prev[v.shared:] {
			return fmt.Errorf("entry %d: %q out of order", v.n+1, e.Path)
		}
		v.prev = e.Path
		v.n++
		if err := fn(e); err != nil {
			return &callbackError{err}
		}
	}
	if _, err := v.br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("body has more than the %d signed entries", want)
	}
	return nil
}
