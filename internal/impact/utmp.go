package impact

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Login records: wtmp and btmp are arrays of glibc's struct utmp, lastlog
// an array of struct lastlog indexed by uid. The layouts are those of
// Linux on x86_64, arm64 and the 32-bit ports alike (time fields are 32
// bits wide everywhere for compatibility).
const (
	UtmpSize    = 384
	LastlogSize = 292

	utUserProcess  = 7
	utLoginProcess = 6
	utMaxType      = 9

	// maxUtmpBytes bounds what is read of one wtmp or btmp file: a month
	// of a busy host is far below it. Beyond it the source is partial.
	maxUtmpBytes = 64 << 20
	// maxLastlogBytes bounds a forward read of lastlog (targets without
	// random access); uids beyond it are not looked at.
	maxLastlogBytes = 64 << 20
	maxUtmpLogins   = 20000
)

// UtmpRecord is one struct utmp.
type UtmpRecord struct {
	Type int16
	PID  int32
	Line string // "pts/0", "tty1", "ssh:notty"
	User string
	Host string
	Time time.Time
	Addr netip.Addr // ut_addr_v6, when set
}

// utmpOrder picks the byte order of a utmp file from its first record:
// little-endian unless only big-endian gives a known record type.
func utmpOrder(rec []byte) binary.ByteOrder {
	if len(rec) >= 2 {
		le, be := int16(binary.LittleEndian.Uint16(rec)), int16(binary.BigEndian.Uint16(rec))
		if (le < 0 || le > utMaxType) && be >= 0 && be <= utMaxType {
			return binary.BigEndian
		}
	}
	return binary.LittleEndian
}

// ParseUtmp decodes one record; ok is false for a short buffer or an
// unknown record type. Strings are cut at the first NUL and must be
// printable.
func ParseUtmp(b []byte, order binary.ByteOrder) (UtmpRecord, bool) {
	var r UtmpRecord
	if len(b) < UtmpSize {
		return r, false
	}
	r.Type = int16(order.Uint16(b[0:]))
	if r.Type < 0 || r.Type > utMaxType {
		return r, false
	}
	r.PID = int32(order.Uint32(b[4:]))
	r.Line = cString(b[8:40])
	r.User = cString(b[44:76])
	r.Host = cString(b[76:332])
	sec := order.Uint32(b[340:]) // time_t truncated to 32 bits, unsigned past 2038
	usec := order.Uint32(b[344:]) % 1000000
	r.Time = time.Unix(int64(sec), int64(usec)*1000).UTC()
	var a [16]byte
	copy(a[:], b[348:364])
	switch {
	case a == [16]byte{}:
	case bytes.Equal(a[4:], make([]byte, 12)):
		r.Addr = netip.AddrFrom4([4]byte(a[:4]))
	default:
		r.Addr = netip.AddrFrom16(a)
	}
	return r, true
}

// LastlogRecord is one struct lastlog.
type LastlogRecord struct {
	Time time.Time // zero when the uid never logged in
	Line string
	Host string
}

// ParseLastlog decodes one lastlog record.
func ParseLastlog(b []byte, order binary.ByteOrder) (LastlogRecord, bool) {
	var r LastlogRecord
	if len(b) < LastlogSize {
		return r, false
	}
	if sec := order.Uint32(b); sec != 0 {
		r.Time = time.Unix(int64(sec), 0).UTC()
	}
	r.Line = cString(b[4:36])
	r.Host = cString(b[36:292])
	return r, true
}

// cString returns b up to its first NUL, or "" when that is not
// printable text (a corrupt or hostile record).
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return ""
		}
	}
	return strings.ToValidUTF8(string(b), "?")
}

// remoteHost reports whether a utmp or lastlog host names a remote peer
// (sshd writes the client's address or name); "" and X displays (":0")
// are local.
func remoteHost(h string) bool {
	return h != "" && !strings.HasPrefix(h, ":")
}

// utmpLogin turns a session record into a Login (method "wtmp"); remote
// is false for console sessions, whose From is the terminal.
func utmpLogin(r UtmpRecord, file string) (l Login, remote, ok bool) {
	if r.Type != utUserProcess || r.User == "" || strings.ContainsAny(r.User, " \t") {
		return l, false, false
	}
	l = Login{Time: r.Time, User: r.User, Method: "wtmp", File: file}
	switch {
	case r.Addr.IsValid() && !r.Addr.IsUnspecified():
		l.From, remote = r.Addr.Unmap().String(), true
	case remoteHost(r.Host):
		l.From, remote = r.Host, true
	default:
		l.From = r.Line
	}
	return l, remote, true
}

// utmpFile is what reading one wtmp or btmp file found within the window.
type utmpFile struct {
	records []UtmpRecord
	partial string // why the window was not read completely
}

