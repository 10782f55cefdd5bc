package fswalk

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// rootLike lays out the skeleton of a Debian-like root filesystem at dir
// with setuid sudo, su and passwd.
func rootLike(t *testing.T, root, dir string) {
	t.Helper()
	write(t, root, dir+"/usr/lib/os-release", 0o644)
	symlink(t, root, "../usr/lib/os-release", dir+"/etc/os-release")
	for _, p := range []string{"usr/bin/sudo", "usr/bin/su", "usr/bin/passwd"} {
		write(t, root, dir+"/"+p, 0o755|fs.ModeSetuid)
	}
}

func symlink(t *testing.T, root, to, p string) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(to, full); err != nil {
		t.Fatal(err)
	}
}

// othersTree is a host with other systems' trees in every known layout
// and a few look-alikes that are not other systems.
func othersTree(t *testing.T) string {
	root := t.TempDir()
	rootLike(t, root, "")                                     // the target itself
	write(t, root, "usr/local/bin/tool", 0o755|fs.ModeSetuid) // the host's own setuid program
	rootLike(t, root, "var/lib/lxc/web/rootfs")               // LXC
	write(t, root, "var/lib/lxc/web/config", 0o644)
	rootLike(t, root, "var/lib/docker/overlay2/abc/diff")
	rootLike(t, root, "var/lib/machines/box")
	rootLike(t, root, "home/alice/.local/share/containers/storage/overlay/l1/diff")
	rootLike(t, root, "snap/core22/1380")
	rootLike(t, root, "var/cache/deb/bookworm") // a debootstrap tree
	rootLike(t, root, "var/cache/deb/bookworm/srv/inner")
	// A chroot whose os-release is an absolute symlink: it resolves on the
	// host, but only its presence is looked at.
	write(t, root, "srv/chroot/usr/bin/passwd", 0o755|fs.ModeSetuid)
	symlink(t, root, "/usr/lib/os-release", "srv/chroot/etc/os-release")
	// Looks like a bind mount of a whole system.
	rootLike(t, root, "mnt/hostroot")
	mkdir(t, root, "mnt/hostroot/proc", 0o555)
	// Not roots: os-release without usr/bin, usr/bin without os-release,
	// usr a symlink, and a symlink to a root.
	write(t, root, "srv/etc-only/etc/os-release", 0o644)
	write(t, root, "srv/etc-only/usr/sbin/helper", 0o755|fs.ModeSetuid)
	write(t, root, "srv/no-release/etc/hostname", 0o644)
	write(t, root, "srv/no-release/usr/bin/helper", 0o755|fs.ModeSetuid)
	write(t, root, "srv/linkusr/etc/os-release", 0o644)
	symlink(t, root, "/usr", "srv/linkusr/usr")
	symlink(t, root, "../var/lib/lxc/web/rootfs", "srv/rootlink")
	return root
}

