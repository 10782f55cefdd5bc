package fim

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/cradle-cra/cradle/internal/envelope"
)

// walkIndex holds every entry of a database read for a walk
// (ReadForWalk) in a compact form, decoded once by a goroutine while
// the walk runs: the walk borrows digests from what is decoded so far
// (waiting, when it is ahead, only until the decoder has passed the
// path it asks for) and the comparison reads the same index, so the
// body is decoded once and mostly while the walk's system calls run.
type walkIndex struct {
	// paths and recs belong to the decoder until done is closed.
	paths []string
	recs  []oldRec
	// pubPaths and pubRecs share the arrays reserved from the header:
	// their first n elements are published to the walk and never written
	// again (an index that outgrows them publishes nothing more until
	// done).
	pubPaths []string
	pubRecs  []oldRec
	n        atomic.Int64
	grown    bool
	// expect is the number of entries the signed header announces
	// (bounded): what a walk compared with them is likely to find.
	expect int

	names  []string // owner and group names; names[0] is ""; read after done
	nameIx map[string]uint16

	mu       sync.Mutex
	more     *sync.Cond // broadcast as entries are published and at the end
	finished bool       // under mu
	done     chan struct{}
	err      error // set before done is closed
}

// oldRec is one recorded entry without its path, in 104 bytes: the
// type as its format 2 code, owner and group names as indices into the
// index's table (0: none). An entry with anything else (SHA-512,
// BLAKE3, extended attributes, an ACL, a SELinux label, an error, marked
// unstable: rare in a system tree) is kept whole in rare.
type oldRec struct {
	size, mtime, ctime int64
	inode, links       uint64
	mode, uid, gid     uint32
	typ                uint8
	owner, group       uint16
	target, sha256     string
	rare               *Entry
}

// publishEvery is how many decoded entries wake a waiting walk.
const publishEvery = 256

// ReadForWalk verifies the signed header of the database that open
// opens and starts decoding its body into an index in the background;
// the walk borrows digests from it (Lender) and Compare waits for the
// decoding, whose failure to verify (body digest, size, syntax) it
// returns as ErrTampered: nothing borrowed from a database that fails
// is ever reported. The file is read into memory once (a database is
// about 50 bytes an entry) so that its digest, which the change log
// vouches for, is known before the walk starts.
func ReadForWalk(open func() (io.ReadCloser, error), keys envelope.Keys) (*DB, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	data, err := readAll(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read integrity database: %w", err)
	}
	h, keyID, err := readHead(data, keys)
	if err != nil {
		return nil, err
	}
	x := &walkIndex{done: make(chan struct{}), expect: int(max(0, min(int64(h.Entries), h.BodySize/8, 1<<21)))}
	x.more = sync.NewCond(&x.mu)
	go x.decode(data, keys)
	return &DB{Header: h, KeyID: keyID, Digest: fileDigest(data), walk: x}, nil
}

