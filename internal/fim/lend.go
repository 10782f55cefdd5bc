package fim

import "sort"

// Lender lends recorded digests to a walk (Options.Lender): Lend copies
// the digests sel wants into e, a regular file just stat'ed, when its
// recorded entry has them and its type, size, mtime, ctime and inode
// are unchanged, and reports whether it did. It is called from several
// goroutines at once.
type Lender interface {
	Lend(e *Entry, sel *Selection) bool
}

// mapLender lends from entries by path (Options.Previous).
type mapLender map[string]*Entry

func (m mapLender) Lend(e *Entry, sel *Selection) bool { return reuse(e, m[e.Path], sel) }

// lendIndex holds only what lending needs of the reusable entries of a
// database (Reusable), sorted by path: a third of the memory of their
// entries, which a check would otherwise keep beside the walk's own.
type lendIndex struct {
	paths []string
	recs  []lendRec
}

type lendRec struct {
	size, mtime, ctime int64
	inode              uint64
	sha256, sha512     string
	blake3             string
}

// reserve sizes the index for the entries h announces (bounded: the
// count is signed, but the index must not be a way to exhaust memory):
// appending a hundred thousand records one by one cost more CPU than
// decoding them.
func (x *lendIndex) reserve(h Header) {
	n := int(max(0, min(int64(h.Entries), h.BodySize/8, 1<<21))) // a record is more than 8 bytes
	x.paths = make([]string, 0, n)
	x.recs = make([]lendRec, 0, n)
}

// add appends e, which must come after every entry added before.
func (x *lendIndex) add(e *Entry) {
	x.paths = append(x.paths, e.Path)
	x.recs = append(x.recs, lendRec{size: e.Size, mtime: e.Mtime, ctime: e.Ctime, inode: e.Inode,
		sha256: e.SHA256, sha512: e.SHA512, blake3: e.BLAKE3})
}

// trim releases the spare capacity: a quarter or more of it unused
// (a tree of few regular files) is worth a copy.
func (x *lendIndex) trim() {
	if cap(x.paths)-len(x.paths) > cap(x.paths)/4 {
		x.paths = append([]string(nil), x.paths...)
		x.recs = append([]lendRec(nil), x.recs...)
	}
}

func (x *lendIndex) Lend(e *Entry, sel *Selection) bool {
	i := sort.SearchStrings(x.paths, e.Path)
	if i == len(x.paths) || x.paths[i] != e.Path {
		return false
	}
	r := &x.recs[i]
	prev := Entry{Path: e.Path, Type: TypeFile, Size: r.size, Mtime: r.mtime, Ctime: r.ctime, Inode: r.inode,
		SHA256: r.sha256, SHA512: r.sha512, BLAKE3: r.blake3}
	return reuse(e, &prev, sel)
}

// Lender returns what a walk comparing with d can take digests from:
// the index of a database read for a walk (ReadForWalk), or one built
// from its entries.
func (d *DB) Lender() Lender {
	if d.walk != nil {
		return d.walk
	}
	x := &lendIndex{}
	for _, e := range d.Entries {
		if Reusable(e) {
			x.add(e)
		}
	}
	return x
}
