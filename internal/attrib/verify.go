package attrib

import (
	"context"
	"crypto/md5" //nolint:gosec // dpkg records md5; it is compared, not trusted for security
	"crypto/sha256"
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
	for range n {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for i := range next {
				out[i] = check(t, jobs[i].path, jobs[i].owner, buf)
			}
		})
	}
	var err error
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

func check(t target.Target, p string, o Owner, buf []byte) FileResult {
	r := FileResult{Path: p, Owner: o}
	got, n, err := digestN(t, p, o.Algo, buf)
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

// Digest is the algo digest (lower-case hex) of the file p of t, read
// through the target; a directory or other non-regular file is an error.
func Digest(t target.Target, p, algo string, buf []byte) (string, error) {
	d, _, err := digestN(t, p, algo, buf)
	return d, err
}

func digestN(t target.Target, p, algo string, buf []byte) (string, int64, error) {
	var h hash.Hash
	switch algo {
	case AlgoMD5:
		h = md5.New() //nolint:gosec // see import
	case AlgoSHA256:
		h = sha256.New()
	default:
		return "", 0, errors.New("unknown digest algorithm " + algo)
	}
	fi, err := t.Stat(p)
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode.IsRegular() {
		return "", 0, &fs.PathError{Op: "verify", Path: p, Err: errors.New("not a regular file")}
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
