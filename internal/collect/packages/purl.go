package packages

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
)

// purlTypes maps a package manager to its purl type.
var purlTypes = map[string]string{Dpkg: packageurl.TypeDebian, Apk: packageurl.TypeApk, RPM: packageurl.TypeRPM}

// Distro identifies the distribution a package was built for, from
// os-release: the purl namespace (ID: debian, ubuntu, alpine, fedora, rhel)
// and the distro qualifier (ID-VERSION_ID: debian-12).
type Distro struct{ ID, VersionID string }

// DistroOf reads the distribution from os-release (nil: unknown).
func DistroOf(i *osrelease.Info) Distro {
	if i == nil {
		return Distro{}
	}
	return Distro{ID: i.ID, VersionID: i.VersionID}
}

func (d Distro) qualifier() string {
	if d.ID == "" || d.VersionID == "" {
		return ""
	}
	return d.ID + "-" + d.VersionID
}

// PURL builds p's package URL for distribution d: pkg:deb/debian/NAME@VERSION?arch=…&distro=debian-12,
// pkg:apk/alpine/…, pkg:rpm/fedora/…; rpm's epoch goes into the epoch
// qualifier as the purl spec asks, dpkg's stays in the version. The
// namespace falls back to the manager's home distribution (debian, alpine)
// when os-release names none; rpm then has no namespace.
func PURL(p Package, d Distro) string {
	typ, ok := purlTypes[p.Manager]
	if !ok || p.Name == "" {
		return ""
	}
	ns := d.ID
	if ns == "" {
		switch p.Manager {
		case Dpkg:
			ns = "debian"
		case Apk:
			ns = "alpine"
		}
	}
	version := p.Version
	q := map[string]string{}
	if p.Arch != "" {
		q["arch"] = p.Arch
	}
	if p.Manager == RPM {
		if e, rest, ok := strings.Cut(version, ":"); ok && e != "" && strings.Trim(e, "0123456789") == "" {
			q["epoch"], version = e, rest
		}
	}
	if dq := d.qualifier(); dq != "" {
		q["distro"] = dq
	}
	var quals packageurl.Qualifiers
	if len(q) > 0 {
		quals = packageurl.QualifiersFromMap(q)
	}
	return packageurl.NewPackageURL(typ, ns, p.Name, version, quals, "").ToString()
}

func (db *DB) setPURLs(osr *osrelease.Info) {
	d := DistroOf(osr)
	for i := range db.Packages {
		db.Packages[i].PURL = PURL(db.Packages[i], d)
	}
}
