package packages

import (
	"encoding/base64"
	"encoding/hex"
	"path"
	"strings"
)

// ApkFile is one file apk's installed database lists for a package (an
// R: line in the directory of the preceding F:), with its Z: checksum.
type ApkFile struct {
	Path string // absolute, clean
	// Algo and Digest (lower-case hex) decode the Z: line: "Q1" is
	// sha1 and "Q2" sha256, base64-encoded; both "" when there is none
	// or it is malformed. For a symlink apk checksums the link text.
	Algo, Digest string
}

// ApkPackageFiles is a package of apk's installed database and its files.
type ApkPackageFiles struct {
	Package
	Files []ApkFile
}

// maxApkPath bounds one file path (PATH_MAX).
const maxApkPath = 4096

// ParseApkInstalledFiles parses apk's installed database with every
// package's files and checksums. The caller bounds b.
func ParseApkInstalledFiles(b []byte, file string) []ApkPackageFiles {
	var groups []*Package
	files := map[*Package][]ApkFile{}
	var dir string
	var last *Package
	zTo := -1 // the file the next Z: belongs to: the R: line just before
	parseApkInstalled(b, file, func(p *Package, key byte, v string) {
		if p != last {
			last, dir, zTo = p, "", -1
			groups = append(groups, p)
		}
		switch key {
		case 'F':
			dir, zTo = v, -1
		case 'R':
			zTo = -1
			if v == "" || strings.Contains(v, "/") || strings.ContainsRune(v, 0) || len(dir)+len(v) > maxApkPath {
				return
			}
			if q := path.Clean("/" + path.Join(dir, v)); q != "/" {
				files[p] = append(files[p], ApkFile{Path: q})
				zTo = len(files[p]) - 1
			}
		case 'Z':
			if zTo >= 0 {
				f := &files[p][zTo]
				f.Algo, f.Digest = apkChecksum(v)
				zTo = -1
			}
		}
	})
	out := make([]ApkPackageFiles, 0, len(groups))
	for _, p := range groups {
		if p.Name != "" {
			out = append(out, ApkPackageFiles{Package: *p, Files: files[p]})
		}
	}
	return out
}

// apkChecksum decodes a Q1 (sha1) or Q2 (sha256) checksum to hex.
func apkChecksum(v string) (algo, digest string) {
	var want int
	switch {
	case strings.HasPrefix(v, "Q1"):
		algo, want = "sha1", 20
	case strings.HasPrefix(v, "Q2"):
		algo, want = "sha256", 32
	default:
		return "", ""
	}
	raw, err := base64.StdEncoding.DecodeString(v[2:])
	if err != nil || len(raw) != want {
		return "", ""
	}
	return algo, hex.EncodeToString(raw)
}
