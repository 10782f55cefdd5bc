package fim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
)

func sampleDB(t testing.TB) ([]byte, *Snapshot, Header) {
	t.Helper()
	s := &Snapshot{Entries: []*Entry{
		{Path: "/etc", Type: TypeDir, Mode: 0o755, Mtime: 1, Ctime: 2, Inode: 3, Links: 2},
		{Path: "/etc/hosts", Type: TypeFile, Mode: 0o644, Size: 20, Mtime: 1, SHA256: strings.Repeat("a", 64)},
		{Path: "/usr/bin/dir", Type: TypeSymlink, Target: "ls"},
	}}
	h := Header{Target: "root:/srv", Host: "h", Created: time.Unix(100, 0).UTC(), Seq: 7, Policy: "p", PolicyHash: "sha256:00"}
	data, _, err := Encode(h, s.Entries, fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	return data, s, h
}

var fixedKey = func() interface {
	ID() string
	Sign([]byte) []byte
} {
	k, err := signingGenerate()
	if err != nil {
		panic(err)
	}
	return k
}()

func TestDBRoundTrip(t *testing.T) {
	data, s, h := sampleDB(t)
	db, err := Decode(data, ring(fixedKey.(keyT)))
	if err != nil {
		t.Fatal(err)
	}
	if db.Header.Seq != h.Seq || db.Header.Target != h.Target || db.Header.Entries != 3 || db.KeyID != fixedKey.ID() {
		t.Errorf("header %+v", db.Header)
	}
	if c := Compare(s.Entries, db.Entries, mustPolicy(t, "paths:\n  - path: /\n")); len(c) != 0 {
		t.Errorf("round trip differs: %v", c)
	}
	if !strings.HasPrefix(db.Digest, "sha256:") {
		t.Error(db.Digest)
	}
}

// Every defect is reported as tampering; none panics or yields entries.
func TestDBTampering(t *testing.T) {
	data, s, h := sampleDB(t)
	keys := ring(fixedKey.(keyT))
	mustTamper := func(name string, b []byte) {
		t.Helper()
		db, err := Decode(b, keys)
		if !errors.Is(err, ErrTampered) || db != nil {
			t.Fatalf("%s: got %v, %v; want ErrTampered", name, db, err)
		}
	}
	for i := range data {
		b := bytes.Clone(data)
		b[i] ^= 0x01
		if i >= len(Magic) && bytes.Equal(b, data) {
			continue
		}
		if _, err := Decode(b, keys); err == nil {
			// A flip inside the envelope JSON may hit insignificant
			// encoding (never the payload or signature); it must still
			// verify to the same content.
			db, _ := Decode(b, keys)
			if db.Header.Seq != h.Seq || len(db.Entries) != 3 {
				t.Fatalf("flip at %d accepted with other content", i)
			}
			continue
		}
		mustTamper("flip", b)
	}
	for n := range len(data) {
		mustTamper("truncated", data[:n])
	}
	mustTamper("extended", append(bytes.Clone(data), '\n'))
	other := testKey(t)
	if _, err := Decode(data, ring(other)); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("other key: %v", err)
	}
	// An entry removed from the body, even re-compressed, no longer
	// matches the signed digest; re-signed by another key it is refused.
	removed, _, err := Encode(h, s.Entries[:2], other)
	if err != nil {
		t.Fatal(err)
	}
	mustTamper("removed entry, other key", removed)
	nl := bytes.IndexByte(data[len(Magic):], '\n') + len(Magic) + 1
	body := rebody(t, data[nl:], func(recs [][]byte) [][]byte { return recs[:2] })
	mustTamper("removed entry, same header", append(bytes.Clone(data[:nl]), body...))
}

// rebody edits the records of a format 2 body.
func rebody(t *testing.T, body []byte, edit func([][]byte) [][]byte) []byte {
	t.Helper()
	var recs [][]byte
	for len(body) > 0 {
		n, k := binary.Uvarint(body)
		if k <= 0 || uint64(len(body)-k) < n {
			t.Fatal("bad record frame")
		}
		recs = append(recs, body[:k+int(n)])
		body = body[k+int(n):]
	}
	return bytes.Join(edit(recs), nil)
}

