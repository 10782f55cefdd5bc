package catalogers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/xmlsafe"
)

// javaArchive reads Java archives (jar, war, ear): the Maven coordinates
// of META-INF/maven/GROUP/ARTIFACT/pom.properties, in the archive and in
// the archives nested in it (a Spring Boot jar's BOOT-INF/lib, a war's
// WEB-INF/lib), with the licences of the pom.xml beside it. An archive
// none of whose pom.properties is its own is named by its file name and
// manifest (jarFallback), without a group.
type javaArchive struct{}

func (javaArchive) Name() string { return "java-archive" }

func (javaArchive) Match(fi target.FileInfo) bool {
	switch path.Ext(fi.Path) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi":
		return fi.Size > 22 && fi.Size <= MaxBinarySize // 22: an empty zip
	}
	return false
}

// Bounds on archives: entries looked at, nesting, what is read.
const (
	maxZipEntries  = 100000
	maxZipNesting  = 2
	maxNestedJar   = 64 << 20
	maxPomProps    = 64 << 10
	maxNestedTotal = 256 << 20
	// A pom.xml is read only for its licences; real ones are tens of
	// kilobytes. At most maxPomXMLs per archive are kept.
	maxPomXML  = 1 << 20
	maxPomXMLs = 256
)

func (javaArchive) Catalog(_ context.Context, f *File) ([]Package, error) {
	ra, size, err := f.Open()
	if err != nil {
		return nil, err
	}
	budget := int64(maxNestedTotal)
	ps, err := readJar(ra, size, path.Base(f.Info.Path), f.Path(), 0, &budget)
	if err != nil {
		return nil, err
	}
	return ps, hashArchive(ps, f.Path(), io.NewSectionReader(ra, 0, size), f.Info.Mode&0o111 != 0)
}

// hashArchive gives the packages an archive names as its own (found at
// location) the archive's SHA-512: the deployable file that ships them.
func hashArchive(ps []Package, location string, r io.Reader, executable bool) error {
	own := 0
	for _, p := range ps {
		if p.Location == location {
			own++
		}
	}
	if own == 0 {
		return nil
	}
	h := sha512.New()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("hash %s: %w", location, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	for i := range ps {
		if ps[i].Location == location {
			ps[i].Hashes = append(ps[i].Hashes, Hash{Alg: "SHA-512", Value: sum})
			ps[i].Executable = executable
		}
	}
	return nil
}

// readJar returns the packages of one archive and its nested archives;
// location names the archive ("/opt/app.jar!/BOOT-INF/lib/x.jar").
func readJar(ra io.ReaderAt, size int64, name, location string, depth int, budget *int64) ([]Package, error) {
	dir, err := zipDirSize(ra, size)
	if err != nil {
		return nil, err
	}
	if dir > maxZipDir {
		return nil, fmt.Errorf("zip: central directory of %d bytes, over the bound of %d", dir, maxZipDir)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("zip: %d entries, over the bound of %d", len(zr.File), maxZipEntries)
	}
	var out, nested []Package
	var manifest []byte
	var propsDir []string          // per out: the directory of its pom.properties
	poms := map[string]*zip.File{} // directory → its pom.xml
	for _, zf := range zr.File {
		n := zf.Name
		switch {
		case strings.HasPrefix(n, "META-INF/maven/") && strings.HasSuffix(n, "/pom.properties"):
			b, err := readZipEntry(zf, maxPomProps)
			if err != nil {
				continue
			}
			if p, ok := parsePomProperties(b); ok {
				p.Location = location
				out = append(out, p)
				propsDir = append(propsDir, path.Dir(n))
			}
		case strings.HasPrefix(n, "META-INF/maven/") && strings.HasSuffix(n, "/pom.xml"):
			if len(poms) < maxPomXMLs {
				poms[path.Dir(n)] = zf
			}
		case n == "META-INF/MANIFEST.MF":
			manifest, _ = readZipEntryPrefix(zf, maxManifest)
		case depth < maxZipNesting && isJarName(n):
			sz := int64(zf.UncompressedSize64)
			if zf.UncompressedSize64 > maxNestedJar || sz > *budget {
				continue
			}
			b, err := readZipEntry(zf, maxNestedJar)
			if err != nil {
				continue
			}
			*budget -= int64(len(b))
			ps, err := readJar(bytes.NewReader(b), int64(len(b)), path.Base(n), location+"!/"+n, depth+1, budget)
			if err == nil {
				_ = hashArchive(ps, location+"!/"+n, bytes.NewReader(b), zf.Mode()&0o111 != 0) // in memory: cannot fail
				nested = append(nested, ps...)
			}
		}
	}
	for i, dir := range propsDir {
		if zf := poms[dir]; zf != nil {
			if b, err := readZipEntry(zf, maxPomXML); err == nil {
				out[i].License = pomLicense(b)
			}
		}
	}
	if mf := parseManifest(manifest); !ownPom(out, mf, name) {
		if p, ok := jarFallback(mf, manifest != nil, name); ok {
			p.Location = location
			out = append(out, p)
		}
	}
	// The archive's own coordinates come first; what it bundles depends
	// on nothing the archive says, so no edges are invented.
	for i := range out {
		out[i].Key = out[i].PURL + " " + out[i].Location
	}
	for i := range nested {
		nested[i].Key = nested[i].PURL + " " + nested[i].Location
	}
	return append(out, nested...), nil
}

func isJarName(n string) bool {
	switch path.Ext(n) {
	case ".jar", ".war":
		return true
	}
	return false
}

func readZipEntry(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: over %d bytes", zf.Name, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes", zf.Name, limit)
	}
	return b, nil
}

