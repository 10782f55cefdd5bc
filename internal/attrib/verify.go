package attrib

import (
	"context"
	"crypto/md5"  //nolint:gosec // dpkg records md5; it is compared, not trusted for security
	"crypto/sha1" //nolint:gosec // old rpm headers record sha1; compared only
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"sort"
	"sync"

	"github.com/cradle-cra/cradle/internal/target"
)

// Verdicts of a verified file.
const (
	FileOK       = "ok"
	FileMismatch = "mismatch"
	FileMissing  = "missing"
	FileError    = "error" // could not be read: nothing is known
)

// FileResult is one package-shipped file compared with its package.
type FileResult struct {
	Path   string // where it was read (after diversions)
	Owner  Owner
	Status string
	Got    string // the digest of the content now
	Size   int64  // bytes read
	Err    string
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Conffiles verifies configuration files too (their local edits are
	// expected, so they are left out by default).
	Conffiles bool
	Workers   int // 0: one per CPU
}

// Verify reads every file of the index that has a recorded digest,
// in parallel, and compares it. Results are sorted by path; files whose
// owner records no digest are not read (Index.Unknown names them).
func Verify(ctx context.Context, t target.Target, x *Index, o VerifyOptions) ([]FileResult, error) {
	type job struct {
		path  string
		owner Owner
	}
	var jobs []job
	seen := map[string]bool{}
	for p, owners := range x.Files {
		for _, ow := range owners {
			if ow.Digest == "" || (ow.Conffile && !o.Conffiles) {
				continue
			}
			loc := x.Location(p, ow)
			if k := loc + "\x00" + ow.Algo + ow.Digest; !seen[k] {
				seen[k] = true
				jobs = append(jobs, job{loc, ow})
			}
		}
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].path < jobs[j].path })
	n := o.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	out := make([]FileResult, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	// One openat2 below the root per file where the backend allows it;
	// paths through a symlink (/bin on merged-/usr) take the target's
	// resolver.
	op, err := target.OpenBulk(t)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	for range n {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for i := range next {
				out[i] = check(t, op, jobs[i].path, jobs[i].owner, buf)
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return out, nil
}

func check(t target.Target, op *target.BulkOpener, p string, o Owner, buf []byte) FileResult {
	r := FileResult{Path: p, Owner: o}
	got, n, err := "", int64(0), error(nil)
	if o.Link {
		got, n, err = linkDigest(t, p, o.Algo)
	}
	if !o.Link || errors.Is(err, errNotLink) {
		got, n, err = bulkDigest(t, op, p, o.Algo, buf)
	}
	if errors.Is(err, errViaTarget) {
		got, n, err = digestN(t, p, o.Algo, buf)
	}
	r.Size = n
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Status = FileMissing
	case err != nil:
		r.Status, r.Err = FileError, err.Error()
	case got == o.Digest:
		r.Status, r.Got = FileOK, got
	default:
		r.Status, r.Got = FileMismatch, got
	}
	return r
}

var errViaTarget = errors.New("open through the target")

// errNotRegular: the package database lists a device node, FIFO,
// socket or directory; opening a device can have side effects
// (a watchdog), so it is never opened.
var errNotRegular = errors.New("not a regular file")

// bulkDigest reads p with one open below the root; errViaTarget when
// that cannot say (a symlink on the way, another error). The path's type
// is checked before the open: the database is the target's, so it may
// name anything.
func bulkDigest(t target.Target, op *target.BulkOpener, p, algo string, buf []byte) (string, int64, error) {
	h, err := newHash(algo)
	if err != nil {
		return "", 0, err
	}
	fi, err := t.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", 0, err
	case err != nil || fi.Mode&fs.ModeSymlink != 0:
		return "", 0, errViaTarget // the slow path follows it and checks again
	case !fi.Mode.IsRegular():
		return "", 0, &fs.PathError{Op: "verify", Path: p, Err: errNotRegular}
	}
	f, err := op.Open(target.Clean(p))
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, err
	}
	if err != nil {
		return "", 0, errViaTarget
	}
	defer f.Close()
	if fi, ok, err := f.Stat(); err != nil || !ok || !fi.Mode.IsRegular() {
		return "", 0, errViaTarget // the slow path says what it is
	}
	n, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return "", n, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func newHash(algo string) (hash.Hash, error) {
	switch algo {
	case AlgoMD5:
		return md5.New(), nil //nolint:gosec // see import
	case "sha1":
		return sha1.New(), nil //nolint:gosec // see import
	case AlgoSHA256:
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, errors.New("unknown digest algorithm " + algo)
}

// Digest is the algo digest (lower-case hex) of the file p of t, read
// through the target; a directory or other non-regular file is an error.
func Digest(t target.Target, p, algo string, buf []byte) (string, error) {
	d, _, err := digestN(t, p, algo, buf)
	return d, err
}

func digestN(t target.Target, p, algo string, buf []byte) (string, int64, error) {
	h, err := newHash(algo)
	if err != nil {
		return "", 0, err
	}
	return readDigest(t, p, h, buf)
}

// errNotRecorded: the file's content is no longer what the walk hashed.
var errNotRecorded = errors.New("content differs from the recorded sha256")

// digestAs is Digest, in the same read checking that the content has
// the sha256 recorded for it (when one is: "" checks nothing).
func digestAs(t target.Target, p, algo, sha string, buf []byte) (string, error) {
	h, err := newHash(algo)
	if err != nil {
		return "", err
	}
	if sha == "" {
		d, _, err := readDigest(t, p, h, buf)
		return d, err
	}
	s := sha256.New()
	d, _, err := readDigest(t, p, multiHash{h, s}, buf)
	if err != nil {
		return "", err
	}
	if hex.EncodeToString(s.Sum(nil)) != sha {
		return "", &fs.PathError{Op: "verify", Path: p, Err: errNotRecorded}
	}
	return d, nil
}

// multiHash writes to every hash and sums the first.
type multiHash []hash.Hash

func (m multiHash) Write(b []byte) (int, error) {
	for _, h := range m[1:] {
		h.Write(b)
	}
	return m[0].Write(b)
}
func (m multiHash) Sum(b []byte) []byte { return m[0].Sum(b) }

// readDigest hashes the regular file p of t into h.
func readDigest(t target.Target, p string, h interface {
	io.Writer
	Sum([]byte) []byte
}, buf []byte) (string, int64, error) {
	fi, err := t.Stat(p)
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode.IsRegular() {
		return "", 0, &fs.PathError{Op: "verify", Path: p, Err: errNotRegular}
	}
	f, err := t.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	if buf == nil {
		buf = make([]byte, 64<<10)
	}
	n, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return "", n, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func knownAlgo(a string) bool { _, err := newHash(a); return err == nil }

// errNotLink: linkDigest's path is not a symlink.
var errNotLink = errors.New("not a symlink")

// linkDigest is the digest of the text of the symlink p (apk's checksum
// of a link); errNotLink when p is something else.
func linkDigest(t target.Target, p, algo string) (string, int64, error) {
	fi, err := t.Lstat(p)
	if err != nil {
		return "", 0, err
	}
	if fi.Mode&fs.ModeSymlink == 0 {
		return "", 0, errNotLink
	}
	l, err := t.Readlink(p)
	if err != nil {
		return "", 0, err
	}
	h, err := newHash(algo)
	if err != nil {
		return "", 0, err
	}
	h.Write([]byte(l))
	return hex.EncodeToString(h.Sum(nil)), int64(len(l)), nil
}
