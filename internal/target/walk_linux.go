//go:build linux

package target

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Linux walk keeps every directory it reads open until its
// subdirectories have been opened from it (openat with O_NOFOLLOW and
// O_DIRECTORY, one name at a time), so no path is ever resolved from the
// root again: a directory swapped for a symlink mid-walk fails to open
// instead of leading out of the root. Workers share a LIFO stack of
// directories, which keeps the walk depth-first and the number of open
// descriptors near depth × workers.

const (
	direntBufSize = 64 << 10
	statFlags     = unix.AT_SYMLINK_NOFOLLOW | unix.AT_NO_AUTOMOUNT
	openDirFlags  = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
)

// walkDirFD is an open directory shared by the jobs of its subdirectories.
type walkDirFD struct {
	fd   int
	refs atomic.Int32
}

func (r *walkDirFD) release() {
	if r.refs.Add(-1) == 0 {
		unix.Close(r.fd)
	}
}

type walkJob struct {
	parent *walkDirFD // nil for the root
	name   string     // name in parent
	path   string     // root-relative
	dev    uint64
	tag    int32 // WalkListings: the directory's tag
}

type linuxWalker struct {
	ctx    context.Context
	fn     WalkFunc
	opts   WalkOptions
	skip   map[string]bool
	mounts map[uint64]string // st_dev → fstype, for LocalOnly
	rootFD int

	mu     sync.Mutex
	cond   sync.Cond
	stack  []walkJob
	active int
	err    error
	// noNoatime: O_NOATIME was refused (not the owner of a file).
	noNoatime atomic.Bool
	// list, for WalkListings, replaces fn; listMu serialises its calls.
	list   ListingFunc
	listMu sync.Mutex
}

func walkDirImpl(ctx context.Context, d *dirTarget, opts WalkOptions, fn WalkFunc) error {
	w, st, err := newLinuxWalker(ctx, d, opts)
	if err != nil {
		return err
	}
	w.fn = fn
	if err := fn(fileInfoFromStat("", &st)); err != nil {
		unix.Close(w.rootFD)
		return err
	}
	return w.run(walkJob{path: "", dev: uint64(st.Dev)})
}

// newLinuxWalker opens the target's root for a walk and stats it.
func newLinuxWalker(ctx context.Context, d *dirTarget, opts WalkOptions) (*linuxWalker, unix.Stat_t, error) {
	var st unix.Stat_t
	rootFD, err := unix.Open(d.dir, openDirFlags&^unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, st, &fs.PathError{Op: "walk", Path: "/", Err: err}
	}
	if err := unix.Fstat(rootFD, &st); err != nil {
		unix.Close(rootFD)
		return nil, st, &fs.PathError{Op: "walk", Path: "/", Err: err}
	}
	w := &linuxWalker{ctx: ctx, opts: opts, skip: skipSet(opts.Skip), rootFD: rootFD}
	w.cond.L = &w.mu
	if opts.LocalOnly {
		w.mounts = localMountTable()
	}
	return w, st, nil
}

// run walks from the root job with the workers the options ask for and
// returns the walk's first error.
func (w *linuxWalker) run(root walkJob) error {
	w.stack = append(w.stack, root)
	n := defaultWalkWorkers(w.opts.Workers)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work()
		}()
	}
	wg.Wait()
	// After an error, jobs still queued hold references to their parents.
	for _, j := range w.stack {
		if j.parent != nil {
			j.parent.release()
		}
	}
	w.stack = nil
	return w.err
}

// localMountTable maps device numbers to filesystem types from the
// scanning process's mount table. Unknown devices (btrfs subvolumes) count
// as local.
func localMountTable() map[uint64]string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	m := map[uint64]string{}
	for _, mt := range ParseMountInfo(b) {
		m[mt.Dev] = mt.FSType
	}
	return m
}

func (w *linuxWalker) work() {
	buf := make([]byte, direntBufSize)
	var children []walkJob
	for {
		w.mu.Lock()
		for len(w.stack) == 0 && w.active > 0 && w.err == nil {
			w.cond.Wait()
		}
		if w.err != nil || len(w.stack) == 0 {
			w.mu.Unlock()
			w.cond.Broadcast()
			return
		}
		j := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		w.active++
		w.mu.Unlock()

		if w.list != nil {
			children = w.visitList(j, buf, children[:0])
		} else {
			children = w.visit(j, buf, children[:0])
		}

		w.mu.Lock()
		if w.err == nil {
			w.stack = append(w.stack, children...)
		} else {
			for _, c := range children {
				c.parent.release()
			}
		}
		w.active--
		wake := len(children) > 0 || w.active == 0 || w.err != nil
		w.mu.Unlock()
		if wake {
			w.cond.Broadcast()
		}
		clear(children)
	}
}

func (w *linuxWalker) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cond.Broadcast()
}

func (w *linuxWalker) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil
}