// readZipEntryPrefix reads at most limit bytes of an entry.
func readZipEntryPrefix(zf *zip.File, limit int64) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil && !errors.Is(err, zip.ErrChecksum) {
		return nil, err
	}
	return b, nil
}

// parsePomProperties reads the groupId, artifactId and version Maven
// writes into every artifact it builds.
func parsePomProperties(b []byte) (Package, bool) {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	g, a, v := kv["groupId"], kv["artifactId"], kv["version"]
	if a == "" || v == "" {
		return Package{}, false
	}
	return mavenPackage(g, a, v), true
}

func mavenPackage(group, artifact, version string) Package {
	name := artifact
	if group != "" {
		name = group + ":" + artifact
	}
	return Package{Ecosystem: Maven, Type: TypeLibrary, Name: name, Version: version,
		PURL: purl(Maven, group, artifact, version, nil)}
}

// pomLicense returns the licences a pom.xml declares: an SPDX
// expression when every one is a licence the table knows (by URL or
// name; several are alternatives, as Maven publishes dual licences),
// else their names as written; "" when it declares none or cannot be
// read. Only the project's own <licenses> count (not a parent's, which
// is not in the archive); unresolved ${properties} are dropped.
func pomLicense(b []byte) string {
	var pom struct {
		Licenses []struct {
			Name string `xml:"name"`
			URL  string `xml:"url"`
		} `xml:"licenses>license"`
	}
	if err := xmlsafe.Decode(bytes.NewReader(b), pomLimits, &pom); err != nil {
		return ""
	}
	var ids, names []string
	mapped := true
	for _, l := range pom.Licenses {
		name, url := strings.Join(strings.Fields(l.Name), " "), strings.TrimSpace(l.URL)
		if strings.Contains(name, "${") {
			name = ""
		}
		if strings.Contains(url, "${") {
			url = ""
		}
		if name == "" && url == "" {
			continue
		}
		if len(names) == 8 {
			break
		}
		id := mavenLicenseID(name, url)
		if id == "" {
			mapped = false
		} else if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		if name == "" {
			name = url
		}
		names = append(names, name)
	}
	if mapped && len(ids) > 0 {
		return strings.Join(ids, " OR ")
	}
	return strings.Join(names, ", ")
}

// pomLimits bound one pom.xml (xmlsafe refuses entity declarations).
var pomLimits = xmlsafe.Limits{MaxBytes: maxPomXML, MaxDepth: 64, MaxTokens: 200000}

// mavenLicenseID maps the licence names and URLs that Maven Central's
// poms use most to SPDX ids; "" for anything else (no guessing).
func mavenLicenseID(name, url string) string {
	u := strings.ToLower(url)
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	u = strings.TrimPrefix(u, "www.")
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".txt")
	u = strings.TrimSuffix(u, ".html")
	u = strings.TrimSuffix(u, ".php")
	if id, ok := mavenLicenseURLs[u]; ok {
		return id
	}
	n := strings.ToLower(name)
	if id, ok := mavenLicenseNames[n]; ok {
		return id
	}
	return spdxIDs[n]
}

