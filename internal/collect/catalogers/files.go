package catalogers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/target"
)

// TypeFile is a file component: an executable or library no package
// database owns.
const TypeFile = "file"

// Hash is a digest of a file (algorithm names as CycloneDX writes them).
type Hash struct{ Alg, Value string }

// unpackagedFiles reports the ELF executables and shared libraries in the
// system program and library directories, and the Windows (PE)
// executables and libraries anywhere, that no package owns (dpkg's file
// lists, apk's installed database), each a file component with its
// SHA-256 and SHA-512: software put there by hand or by an installer
// that no other cataloger names. rpm's file lists are not read yet, so
// on an rpm system the cataloger reports a gap instead of calling every
// file unowned.
type unpackagedFiles struct {
	once, report *sync.Once
	owned        *ownedFiles
}

// ownedFiles is the set of paths the package databases list.
type ownedFiles struct {
	paths map[string]bool
	err   error // why ownership cannot be told
}

func newUnpackagedFiles() unpackagedFiles {
	return unpackagedFiles{once: new(sync.Once), report: new(sync.Once), owned: new(ownedFiles)}
}

func (unpackagedFiles) Name() string { return "unpackaged-file" }

// Match: a regular file in a system program or library directory with
// an executable bit or a shared-library name.
// Anywhere else: a Windows executable's or library's name (isPEName).
func (unpackagedFiles) Match(fi target.FileInfo) bool {
	if fi.Size < minExecSize || fi.Size > MaxBinarySize {
		return false
	}
	if !fswalk.InSystemDir(fi.Path) {
		return isPEName(fi.Path)
	}
	return fi.Mode&0o111 != 0 || strings.Contains(path.Base(fi.Path), ".so") || isPEName(fi.Path)
}

// maxListSize bounds one package file list.
const maxListSize = 8 << 20

func (u unpackagedFiles) Catalog(_ context.Context, f *File) ([]Package, error) {
	u.once.Do(func() { *u.owned = loadOwned(f.t) })
	if u.owned.err != nil {
		// Said once, not for every file.
		var err error
		u.report.Do(func() { err = u.owned.err })
		return nil, err
	}
	if u.owned.isOwned(f.Info.Path) {
		return nil, nil
	}
	ra, size, err := f.Open()
	if err != nil {
		return nil, err
	}
	if !(execFormat(ra) == "elf" && fswalk.InSystemDir(f.Info.Path)) && !isPE(ra, size) {
		return nil, errNotMine
	}
	s256, s512 := sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(s256, s512), io.NewSectionReader(ra, 0, size)); err != nil {
		return nil, err
	}
	return []Package{{Type: TypeFile, Name: path.Base(f.Info.Path), Key: f.Path(), Executable: f.Info.Mode&0o111 != 0,
		Hashes: []Hash{{"SHA-256", hex.EncodeToString(s256.Sum(nil))}, {"SHA-512", hex.EncodeToString(s512.Sum(nil))}}}}, nil
}

// isOwned looks rel up as listed and, on a merged-/usr system, under the
// name a package may list it by (/bin/ls for usr/bin/ls).
func (o *ownedFiles) isOwned(rel string) bool {
	if o.paths["/"+rel] {
		return true
	}
	if r, ok := strings.CutPrefix(rel, "usr/"); ok && o.paths["/"+r] {
		return true
	}
	return false
}

// loadOwned reads the file lists of dpkg and apk. A target with neither
// (a firmware tree built without a package manager, a distroless image)
// owns nothing: every binary is unpackaged.
func loadOwned(t target.Target) ownedFiles {
	o := ownedFiles{paths: map[string]bool{}}
	if target.Exists(t, "usr/lib/sysimage/rpm/rpmdb.sqlite") || target.Exists(t, "var/lib/rpm/rpmdb.sqlite") || target.Exists(t, "var/lib/rpm/Packages") {
		o.err = errors.New("rpm's file lists are not read yet: unpackaged files of an rpm system are not reported")
		return o
	}
	names, _ := target.Glob(t, "var/lib/dpkg/info", "*.list")
	for _, n := range names {
		b, err := target.ReadFileLimit(t, n, maxListSize)
		if err != nil {
			continue
		}
		for line := range bytes.SplitSeq(b, []byte("\n")) {
			if len(line) > 0 {
				o.paths[string(line)] = true
			}
		}
	}
	if b, err := target.ReadFileLimit(t, "lib/apk/db/installed", MaxMetaSize); err == nil {
		dir := ""
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "F:"):
				dir = line[2:]
			case strings.HasPrefix(line, "R:"):
				o.paths["/"+path.Join(dir, line[2:])] = true
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		o.err = fmt.Errorf("apk installed database: %w", err)
		return o
	}
	return o
}
