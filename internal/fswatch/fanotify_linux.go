//go:build linux

package fswatch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

const metadataSize = int(unsafe.Sizeof(unix.FanotifyEventMetadata{}))

const fanotifyMask = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_MOVED_FROM | unix.FAN_MOVED_TO | unix.FAN_MODIFY |
	unix.FAN_ATTRIB | unix.FAN_CLOSE_WRITE | unix.FAN_DELETE_SELF | unix.FAN_MOVE_SELF | unix.FAN_ONDIR

// fanotifyWatch marks whole filesystems (one mark however many
// directories) and names each event by its directory's file handle and
// the entry's name; handles are resolved to paths through a descriptor
// on the marked filesystem.
type fanotifyWatch struct {
	roots  []Root
	mounts map[[2]int32]int // fsid -> descriptor for open_by_handle_at
}

func startFanotify(ctx context.Context, roots []Root, o Options, raw *feed) error {
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK|unix.FAN_REPORT_DFID_NAME,
		unix.O_RDONLY|unix.O_LARGEFILE|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fanotify: %w", err) // EPERM without CAP_SYS_ADMIN, EINVAL before Linux 5.9
	}
	w := &fanotifyWatch{roots: roots, mounts: map[[2]int32]int{}}
	fail := func(err error) error {
		w.close()
		unix.Close(fd)
		return err
	}
	marked := 0
	for _, dir := range markPoints(roots, o.Prune) {
		if err := w.mark(fd, dir); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			if isRoot(dir, roots) {
				return fail(err) // inotify can do what this cannot
			}
			o.Warn(fmt.Errorf("%w; changes below %s are not seen", err, dir))
			continue
		}
		marked++
	}
	if marked == 0 {
		return fail(ErrNoRoots)
	}
	f := os.NewFile(uintptr(fd), "fanotify")
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		defer w.close()
		readEvents(ctx, "fanotify", f, w.parse, raw)
	}()
	return nil
}

func isRoot(dir string, roots []Root) bool {
	return slices.ContainsFunc(roots, func(r Root) bool { return r.Dir == dir })
}

// mark puts a filesystem mark on dir's filesystem and keeps a descriptor
// to resolve its handles.
func (w *fanotifyWatch) mark(fd int, dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("fanotify %s: %w", dir, err)
	}
	fsid := [2]int32{st.Fsid.Val[0], st.Fsid.Val[1]}
	if fsid == [2]int32{} {
		return fmt.Errorf("fanotify %s: the filesystem has no fsid", dir)
	}
	if _, ok := w.mounts[fsid]; ok {
		return nil
	}
	if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM|unix.FAN_MARK_DONT_FOLLOW|unix.FAN_MARK_ONLYDIR, fanotifyMask, unix.AT_FDCWD, dir); err != nil {
		return fmt.Errorf("fanotify %s: %w", dir, err)
	}
	mfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fanotify %s: %w", dir, err)
	}
	w.mounts[fsid] = mfd
	return nil
}

func (w *fanotifyWatch) close() {
	for _, fd := range w.mounts {
		unix.Close(fd)
	}
	clear(w.mounts)
}

