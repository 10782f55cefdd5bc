package attrib

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParseMD5Sums(t *testing.T) {
	sums, bad, err := ParseMD5Sums([]byte("623e332d8ae2db8a2d050dcce9510b47  bin/dash\r\n" +
		"755CDD52CC480BB5B6226850A2889137 *usr/share/x y\n\nnot a line\n0123  short\n"))
	if err != nil || bad != 2 || len(sums) != 2 {
		t.Fatalf("%v %d %+v", err, bad, sums)
	}
	if sums[0] != (Sum{"/bin/dash", "623e332d8ae2db8a2d050dcce9510b47"}) || sums[1] != (Sum{"/usr/share/x y", "755cdd52cc480bb5b6226850a2889137"}) {
		t.Fatalf("%+v", sums)
	}
	if _, _, err := ParseMD5Sums([]byte(strings.Repeat("a", MaxLine+1))); err == nil {
		t.Fatal("an over-long line was accepted")
	}
}

func TestParseDpkgLog(t *testing.T) {
	evs, err := ParseDpkgLog([]byte("2026-12-05 08:46:43 startup archives unpack\n" +
		"2026-12-05 08:46:43 upgrade demo:all 1.0 2.0\n2026-12-05 08:46:43 status installed demo:all 2.0\n" +
		"garbage\n2026-13-05 08:46:43 install x:amd64 <none> 1\n2026-12-05 08:50:00 remove old:amd64 3 <none>\n"))
	if err != nil || len(evs) != 2 {
		t.Fatalf("%v %+v", err, evs)
	}
	if e := evs[0]; e.Action != "upgrade" || e.Package != "demo" || e.Arch != "all" || e.Old != "1.0" || e.New != "2.0" ||
		!e.Time.Equal(time.Date(2026, 12, 5, 8, 46, 43, 0, time.UTC)) {
		t.Fatalf("%+v", e)
	}
}

func TestParseDiversions(t *testing.T) {
	d := ParseDiversions([]byte("/bin/sh\n/bin/sh.distrib\ndash\n/etc/x\n/etc/x.orig\n:\n/trailing\n"))
	if len(d) != 2 || d["/bin/sh"] != (Diversion{"/bin/sh.distrib", "dash"}) || d["/etc/x"].By != "" {
		t.Fatalf("%+v", d)
	}
}

func TestMatches(t *testing.T) {
	f := &fim.Entry{Type: fim.TypeFile, Mode: 0o4755, UID: 0, GID: 42, SHA256: "ab"}
	for state, want := range map[string]bool{
		"file sha256:ab mode 4755 owner 0:42": true,
		"file sha256:ac mode 4755 owner 0:42": false,
		"file sha256:ab mode 0755 owner 0:42": false,
		"file sha256:ab mode 4755 owner 0:0":  false,
		"directory mode 4755 owner 0:42":      false,
		"absent":                              false,
		"symlink ab":                          false,
		"file":                                false,
	} {
		if matches(state, f) != want {
			t.Errorf("%q: want %v", state, want)
		}
	}
	if !matches("absent", nil) || !matches("symlink /x", &fim.Entry{Type: fim.TypeSymlink, Target: "/x"}) ||
		!matches("directory mode 0700 owner 0:0", &fim.Entry{Type: fim.TypeDir, Mode: 0o700}) ||
		!matches("special mode 0600 owner 0:0", &fim.Entry{Type: fim.TypeFIFO, Mode: 0o600}) {
		t.Error("absent, symlink, directory or special state not matched")
	}
}

