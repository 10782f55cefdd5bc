package fswalk

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

func paths(l List) []string {
	out := []string{}
	for _, e := range l.Entries {
		out = append(out, e.Path)
	}
	return out
}

func write(t *testing.T, root, p string, mode fs.FileMode) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, root, p string, mode fs.FileMode) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

func TestCollect(t *testing.T) {
	root := t.TempDir()
	uid, gid := os.Getuid(), os.Getgid()
	write(t, root, "etc/passwd", 0o644)
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), fmt.Appendf(nil, "root:x:0:0::/root:/bin/sh\nme:x:%d:%d::/:/bin/sh\n", uid, gid), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/group"), fmt.Appendf(nil, "root:x:0:\nme:x:%d:\n", gid), 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, root, "usr/bin/su", 0o755|fs.ModeSetuid)
	write(t, root, "usr/bin/wall", 0o755|fs.ModeSetgid)
	write(t, root, "usr/bin/ls", 0o755)
	write(t, root, "srv/open", 0o666)
	write(t, root, "srv/also-open", 0o777)
	mkdir(t, root, "tmp", 0o777|fs.ModeSticky)
	mkdir(t, root, "srv/drop", 0o777)
	write(t, root, "proc/1/ignored", 0o666) // runtime state is skipped
	mkdir(t, root, "run/lock", 0o777)       // skipped, but /run itself is seen
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "srv/link")); err != nil {
		t.Fatal(err) // symlinks are 0777 but never "world-writable files"
	}
	if os.Geteuid() == 0 {
		write(t, root, "opt/orphan", 0o644)
		if err := os.Lchown(filepath.Join(root, "opt/orphan"), 4242, 0); err != nil {
			t.Fatal(err)
		}
		write(t, root, "opt/orphan-group", 0o644)
		if err := os.Lchown(filepath.Join(root, "opt/orphan-group"), 0, 4343); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		list List
		want []string
	}{
		{"world-writable files", f.WorldWritableFiles, []string{"/srv/also-open", "/srv/open"}},
		{"world-writable dirs", f.WorldWritableDirs, []string{"/srv/drop"}},
		{"setid", f.SetID, []string{"/usr/bin/su", "/usr/bin/wall"}},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, struct {
			name string
			list List
			want []string
		}{"unowned", f.Unowned, []string{"/opt/orphan", "/opt/orphan-group"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := paths(tc.list); !slices.Equal(got, tc.want) || tc.list.Total != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, tc.list.Total, tc.want)
			}
		})
	}
	if f.AccountsError != "" {
		t.Errorf("AccountsError = %q", f.AccountsError)
	}
	if f.SetID.Entries[0].Mode&fs.ModeSetuid == 0 || f.SetID.Entries[0].UID != uint32(uid) {
		t.Errorf("setid entry = %+v", f.SetID.Entries[0])
	}
}

func TestBoundedKeepsFirstPaths(t *testing.T) {
	a := NewAccumulator(nil, nil)
	n := MaxKept + 500
	for i := n - 1; i >= 0; i-- {
		a.Add(target.FileInfo{Path: fmt.Sprintf("srv/f%05d", i), Mode: 0o666})
	}
	f := a.Facts()
	l := f.WorldWritableFiles
	if l.Total != n || len(l.Entries) != MaxKept || !l.Truncated() {
		t.Fatalf("total %d kept %d", l.Total, len(l.Entries))
	}
	if l.Entries[0].Path != "/srv/f00000" || l.Entries[MaxKept-1].Path != fmt.Sprintf("/srv/f%05d", MaxKept-1) {
		t.Fatalf("kept %s .. %s", l.Entries[0].Path, l.Entries[MaxKept-1].Path)
	}
	if f.AccountsError == "" || f.Unowned.Total != 0 {
		t.Fatalf("ownership must not be judged without accounts: %+v", f.Unowned)
	}
}