// readAll reads f, at most MaxFile+1 bytes, into a buffer sized from
// its stat when it has one (io.ReadAll's doublings from 512 bytes cost
// more CPU than verifying the file).
func readAll(f io.Reader) ([]byte, error) {
	n := int64(512)
	if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			n = min(max(fi.Size()+1, n), MaxFile+1)
		}
	}
	data := bigSlice[byte](0, int(n), false)
	for int64(len(data)) <= MaxFile {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		m, err := f.Read(data[len(data):min(int64(cap(data)), MaxFile+1)])
		data = data[:len(data)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// readHead verifies the magic and signature lines at the start of data.
func readHead(data []byte, keys envelope.Keys) (Header, string, error) {
	format := 0
	switch {
	case bytes.HasPrefix(data, []byte(Magic)):
		format = FormatVersion
	case bytes.HasPrefix(data, []byte(magicV1)):
		format = 1
	default:
		return Header{}, "", tampered("not a cradle integrity database (format 1 or %d)", FormatVersion)
	}
	rest := data[len(Magic):]
	i := bytes.IndexByte(rest[:min(len(rest), MaxEnvelope+1)], '\n')
	if i < 0 {
		return Header{}, "", tampered("no signature line")
	}
	return verifyHeader(rest[:i], keys, format)
}

// decode runs scan over data (which verifies the whole file again,
// header and body) into the index, then releases the waiting walk.
func (x *walkIndex) decode(data []byte, keys envelope.Keys) {
	_, err := scan(bytes.NewReader(data), keys, scanOpts{start: x.reserve, reuse: true, noFileDigest: true}, x.add)
	x.mu.Lock()
	x.err, x.finished = err, true
	if err != nil {
		x.paths, x.recs = nil, nil // lend nothing more
	}
	x.more.Broadcast()
	x.mu.Unlock()
	close(x.done)
}

func (x *walkIndex) reserve(h Header) {
	n := x.expect
	x.paths = bigSlice[string](0, n, true)
	x.recs = bigSlice[oldRec](0, n, true)
	x.pubPaths, x.pubRecs = x.paths[:n], x.recs[:n]
}

func (x *walkIndex) add(e *Entry) error {
	if i := len(x.paths); i > 0 && e.Path <= x.paths[i-1] {
		return tampered("integrity database entries out of order at %q", e.Path)
	}
	typ, ok := typeCode(e.Type)
	owner, okO := x.name(e.OwnerName)
	group, okG := x.name(e.GroupName)
	r := oldRec{size: e.Size, mtime: e.Mtime, ctime: e.Ctime, inode: e.Inode, links: e.Links,
		mode: e.Mode, uid: e.UID, gid: e.GID, typ: typ, owner: owner, group: group, target: e.Target, sha256: e.SHA256}
	if !ok || !okO || !okG || e.SHA512 != "" || e.BLAKE3 != "" || e.Xattrs != nil || e.ACL != nil || e.SELinux != nil ||
		e.Error != "" || e.Unstable {
		c := *e // a copy: the decoder allocates its entries 256 at a time
		r = oldRec{rare: &c}
	}
	if len(x.paths) == cap(x.paths) {
		x.grown = true
	}
	x.paths = append(x.paths, e.Path)
	x.recs = append(x.recs, r)
	if n := len(x.paths); !x.grown && n%publishEvery == 0 {
		x.n.Store(int64(n))
		x.mu.Lock()
		x.more.Broadcast()
		x.mu.Unlock()
	}
	return nil
}

// name returns the table index of an owner or group name.
func (x *walkIndex) name(s string) (uint16, bool) {
	if s == "" {
		return 0, true
	}
	if i, ok := x.nameIx[s]; ok {
		return i, true
	}
	if x.nameIx == nil {
		x.names, x.nameIx = []string{""}, map[string]uint16{}
	}
	if len(x.names) > 0xffff {
		return 0, false
	}
	i := uint16(len(x.names))
	x.names = append(x.names, s)
	x.nameIx[s] = i
	return i, true
}

// fill sets e to the recorded entry r of path; names, when set, is the
// table of owner and group names (the walk lends without them).
func fill(e *Entry, path string, r *oldRec, names []string) {
	if r.rare != nil {
		*e = *r.rare
		return
	}
	*e = Entry{Path: path, Type: v2Types[r.typ], Mode: r.mode, UID: r.uid, GID: r.gid, Size: r.size, Mtime: r.mtime,
		Ctime: r.ctime, Inode: r.inode, Links: r.links, Target: r.target, SHA256: r.sha256}
	if names != nil {
		e.OwnerName, e.GroupName = names[r.owner], names[r.group]
	}
}

// find returns the record of path, waiting until the decoder has
// passed it; nil when the database does not have it or failed.
func (x *walkIndex) find(p string) (string, *oldRec) {
	for {
		if n := x.n.Load(); n > 0 && x.pubPaths[n-1] >= p {
			return search(x.pubPaths[:n], x.pubRecs[:n], p)
		}
		x.mu.Lock()
		n := x.n.Load()
		for !x.finished && x.n.Load() == n {
			x.more.Wait()
		}
		finished := x.finished
		x.mu.Unlock()
		if finished {
			return search(x.paths, x.recs, p)
		}
	}
}

func search(paths []string, recs []oldRec, p string) (string, *oldRec) {
	i := sort.SearchStrings(paths, p)
	if i == len(paths) || paths[i] != p {
		return "", nil
	}
	return paths[i], &recs[i]
}

func (x *walkIndex) Lend(e *Entry, sel *Selection) bool {
	p, r := x.find(e.Path)
	if r == nil || (r.rare == nil && v2Types[r.typ] != TypeFile) {
		return false
	}
	var prev Entry
	fill(&prev, p, r, nil)
	return Reusable(&prev) && reuse(e, &prev, sel)
}

// compare waits for the decoding and merges the index with cur.
func (x *walkIndex) compare(cur []*Entry, p *Policy) ([]Change, error) {
	<-x.done
	if x.err != nil {
		return nil, x.err
	}
	m := NewMerge(cur, p)
	names := x.names
	if names == nil {
		names = []string{""}
	}
	var e Entry // one for all: an unchanged entry costs no allocation
	for i := range x.paths {
		fill(&e, x.paths[i], &x.recs[i], names)
		if err := m.Old(&e); err != nil {
			return nil, tampered("%v", err)
		}
	}
	return m.Changes(), nil
}
