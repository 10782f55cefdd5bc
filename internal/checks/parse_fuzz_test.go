package checks

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// FuzzParseDpkgStanzas: the stanza ranges the package fix cuts out of the
// dpkg status file tile the file from the first stanza to its end, so
// removing stanzas leaves every other byte as it was.
func FuzzParseDpkgStanzas(f *testing.F) {
	f.Add([]byte("Package: a\nStatus: install ok installed\nDepends: b (>= 1) | c:any, d\n\nPackage: b\nStatus: install ok installed\nProvides: e\n"))
	f.Add([]byte("\n\r\n \nPackage: x\n Description cont\n\tmore\nPackage: y\n"))
	f.Add([]byte("Package: a\r\n\r\n\r\nPackage: b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st := parseDpkgStanzas(b)
		if len(st) == 0 {
			if strings.TrimSpace(string(b)) != "" {
				t.Fatalf("no stanza in %q", b)
			}
			return
		}
		if strings.TrimSpace(string(b[:st[0].start])) != "" {
			t.Fatalf("text before the first stanza: %q", b[:st[0].start])
		}
		for i, s := range st {
			if s.start < 0 || s.start >= s.end || s.end > len(b) {
				t.Fatalf("stanza %d range [%d,%d) of %d bytes", i, s.start, s.end, len(b))
			}
			if i > 0 && st[i-1].end != s.start {
				t.Fatalf("stanza %d starts at %d, the previous ends at %d", i, s.start, st[i-1].end)
			}
			for _, clause := range depNames(s.fields["depends"]) {
				for _, n := range clause {
					if n == "" || strings.ContainsAny(n, " \t(|,") {
						t.Fatalf("dependency name %q from %q", n, s.fields["depends"])
					}
				}
			}
			_ = s.provides()
			_ = s.installed()
		}
		if st[len(st)-1].end != len(b) {
			t.Fatalf("last stanza ends at %d of %d", st[len(st)-1].end, len(b))
		}
	})
}

// FuzzParseInstall: the [Install] names enabling a unit creates links
// for are single words.
func FuzzParseInstall(f *testing.F) {
	f.Add([]byte("[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\nRequiredBy=\nUpheldBy=a b\n"))
	f.Add([]byte("[Install]\nWantedBy=a.target \\\n b.target\nDefaultInstance=tty1\n[Service]\nWantedBy=no\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := parseInstall(b)
		for _, l := range [][]string{s.wantedBy, s.requiredBy, s.upheldBy, s.alias} {
			for _, n := range l {
				if n == "" || strings.ContainsAny(n, " \t\r\n") {
					t.Fatalf("install name %q from %q", n, b)
				}
			}
		}
		if s.enables() != (len(s.wantedBy)+len(s.requiredBy)+len(s.upheldBy) > 0) {
			t.Fatal("enables disagrees with the lists")
		}
	})
}

// FuzzEditColonFile edits an arbitrary passwd file: entries the edit
// does not change, comments and blank lines keep their bytes, and no
// line is added or lost.
func FuzzEditColonFile(f *testing.F) {
	f.Add(debPasswd)
	f.Add("# comment\n\nroot:x:0:0::/root:/bin/bash\r\nshort:x\n::::::\n")
	f.Add("a:b:c:d:e:f:g:h:i\nno newline at the end:x:1:1::/:/bin/sh")
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > fuzzMaxInput || strings.HasPrefix(body, "->") {
			return
		}
		tg := targettest.Tree(t, map[string]string{"etc/passwd": body})
		ch := remedy.New(tg)
		ch.Begin("fuzz.rule", remedy.Meta{})
		err := editColonFile(ch, passwdFile, func(fl []string) ([]string, bool) {
			if len(fl) < 7 || fl[6] == "/usr/sbin/nologin" {
				return fl, false
			}
			fl[6] = "/usr/sbin/nologin"
			return fl, true
		}, "set shells")
		if err != nil {
			t.Fatalf("editColonFile: %v", err)
		}
		got, err := target.ReadFile(ch.Overlay(), passwdFile)
		if err != nil {
			t.Fatal(err)
		}
		before, after := fixLines([]byte(body)), fixLines(got)
		if !bytes.Equal(got, []byte(body)) && len(before) != len(after) {
			t.Fatalf("%d lines became %d", len(before), len(after))
		}
		for i := range after {
			if i >= len(before) {
				break
			}
			b, a := before[i], after[i]
			if a == b {
				continue
			}
			fb, fa := strings.Split(b, ":"), strings.Split(a, ":")
			if strings.TrimSpace(b) == "" || strings.HasPrefix(b, "#") || len(fb) < 7 || len(fa) != len(fb) {
				t.Fatalf("line %d %q became %q", i+1, b, a)
			}
			for k := range fb {
				if k != 6 && fb[k] != fa[k] {
					t.Fatalf("line %d field %d %q became %q", i+1, k+1, fb[k], fa[k])
				}
			}
		}
	})
}