var mavenLicenseURLs = map[string]string{
	"apache.org/licenses/license-2.0":                     "Apache-2.0",
	"opensource.org/licenses/apache-2.0":                  "Apache-2.0",
	"opensource.org/licenses/mit":                         "MIT",
	"opensource.org/licenses/mit-license":                 "MIT",
	"opensource.org/licenses/bsd-3-clause":                "BSD-3-Clause",
	"opensource.org/licenses/bsd-2-clause":                "BSD-2-Clause",
	"eclipse.org/legal/epl-v10":                           "EPL-1.0",
	"eclipse.org/legal/epl-2.0":                           "EPL-2.0",
	"eclipse.org/org/documents/edl-v10":                   "BSD-3-Clause",
	"gnu.org/licenses/lgpl-2.1":                           "LGPL-2.1-only",
	"gnu.org/licenses/old-licenses/lgpl-2.1":              "LGPL-2.1-only",
	"mozilla.org/mpl/2.0":                                 "MPL-2.0",
	"creativecommons.org/publicdomain/zero/1.0/legalcode": "CC0-1.0",
}

var mavenLicenseNames = map[string]string{
	"the apache software license, version 2.0": "Apache-2.0",
	"the apache license, version 2.0":          "Apache-2.0",
	"apache license, version 2.0":              "Apache-2.0",
	"apache license 2.0":                       "Apache-2.0",
	"apache 2.0":                               "Apache-2.0",
	"apache 2":                                 "Apache-2.0",
	"the mit license":                          "MIT",
	"mit license":                              "MIT",
	"eclipse public license - v 1.0":           "EPL-1.0",
	"eclipse public license - v 2.0":           "EPL-2.0",
	"eclipse public license v2.0":              "EPL-2.0",
	"eclipse distribution license - v 1.0":     "BSD-3-Clause",
	"bsd license 3":                            "BSD-3-Clause",
	"the bsd 3-clause license":                 "BSD-3-Clause",
	"mozilla public license version 2.0":       "MPL-2.0",
}

// spdxIDs are SPDX ids written as the name, matched without case.
var spdxIDs = func() map[string]string {
	m := map[string]string{}
	for _, id := range []string{"Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "EPL-1.0", "EPL-2.0",
		"MPL-2.0", "LGPL-2.1-only", "LGPL-2.1-or-later", "GPL-2.0-only", "CC0-1.0", "ISC", "Unlicense"} {
		m[strings.ToLower(id)] = id
	}
	return m
}()

// jarFileRE splits an archive's file name into artifact and version at
// the first "-" followed by a digit ("guice-no-aop-4.2.3.jar",
// Debian's "jsr305-0.1~+svn49.jar").
var jarFileRE = regexp.MustCompile(`^(.+?)-(\d[0-9A-Za-z.+~_-]*)\.(jar|war|ear|jpi|hpi)$`)

// ownPom reports whether one of the archive's pom.properties describes
// the archive itself rather than a library shaded into it: its artifact
// id matches the file name ("_" and "." taken as "-"; equal, or one is
// the other plus "-…"), or the manifest names the same version (up to
// trailing ".0"s: Debian renames maven-core-3.8.7.jar to maven3-core.jar),
// or it is the only one and the manifest gives no version to contradict
// it.
func ownPom(poms []Package, manifest map[string]string, file string) bool {
	stem, _ := jarFileName(file)
	stem = dashed(stem)
	mv := trimZeros(manifestVersion(manifest))
	for _, p := range poms {
		artifact := dashed(p.Name[strings.LastIndexByte(p.Name, ':')+1:])
		switch {
		case artifact == stem, strings.HasPrefix(stem, artifact+"-"), strings.HasPrefix(artifact, stem+"-"):
			return true
		case mv != "" && trimZeros(p.Version) == mv:
			return true
		case mv == "" && len(poms) == 1:
			return true
		}
	}
	return false
}

// dashed spells "_" and "." as "-": geronimo-annotation_1.3_spec is
// published as geronimo-annotation-1.3-spec.jar.
func dashed(s string) string { return strings.NewReplacer("_", "-", ".", "-").Replace(s) }

// trimZeros drops trailing ".0"s: a Bundle-Version 1.3.0 is version 1.3.
func trimZeros(v string) string {
	for strings.HasSuffix(v, ".0") {
		v = strings.TrimSuffix(v, ".0")
	}
	return v
}

