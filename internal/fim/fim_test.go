package fim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

const testPolicy = `paths:
  - path: /etc
    exclude: ["*.swp", "re:^/etc/skip(/|$)"]
  - path: /usr/bin
    attributes: [type, mode, owner, group, size, mtime, ctime, inode, links, target, sha256, sha512, blake3]
`

func mustPolicy(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse("policy.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"paths: []\n", "at least one path"},
		{"paths:\n  - path: etc\n", "policy.yaml:2: path \"etc\": an absolute path"},
		{"paths:\n  - path: /etc/\n", "not clean"},
		{"paths:\n  - path: /etc\n    attributes: [md5]\n", "policy.yaml:2: path /etc: unknown attribute \"md5\""},
		{"paths:\n  - path: /etc\n    attributes: [acl, acl]\n", "listed twice"},
		{"paths:\n  - path: /etc\n    one_file_system: 1\n", "policy.yaml:3: cannot unmarshal"},
		{"paths:\n  - path: /etc\n    attributes: [mode, mode]\n", "listed twice"},
		{"paths:\n  - path: /etc\n  - path: /etc\n", "policy.yaml:3: path /etc is already selected at line 2"},
		{"paths:\n  - path: /etc\n    exclude: [\"re:(\"]\n", "missing closing )"},
		{"paths:\n  - path: /etc\n    exclude: [\"[\"]\n", "not a valid glob"},
		{"paths:\n  - path: /etc\n    bogus: 1\n", "policy.yaml:3"},
		{"other: 1\n", "policy.yaml:1"},
	} {
		_, err := Parse("policy.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestDefaultPolicy(t *testing.T) {
	p, err := Parse(DefaultName, defaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		in   bool
	}{{"/usr/bin/ls", true}, {"/etc/passwd", true}, {"/etc/mtab", false}, {"/boot/vmlinuz", true},
		{"/var/log/syslog", false}, {"/usr/lib/python3.11/x/__pycache__/a.cpython-311.pyc", false}, {"/home/u/x", false}} {
		if got := p.For(c.path) != nil; got != c.in {
			t.Errorf("%s selected = %v, want %v", c.path, got, c.in)
		}
	}
	if !p.Enter("/usr") || p.Enter("/home") || !p.Enter("/") {
		t.Error("Enter decides wrongly")
	}
	if Default().Hash() != p.Hash() || !strings.HasPrefix(p.Hash(), "sha256:") {
		t.Error("hash not stable")
	}
}

func TestExcludes(t *testing.T) {
	p := mustPolicy(t, testPolicy)
	for path, in := range map[string]bool{"/etc/a.swp": false, "/etc/skip": false, "/etc/skip/x": false,
		"/etc/skipper": true, "/etc/x/y": true, "/usr/bin/ls": true, "/usr/lib/x": false} {
		if got := p.For(path) != nil; got != in {
			t.Errorf("%s selected = %v, want %v", path, got, in)
		}
	}
}

// tree is a real temporary root for walks.
type tree struct {
	t   *testing.T
	dir string
}

func newTree(t *testing.T) *tree {
	t.Helper()
	tr := &tree{t: t, dir: t.TempDir()}
	tr.write("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	tr.write("etc/hosts", "127.0.0.1 localhost\n")
	tr.write("etc/skip/ignored", "x")
	tr.write("etc/a.swp", "x")
	tr.write("usr/bin/ls", "ELF ls")
	tr.write("usr/bin/cat", "ELF cat")
	tr.write("home/user/notes", "not selected")
	tr.symlink("ls", "usr/bin/dir")
	if err := mkfifo(tr.path("etc/fifo")); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	return tr
}

func (tr *tree) path(rel string) string { return filepath.Join(tr.dir, rel) }

func (tr *tree) write(rel, body string) {
	tr.t.Helper()
	if err := os.MkdirAll(filepath.Dir(tr.path(rel)), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(tr.path(rel), []byte(body), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) symlink(dest, rel string) {
	tr.t.Helper()
	if err := os.Symlink(dest, tr.path(rel)); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) walk(p *Policy, o Options) *Snapshot {
	tr.t.Helper()
	tg, err := target.OpenRootFS(tr.dir)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer tg.Close()
	s, err := Walk(context.Background(), tg, p, o)
	if err != nil {
		tr.t.Fatal(err)
	}
	return s
}

func paths(es []*Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Path
	}
	return out
}

func TestWalk(t *testing.T) {
	tr := newTree(t)
	s := tr.walk(mustPolicy(t, testPolicy), Options{})
	got := strings.Join(paths(s.Entries), " ")
	want := "/etc /etc/fifo /etc/hosts /etc/passwd /usr/bin /usr/bin/cat /usr/bin/dir /usr/bin/ls"
	if got != want {
		t.Fatalf("entries\n got %s\nwant %s", got, want)
	}
	idx := (&DB{Entries: s.Entries}).Index()
	if e := idx["/usr/bin/ls"]; e.SHA256 != hexSum([]byte("ELF ls")) || e.SHA512 == "" || len(e.BLAKE3) != 64 || e.Type != TypeFile || e.Mode != 0o644 {
		t.Errorf("ls entry %+v", e)
	}
	if e := idx["/etc/passwd"]; e.SHA256 == "" || e.SHA512 != "" || e.Ctime == 0 || e.Inode == 0 || e.Links != 1 {
		t.Errorf("passwd entry %+v", e)
	}
	if e := idx["/usr/bin/dir"]; e.Type != TypeSymlink || e.Target != "ls" || e.SHA256 != "" {
		t.Errorf("symlink entry %+v", e)
	}
	if e := idx["/etc/fifo"]; e.Type != TypeFIFO || e.SHA256 != "" || e.Error != "" {
		t.Errorf("fifo entry %+v (special files are never opened)", e)
	}
	if s.Hashed != 4 || s.Reused != 0 || len(s.Problems) != 0 {
		t.Errorf("hashed %d reused %d problems %v", s.Hashed, s.Reused, s.Problems)
	}
	// An incremental walk of the unchanged tree reads nothing.
	s2 := tr.walk(mustPolicy(t, testPolicy), Options{Previous: idx})
	if s2.Hashed != 0 || s2.Reused != 4 {
		t.Errorf("incremental: hashed %d reused %d", s2.Hashed, s2.Reused)
	}
	if c := Compare(s.Entries, s2.Entries, mustPolicy(t, testPolicy)); len(c) != 0 {
		t.Errorf("unchanged tree reports %v", c)
	}
	if s3 := tr.walk(mustPolicy(t, testPolicy), Options{Previous: idx, Full: true}); s3.Hashed != 4 {
		t.Errorf("--full hashed %d", s3.Hashed)
	}
}

func TestUnreadableIsAProblem(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	tr := newTree(t)
	if err := os.Chmod(tr.path("etc/passwd"), 0); err != nil {
		t.Fatal(err)
	}
	s := tr.walk(mustPolicy(t, testPolicy), Options{})
	if len(s.Problems) != 1 || s.Problems[0].Path != "/etc/passwd" {
		t.Fatalf("problems %v", s.Problems)
	}
}

func TestInvalidUTF8RoundTrips(t *testing.T) {
	tr := newTree(t)
	name := "etc/bad\xff\xfename"
	tr.write(name, "x")
	tr.symlink("to\xffx", "etc/badlink")
	p := mustPolicy(t, testPolicy)
	s := tr.walk(p, Options{})
	key := testKey(t)
	data, _, err := Encode(Header{Target: "t"}, s.Entries, key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Decode(data, ring(key))
	if err != nil {
		t.Fatal(err)
	}
	if c := Compare(db.Entries, s.Entries, p); len(c) != 0 {
		t.Fatalf("round trip changed %v", c)
	}
	if db.Index()["/"+name] == nil || db.Index()["/etc/badlink"].Target != "to\xffx" {
		t.Error("invalid UTF-8 name or target lost")
	}
}

func testKey(t testing.TB) *signing.Key {
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ring(keys ...*signing.Key) signing.Keyring {
	r := signing.Keyring{}
	for _, k := range keys {
		r.Add(k.Public())
	}
	return r
}

func TestChangeKinds(t *testing.T) {
	p := mustPolicy(t, testPolicy)
	for _, tc := range []struct {
		name   string
		change func(tr *tree)
		opts   Options
		want   string // "kind path attr,attr"
	}{
		{"content", func(tr *tree) { tr.write("etc/hosts", "10.0.0.1 evil\n") }, Options{}, "changed /etc/hosts size,mtime,ctime,sha256"},
		{"content sha512", func(tr *tree) { tr.write("usr/bin/cat", "ELF dog") }, Options{}, "changed /usr/bin/cat mtime,ctime,sha256,sha512,blake3"},
		{"mode", func(tr *tree) { os.Chmod(tr.path("usr/bin/ls"), 0o4755) }, Options{}, "changed /usr/bin/ls mode,ctime"},
		{"owner", func(tr *tree) { chown(t, tr.path("etc/passwd")) }, Options{}, "changed /etc/passwd owner,group,ctime"},
		{"symlink retarget", func(tr *tree) {
			tr.symlink("cat", "usr/bin/dir.new") // a new inode, as ln -sf makes
			os.Rename(tr.path("usr/bin/dir.new"), tr.path("usr/bin/dir"))
		}, Options{}, "changed /usr/bin mtime,ctime; changed /usr/bin/dir size,mtime,ctime,inode,target"},
		{"hard link", func(tr *tree) { os.Link(tr.path("usr/bin/ls"), tr.path("etc/ls")) }, Options{},
			"changed /etc ctime,mtime; added /etc/ls; changed /usr/bin/ls ctime,links"},
		{"added", func(tr *tree) { tr.write("usr/bin/evil", "x") }, Options{}, "changed /usr/bin mtime,ctime; added /usr/bin/evil"},
		{"removed", func(tr *tree) { os.Remove(tr.path("usr/bin/cat")) }, Options{}, "changed /usr/bin mtime,ctime; removed /usr/bin/cat"},
		{"restored mtime caught by ctime", restoredMtime, Options{}, "changed /etc/hosts ctime,sha256"},
		{"excluded change", func(tr *tree) { tr.write("etc/skip/ignored", "y"); tr.write("home/user/notes", "z") }, Options{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTree(t)
			before := tr.walk(p, Options{})
			time.Sleep(10 * time.Millisecond) // distinct ctime
			tc.change(tr)
			o := tc.opts
			o.Previous = (&DB{Entries: before.Entries}).Index()
			after := tr.walk(p, o)
			if got := describe(Compare(before.Entries, after.Entries, p)); got != normal(tc.want) {
				t.Errorf("got  %s\nwant %s", got, normal(tc.want))
			}
		})
	}
}

// restoredMtime changes content keeping size and mtime: only ctime (and
// the digest, since ctime forces a re-hash) give it away.
func restoredMtime(tr *tree) {
	fi, _ := os.Stat(tr.path("etc/hosts"))
	tr.write("etc/hosts", "127.0.0.1 evilhosts\n")
	os.Chtimes(tr.path("etc/hosts"), fi.ModTime(), fi.ModTime())
}

func TestFullCatchesWhatMetadataHides(t *testing.T) {
	// A backend without ctime (an image) only sees this with Full.
	p := mustPolicy(t, testPolicy)
	tr := newTree(t)
	before := tr.walk(p, Options{})
	restoredMtime(tr)
	after := tr.walk(p, Options{})
	for _, e := range after.Entries { // pretend ctime and inode are unknown
		e.Ctime = 0
	}
	for _, e := range before.Entries {
		e.Ctime = 0
	}
	prev := (&DB{Entries: before.Entries}).Index()
	lazy := make([]*Entry, len(after.Entries))
	for i, e := range after.Entries {
		c := *e
		if !reuse(&c, prev[e.Path], p.For(e.Path)) {
			c.SHA256, c.SHA512 = e.SHA256, e.SHA512
		}
		lazy[i] = &c
	}
	if got := describe(Compare(before.Entries, lazy, p)); got != "" {
		t.Errorf("without ctime the metadata hides it: %s", got)
	}
	if got := describe(Compare(before.Entries, after.Entries, p)); got != "changed /etc/hosts sha256" {
		t.Errorf("full: %s", got)
	}
}

func chown(t *testing.T, p string) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	if err := os.Lchown(p, 1234, 4321); err != nil {
		t.Fatal(err)
	}
}

func describe(cs []Change) string {
	var parts []string
	for _, c := range cs {
		s := c.Kind + " " + c.Path
		var attrs []string
		for _, d := range c.Diffs {
			attrs = append(attrs, d.Attr)
		}
		if len(attrs) > 0 {
			s += " " + strings.Join(sortAttrs(attrs), ",")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func normal(want string) string {
	if want == "" {
		return ""
	}
	var out []string
	for _, part := range strings.Split(want, "; ") {
		f := strings.Fields(part)
		if len(f) == 3 {
			f[2] = strings.Join(sortAttrs(strings.Split(f[2], ",")), ",")
		}
		out = append(out, strings.Join(f, " "))
	}
	return strings.Join(out, "; ")
}

func sortAttrs(as []string) []string {
	var out []string
	for _, k := range knownAttrs {
		for _, a := range as {
			if a == string(k) {
				out = append(out, a)
			}
		}
	}
	return out
}

// The BLAKE3 digest is the standard 256-bit one (the well-known digest of
// "abc").
func TestBLAKE3(t *testing.T) {
	tr := newTree(t)
	tr.write("usr/bin/abc", "abc")
	s := tr.walk(mustPolicy(t, testPolicy), Options{})
	if got := (&DB{Entries: s.Entries}).Index()["/usr/bin/abc"].BLAKE3; got != "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85" {
		t.Errorf("blake3(abc) = %s", got)
	}
}

// full: true on a selection re-hashes it on every walk; the rest still
// reuses digests.
func TestSelectionFull(t *testing.T) {
	p := mustPolicy(t, "paths:\n  - path: /etc\n    full: true\n  - path: /usr/bin\n")
	tr := newTree(t)
	first := tr.walk(p, Options{})
	again := tr.walk(p, Options{Previous: (&DB{Entries: first.Entries}).Index()})
	if again.Hashed != 4 || again.Reused != 2 { // /etc: hosts, passwd, a.swp, skip/ignored
		t.Errorf("hashed %d (want the 4 files of /etc), reused %d", again.Hashed, again.Reused)
	}
}

// A hard link's digests are lent only for the same inode in the same
// state, and only the digests that were computed.
func TestSharedDigests(t *testing.T) {
	read := &Entry{Path: "/a", Type: TypeFile, Size: 3, Mtime: 1, Ctime: 2, Inode: 7, Links: 2, SHA256: "aa"}
	var s sharedDigests
	s.keep(1, read)
	for _, tc := range []struct {
		name string
		dev  uint64
		e    Entry
		want bool
	}{
		{"same inode and state", 1, Entry{Size: 3, Mtime: 1, Ctime: 2, Inode: 7, SHA256: "-"}, true},
		{"other device", 2, Entry{Size: 3, Mtime: 1, Ctime: 2, Inode: 7, SHA256: "-"}, false},
		{"changed since (ctime)", 1, Entry{Size: 3, Mtime: 1, Ctime: 3, Inode: 7, SHA256: "-"}, false},
		{"another digest wanted", 1, Entry{Size: 3, Mtime: 1, Ctime: 2, Inode: 7, SHA256: "-", SHA512: "-"}, false},
	} {
		e := tc.e
		e.Type = TypeFile
		if got := s.lend(tc.dev, &e); got != tc.want || (got && e.SHA256 != "aa") {
			t.Errorf("%s: lend = %v, sha256 %q", tc.name, got, e.SHA256)
		}
	}
	unstable := *read
	unstable.Inode, unstable.Unstable = 8, true
	s.keep(1, &unstable)
	if e := (Entry{Type: TypeFile, Size: 3, Mtime: 1, Ctime: 2, Inode: 8, SHA256: "-"}); s.lend(1, &e) {
		t.Error("an unstable read was lent")
	}
}
