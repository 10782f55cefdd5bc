package evidence

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// writeZip writes the pack as a zip with the files at its root, in path
// order and with the build time as every entry's time, so the same pack
// gives the same bytes. It is written atomically.
func writeZip(dst string, files map[string][]byte, now time.Time, force bool) error {
	if !force {
		if _, err := os.Lstat(dst); err == nil {
			return inputErr("%s exists; use --force to replace it", dst)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		h := &zip.FileHeader{Name: p, Method: zip.Deflate, Modified: now.UTC()}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("zip %s: %w", p, err)
		}
		if _, err := w.Write(files[p]); err != nil {
			return fmt.Errorf("zip %s: %w", p, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	if err := fileutil.WriteAtomic(dst, buf.Bytes(), 0o644); err != nil {
		return inputErr("write %s: %v", dst, err)
	}
	return nil
}

// Bounds of a zip verify reads: a pack zip is small and flat; anything
// else is refused before it costs memory or time.
const (
	maxZipEntries = maxPackFiles + 2
	maxZipEntry   = MaxInputFile
	maxZipTotal   = maxTotalPacked
	maxZipMeta    = 64 << 20 // manifest and signature
)

// zipSource reads a pack from a zip: entry names are checked (no
// absolute paths, no "..", no backslashes, no duplicates, no links) and
// every read is bounded by the bytes actually inflated, not by the
// header's claim.
type zipSource struct {
	zr      *zip.Reader
	entries map[string]*zip.File
	total   int64
	bad     []Problem
}

func newZipSource(r io.ReaderAt, size int64) (*zipSource, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a zip file: %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("zip has %d entries, more than %d", len(zr.File), maxZipEntries)
	}
	s := &zipSource{zr: zr, entries: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.Mode().IsDir() {
			continue
		}
		if !validEntryName(name) {
			s.bad = append(s.bad, Problem{Path: name, Problem: "unsafe path in zip"})
			continue
		}
		if !f.Mode().IsRegular() {
			s.bad = append(s.bad, Problem{Path: name, Problem: "not a regular file in zip"})
			continue
		}
		if _, dup := s.entries[name]; dup {
			s.bad = append(s.bad, Problem{Path: name, Problem: "duplicate entry in zip"})
			continue
		}
		s.entries[name] = f
	}
	return s, nil
}

// validEntryName accepts clean, relative, slash-separated names.
func validEntryName(n string) bool {
	if n == "" || strings.HasPrefix(n, "/") || strings.ContainsAny(n, "\\\x00:") || path.Clean(n) != n {
		return false
	}
	for _, e := range strings.Split(n, "/") {
		if e == ".." || e == "." || e == "" {
			return false
		}
	}
	return true
}

func (s *zipSource) list() ([]string, []Problem, error) {
	names := make([]string, 0, len(s.entries))
	for n := range s.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, s.bad, nil
}

// read inflates one entry, at most limit bytes.
func (s *zipSource) read(name string, limit int64) ([]byte, error) {
	f, ok := s.entries[name]
	if !ok {
		return nil, errMissing
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	budget := min(limit, maxZipTotal-s.total)
	b, err := io.ReadAll(io.LimitReader(rc, budget+1))
	if err != nil {
		return nil, err
	}
	s.total += int64(len(b))
	if int64(len(b)) > budget {
		return nil, fmt.Errorf("inflates to more than %d bytes", budget)
	}
	return b, nil
}