// TestDebootstrap walks the real Debian fixture read-only.
func TestDebootstrap(t *testing.T) {
	root := os.Getenv("CRADLE_TEST_ROOTFS")
	if root == "" {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") != "" {
			t.Fatal("CRADLE_TEST_ROOTFS not set")
		}
		t.Skip("CRADLE_TEST_ROOTFS not set")
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if f.Entries < 5000 {
		t.Errorf("only %d entries", f.Entries)
	}
	for _, p := range []string{"/usr/bin/su", "/usr/bin/passwd", "/usr/bin/chage"} {
		if !slices.Contains(paths(f.SetID), p) {
			t.Errorf("setid inventory %v lacks %s", paths(f.SetID), p)
		}
	}
	if f.WorldWritableFiles.Total != 0 || f.WorldWritableDirs.Total != 0 {
		t.Errorf("pristine Debian has world-writable entries: %v %v", paths(f.WorldWritableFiles), paths(f.WorldWritableDirs))
	}
	if os.Geteuid() == 0 && f.Unowned.Total != 0 {
		t.Errorf("unowned in pristine Debian: %v", paths(f.Unowned))
	}
	if f.SystemWritable.Total != 0 {
		t.Errorf("pristine Debian has group/world-writable system files: %v", paths(f.SystemWritable))
	}
	if os.Geteuid() == 0 && !slices.Contains(paths(f.SystemNotRoot), "/usr/bin/chage") {
		t.Errorf("system entries not root:root %v lack setgid-shadow /usr/bin/chage", paths(f.SystemNotRoot))
	}
}

func TestInSystemDir(t *testing.T) {
	for rel, want := range map[string]bool{
		"usr/bin": true, "usr/bin/ls": true, "usr/lib/x/y.so": true, "lib64/ld.so": true, "usr/local/sbin/a": true,
		"": false, "usr": false, "usr/binary": false, "usr/libexec/x": false, "usr/local/lib/x": false, "etc/bin": false, "sbin2": false,
	} {
		if got := InSystemDir(rel); got != want {
			t.Errorf("InSystemDir(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestSystemLists(t *testing.T) {
	root := t.TempDir()
	write(t, root, "usr/bin/ok", 0o755)
	write(t, root, "usr/bin/gw", 0o775)
	write(t, root, "usr/lib/x/lib.so", 0o666)
	mkdir(t, root, "usr/lib/open", fs.ModeDir|0o777)
	write(t, root, "opt/app/bin/w", 0o777)
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok", filepath.Join(root, "usr/bin/link")); err != nil {
		t.Fatal(err)
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/gw", "/usr/lib/open", "/usr/lib/x/lib.so"}
	if got := paths(f.SystemWritable); !slices.Equal(got, want) {
		t.Errorf("system writable %v, want %v (symlinks and other trees left out)", got, want)
	}
}

// BenchmarkCollect measures the whole fact collection (walk plus
// classification) over the benchmark tree ($CRADLE_BENCH_ROOT, the
// debootstrap fixture or /usr).
func BenchmarkCollect(b *testing.B) {
	tg := benchTarget(b)
	var n int64
	for b.Loop() {
		f, err := Collect(context.Background(), tg)
		if err != nil {
			b.Fatal(err)
		}
		n = f.Entries
	}
	b.ReportMetric(float64(n), "entries")
}

// benchTarget opens the benchmark tree: $CRADLE_BENCH_ROOT, the
// debootstrap fixture or /usr.
func benchTarget(b *testing.B) target.Target {
	var root string
	for _, d := range []string{os.Getenv("CRADLE_BENCH_ROOT"), os.Getenv("CRADLE_TEST_ROOTFS"), "/var/cache/cradle-fixtures/rootfs-bookworm", "/usr"} {
		if fi, err := os.Stat(d); d != "" && err == nil && fi.IsDir() {
			root = d
			break
		}
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tg.Close() })
	return tg
}

func TestIDSet(t *testing.T) {
	var s idSet
	for _, id := range []uint32{0, 63, 64, 1000, 65534, 65535, 65536, 100000, 4294967294} {
		s.add(id)
	}
	tests := []struct {
		id   uint32
		want bool
	}{
		{0, true}, {1, false}, {63, true}, {64, true}, {65, false}, {65534, true}, {65535, true},
		{65536, true}, {65537, false}, {100000, true}, {4294967294, true}, {4294967295, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.id), func(t *testing.T) {
			if s.has(tc.id) != tc.want {
				t.Fatalf("has(%d) = %v", tc.id, !tc.want)
			}
		})
	}
}
