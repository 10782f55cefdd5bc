package target

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"
)

// walkTree builds a small tree with every kind of entry the walk must
// treat carefully: symlinks to directories inside and outside the root,
// special permission bits and a skipped directory.
func walkTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{"etc/ssh", "usr/bin", "tmp", "proc/1", "var/lib/deep/er/est"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	must(t, os.MkdirAll(outside, 0o755))
	must(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte("x"), 0o600))
	must(t, os.WriteFile(filepath.Join(root, "usr/bin/su"), []byte("x"), 0o755))
	must(t, os.Chmod(filepath.Join(root, "usr/bin/su"), 0o4755|fs.ModeSetuid))
	must(t, os.WriteFile(filepath.Join(root, "proc/1/status"), []byte("x"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "var/lib/deep/er/est/f"), []byte("x"), 0o666))
	must(t, os.Chmod(filepath.Join(root, "tmp"), 0o777|fs.ModeSticky))
	must(t, os.Symlink(outside, filepath.Join(root, "escape")))
	must(t, os.Symlink("/etc", filepath.Join(root, "etclink")))
	must(t, os.Symlink("..", filepath.Join(root, "etc/up")))
	return root, outside
}

func collectWalk(t *testing.T, tg Target, opts WalkOptions) map[string]FileInfo {
	t.Helper()
	var mu sync.Mutex
	got := map[string]FileInfo{}
	err := tg.Walk(context.Background(), opts, func(fi FileInfo) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[fi.Path]; dup {
			t.Errorf("visited %q twice", fi.Path)
		}
		got[fi.Path] = fi
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWalk(t *testing.T) {
	root, _ := walkTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()

	// The reference: filepath.WalkDir, which never follows symlinks either.
	want := map[string]fs.FileMode{}
	must(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		must(t, err)
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			rel = ""
		}
		fi, err := os.Lstat(p)
		must(t, err)
		want[filepath.ToSlash(rel)] = fi.Mode()
		return nil
	}))

	for _, workers := range []int{1, 2, 8} {
		t.Run("workers", func(t *testing.T) {
			got := collectWalk(t, tg, WalkOptions{Workers: workers})
			gotModes := map[string]fs.FileMode{}
			for p, fi := range got {
				gotModes[p] = fi.Mode
			}
			if !reflect.DeepEqual(gotModes, want) {
				t.Fatalf("walk = %v\nwant %v", keys(gotModes), keys(want))
			}
			if _, ok := got["escape/secret"]; ok {
				t.Fatal("walk followed a symlink out of the root")
			}
			su := got["usr/bin/su"]
			if su.Mode&fs.ModeSetuid == 0 || su.Mode.Perm() != 0o755 {
				t.Errorf("usr/bin/su mode = %v", su.Mode)
			}
			if got["tmp"].Mode&fs.ModeSticky == 0 {
				t.Errorf("tmp mode = %v, want sticky", got["tmp"].Mode)
			}
			if got["etc/ssh/sshd_config"].Size != 1 || got["etc/ssh/sshd_config"].Ino == 0 {
				t.Errorf("sshd_config info = %+v", got["etc/ssh/sshd_config"])
			}
		})
	}
}

func TestWalkSkip(t *testing.T) {
	root, _ := walkTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	got := collectWalk(t, tg, WalkOptions{Skip: []string{"/proc", "var/lib/deep"}, LocalOnly: true})
	for _, p := range []string{"proc", "var/lib/deep", "etc/ssh/sshd_config"} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s not visited", p)
		}
	}
	for _, p := range []string{"proc/1", "proc/1/status", "var/lib/deep/er"} {
		if _, ok := got[p]; ok {
			t.Errorf("%s visited inside a skipped directory", p)
		}
	}
}

func TestWalkStops(t *testing.T) {
	root, _ := walkTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	stop := errors.New("stop")
	err = tg.Walk(context.Background(), WalkOptions{}, func(fi FileInfo) error {
		if fi.Path == "etc/ssh" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Walk error = %v, want the callback's", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = tg.Walk(ctx, WalkOptions{}, func(FileInfo) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Walk on a cancelled context = %v", err)
	}
}

func TestWalkReportsUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	root, _ := walkTree(t)
	must(t, os.Chmod(filepath.Join(root, "etc/ssh"), 0))
	defer os.Chmod(filepath.Join(root, "etc/ssh"), 0o755)
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	var mu sync.Mutex
	var bad []string
	err = tg.Walk(context.Background(), WalkOptions{OnError: func(p string, err error) error {
		mu.Lock()
		defer mu.Unlock()
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s: %v, want permission denied", p, err)
		}
		bad = append(bad, p)
		return nil
	}}, func(FileInfo) error { return nil })
	must(t, err)
	if !reflect.DeepEqual(bad, []string{"etc/ssh"}) {
		t.Fatalf("errors reported for %v", bad)
	}
}

func TestParseMountInfo(t *testing.T) {
	in := `21 26 0:20 / /proc rw,relatime - proc proc rw
26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
27 26 0:24 / /mnt/with\040space ro,nosuid - fuse.sshfs host:/x ro
28 26 259:65537 / /big rw - xfs /dev/nvme rw
garbage line
29 26 x:y / /bad rw - ext4 /dev/x rw
`
	got := ParseMountInfo([]byte(in))
	want := []Mount{
		{Dev: mkdev(0, 20), Point: "/proc", FSType: "proc"},
		{Dev: mkdev(254, 0), Point: "/", FSType: "ext4"},
		{Dev: mkdev(0, 24), Point: "/mnt/with space", FSType: "fuse.sshfs"},
		{Dev: mkdev(259, 65537), Point: "/big", FSType: "xfs"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseMountInfo = %+v\nwant %+v", got, want)
	}
	tests := []struct {
		fstype string
		skip   bool
	}{
		{"proc", true}, {"tmpfs", true}, {"cgroup2", true}, {"nfs4", true}, {"fuse.sshfs", true},
		{"ext4", false}, {"overlay", false}, {"xfs", false}, {"btrfs", false}, {"squashfs", false},
	}
	for _, tc := range tests {
		t.Run(tc.fstype, func(t *testing.T) {
			if NonLocalFS(tc.fstype) != tc.skip {
				t.Fatalf("NonLocalFS(%q) = %v", tc.fstype, !tc.skip)
			}
		})
	}
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add([]byte("26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"))
	f.Add([]byte(`27 26 0:24 / /a\134b\0 ro - fuse.x y ro`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range ParseMountInfo(b) {
			if m.FSType == "" {
				t.Fatal("empty fstype")
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
