package sbom

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

// File is one regular file a component ships, as on the target's disk.
type File struct {
	Path       string // absolute within the target ("/usr/bin/ssh")
	SHA512     string // lower-case hex
	Executable bool   // any execute bit set
}

// Fields of TR-03183-2 a component can lack for a reason of the target,
// recorded in Component.Unavailable (and in the documents as the
// cradle:unavailable property, which `cradle sbom check` honours).
const (
	FieldCreator  = "creator"
	FieldLicense  = "licence"
	FieldHash     = "hash"
	FieldFilename = "filename"
	// FieldExecutable is known only from the files.
	FieldExecutable = "executable"
)

// maxListFile bounds one dpkg .list file or apk's installed database.
const maxListFile = 64 << 20

// hashFiles fills each package component's Files, SHA512 and
// Executable from the files its package manager lists, hashing them in
// parallel (workers ≤ 0: twice the CPUs, at most 8). A component whose
// list cannot be read, or whose files are all missing, gets the reason
// in Unavailable instead of a hash.
func hashFiles(ctx context.Context, t target.Target, comps []Component, workers int) error {
	return hashLists(ctx, t, comps, fileLists(ctx, t, comps), workers)
}

// hashLists is hashFiles with the file lists given (lists[i] is
// comps[i]'s).
func hashLists(ctx context.Context, t target.Target, comps []Component, lists []fileList, workers int) error {
	if workers <= 0 {
		workers = min(2*runtime.GOMAXPROCS(0), 8)
	}
	op, err := target.OpenBulk(t)
	if err != nil {
		return fmt.Errorf("open target for hashing: %w", err)
	}
	defer op.Close()

	type job struct{ comp, file int }
	jobs := make(chan job)
	results := make([][]File, len(comps))
	for i, l := range lists {
		results[i] = make([]File, len(l.paths))
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			h := sha512.New()
			buf := make([]byte, 128<<10)
			dirs := dirCache{}
			for j := range jobs {
				p := lists[j.comp].paths[j.file]
				// Each job owns its slot; a file that is not hashed
				// leaves it empty.
				if f, ok := hashOne(t, op, dirs, p, h, buf); ok {
					results[j.comp][j.file] = f
				}
			}
		})
	}