// markPoints are the roots and every mount point below a recursive root
// (another filesystem needs its own mark), unless pruned.
func markPoints(roots []Root, prune func(string) bool) []string {
	var out []string
	for _, r := range roots {
		out = append(out, r.Dir)
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		for _, r := range roots {
			if r.Recursive && mp != r.Dir && Within(mp, r.Dir) && (prune == nil || !prune(mp)) {
				out = append(out, mp)
				break
			}
		}
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parse turns a read of events into changes below the roots.
func (w *fanotifyWatch) parse(b []byte) []change {
	var out []change
	dirs := map[string]string{} // handle -> path, for this read only: renames make older answers stale
	for len(b) >= metadataSize {
		md := (*unix.FanotifyEventMetadata)(unsafe.Pointer(&b[0]))
		if int(md.Event_len) < metadataSize || int(md.Event_len) > len(b) ||
			int(md.Metadata_len) < metadataSize || uint32(md.Metadata_len) > md.Event_len ||
			md.Vers != unix.FANOTIFY_METADATA_VERSION {
			break
		}
		ev := b[:md.Event_len]
		b = b[md.Event_len:]
		if md.Fd >= 0 {
			unix.Close(int(md.Fd)) // not asked for; never left open
		}
		if md.Mask&unix.FAN_Q_OVERFLOW != 0 {
			for _, r := range w.roots {
				out = append(out, change{path: r.Dir, rescan: true})
			}
			continue
		}
		dir, name, ok := w.resolve(ev[md.Metadata_len:], dirs)
		if !ok {
			continue
		}
		out = append(out, w.changes(md.Mask, dir, name)...)
	}
	return out
}

// resolve finds the directory and name of an event's DFID_NAME record.
func (w *fanotifyWatch) resolve(info []byte, dirs map[string]string) (dir, name string, ok bool) {
	for len(info) >= 4 {
		typ, l := info[0], int(binary.NativeEndian.Uint16(info[2:4]))
		if l < 4 || l > len(info) {
			return "", "", false
		}
		rec := info[:l]
		info = info[l:]
		if typ != unix.FAN_EVENT_INFO_TYPE_DFID_NAME && typ != unix.FAN_EVENT_INFO_TYPE_DFID {
			continue
		}
		// header(4) fsid(8) handle_bytes(4) handle_type(4) f_handle name\0
		if len(rec) < 20 {
			return "", "", false
		}
		fsid := [2]int32{int32(binary.NativeEndian.Uint32(rec[4:8])), int32(binary.NativeEndian.Uint32(rec[8:12]))}
		hlen := int(binary.NativeEndian.Uint32(rec[12:16]))
		htype := int32(binary.NativeEndian.Uint32(rec[16:20]))
		if hlen > len(rec)-20 {
			return "", "", false
		}
		handle := rec[20 : 20+hlen]
		if typ == unix.FAN_EVENT_INFO_TYPE_DFID_NAME {
			if i := bytes.IndexByte(rec[20+hlen:], 0); i >= 0 {
				name = string(rec[20+hlen : 20+hlen+i])
			}
		}
		key := string(rec[4:12]) + string(rec[16:20]) + string(handle)
		dir, ok := dirs[key]
		if !ok {
			mfd, known := w.mounts[fsid]
			if !known {
				return "", "", false
			}
			dir, ok = handlePath(mfd, htype, handle)
			if !ok {
				return "", "", false // gone meanwhile: its parent's event names it
			}
			dirs[key] = dir
		}
		return dir, name, true
	}
	return "", "", false
}

func handlePath(mfd int, htype int32, handle []byte) (string, bool) {
	fd, err := unix.OpenByHandleAt(mfd, unix.NewFileHandle(htype, slices.Clone(handle)), unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil || !filepath.IsAbs(p) || strings.HasSuffix(p, " (deleted)") {
		return "", false
	}
	return p, true
}

// changes filters one event by the roots.
func (w *fanotifyWatch) changes(mask uint64, dir, name string) []change {
	self := name == "" || name == "."
	p := dir
	if !self {
		p = filepath.Join(dir, name)
	}
	for _, r := range w.roots {
		switch {
		case r.Recursive && Within(p, r.Dir):
		case !r.Recursive && (p == r.Dir || dir == r.Dir && !self && (len(r.Names) == 0 || slices.Contains(r.Names, name))):
		default:
			continue
		}
		isDir := mask&unix.FAN_ONDIR != 0
		rescan := isDir && r.Recursive && mask&(unix.FAN_CREATE|unix.FAN_MOVED_TO|unix.FAN_MOVED_FROM|unix.FAN_DELETE) != 0 ||
			self && mask&(unix.FAN_DELETE_SELF|unix.FAN_MOVE_SELF) != 0
		return []change{{path: p, rescan: rescan}}
	}
	return nil
}
