package fim

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A tree deeper than PATH_MAX (4096 bytes) in total: the walk opens each
// directory from its parent, and hashing and xattrs open the file in
// steps, so the deepest file is recorded and hashed like any other.
func TestDeeperThanPathMax(t *testing.T) {
	tr := newTree(t)
	fd, err := unix.Open(tr.dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	rel := ""
	for i := range 24 {
		name := strings.Repeat("d", 200) + strconv.Itoa(i)
		if i == 0 {
			name = "deep"
		}
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
		rel = filepath.Join(rel, name)
	}
	ffd, err := unix.Openat(fd, "f", unix.O_CREAT|unix.O_WRONLY, 0o644)
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(ffd, []byte("deep"))
	xattr := unix.Fsetxattr(ffd, "user.deep", []byte("1"), 0) == nil
	unix.Close(ffd)
	deepest := "/" + rel + "/f"
	if len(deepest) <= unix.PathMax {
		t.Fatalf("path of %d bytes is not deep enough", len(deepest))
	}
	p := mustPolicy(t, "paths:\n  - path: /deep\n    attributes: [sha256, xattrs]\n")
	s := tr.walk(p, Options{})
	if len(s.Problems) != 0 {
		t.Fatalf("problems: %v", s.Problems)
	}
	e := (&DB{Entries: s.Entries}).Index()[deepest]
	if e == nil || e.SHA256 != hexSum([]byte("deep")) || len(s.Entries) != 25 {
		t.Fatalf("%d entries; deepest %+v", len(s.Entries), e)
	}
	if xattr && e.Xattrs["user.deep"] != digest([]byte("1")) {
		t.Errorf("xattrs of the deepest file: %v", e.Xattrs)
	}
	t.Cleanup(func() { os.RemoveAll(tr.path("deep")) }) // RemoveAll copes with the depth
}

// Devices, FIFOs and sockets are recorded and never opened: a FIFO
// without a writer would block a blocking open, and these device
// numbers have no driver (opening them fails), so a problem would show.
func TestSpecialFilesNeverOpened(t *testing.T) {
	tr := newTree(t)
	if err := unix.Mknod(tr.path("etc/char"), unix.S_IFCHR|0o600, int(unix.Mkdev(240, 77))); err != nil {
		t.Skip("mknod needs root:", err)
	}
	if err := unix.Mknod(tr.path("etc/block"), unix.S_IFBLK|0o600, int(unix.Mkdev(259, 99999))); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", tr.path("etc/sock"))
	if err != nil {
		t.Skip("no unix socket here:", err)
	}
	defer l.Close()
	p := mustPolicy(t, "paths:\n  - path: /etc\n    attributes: [sha256, sha512, xattrs, acl]\n")
	s := tr.walk(p, Options{Full: true})
	if len(s.Problems) != 0 {
		t.Fatalf("problems: %v", s.Problems)
	}
	idx := (&DB{Entries: s.Entries}).Index()
	for name, typ := range map[string]string{"char": TypeChar, "block": TypeBlock, "sock": TypeSocket, "fifo": TypeFIFO} {
		e := idx["/etc/"+name]
		if e == nil || e.Type != typ || e.SHA256 != "" || e.SHA512 != "" || e.Size != 0 || e.Xattrs == nil {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if s.Hashed != 4 { // passwd, hosts, a.swp, skip/ignored
		t.Errorf("hashed %d files", s.Hashed)
	}
}

// Hard links are one inode under two names: both recorded with the same
// inode and digest, links 2, and the content read once.
func TestHardLinks(t *testing.T) {
	tr := newTree(t)
	before := tr.walk(mustPolicy(t, testPolicy), Options{Workers: 1})
	if err := os.Link(tr.path("usr/bin/ls"), tr.path("usr/bin/ls2")); err != nil {
		t.Fatal(err)
	}
	s := tr.walk(mustPolicy(t, testPolicy), Options{Workers: 1})
	if s.Bytes != before.Bytes || s.Hashed != before.Hashed+1 {
		t.Errorf("with a second name: read %d bytes of %d files, before %d of %d", s.Bytes, s.Hashed, before.Bytes, before.Hashed)
	}
	idx := (&DB{Entries: s.Entries}).Index()
	a, b := idx["/usr/bin/ls"], idx["/usr/bin/ls2"]
	if a == nil || b == nil || a.Inode != b.Inode || a.Links != 2 || b.Links != 2 || a.SHA256 != b.SHA256 || a.SHA256 == "" {
		t.Errorf("%+v\n%+v", a, b)
	}
}

// A directory with many entries, opt in: CRADLE_FIM_BIG_DIR=200000 (the
// figure is in docs/fim.md). The walk reads it with getdents64 in 64 KiB
// blocks; memory is the entries themselves.
func TestLargeDirectory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CRADLE_FIM_BIG_DIR"))
	if n <= 0 || testing.Short() {
		t.Skip("set CRADLE_FIM_BIG_DIR=N to walk a directory of N files")
	}
	tr := newTree(t)
	if err := os.Mkdir(tr.path("big"), 0o755); err != nil {
		t.Fatal(err)
	}
	dfd, err := unix.Open(tr.path("big"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range n {
		fd, err := unix.Openat(dfd, "f"+strconv.Itoa(i), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	unix.Close(dfd)
	t.Logf("created %d files in %v", n, time.Since(start).Round(time.Millisecond))
	p := mustPolicy(t, "paths:\n  - path: /big\n")
	start, cpu := time.Now(), cpuTime()
	s := tr.walk(p, Options{})
	t.Logf("walked and hashed %d entries in %v (CPU %v)", len(s.Entries), time.Since(start).Round(time.Millisecond), cpuTime()-cpu)
	if len(s.Entries) != n+1 || s.Hashed != n || len(s.Problems) != 0 {
		t.Fatalf("%d entries, %d hashed, %d problems", len(s.Entries), s.Hashed, len(s.Problems))
	}
	start, cpu = time.Now(), cpuTime()
	s2 := tr.walk(p, Options{Previous: (&DB{Entries: s.Entries}).Index()})
	t.Logf("check of %d entries (all reused) in %v (CPU %v)", len(s2.Entries), time.Since(start).Round(time.Millisecond), cpuTime()-cpu)
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	t.Logf("peak RSS of the test process %d MiB", ru.Maxrss>>10)
}

// cpuTime is the process's user+system CPU time: wall time means little
// on a loaded machine.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Round(time.Millisecond)
}