func FuzzDecode(f *testing.F) {
	data, _, _ := sampleDB(f)
	keys := ring(fixedKey.(keyT))
	f.Add(data)
	f.Add([]byte(Magic))
	f.Add(data[:len(data)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := Decode(b, keys)
		if err != nil {
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("error not classed as tampering: %v", err)
			}
			return
		}
		if db == nil || len(db.Entries) != db.Header.Entries {
			t.Fatal("accepted a database inconsistent with its header")
		}
	})
}

// growing is a target whose files grow while they are read, once per
// open for the first times opens.
type growing struct {
	target.Target
	dir   string
	times int // how many reads append
}

type growFile struct {
	*os.File
	g     *growing
	path  string
	moved bool
}

func (g *growing) Open(name string) (io.ReadCloser, error) {
	rc, err := g.Target.Open(name)
	if err != nil {
		return nil, err
	}
	if name == "etc/passwd" || name == "etc/group" { // read for owner names
		return rc, nil
	}
	return &growFile{File: rc.(*os.File), g: g, path: g.dir + "/" + name}, nil
}

func (f *growFile) Read(p []byte) (int, error) {
	if f.g.times > 0 && !f.moved {
		f.g.times--
		f.moved = true
		w, _ := os.OpenFile(f.path, os.O_APPEND|os.O_WRONLY, 0)
		w.Write([]byte("more"))
		w.Close()
	}
	return f.File.Read(p)
}

func TestChangingWhileHashed(t *testing.T) {
	p := mustPolicy(t, "paths:\n  - path: /etc/hosts\n")
	for _, tc := range []struct {
		times    int
		unstable bool
	}{{0, false}, {1, false}, {maxAttempts, true}} {
		tr := newTree(t)
		tg, err := target.OpenRootFS(tr.dir)
		if err != nil {
			t.Fatal(err)
		}
		g := &growing{Target: tg, dir: tr.dir, times: tc.times}
		s, err := Walk(t.Context(), g, p, Options{})
		tg.Close()
		if err != nil {
			t.Fatal(err)
		}
		e := s.Entries[0]
		if e.Unstable != tc.unstable {
			t.Errorf("grows %d times: unstable = %v", tc.times, e.Unstable)
		}
		if !tc.unstable {
			b, _ := os.ReadFile(tr.path("etc/hosts"))
			if e.SHA256 != hexSum(b) || e.Size != int64(len(b)) {
				t.Errorf("grows %d times: digest or size of a state the file was not in", tc.times)
			}
		}
	}
}

// denying is a target that refuses to open one file, as an unreadable
// file (or an I/O error) would.
type denying struct {
	target.Target
	deny string
}

func (d denying) Open(name string) (io.ReadCloser, error) {
	if name == d.deny {
		return nil, &fs.PathError{Op: "open", Path: "/" + name, Err: fs.ErrPermission}
	}
	return d.Target.Open(name)
}

