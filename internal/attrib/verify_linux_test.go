package attrib

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// A hostile md5sums can list a device node (a watchdog: opening it arms
// it) or a FIFO: verification records them as not regular files and
// never opens them. inotify reports any open of the nodes themselves.
func TestVerifyNeverOpensDevices(t *testing.T) {
	const sum = "5d41402abc4b2a76b9719d911017c592"
	dir := targettest.Dir(t, map[string]string{
		"var/lib/dpkg/status":                  "Package: demo\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n",
		"var/lib/dpkg/info/demo:amd64.md5sums": sum + "  dev/watchdog\n" + sum + "  run/fifo\n" + sum + "  usr/bin/ok\n" + sum + "  bin/fifo\n",
		"usr/bin/ok":                           "hello",
	})
	for _, d := range []string{"dev", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dev, fifo := filepath.Join(dir, "dev/watchdog"), filepath.Join(dir, "run/fifo")
	// /dev/null's numbers: harmless should the test fail.
	if err := unix.Mknod(dev, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("mknod (needs root): %v", err)
	}
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Through a symlink the slow path must refuse it too.
	if err := os.Symlink("run", filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	in, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(in)
	for _, p := range []string{dev, fifo} {
		if _, err := unix.InotifyAddWatch(in, p, unix.IN_OPEN|unix.IN_ACCESS); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	idx, err := LoadDpkg(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), tr, idx, VerifyOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FileResult{}
	for _, r := range res {
		got[r.Path] = r
	}
	if got["/usr/bin/ok"].Status != FileOK {
		t.Errorf("regular file: %+v", got["/usr/bin/ok"])
	}
	for _, p := range []string{"/dev/watchdog", "/run/fifo", "/bin/fifo"} {
		if r := got[p]; r.Status != FileError || !strings.Contains(r.Err, "not a regular file") {
			t.Errorf("%s: %+v", p, r)
		}
	}
	buf := make([]byte, 4096)
	if n, err := unix.Read(in, buf); n > 0 {
		t.Errorf("a device node or FIFO was opened (%d bytes of inotify events)", n)
	} else if err != unix.EAGAIN {
		t.Errorf("inotify read: %d, %v", n, err)
	}
}
