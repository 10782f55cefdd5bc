package fim

import "sync"

// sharedDigests lends the digests of a file read once to its other hard
// links (and to the same file reached through a symlinked selection): the
// names of one inode have one content, so it is read once per walk. A
// system tree holds a few such inodes that are large (git's helpers in
// /usr/lib/git-core are links to one 3 MB program; on /usr here 28 names
// of 10 inodes, 350 MB read for 37 MB of content), and snapshot-based
// systems hard-link almost everything.
//
// An entry is lent only when its inode, size, mtime and ctime are those
// of the file that was read: a change between the two names' stats moves
// ctime and the second name is read again.
type sharedDigests struct {
	mu sync.Mutex
	m  map[inodeKey]*Entry
}

type inodeKey struct{ dev, ino uint64 }

// shareable reports whether e's digests can be shared with other names:
// a regular file with more than one name and a stable inode number.
func shareable(e *Entry, image bool) bool {
	return !image && e.Links > 1 && e.Inode != 0 && e.Ctime != 0
}

// lend fills e's wanted digests from the inode's read, if any matches.
func (s *sharedDigests) lend(dev uint64, e *Entry) bool {
	s.mu.Lock()
	src := s.m[inodeKey{dev, e.Inode}]
	s.mu.Unlock()
	if src == nil || !statSame(src, e) ||
		(e.SHA256 != "" && src.SHA256 == "") || (e.SHA512 != "" && src.SHA512 == "") || (e.BLAKE3 != "" && src.BLAKE3 == "") {
		return false
	}
	if e.SHA256 != "" {
		e.SHA256 = src.SHA256
	}
	if e.SHA512 != "" {
		e.SHA512 = src.SHA512
	}
	if e.BLAKE3 != "" {
		e.BLAKE3 = src.BLAKE3
	}
	return true
}

// keep records e, read and stable, for the inode's other names. The
// entry itself is kept: entries live until the walk's end and are not
// changed after hashing.
func (s *sharedDigests) keep(dev uint64, e *Entry) {
	if e.Unstable || e.Error != "" {
		return
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[inodeKey]*Entry{}
	}
	s.m[inodeKey{dev, e.Inode}] = e
	s.mu.Unlock()
}