func TestUnreadableIsReportedNotFatal(t *testing.T) {
	p := mustPolicy(t, testPolicy)
	tr := newTree(t)
	before := tr.walk(p, Options{})
	tg, err := target.OpenRootFS(tr.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	s, err := Walk(t.Context(), denying{tg, "etc/passwd"}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) != 1 || s.Problems[0].Path != "/etc/passwd" || !strings.Contains(s.Problems[0].Error, "permission denied") {
		t.Fatalf("problems %v", s.Problems)
	}
	if len(s.Entries) != len(before.Entries) || s.Hashed != 4 {
		t.Errorf("the walk did not go on: %d entries, %d hashed", len(s.Entries), s.Hashed)
	}
	// Not a digest change: the entry could not be read, which the report
	// lists as a problem.
	if c := Compare(before.Entries, s.Entries, p); len(c) != 0 {
		t.Errorf("unreadable file reported as changed: %v", c)
	}
}

// A file unreadable when the database was written and readable now is
// reported: its content was never verified.
func TestUnreadableThenReadable(t *testing.T) {
	p := mustPolicy(t, testPolicy)
	tr := newTree(t)
	tg, err := target.OpenRootFS(tr.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	before, err := Walk(t.Context(), denying{tg, "etc/passwd"}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := tr.walk(p, Options{Previous: (&DB{Entries: before.Entries}).Index()})
	cs := Compare(before.Entries, after.Entries, p)
	if got := describe(cs); got != "changed /etc/passwd sha256" || cs[0].Diffs[0].Old != Unreadable {
		t.Errorf("got %s %+v", got, cs)
	}
}

// TestDBTruncatedMessage: a body cut short or extended is named as such,
// not as the decompression error it also causes; a read error of the
// file is not tampering.
func TestDBTruncatedMessage(t *testing.T) {
	data, _, _ := sampleDB(t)
	keys := ring(fixedKey.(keyT))
	for _, b := range [][]byte{data[:len(data)-5], append(bytes.Clone(data), 0)} {
		if _, err := Decode(b, keys); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "truncated or extended") {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
	boom := errors.New("disk error")
	_, err := Read(io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(boom)), keys)
	if !errors.Is(err, boom) || errors.Is(err, ErrTampered) {
		t.Errorf("read error: %v", err)
	}
}

// TestReadForWalk: the database read for a walk is indexed whole once,
// lends only reusable entries, compares exactly as Compare does, and a
// body that fails verification is tampering at Compare, with no changes.
func TestReadForWalk(t *testing.T) {
	data, s, _ := sampleDB(t)
	keys := ring(fixedKey.(keyT))
	file := data
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }
	db, err := ReadForWalk(open, keys)
	if err != nil {
		t.Fatal(err)
	}
	if db.Entries != nil || db.Digest != fileDigest(data) {
		t.Fatalf("entries %v, digest %s", db.Entries, db.Digest)
	}
	p := mustPolicy(t, "paths:\n  - path: /\n")
	for _, e := range s.Entries {
		got := &Entry{Path: e.Path, Type: e.Type, Size: e.Size, Mtime: e.Mtime, Ctime: e.Ctime, Inode: e.Inode}
		if lent := db.Lender().Lend(got, p.For(e.Path)); lent != Reusable(e) || got.SHA256 != map[bool]string{true: e.SHA256}[lent] {
			t.Errorf("%s: lent %v, sha256 %q", e.Path, lent, got.SHA256)
		}
	}
	if db.Lender().Lend(&Entry{Path: "/zzz", Type: TypeFile}, p.For("/zzz")) {
		t.Error("lent for a path the database does not have")
	}
	cur := []*Entry{s.Entries[0], {Path: "/etc/hosts", Type: TypeFile, Mode: 0o600, Size: 20, Mtime: 1, SHA256: strings.Repeat("b", 64)}, {Path: "/new", Type: TypeFile}}
	got, err := db.Compare(cur, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := Compare(s.Entries, cur, p); !reflect.DeepEqual(got, want) || len(got) != 3 {
		t.Errorf("compared %v, want %v", got, want)
	}
	// Names, a second digest and extended attributes survive the index.
	acl := "u::rw-"
	rich := []*Entry{
		{Path: "/a", Type: TypeFile, Mode: 0o644, UID: 1, GID: 2, OwnerName: "root", GroupName: "adm", SHA256: strings.Repeat("c", 64)},
		{Path: "/b", Type: TypeFile, OwnerName: "adm", SHA256: strings.Repeat("d", 64), SHA512: strings.Repeat("e", 128)},
		{Path: "/c", Type: TypeDir, Xattrs: map[string]string{"user.x": "sha256:00"}, ACL: &acl},
		{Path: "/d", Type: TypeSymlink, Target: "a", GroupName: "root"},
	}
	_, _, h := sampleDB(t)
	if file, _, err = Encode(h, rich, fixedKey); err != nil {
		t.Fatal(err)
	}
	if db, err = ReadForWalk(open, keys); err != nil {
		t.Fatal(err)
	}
	if cs, err := db.Compare(rich, p); err != nil || len(cs) != 0 {
		t.Errorf("rich database against itself: %v, %v", cs, err)
	}
	// A body that fails verification: the header is read, the walk may
	// run, and Compare reports tampering with no changes.
	file = bytes.Clone(data)
	file[len(file)-3] ^= 0xff
	if db, err = ReadForWalk(open, keys); err != nil {
		t.Fatal(err)
	}
	db.Lender().Lend(&Entry{Path: "/etc/hosts", Type: TypeFile}, p.For("/etc/hosts"))
	if cs, err := db.Compare(cur, p); !errors.Is(err, ErrTampered) || cs != nil {
		t.Errorf("altered body: %v, %v", cs, err)
	}
	for _, b := range [][]byte{data[:len(data)-3], []byte("cradle-fim-db 2\nxx"), []byte("nope")} {
		file = b
		db, err := ReadForWalk(open, keys)
		if err == nil {
			_, err = db.Compare(cur, p)
		}
		if !errors.Is(err, ErrTampered) {
			t.Errorf("%q: %v", b[:min(len(b), 20)], err)
		}
	}
}