// report hands a read error to OnError; vanished entries are not errors
// on a live system.
func (w *linuxWalker) report(p, op string, err error) bool {
	if errors.Is(err, unix.ENOENT) {
		return true
	}
	if w.opts.OnError == nil {
		return true
	}
	if e := w.opts.OnError(p, &fs.PathError{Op: op, Path: Abs(p), Err: err}); e != nil {
		w.fail(e)
		return false
	}
	return true
}

// openDir opens j's directory below its parent's descriptor (the root
// for the first job) and releases the parent; ok is false when the walk
// is cancelled or the directory cannot be opened (reported, except when
// it was replaced by a file or symlink since it was listed: ENOTDIR,
// ELOOP).
func (w *linuxWalker) openDir(j walkJob) (fd int, ok bool) {
	if err := w.ctx.Err(); err != nil {
		w.fail(err)
		if j.parent != nil {
			j.parent.release()
		}
		return 0, false
	}
	if j.parent == nil {
		return w.rootFD, true
	}
	var err error
	for {
		fd, err = unix.Openat(j.parent.fd, j.name, openDirFlags, 0)
		if err != unix.EINTR {
			break
		}
	}
	j.parent.release()
	if err != nil {
		if err != unix.ENOTDIR && err != unix.ELOOP {
			w.report(j.path, "open", err)
		}
		return 0, false
	}
	return fd, true
}

// eachBlock opens j's directory, lets Prune see its first getdents
// block, then calls block for every block (buf[:n]) until the end of the
// directory, a read error (reported) or block returning false. The
// children block appended become references to the directory; after a
// failure of the walk none is kept. visit and visitList share it.
func (w *linuxWalker) eachBlock(j walkJob, buf []byte, children []walkJob,
	block func(dir *walkDirFD, blk []byte, children []walkJob) ([]walkJob, bool)) []walkJob {
	fd, ok := w.openDir(j)
	if !ok {
		return children
	}
	dir := &walkDirFD{fd: fd}
	dir.refs.Store(1)
	first := len(children)
	// ahead: the first block is already in buf[:n], read for Prune.
	n, ahead := 0, false
	if w.opts.Prune != nil && j.parent != nil {
		var err error
		if n, err = getdents(fd, buf); err != nil {
			w.report(j.path, "readdir", err)
			dir.release()
			return children
		}
		ahead = true
		if w.opts.Prune(j.path, &linuxProbe{fd: fd, dir: j.path, buf: buf[:max(n, 0)]}) != "" {
			dir.release()
			return children
		}
	}
	for {
		if !ahead {
			var err error
			if n, err = getdents(fd, buf); err != nil {
				w.report(j.path, "readdir", err)
				break
			}
		}
		ahead = false
		if n <= 0 {
			break
		}
		if children, ok = block(dir, buf[:n], children); !ok {
			break
		}
	}
	if w.failed() {
		children = children[:first]
	}
	dir.refs.Add(int32(len(children) - first))
	dir.release()
	return children
}

// visit reads one directory, calls fn for each entry and returns the
// subdirectories to descend into, appended to children.
func (w *linuxWalker) visit(j walkJob, buf []byte, children []walkJob) []walkJob {
	var st unix.Stat_t
	return w.eachBlock(j, buf, children, func(dir *walkDirFD, blk []byte, children []walkJob) ([]walkJob, bool) {
		for off := 0; off < len(blk); {
			rec, dt, next := nextDirent(blk, off)
			if next < 0 {
				break
			}
			off = next
			if rec == nil {
				continue
			}
			if dt == unix.DT_REG && w.opts.Regular != nil {
				if f, ok := w.openRegular(dir.fd, rec, j.path, &st); ok {
					if err := w.opts.Regular(fileInfoFromStat(f.rel, &f.st), f); err != nil {
						w.fail(err)
						return children, false
					}
					continue
				}
			}
			if err := fstatatName(dir.fd, rec, &st); err != nil {
				if !w.report(joinRelBytes(j.path, rec), "lstat", err) {
					return children, false
				}
				continue
			}
			p := joinRelBytes(j.path, rec)
			fi := fileInfoFromStat(p, &st)
			if err := w.fn(fi); err != nil {
				w.fail(err)
				return children, false
			}
			if fi.Mode.IsDir() && w.descend(p, uint64(st.Dev), j.dev) {
				children = append(children, walkJob{parent: dir, name: p[len(p)-len(rec):], path: p, dev: uint64(st.Dev)})
			}
		}
		return children, true
	})
}

