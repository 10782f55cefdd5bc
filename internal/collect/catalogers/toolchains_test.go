package catalogers

import (
	"testing"
)

func TestJVMRelease(t *testing.T) {
	for _, tc := range []struct {
		name, in, purl, supplier string
	}{
		{"temurin", "IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_RUNTIME_VERSION=\"25.0.3+9-LTS\"\nJAVA_VERSION=\"25.0.3\"\nSOURCE_REPO=\"https://github.com/adoptium/jdk25u.git\"\n",
			"pkg:generic/openjdk@25.0.3%2B9-LTS?repository_url=https:%2F%2Fgithub.com%2Fadoptium%2Fjdk25u.git", "Eclipse Adoptium"},
		{"old: JAVA_VERSION only", "JAVA_VERSION=\"1.8.0_402\"\r\nOS_NAME=\"Linux\"\r\n", "pkg:generic/openjdk@1.8.0_402", ""},
		{"not a JVM", "VERSION=1.2\nNAME=foo\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := jvmRelease([]byte(tc.in))
			if ok != (tc.purl != "") || p.PURL != tc.purl || p.Supplier != tc.supplier {
				t.Errorf("got %q %q (%v), want %q %q", p.PURL, p.Supplier, ok, tc.purl, tc.supplier)
			}
		})
	}
}

func TestRustcFromComment(t *testing.T) {
	for in, want := range map[string]string{
		"\x00GCC: (GNU) 12.2.0\x00clang LLVM (rustc version 1.95.0 (59807616e 2026-04-14))\x00": "1.95.0",
		"rustc version 1.97.0-nightly (abcdef012 2026-05-01)":                                   "1.97.0-nightly",
		"GCC: (Debian 12.2.0-14) 12.2.0":                                                        "",
	} {
		if got := rustcFromComment([]byte(in)); got != want {
			t.Errorf("rustcFromComment(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzJVMRelease(f *testing.F) {
	f.Add([]byte("IMPLEMENTOR=\"x\"\nJAVA_RUNTIME_VERSION=\"1+2\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		jvmRelease(b)
		rustcFromComment(b)
	})
}