// TestExplain covers the decision order on a small tree: the newest log
// entry naming a path wins only if it left the current state; a package
// explains content, not a mode change; directories follow the changes
// inside them.
func TestExplain(t *testing.T) {
	tr := targettest.Tree(t, map[string]string{
		"var/lib/dpkg/status":            "Package: demo\nStatus: install ok installed\nVersion: 2\nArchitecture: all\n",
		"var/lib/dpkg/info/demo.md5sums": "5d41402abc4b2a76b9719d911017c592  usr/bin/demo\n", // md5("hello")
		"usr/bin/demo":                   "hello",
		"var/log/dpkg.log":               "2026-12-05 08:46:43 upgrade demo:all 1 2\n",
	})
	idx, err := LoadDpkg(context.Background(), tr)
	if err != nil || idx.Packages != 1 || len(idx.Owners("/bin/demo")) != 1 {
		t.Fatalf("%v %+v", err, idx)
	}
	file := func(sum string, mode uint32) *fim.Entry {
		return &fim.Entry{Type: fim.TypeFile, Mode: mode, SHA256: sum}
	}
	cur := map[string]*fim.Entry{
		"/etc/a": file("aa", 0o644), "/etc/b": file("bb", 0o644), "/etc/c": file("cc", 0o644),
		"/usr/bin/demo": file(sha256Hello, 0o755), "/usr/bin": {Type: fim.TypeDir}, "/etc": {Type: fim.TypeDir},
	}
	ev := Evidence{Packages: idx, Log: []changelog.Entry{
		{Seq: 2, Action: changelog.ActionApply, After: map[string]string{"/etc/a": "file sha256:aa mode 0644 owner 0:0",
			"/etc/c": "file sha256:c0 mode 0644 owner 0:0"}, Details: []byte(`{"run":"R1"}`)},
		{Seq: 3, Action: changelog.ActionManual, Reason: "why", After: map[string]string{"/etc/b": "file sha256:b0 mode 0644 owner 0:0"}},
		{Seq: 4, Action: changelog.ActionManual, Reason: "why", After: map[string]string{"/etc/b": "file sha256:bb mode 0644 owner 0:0"}},
	}}
	times := []fim.Diff{{Attr: "mtime"}, {Attr: "ctime"}}
	changes := []fim.Change{
		{Path: "/etc", Kind: fim.Changed, Type: fim.TypeDir, Diffs: times},
		{Path: "/etc/a", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha256"}}},
		{Path: "/etc/b", Kind: fim.Added, Type: fim.TypeFile},
		{Path: "/etc/c", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha256"}}},
		{Path: "/usr/bin", Kind: fim.Changed, Type: fim.TypeDir, Diffs: append(times, fim.Diff{Attr: "mode"})},
		{Path: "/usr/bin/demo", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha256"}}},
	}
	if err := Explain(context.Background(), tr, changes, func(p string) *fim.Entry { return cur[p] }, ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"/etc": fim.ByFix, "/etc/a": fim.ByFix, "/etc/b": fim.ByChangeLog, "/etc/c": fim.ByNone,
		"/usr/bin": fim.ByNone, "/usr/bin/demo": fim.ByPackage}
	for _, c := range changes {
		if c.Explained.By != want[c.Path] {
			t.Errorf("%s: %+v, want %s", c.Path, c.Explained, want[c.Path])
		}
	}
	if e := changes[1].Explained; e.Ref != "R1" {
		t.Errorf("fix ref %+v", e)
	}
	if e := changes[3].Explained; !strings.Contains(e.Detail, "changed again after fix run R1") {
		t.Errorf("stale fix: %+v", e)
	}
	if e := changes[5].Explained; e.Ref != "demo 2" || !strings.Contains(e.Detail, "upgrade 1 -> 2") {
		t.Errorf("package: %+v", e)
	}
	// Content other than what the walk hashed (changed since) is not
	// vouched for by the package's md5 of what is there now.
	changes[5].Explained = nil
	stale := map[string]*fim.Entry{"/usr/bin/demo": file("x", 0o755)}
	Explain(context.Background(), tr, changes[5:], func(p string) *fim.Entry { return stale[p] }, ev)
	if changes[5].Explained.By != fim.ByNone {
		t.Errorf("content other than the walk's explained by the package: %+v", changes[5].Explained)
	}
	// Diverted by another package: demo's file is installed elsewhere,
	// so its digest does not explain the content at this path.
	idx.Diversions["/usr/bin/demo"] = Diversion{To: "/usr/bin/demo.distrib", By: "other"}
	changes[5].Explained = nil
	Explain(context.Background(), tr, changes[5:], func(p string) *fim.Entry { return cur[p] }, ev)
	if changes[5].Explained.By != fim.ByNone {
		t.Errorf("diverted file explained by the package it was diverted from: %+v", changes[5].Explained)
	}
	delete(idx.Diversions, "/usr/bin/demo")
	// A mode change is not vouched for by md5sums.
	changes[5].Diffs = append(changes[5].Diffs, fim.Diff{Attr: "mode"})
	changes[5].Explained = nil
	Explain(context.Background(), tr, changes[5:], func(p string) *fim.Entry { return cur[p] }, ev)
	if changes[5].Explained.By != fim.ByNone {
		t.Errorf("mode change explained by the package: %+v", changes[5].Explained)
	}
}

const sha256Hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

func TestVerify(t *testing.T) {
	tr := targettest.Tree(t, map[string]string{
		"var/lib/dpkg/status": "Package: demo\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n" +
			"Conffiles:\n /etc/demo.conf 5d41402abc4b2a76b9719d911017c592\n\n" +
			"Package: nosums\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n" +
			"Package: meta\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n",
		"var/lib/dpkg/info/demo:amd64.md5sums": "5d41402abc4b2a76b9719d911017c592  usr/bin/ok\n" +
			"5d41402abc4b2a76b9719d911017c592  usr/bin/bad\n5d41402abc4b2a76b9719d911017c592  usr/bin/gone\n",
		"var/lib/dpkg/info/nosums.list": "/.\n/usr\n/usr/share\n/usr/share/nosums.txt\n",
		"var/lib/dpkg/info/meta.list":   "/.\n/usr\n",
		"usr/share/nosums.txt":          "x",
		"usr/bin/ok":                    "hello",
		"usr/bin/bad":                   "hellO",
		"etc/demo.conf":                 "edited",
	})
	idx, err := LoadDpkg(context.Background(), tr)
	if err != nil || len(idx.Unknown) != 1 || idx.Unknown[0] != "nosums" {
		t.Fatalf("%v %+v", err, idx)
	}
	for _, conf := range []bool{false, true} {
		res, err := Verify(context.Background(), tr, idx, VerifyOptions{Conffiles: conf, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range res {
			got[r.Path] = r.Status
		}
		want := map[string]string{"/usr/bin/ok": FileOK, "/usr/bin/bad": FileMismatch, "/usr/bin/gone": FileMissing}
		if conf {
			want["/etc/demo.conf"] = FileMismatch
		}
		if len(got) != len(want) {
			t.Fatalf("conffiles %v: %v", conf, got)
		}
		for p, s := range want {
			if got[p] != s {
				t.Errorf("conffiles %v: %s = %s, want %s", conf, p, got[p], s)
			}
		}
	}
	if _, err := LoadDpkg(context.Background(), targettest.Tree(t, map[string]string{"etc/x": ""})); err != ErrNoPackageDB {
		t.Fatalf("no database: %v", err)
	}
}

// TestExplainLogWithoutSHA256: when the walk records no sha256 (a policy
// with sha512 only), a log entry's "file sha256:…" state explains the
// change only if the content has that sha256.
func TestExplainLogWithoutSHA256(t *testing.T) {
	tr := targettest.Tree(t, map[string]string{"etc/a": "hello"})
	const sha512Hello = "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"
	cur := &fim.Entry{Path: "/etc/a", Type: fim.TypeFile, Mode: 0o644, SHA512: sha512Hello}
	for sum, want := range map[string]string{sha256Hello: fim.ByChangeLog, strings.Repeat("0", 64): fim.ByNone} {
		changes := []fim.Change{{Path: "/etc/a", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha512"}}}}
		ev := Evidence{Log: []changelog.Entry{{Seq: 1, Action: changelog.ActionManual,
			After: map[string]string{"/etc/a": "file sha256:" + sum + " mode 0644 owner 0:0"}}}}
		if err := Explain(context.Background(), tr, changes, func(string) *fim.Entry { return cur }, ev); err != nil {
			t.Fatal(err)
		}
		if changes[0].Explained.By != want {
			t.Errorf("logged sha256 %s…: %+v, want %s", sum[:8], changes[0].Explained, want)
		}
	}
}

// A fix run that failed part-way records no resulting state: whatever
// state its paths are in now is unexplained, the detail naming the run,
// and an older entry's state no longer explains them either.
func TestExplainFailedFixRun(t *testing.T) {
	tr := targettest.Tree(t, map[string]string{"etc/a": "x"})
	cur := map[string]*fim.Entry{"/etc/a": {Type: fim.TypeFile, Mode: 0o644, SHA256: "aa"}}
	ev := Evidence{
		Log: []changelog.Entry{
			{Seq: 2, Action: changelog.ActionManual, Reason: "why", After: map[string]string{"/etc/a": "file sha256:aa mode 0644 owner 0:0"}},
			{Seq: 3, Action: changelog.ActionApply, Before: map[string]string{"/etc/a": "file sha256:00 mode 0644 owner 0:0"},
				Details: []byte(`{"run":"R9"}`)},
		},
		Run: func(id string) (string, time.Time, bool) { return "failed", time.Unix(0, 0), id == "R9" },
	}
	changes := []fim.Change{{Path: "/etc/a", Kind: fim.Changed, Type: fim.TypeFile, Diffs: []fim.Diff{{Attr: "sha256"}}}}
	if err := Explain(context.Background(), tr, changes, func(p string) *fim.Entry { return cur[p] }, ev); err != nil {
		t.Fatal(err)
	}
	e := changes[0].Explained
	if e.By != fim.ByNone || e.Ref != "" || !strings.Contains(e.Detail, "fix run R9, which failed part-way") || !strings.Contains(e.Detail, "journal: failed") {
		t.Errorf("failed run: %+v", e)
	}
}

// More indexed files than the bound is an error, conffiles counted too,
// never a silently truncated index.
func TestLoadDpkgFileBound(t *testing.T) {
	defer func(n int) { maxFiles = n }(maxFiles)
	maxFiles = 3
	const sum = "5d41402abc4b2a76b9719d911017c592"
	files := map[string]string{
		"var/lib/dpkg/status": "Package: demo\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n" +
			"Conffiles:\n /etc/demo.conf " + sum + "\n",
		"var/lib/dpkg/info/demo.md5sums": sum + "  usr/bin/a\n" + sum + "  usr/bin/b\n",
	}
	x, err := LoadDpkg(context.Background(), targettest.Tree(t, files))
	if err != nil || len(x.Files) != 3 {
		t.Fatalf("at the bound: %v %+v", err, x)
	}
	files["var/lib/dpkg/info/demo.md5sums"] += sum + "  usr/bin/c\n"
	if _, err := LoadDpkg(context.Background(), targettest.Tree(t, files)); !errors.Is(err, ErrTooManyFiles) {
		t.Fatalf("over the bound: %v", err)
	}
}

// nearestBelow over a sorted list finds what a scan of every path finds:
// the shallowest path below the directory, the first in order on a tie.
func TestNearestBelow(t *testing.T) {
	paths := []string{"/etc/b/c", "/etc/a/z/y", "/etc/ab", "/etc/a/x", "/etcx/a", "/usr/lib/x/y", "/usr/lib/w/v",
		"/usr/bin/demo", "/usr/bin/a/b", "/e", "/etc/a", "/usr/libexec/q"}
	scan := func(dir string) string {
		best := ""
		for _, p := range paths {
			if strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") && (best == "" || strings.Count(p, "/") < strings.Count(best, "/") || (strings.Count(p, "/") == strings.Count(best, "/") && p < best)) {
				best = p
			}
		}
		return best
	}
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	for _, dir := range []string{"/", "/etc", "/etc/a", "/etc/a/z", "/usr", "/usr/lib", "/usr/bin", "/usr/bin/a", "/none", "/et", "/usr/lib/x/y"} {
		if got, want := nearestBelow(sorted, dir), scan(dir); got != want {
			t.Errorf("%s: %q, want %q", dir, got, want)
		}
	}
}
