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
	err = eachLine(b, func(line []byte) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return
		}
		sum, rest, ok := bytes.Cut(line, []byte(" "))
		p := string(bytes.TrimLeft(rest, " *")) // "  path" (text) or " *path" (binary)
		if !ok || len(sum) != 32 || !isHex(sum) || p == "" || len(p) > maxPathBytes || strings.ContainsRune(p, 0) {
			bad++
			return
		}
		sums = append(sums, Sum{Path: cleanAbs(p), MD5: strings.ToLower(string(sum))})
	})
	return sums, bad, err
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
