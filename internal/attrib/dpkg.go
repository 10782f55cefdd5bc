// Package attrib explains file changes: by a cradle fix run, by an
// entry of the signed change log, or by the package manager (the file's
// content is what the installed package ships), and verifies
// package-shipped files against the digests the package database
// records. Package databases are read through internal/target and parsed
// as untrusted input, with bounds.
package attrib

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"path"
	"strings"
	"time"
)

// Bounds of what is read from a target's package database.
const (
	MaxMD5Sums   = 64 << 20  // one md5sums file
	MaxStatus    = 128 << 20 // /var/lib/dpkg/status
	MaxDpkgLog   = 64 << 20  // the tail of /var/log/dpkg.log that is read
	MaxLine      = 64 << 10  // one line of any of them
	MaxFiles     = 2 << 20   // files indexed over all packages (about 250 bytes each)
	maxPathBytes = 4096
)

var errLine = errors.New("line too long")

// maxFiles is MaxFiles; tests lower it.
var maxFiles = MaxFiles

// ErrTooManyFiles: the package database lists more files than are
// indexed. It is an error, not a truncated index: files left out would
// be reported as unowned rather than as unknown.
var ErrTooManyFiles = errors.New("package database lists too many files")

// Sum is one line of a dpkg md5sums file.
type Sum struct {
	Path string // absolute
	MD5  string // lower-case hex
}

// ParseMD5Sums parses a dpkg md5sums file ("<32 hex>  <path relative to
// />" a line). Malformed lines are skipped and counted; a line over
// MaxLine ends the parse with an error.
func ParseMD5Sums(b []byte) (sums []Sum, bad int, err error) {
	return parseMD5Sums(b, nil)
}

// parseMD5Sums is ParseMD5Sums keeping only the lines whose path only
// holds (all of them when only is nil); the others are skipped before
// any string is made of them.
func parseMD5Sums(b []byte, only Paths) (sums []Sum, bad int, err error) {
	err = eachLine(b, func(line []byte) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return
		}
		sum, rest, ok := bytes.Cut(line, []byte(" "))
		rest = bytes.TrimLeft(rest, " *") // "  path" (text) or " *path" (binary)
		if !ok || len(sum) != 32 || !isHex(sum) || len(rest) == 0 || len(rest) > maxPathBytes || bytes.IndexByte(rest, 0) >= 0 {
			bad++
			return
		}
		if only != nil && !only.hasRel(rest) {
			return
		}
		sums = append(sums, Sum{Path: cleanAbs(string(rest)), MD5: strings.ToLower(string(sum))})
	})
	return sums, bad, err
}

// Paths restricts an index to the files that matter to the caller
// (LoadPackagesFor): absolute, clean paths, each with its merged-/usr
// alias.
type Paths map[string]bool

// NewPaths is the set of paths and their merged-/usr aliases.
func NewPaths(paths []string) Paths {
	m := make(Paths, 2*len(paths))
	for _, p := range paths {
		p = path.Clean("/" + p)
		m[p] = true
		if a := usrAlias(p); a != "" {
			m[a] = true
		}
	}
	return m
}

// has reports whether the absolute path abs, as a database spells it,
// is in the set. A clean spelling is looked up without making a string
// of it (the compiler's map lookup by string(bytes) does not allocate).
func (m Paths) has(abs []byte) bool {
	if !unclean(abs) {
		return m[string(abs)]
	}
	return m[path.Clean(string(abs))]
}

// hasRel is has for a path relative to / (as md5sums spells it).
func (m Paths) hasRel(rel []byte) bool {
	var buf [256]byte
	if len(rel) < len(buf) && !unclean(rel) {
		buf[0] = '/'
		n := copy(buf[1:], rel)
		return m[string(buf[:1+n])]
	}
	return m[cleanAbs(string(rel))]
}

// unclean: p is not as path.Clean would leave it (repeated or trailing
// slashes, "." or ".." components).
func unclean(p []byte) bool {
	if len(p) == 0 || p[len(p)-1] == '/' {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || (i > 0 && p[i-1] != '/') {
			if p[i] == '/' && i+1 < len(p) && p[i+1] == '/' {
				return true
			}
			continue
		}
		// a component starting with '.': "." or ".." alone is unclean
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

func isHex(b []byte) bool {
	_, err := hex.DecodeString(string(b))
	return err == nil
}

func cleanAbs(p string) string { return path.Clean("/" + p) }

// eachLine calls fn for every line of b, refusing lines over MaxLine.
func eachLine(b []byte, fn func([]byte)) error {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) > MaxLine {
			return errLine
		}
		fn(line)
	}
	return nil
}

// DpkgEvent is one action line of /var/log/dpkg.log: install, upgrade,
// remove, purge, configure ("2026-12-05 08:33:21 upgrade pkg:arch old new").
type DpkgEvent struct {
	Time    time.Time
	Action  string
	Package string // without ":arch"
	Arch    string
	Old     string
	New     string
}

// ParseDpkgLog parses the action lines of a dpkg log (times are local to
// the target; they are read as UTC, so compare them with some slack).
// Status, startup and conffile lines are skipped.
func ParseDpkgLog(b []byte) ([]DpkgEvent, error) {
	var out []DpkgEvent
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		switch f[2] {
		case "install", "upgrade", "remove", "purge", "configure", "trigproc":
		default:
			continue
		}
		t, err := time.Parse("2006-01-02 15:04:05", f[0]+" "+f[1])
		if err != nil {
			continue
		}
		name, arch, _ := strings.Cut(f[3], ":")
		ev := DpkgEvent{Time: t, Action: f[2], Package: name, Arch: arch}
		if len(f) > 4 {
			ev.Old = f[4]
		}
		if len(f) > 5 {
			ev.New = f[5]
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	return out, nil
}