// readUtmp reads the records of a wtmp or btmp file dated within
// [start, end]: backwards from the end for a regular file until
// oldLinesToStop consecutive records are older than start, forwards
// otherwise, never more than maxUtmpBytes. A trailing partial record (a
// write in progress) is ignored.
func readUtmp(t target.Target, name string, start, end time.Time) (*utmpFile, error) {
	abs := target.Abs(name)
	rc, err := t.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abs, err)
	}
	defer rc.Close()
	out := &utmpFile{}
	var order binary.ByteOrder
	keep := func(rec []byte) bool {
		if order == nil {
			order = utmpOrder(rec)
		}
		r, ok := ParseUtmp(rec, order)
		if !ok || r.Time.After(end) {
			return true
		}
		if r.Time.Before(start) {
			return false
		}
		if len(out.records) >= maxUtmpLogins {
			out.partial = fmt.Sprintf("%s: more than %d records in the window, the rest not kept", abs, maxUtmpLogins)
			return true
		}
		out.records = append(out.records, r)
		return true
	}
	if ra, ok := rc.(sizedReaderAt); ok {
		fi, err := ra.Stat()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", abs, err)
		}
		n := fi.Size() / UtmpSize
		if n > 0 {
			var first [UtmpSize]byte
			if _, err := ra.ReadAt(first[:], 0); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: %w", abs, err)
			}
			order = utmpOrder(first[:])
		}
		if err := readUtmpBackward(ra, n, keep); err != nil {
			if errors.Is(err, errUtmpBudget) {
				out.partial = fmt.Sprintf("%s: not read back to the start of the window, %d bytes read", abs, int64(maxUtmpBytes))
				return out, nil
			}
			return nil, fmt.Errorf("%s: %w", abs, err)
		}
		return out, nil
	}
	lr := &io.LimitedReader{R: rc, N: maxUtmpBytes + 1}
	buf := make([]byte, UtmpSize)
	for {
		if _, err := io.ReadFull(lr, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return nil, fmt.Errorf("%s: %w", abs, err)
		}
		keep(buf) // forwards, an old record is no reason to stop
	}
	if lr.N <= 0 {
		out.partial = fmt.Sprintf("%s: larger than %d bytes, the rest not read", abs, int64(maxUtmpBytes))
	}
	return out, nil
}

var errUtmpBudget = errors.New("utmp read budget spent")

// readUtmpBackward calls keep for records n-1 down to 0; keep returns
// false for a record before the window, and oldLinesToStop of those in a
// row end the read.
func readUtmpBackward(ra io.ReaderAt, n int64, keep func([]byte) bool) error {
	const per = 256
	buf := make([]byte, per*UtmpSize)
	var read int64
	old := 0
	for hi := n; hi > 0; {
		lo := max(hi-per, 0)
		b := buf[:(hi-lo)*UtmpSize]
		if read+int64(len(b)) > maxUtmpBytes {
			return errUtmpBudget
		}
		if _, err := ra.ReadAt(b, lo*UtmpSize); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		read += int64(len(b))
		for i := hi - lo - 1; i >= 0; i-- {
			if keep(b[i*UtmpSize : (i+1)*UtmpSize]) {
				old = 0
			} else if old++; old >= oldLinesToStop {
				return nil
			}
		}
		hi = lo
	}
	return nil
}

// loginRecords is what wtmp, btmp and lastlog said.
type loginRecords struct {
	remote, console []Login
	last            map[string]Login // lastlog: every user's last login, in the window or not
	failed          []UtmpRecord     // btmp, within the window
	sources         []Source
	problems        []string
}

// wtmpFiles are the session logs read, current first; btmpFiles the
// failed-login logs.
var (
	wtmpFiles = []string{"var/log/wtmp", "var/log/wtmp.1"}
	btmpFiles = []string{"var/log/btmp", "var/log/btmp.1"}
)

