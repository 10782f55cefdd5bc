package packages

import (
	"reflect"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"
)

// TestPURL: the deb, apk and rpm examples of the purl spec's type
// definitions (PURL-TYPES), in canonical form (qualifiers sorted), plus
// what the collector derives from os-release.
func TestPURL(t *testing.T) {
	for _, tc := range []struct {
		p    Package
		d    Distro
		want string
	}{
		{Package{Manager: Dpkg, Name: "curl", Version: "7.50.3-1", Arch: "i386"}, Distro{ID: "debian"}, "pkg:deb/debian/curl@7.50.3-1?arch=i386"},
		{Package{Manager: Dpkg, Name: "dpkg", Version: "1.19.0.4", Arch: "amd64"}, Distro{ID: "ubuntu"}, "pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64"},
		{Package{Manager: Dpkg, Name: "attr", Version: "1:2.4.47-2", Arch: "source"}, Distro{}, "pkg:deb/debian/attr@1:2.4.47-2?arch=source"},
		{Package{Manager: Dpkg, Name: "libc6", Version: "2.36-9+deb12u7", Arch: "amd64"}, Distro{ID: "debian", VersionID: "12"},
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12"},
		{Package{Manager: Apk, Name: "curl", Version: "7.83.0-r0", Arch: "x86"}, Distro{ID: "alpine"}, "pkg:apk/alpine/curl@7.83.0-r0?arch=x86"},
		{Package{Manager: Apk, Name: "apk", Version: "2.12.9-r3", Arch: "x86"}, Distro{}, "pkg:apk/alpine/apk@2.12.9-r3?arch=x86"},
		{Package{Manager: RPM, Name: "curl", Version: "7.50.3-1.fc25", Arch: "i386"}, Distro{ID: "fedora", VersionID: "25"},
			"pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25"},
		{Package{Manager: RPM, Name: "centerim", Version: "1:4.22.10-1.el6", Arch: "i686"}, Distro{ID: "fedora", VersionID: "25"},
			"pkg:rpm/fedora/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1"},
		{Package{Manager: RPM, Name: "centerim", Version: "4.22.10-1.el6"}, Distro{}, "pkg:rpm/centerim@4.22.10-1.el6"},
		{Package{Manager: "pip", Name: "x"}, Distro{}, ""},
	} {
		got := PURL(tc.p, tc.d)
		if got != tc.want {
			t.Errorf("%s %s: got %s, want %s", tc.p.Manager, tc.p.Name, got, tc.want)
			continue
		}
		if got == "" {
			continue
		}
		// What we write parses back to the same package.
		back, err := packageurl.FromString(got)
		if err != nil || back.Name != tc.p.Name || back.ToString() != got {
			t.Errorf("%s does not round-trip: %+v %v", got, back, err)
		}
	}
}

func TestDpkgRelations(t *testing.T) {
	got := dpkgRelations("libc6 (>= 2.34), libssl3 (>= 3.0.0) | libssl1.1, python3:any, ")
	want := [][]string{{"libc6"}, {"libssl3", "libssl1.1"}, {"python3"}}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) || got[i][0] != want[i][0] || got[i][len(got[i])-1] != want[i][len(want[i])-1] {
			t.Errorf("group %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// FuzzPURL: any dpkg status stanza yields package URLs that parse back to
// the same name and version, and dependency groups without empty names.
func FuzzPURL(f *testing.F) {
	f.Add([]byte(dpkgSample), "debian", "12")
	f.Add([]byte("Package: a+b\nVersion: 1:2.0~rc1-1\nArchitecture: amd64\nDepends: c (>= 1) | d:any, , e\n"), "ubuntu", "24.04")
	f.Fuzz(func(t *testing.T, b []byte, id, ver string) {
		for _, p := range ParseDpkgStatus(b, "f") {
			for _, g := range p.Depends {
				for _, n := range g {
					if n == "" {
						t.Fatalf("empty name in %q", p.Depends)
					}
				}
			}
			s := PURL(p, Distro{ID: id, VersionID: ver})
			if s == "" || p.Name != strings.TrimSpace(p.Name) || id != strings.ToLower(id) {
				continue
			}
			back, err := packageurl.FromString(s)
			if err != nil {
				continue // a namespace or qualifier the spec rejects; the string is still written escaped
			}
			// deb and apk names are lower case by the purl spec (dpkg's are anyway).
			if !strings.EqualFold(back.Name, p.Name) || back.Version != p.Version {
				t.Fatalf("%s parses back as %q@%q, not %q@%q", s, back.Name, back.Version, p.Name, p.Version)
			}
		}
	})
}

func TestDebianLicense(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"files star", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: bash\n\nFiles: *\nCopyright: 1987-2022 FSF\nLicense: GPL-3+\n\nFiles: debian/*\nLicense: GPL-2+\n\nLicense: GPL-3+\n This program is free software\n", "GPL-3+"},
		{"header only", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: MIT\n\nFiles: src/*\nLicense: BSD-3-clause\n", "MIT"},
		{"free form", "This is the Debian prepackaged version of the GNU C Library.\n\nLicense: LGPL\n", ""},
		{"empty", "", ""},
	} {
		if got := DebianLicense([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzDebianLicense(f *testing.F) {
	f.Add([]byte("Format: x\n\nFiles: *\nLicense: GPL-2+\n text\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if l := DebianLicense(b); strings.Contains(l, "\n") {
			t.Fatalf("licence %q spans lines", l)
		}
	})
}

func TestApkRelations(t *testing.T) {
	in := "P:busybox\nV:1.36.1-r29\nD:so:libc.musl-x86_64.so.1 musl>=1.2 !busybox-static\np:cmd:sh=1.36.1-r29 /bin/sh\n\nP:musl\nV:1.2.5-r0\np:so:libc.musl-x86_64.so.1=1\n"
	got := ParseApkInstalled([]byte(in), "/lib/apk/db/installed")
	if len(got) != 2 || !reflect.DeepEqual(got[0].Depends, [][]string{{"so:libc.musl-x86_64.so.1"}, {"musl"}}) ||
		!reflect.DeepEqual(got[0].Provides, []string{"cmd:sh", "/bin/sh"}) || !reflect.DeepEqual(got[1].Provides, []string{"so:libc.musl-x86_64.so.1"}) {
		t.Errorf("got %+v", got)
	}
}