func TestOthers(t *testing.T) {
	root := othersTree(t)
	host := []string{"/srv/etc-only/usr/sbin/helper", "/srv/no-release/usr/bin/helper", "/usr/bin/passwd", "/usr/bin/su", "/usr/bin/sudo", "/usr/local/bin/tool"}
	trees := []Tree{
		{"/home/alice/.local/share/containers", "container store: rootless Podman"},
		{"/mnt/hostroot", "own root filesystem: etc/os-release and usr/bin"},
		{"/snap", "snap packages: read-only squashfs images"},
		{"/srv/chroot", "own root filesystem: etc/os-release and usr/bin"},
		{"/var/cache/deb/bookworm", "own root filesystem: etc/os-release and usr/bin"},
		{"/var/lib/docker", "container store: Docker"},
		{"/var/lib/lxc/web/rootfs", "container root filesystem: LXC"},
		{"/var/lib/machines", "machine store: systemd-nspawn, machinectl"},
	}
	tests := []struct {
		name      string
		dir       string
		opts      Options
		setid     []string // nil: not compared
		trees     []Tree
		minSetID  int
		inner     bool // trees inside trees are met too
		noneBelow string
	}{
		{name: "skipped by default", opts: Options{}, setid: host, trees: trees},
		{name: "entered when asked", opts: Options{EnterOthers: true}, trees: nil, minSetID: len(host) + 8*3 + 1, inner: true},
		{name: "a nested root as the target", dir: "var/lib/lxc/web/rootfs", setid: []string{"/usr/bin/passwd", "/usr/bin/su", "/usr/bin/sudo"}, trees: []Tree{}},
		{name: "a debootstrap tree as the target", dir: "var/cache/deb/bookworm", setid: []string{"/usr/bin/passwd", "/usr/bin/su", "/usr/bin/sudo"},
			trees: []Tree{{"/srv/inner", "own root filesystem: etc/os-release and usr/bin"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := target.OpenRootFS(filepath.Join(root, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			f, err := collect(context.Background(), facts.NewStore(context.Background(), tg), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := paths(f.SetID)
			if tc.setid != nil && !slices.Equal(got, tc.setid) {
				t.Errorf("setid = %v, want %v", got, tc.setid)
			}
			if len(got) < tc.minSetID {
				t.Errorf("setid has %d entries, want at least %d: %v", len(got), tc.minSetID, got)
			}
			if tc.trees != nil && (!slices.Equal(f.Others.Trees, tc.trees) || f.Others.Total != len(tc.trees)) {
				t.Errorf("others = %+v, want %+v", f.Others, tc.trees)
			}
			if f.OthersEntered != tc.opts.EnterOthers {
				t.Errorf("OthersEntered = %v", f.OthersEntered)
			}
			if tc.inner && !slices.Contains(f.Others.Trees, Tree{"/var/cache/deb/bookworm/srv/inner", "own root filesystem: etc/os-release and usr/bin"}) {
				t.Errorf("entered walk did not list the root inside a root: %+v", f.Others.Trees)
			}
		})
	}
}

// TestOwnRoot is the detection alone, on probes of real directories.
func TestOwnRoot(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"usr-merged Debian", func(d string) { rootLike(t, root, d) }, "own root filesystem: etc/os-release and usr/bin"},
		{"usr/lib/os-release only", func(d string) {
			write(t, root, d+"/usr/lib/os-release", 0o644)
			mkdir(t, root, d+"/usr/bin", 0o755)
			mkdir(t, root, d+"/etc", 0o755)
		}, "own root filesystem: usr/lib/os-release and usr/bin"},
		{"etc/os-release without usr/bin", func(d string) {
			write(t, root, d+"/etc/os-release", 0o644)
			mkdir(t, root, d+"/usr/lib", 0o755)
		}, ""},
		{"usr/bin without os-release", func(d string) {
			mkdir(t, root, d+"/etc", 0o755)
			mkdir(t, root, d+"/usr/bin", 0o755)
		}, ""},
		{"usr/bin a symlink", func(d string) {
			write(t, root, d+"/etc/os-release", 0o644)
			mkdir(t, root, d+"/usr", 0o755)
			symlink(t, root, "/usr/bin", d+"/usr/bin")
		}, ""},
		{"etc a file", func(d string) {
			write(t, root, d+"/etc", 0o644)
			mkdir(t, root, d+"/usr/bin", 0o755)
			write(t, root, d+"/usr/lib/os-release", 0o644)
		}, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("c", string(rune('a'+i)))
			tc.setup(dir)
			tg, err := target.OpenRootFS(root)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			got := "(not probed)"
			err = tg.Walk(context.Background(), target.WalkOptions{Prune: func(d string, p target.DirProbe) string {
				if d == filepath.ToSlash(dir) {
					got = OwnRoot(p)
				}
				return ""
			}}, func(target.FileInfo) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("OwnRoot = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestStores keeps the store table well-formed: clean relative paths,
// no repeats, wildcards only as whole components, every one with a reason.
func TestStores(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Stores {
		t.Run(s.Path, func(t *testing.T) {
			if s.Path == "" || s.Path[0] == '/' || path.Clean(s.Path) != s.Path || seen[s.Path] || s.Reason == "" {
				t.Fatalf("bad store %+v", s)
			}
			seen[s.Path] = true
			for c := range strings.SplitSeq(s.Path, "/") {
				if strings.Contains(c, "*") && c != "*" {
					t.Fatalf("component %q: a wildcard matches whole names only", c)
				}
			}
			if _, err := path.Match(s.Path, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}