// readLoginRecords reads wtmp, btmp and lastlog of t for the window.
func readLoginRecords(ctx context.Context, t target.Target, now time.Time, window time.Duration) (*loginRecords, error) {
	out := &loginRecords{last: map[string]Login{}}
	start, end := now.Add(-window), now.Add(futureSlack)
	for _, set := range []struct {
		name  string
		files []string
	}{{"wtmp", wtmpFiles}, {"btmp", btmpFiles}} {
		src := Source{Name: set.name, Status: SourceMissing}
		var partial []string
		for _, f := range set.files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fi, err := t.Stat(f)
			if err != nil || !fi.Mode.IsRegular() {
				if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
					partial = append(partial, err.Error())
					out.problems = append(out.problems, err.Error())
				}
				continue
			}
			if !fi.ModTime.IsZero() && fi.ModTime.Before(start.Add(-futureSlack)) {
				continue // last written before the window
			}
			uf, err := readUtmp(t, f, start, end)
			if err != nil {
				partial = append(partial, err.Error())
				out.problems = append(out.problems, err.Error())
				continue
			}
			src.Paths = append(src.Paths, target.Abs(f))
			if uf.partial != "" {
				partial = append(partial, uf.partial)
			}
			for _, r := range uf.records {
				if set.name == "btmp" {
					out.failed = append(out.failed, r)
					continue
				}
				if l, remote, ok := utmpLogin(r, target.Abs(f)); ok && remote {
					out.remote = append(out.remote, l)
				} else if ok {
					out.console = append(out.console, l)
				}
			}
		}
		switch {
		case len(partial) > 0:
			src.Status, src.Detail = SourcePartial, strings.Join(partial, "; ")
		case len(src.Paths) > 0:
			src.Status = SourceRead
			if set.name == "wtmp" {
				src.Detail = "sessions with a terminal only: sshd records no wtmp entry for commands, scp or sftp"
			}
		default:
			src.Detail = "no " + target.Abs(set.files[0])
		}
		out.sources = append(out.sources, src)
	}
	src, err := readLastlog(ctx, t, out, start, end)
	if err != nil {
		return nil, err
	}
	out.sources = append(out.sources, src)
	return out, nil
}

const lastlogFile = "var/log/lastlog"

// readLastlog reads the lastlog record of every account in passwd:
// random access at uid × 292 bytes (the file is sparse), forwards within
// maxLastlogBytes when the target offers no random access.
func readLastlog(ctx context.Context, t target.Target, out *loginRecords, start, end time.Time) (Source, error) {
	src := Source{Name: "lastlog", Status: SourceMissing}
	fi, err := t.Stat(lastlogFile)
	if err != nil || !fi.Mode.IsRegular() {
		src.Detail = "no /var/log/lastlog"
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
			src.Detail = err.Error()
		}
		return src, nil
	}
	db, err := accounts.Collect(ctx, t)
	if err != nil {
		src.Detail = fmt.Sprintf("accounts: %v", err)
		return src, nil
	}
	rc, err := t.Open(lastlogFile)
	if err != nil {
		src.Detail = err.Error()
		out.problems = append(out.problems, err.Error())
		return src, nil
	}
	defer rc.Close()
	users := db.Users
	if len(users) > maxUsers {
		users = users[:maxUsers]
		src.Status, src.Detail = SourcePartial, fmt.Sprintf("more than %d users: the rest not checked", maxUsers)
	}
	byUID := map[uint32][]string{}
	var uids []uint32
	for _, u := range users {
		if _, ok := byUID[u.UID]; !ok {
			uids = append(uids, u.UID)
		}
		byUID[u.UID] = append(byUID[u.UID], u.Name)
	}
	slices.Sort(uids)
	rec := make([]byte, LastlogSize)
	ra, random := rc.(io.ReaderAt)
	var pos int64 // forward reads
	skipped := 0
	for _, uid := range uids {
		if err := ctx.Err(); err != nil {
			return src, err
		}
		off := int64(uid) * LastlogSize
		if off+LastlogSize > fi.Size {
			break // never logged in: the file ends before the record
		}
		if random {
			if _, err := ra.ReadAt(rec, off); err != nil {
				return Source{Name: "lastlog", Status: SourcePartial, Paths: []string{"/" + lastlogFile}, Detail: err.Error()}, nil
			}
		} else {
			if off+LastlogSize > maxLastlogBytes {
				skipped++
				continue
			}
			if _, err := io.CopyN(io.Discard, rc, off-pos); err != nil {
				break
			}
			if _, err := io.ReadFull(rc, rec); err != nil {
				break
			}
			pos = off + LastlogSize
		}
		r, _ := ParseLastlog(rec, binary.LittleEndian)
		if r.Time.IsZero() {
			continue
		}
		for _, name := range byUID[uid] {
			l := Login{Time: r.Time, User: name, Method: "lastlog", File: "/" + lastlogFile, From: r.Line}
			remote := remoteHost(r.Host)
			if remote {
				l.From = r.Host
			}
			out.last[name] = l
			if r.Time.Before(start) || r.Time.After(end) {
				continue
			}
			if remote {
				out.remote = append(out.remote, l)
			} else {
				out.console = append(out.console, l)
			}
		}
	}
	src.Paths = []string{"/" + lastlogFile}
	if skipped > 0 {
		src.Status, src.Detail = SourcePartial, fmt.Sprintf("%d account(s) with uids beyond the first %d bytes not checked", skipped, int64(maxLastlogBytes))
	} else if src.Status == SourceMissing {
		src.Status, src.Detail = SourceRead, "the last login of each account only"
	}
	return src, nil
}