feed:
	for i, l := range lists {
		for k := range l.paths {
			select {
			case jobs <- job{i, k}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range comps {
		c := &comps[i]
		if lists[i].why != "" {
			c.noFiles(lists[i].why)
			continue
		}
		for _, f := range results[i] {
			if f.Path != "" {
				c.Files = append(c.Files, f)
			}
		}
		if len(c.Files) == 0 {
			c.noFiles("the package ships no regular file that is present on the target")
			continue
		}
		c.SHA512 = ManifestSHA512(c.Files)
		c.Executable = "non-executable"
		for _, f := range c.Files {
			if f.Executable {
				c.Executable = "executable"
				break
			}
		}
	}
	return nil
}

// noFiles records why the files' facts are missing.
func (c *Component) noFiles(why string) {
	c.unavailable(FieldHash, why)
	c.unavailable(FieldExecutable, why)
}

// dirCache maps a directory as a package lists it to the directory it
// denotes with every symlink resolved inside the root ("" when it cannot
// be resolved). Packages of merged-/usr systems list their files under
// /bin, /lib and /sbin, which are symlinks into /usr: resolving each
// directory once keeps those files on the one-openat2 fast path instead
// of a confined lookup of every component per file. One per worker.
type dirCache map[string]string

func (c dirCache) canonical(t target.Target, dir string) string {
	if d, ok := c[dir]; ok {
		return d
	}
	d, err := target.Resolve(t, dir, true)
	if err != nil {
		d = ""
	}
	c[dir] = d
	return d
}

// hashOne hashes the regular file at the absolute path p; ok is false
// for anything else (directories, symlinks, devices: not deployable files
// of their own) and for files that are missing or unreadable.
func hashOne(t target.Target, op *target.BulkOpener, dirs dirCache, p string, h interface {
	io.Writer
	Reset()
	Sum([]byte) []byte
}, buf []byte) (File, bool) {
	rel := strings.TrimPrefix(p, "/")
	// Fast path: one openat2 that follows no symlink. A path through a
	// symlinked directory (/bin on merged-/usr systems) is retried in
	// the directory it resolves to inside the root, still without
	// following the file's own name when that is a symlink.
	f, err := op.Open(rel)
	if err != nil {
		if dir, base := path.Split(rel); dir != "" {
			if d := dirs.canonical(t, dir); d != "" && d+"/" != dir {
				f, err = op.Open(d + "/" + base)
			}
		}
	}
	if err != nil {
		return File{}, false
	}
	defer f.Close()
	fi, ok, err := f.Stat()
	if err == nil && !ok {
		// Backends that cannot stat an open file (image layers) open
		// through the resolver: the name's own entry decides.
		fi, err = t.Lstat(rel)
	}
	if err != nil || !fi.Mode.IsRegular() {
		return File{}, false
	}
	h.Reset()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return File{}, false
	}
	return File{Path: p, SHA512: hex.EncodeToString(h.Sum(nil)), Executable: fi.Mode&0o111 != 0}, true
}

// ManifestSHA512 is the hash cradle gives a package component: SHA-512
// of its files' sha512sum(1) lines ("<hex>  <path>\n") sorted by path
// (byte order), so `sha512sum FILES | sort -k2 | sha512sum` on the
// target reproduces it. An installed package has no single deployable
// file; this digest changes when any file it ships does.
func ManifestSHA512(files []File) string {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	h := sha512.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s  %s\n", f.SHA512, f.Path)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileList is the paths one component's package lists, or why there
// are none.
type fileList struct {
	paths []string
	why   string
}

// fileLists reads the file list of each component from its package
// manager: dpkg's info/NAME[:ARCH].list, apk's R: lines of the installed
// database, the file lists of the rpm headers in the SQLite rpmdb.
func fileLists(ctx context.Context, t target.Target, comps []Component) []fileList {
	out := make([]fileList, len(comps))
	var apk, rpm map[string][]string
	var apkErr, rpmErr error
	for i, c := range comps {
		switch c.Manager {
		case packages.Dpkg:
			out[i] = dpkgList(t, c)
		case packages.Apk:
			if apk == nil && apkErr == nil {
				apk, apkErr = apkLists(t)
			}
			if apkErr != nil {
				out[i].why = "apk installed database: " + apkErr.Error()
			} else if l, ok := apk[c.Name+"\x00"+c.Version]; ok {
				out[i].paths = l
			} else {
				out[i].why = "apk lists no file for the package"
			}
		case packages.RPM:
			if rpm == nil && rpmErr == nil {
				rpm, rpmErr = rpmLists(ctx, t)
			}
			if rpmErr != nil {
				out[i].why = "rpm database: " + rpmErr.Error()
			} else if l, ok := rpm[c.Name+"\x00"+c.Version+"\x00"+c.Arch]; ok {
				out[i].paths = l
			} else {
				out[i].why = "rpm lists no file for the package"
			}
		default:
			out[i].why = "no file list for " + c.Manager + " components"
		}
	}
	return out
}

func dpkgList(t target.Target, c Component) fileList {
	// A name from a hostile database must not leave info/.
	if strings.ContainsAny(c.Name+c.Arch, "/\x00") || c.Name == ".." {
		return fileList{why: "unsafe package name"}
	}
	var b []byte
	var err error
	for _, n := range []string{c.Name + ":" + c.Arch + ".list", c.Name + ".list"} {
		if strings.HasPrefix(n, ":") || (c.Arch == "" && strings.Contains(n, ":.")) {
			continue
		}
		if b, err = target.ReadFileLimit(t, "var/lib/dpkg/info/"+n, maxListFile); err == nil {
			break
		}
	}
	if err != nil || b == nil {
		why := "dpkg file list not found"
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			why = "dpkg file list: " + err.Error()
		}
		return fileList{why: why}
	}
	return fileList{paths: parseDpkgList(b)}
}

// parseDpkgList returns the absolute, clean, distinct paths of a .list
// file in order.
func parseDpkgList(b []byte) []string {
	var out []string
	seen := map[string]bool{}
	for line := range bytes.Lines(b) {
		p := strings.TrimRight(string(line), "\r\n")
		if !strings.HasPrefix(p, "/") || p == "/." {
			continue
		}
		p = path.Clean(p)
		if p == "/" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// apkLists reads apk's installed database: per package (P: name, V:
// version) the files R: in the directory of the preceding F:.
func apkLists(t target.Target) (map[string][]string, error) {
	b, err := target.ReadFileLimit(t, "lib/apk/db/installed", maxListFile)
	if err != nil {
		return nil, err
	}
	return ParseApkFiles(b), nil
}

// ParseApkFiles maps "name\x00version" to the absolute paths apk's
// installed database lists for the package.
func ParseApkFiles(b []byte) map[string][]string {
	out := map[string][]string{}
	var name, version, dir string
	var files []string
	flush := func() {
		if name != "" {
			out[name+"\x00"+version] = append(out[name+"\x00"+version], files...)
		}
		name, version, dir, files = "", "", "", nil
	}
	for line := range bytes.Lines(b) {
		l := strings.TrimRight(string(line), "\r\n")
		if l == "" {
			flush()
			continue
		}
		if len(l) < 2 || l[1] != ':' {
			continue
		}
		v := l[2:]
		switch l[0] {
		case 'P':
			name = v
		case 'V':
			version = v
		case 'F':
			dir = v
		case 'R':
			if v == "" || strings.Contains(v, "/") {
				continue
			}
			p := path.Clean("/" + path.Join(dir, v))
			if p != "/" {
				files = append(files, p)
			}
		}
	}
	flush()
	return out
}

// rpmLists reads the file lists of the SQLite rpmdb's headers, keyed by
// name, EVR and architecture as FromPackages names the components: the
// paths of regular files (those with a digest), %ghost files left out
// (rpm does not install them).
func rpmLists(ctx context.Context, t target.Target) (map[string][]string, error) {
	out := map[string][]string{}
	_, err := packages.EachRPMHeader(ctx, t, func(h packages.RPMHeader, files []packages.RPMFile, _ string) error {
		var paths []string
		for _, f := range files {
			if f.Digest != "" && f.Flags&packages.RPMFileGhost == 0 {
				paths = append(paths, path.Clean("/"+f.Path))
			}
		}
		sort.Strings(paths)
		out[h.Name+"\x00"+h.EVR()+"\x00"+h.Arch] = slices.Compact(paths)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