// jarFileName splits a file name into artifact and version ("" when
// the name carries none).
func jarFileName(file string) (artifact, version string) {
	if m := jarFileRE.FindStringSubmatch(file); m != nil {
		return m[1], m[2]
	}
	return strings.TrimSuffix(file, path.Ext(file)), ""
}

// manifestVersion is the implementation's version a manifest states:
// Implementation-Version, else the OSGi Bundle-Version.
// Specification-Version is left out: it versions the API implemented
// (Maven Core 3.8.7 says 3.8), not the archive.
func manifestVersion(m map[string]string) string {
	if v := m["Implementation-Version"]; v != "" {
		return v
	}
	return m["Bundle-Version"]
}

// jarFallback names an archive that carries no Maven metadata of its own
// (Debian's /usr/share/java, vendors' lib directories, the JDK's
// jrt-fs.jar): the artifact is the file name without its version, the
// version the file name's, else the manifest's, else none (the archive
// is listed all the same: an unversioned component is still shipped).
// An archive with neither a manifest nor a version in its name is not
// taken for a Java library (resource bundles named .jar). No group is given: a manifest's Bundle-SymbolicName or Main-Class is
// a Java package name, not a Maven group id, and a guessed group would
// make a wrong coordinate.
func jarFallback(m map[string]string, hasManifest bool, file string) (Package, bool) {
	name, version := jarFileName(file)
	if version == "" {
		version = manifestVersion(m)
	}
	if version == "" && !hasManifest {
		return Package{}, false
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " /") || strings.ContainsAny(version, " /") {
		return Package{}, false
	}
	p := mavenPackage("", name, version)
	p.Properties = append(p.Properties, Property{"java:identified-by", "file name and manifest"})
	return p, true
}

// maxManifest bounds what is read of a jar's manifest; the main section
// comes first, so a longer one is read up to the bound.
const maxManifest = 256 << 10

// parseManifest reads the main section of a jar manifest as the JAR
// specification writes it: "Name: value" lines ended by CR LF, LF or
// CR, a line starting with one space continuing the previous value, and
// the first empty line ending the section. At most maxManifest bytes
// and 1,000 attributes are looked at.
func parseManifest(b []byte) map[string]string {
	out := map[string]string{}
	b = b[:min(len(b), maxManifest)]
	var last string
	for len(b) > 0 && len(out) < 1000 {
		i := bytes.IndexAny(b, "\r\n")
		line := b
		if i < 0 {
			b = nil
		} else {
			line = b[:i]
			if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			b = b[i+1:]
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' {
			if last != "" {
				out[last] += string(line[1:])
			}
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			last = ""
			continue
		}
		last = strings.TrimSpace(string(k))
		out[last] = strings.TrimSpace(string(v))
	}
	return out
}

// maxZipDir bounds an archive's central directory: archive/zip holds
// every entry of it in memory, and a hostile archive's directory can
// claim millions. 100,000 entries of ordinary name length fit.
const maxZipDir = 16 << 20

// zipDirSize reads the central directory's size from the end record
// (the Zip64 one when the classic field is saturated) before
// archive/zip parses the directory.
func zipDirSize(ra io.ReaderAt, size int64) (uint64, error) {
	const eocdLen, maxComment = 22, 65535
	n := min(size, eocdLen+maxComment)
	tail := make([]byte, n)
	if _, err := ra.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return 0, err
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	if i < 0 || len(tail)-i < eocdLen {
		return 0, errors.New("zip: no end of central directory record")
	}
	dir := uint64(binary.LittleEndian.Uint32(tail[i+12:]))
	if dir != 0xffffffff {
		return dir, nil
	}
	// Zip64: the locator sits just before the end record and points to
	// the Zip64 end record, whose directory size is a uint64 at 40.
	if i < 20 || !bytes.Equal(tail[i-20:i-16], []byte("PK\x06\x07")) {
		return 0, errors.New("zip: Zip64 locator missing")
	}
	off := int64(binary.LittleEndian.Uint64(tail[i-20+8:]))
	var rec [56]byte
	if off < 0 || off > size-56 {
		return 0, errors.New("zip: Zip64 end record out of range")
	}
	if _, err := ra.ReadAt(rec[:], off); err != nil {
		return 0, err
	}
	if !bytes.Equal(rec[:4], []byte("PK\x06\x06")) {
		return 0, errors.New("zip: bad Zip64 end record")
	}
	return binary.LittleEndian.Uint64(rec[40:]), nil
}
