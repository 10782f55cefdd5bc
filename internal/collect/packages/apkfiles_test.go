package packages

import (
	"strings"
	"testing"
)

func TestParseApkInstalledFiles(t *testing.T) {
	const db = "C:Q1pkgsum=\nP:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\na:0:0:755\n" +
		"Z:Q1qUqP5cyxm6YcTAhz05Hph5gvu9M=\nR:libc.musl-x86_64.so.1\nZ:Q2LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=\n" +
		"R:nosum\nR:bad\nZ:Q1notbase64!\nR:sub/dir\nZ:Q1qUqP5cyxm6YcTAhz05Hph5gvu9M=\nR:short\nZ:Q1AAAA\n\n" +
		"P:meta\nV:1\n\nP:etc\nV:2\nF:etc\nR:passwd\nZ:Q1qUqP5cyxm6YcTAhz05Hph5gvu9M=\nF:\nR:top\n"
	got := ParseApkInstalledFiles([]byte(db), "/lib/apk/db/installed")
	var b strings.Builder
	for _, p := range got {
		b.WriteString(p.Name + " " + p.Version + ":")
		for _, f := range p.Files {
			b.WriteString(" " + f.Path + "=" + f.Algo + ":" + f.Digest)
		}
		b.WriteString("\n")
	}
	want := "musl 1.2.4-r2: /lib/ld-musl-x86_64.so.1=sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" +
		" /lib/libc.musl-x86_64.so.1=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" +
		" /lib/nosum=: /lib/bad=: /lib/short=:\n" +
		"meta 1:\n" +
		"etc 2: /etc/passwd=sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 /top=:\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	// The package list is the same as ParseApkInstalled's.
	if n := len(ParseApkInstalled([]byte(db), "f")); n != len(got) {
		t.Errorf("%d packages, ParseApkInstalled has %d", len(got), n)
	}
}

func FuzzParseApkInstalledFiles(f *testing.F) {
	f.Add([]byte("P:a\nV:1\nF:usr/bin\nR:x\nZ:Q1qUqP5cyxm6YcTAhz05Hph5gvu9M=\n\nP:b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range ParseApkInstalledFiles(b, "f") {
			for _, fl := range p.Files {
				if fl.Path == "" || fl.Path[0] != '/' || (fl.Digest != "" && fl.Algo == "") {
					t.Fatalf("bad file %+v", fl)
				}
			}
		}
	})
}