// openRegular opens the regular file name in the directory dirfd for
// reading (WalkOptions.Regular); ok is false when it cannot be opened,
// or is no longer a regular file, and the caller then stats it as any
// other entry. The open cannot leave the directory: name is one
// component, and O_NOFOLLOW refuses a symlink swapped in since the
// listing; O_NONBLOCK keeps a FIFO swapped in from blocking the open,
// and it is closed before any read.
func (w *linuxWalker) openRegular(dirfd int, name []byte, dir string, st *unix.Stat_t) (*rawFile, bool) {
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	if !w.noNoatime.Load() {
		flags |= unix.O_NOATIME
	}
	fd, err := openatName(dirfd, name, flags)
	if err == unix.EPERM && flags&unix.O_NOATIME != 0 {
		w.noNoatime.Store(true)
		fd, err = openatName(dirfd, name, flags&^unix.O_NOATIME)
	}
	if err != nil {
		return nil, false
	}
	f := &rawFile{fd: fd, rel: joinRelBytes(dir, name)}
	if err := unix.Fstat(fd, &f.st); err != nil || f.st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, false
	}
	f.stated = true
	return f, true
}

func getdents(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Getdents(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// nextDirent decodes the getdents64 record at off: its name (nil for ".",
// "..", and corrupt names), its d_type and the offset of the next record
// (-1 when none is complete).
func nextDirent(buf []byte, off int) (name []byte, dtype byte, next int) {
	if off+19 >= len(buf) {
		return nil, 0, -1
	}
	reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
	if reclen < 20 || off+reclen > len(buf) {
		return nil, 0, -1
	}
	rec := buf[off+19 : off+reclen]
	i := bytes.IndexByte(rec, 0)
	if i <= 0 {
		return nil, 0, off + reclen // no terminator: corrupt record
	}
	rec = rec[:i]
	if rec[0] == '.' && (len(rec) == 1 || len(rec) == 2 && rec[1] == '.') {
		return nil, 0, off + reclen
	}
	return rec, buf[off+18], off + reclen
}

// linuxProbe is the DirProbe of a directory open at fd whose first
// listing block is buf.
type linuxProbe struct {
	fd  int
	dir string
	buf []byte
}

func (p *linuxProbe) Has(name string) (fs.FileMode, bool) {
	for off := 0; off < len(p.buf); {
		rec, dt, next := nextDirent(p.buf, off)
		if next < 0 {
			break
		}
		off = next
		if string(rec) == name {
			return direntType(dt), true
		}
	}
	return 0, false
}

func direntType(dt byte) fs.FileMode {
	switch dt {
	case unix.DT_REG:
		return 0
	case unix.DT_DIR:
		return fs.ModeDir
	case unix.DT_LNK:
		return fs.ModeSymlink
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.DT_BLK:
		return fs.ModeDevice
	case unix.DT_FIFO:
		return fs.ModeNamedPipe
	case unix.DT_SOCK:
		return fs.ModeSocket
	}
	return fs.ModeIrregular // DT_UNKNOWN: the filesystem does not say
}

// Lstat opens each leading component of rel with O_NOFOLLOW, so no
// symlink in the probed tree leads the stat elsewhere.
func (p *linuxProbe) Lstat(rel string) (FileInfo, error) {
	cur := p.fd
	defer func() {
		if cur != p.fd {
			unix.Close(cur)
		}
	}()
	rest := rel
	for {
		name, tail, more := strings.Cut(rest, "/")
		if !more {
			var st unix.Stat_t
			if err := unix.Fstatat(cur, name, &st, statFlags); err != nil {
				return FileInfo{}, &fs.PathError{Op: "lstat", Path: Abs(joinRel(p.dir, rel)), Err: err}
			}
			return fileInfoFromStat(joinRel(p.dir, rel), &st), nil
		}
		next, err := unix.Openat(cur, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return FileInfo{}, &fs.PathError{Op: "lstat", Path: Abs(joinRel(p.dir, rel)), Err: err}
		}
		if cur != p.fd {
			unix.Close(cur)
		}
		cur, rest = next, tail
	}
}

// joinRelBytes builds dir/name with one allocation.
func joinRelBytes(dir string, name []byte) string {
	if dir == "" {
		return string(name)
	}
	b := make([]byte, 0, len(dir)+1+len(name))
	b = append(b, dir...)
	b = append(b, '/')
	b = append(b, name...)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// descend decides whether to enter a subdirectory: not a skipped prefix,
// and with LocalOnly not a mount of a pseudo, volatile or remote filesystem.
func (w *linuxWalker) descend(p string, dev, parentDev uint64) bool {
	if w.skip[p] {
		return false
	}
	if w.opts.LocalOnly && dev != parentDev {
		if t, ok := w.mounts[dev]; ok && NonLocalFS(t) {
			return false
		}
	}
	return true
}

func fileInfoFromStat(p string, st *unix.Stat_t) FileInfo {
	return FileInfo{
		Path:       p,
		Mode:       modeFromUnix(uint32(st.Mode)),
		UID:        st.Uid,
		GID:        st.Gid,
		Size:       st.Size,
		ModTime:    time.Unix(int64(st.Mtim.Sec), int64(st.Mtim.Nsec)),
		ChangeTime: time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)),
		Nlink:      uint64(st.Nlink),
		Dev:        uint64(st.Dev),
		Ino:        uint64(st.Ino),
	}
}

func modeFromUnix(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
