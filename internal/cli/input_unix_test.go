//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/imagebuild"
)

// A FIFO given where a file is read must be refused at once (exit 2), not
// waited on for a writer that never comes.
func TestFIFOInputRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	root := miniRoot(t)
	tests := []struct {
		name string
		args []string
	}{
		{"scan image", []string{"scan", "--image", fifo}},
		{"scan waivers", []string{"scan", "--root", root, "--waivers", fifo}},
		{"scan tailoring", []string{"scan", "--root", root, "--tailoring", fifo}},
		{"fix waivers", []string{"fix", "--root", root, "--waivers", fifo}},
		{"baseline image", []string{"baseline", "approve", "--image", fifo}},
		{"log verify pubkey", []string{"log", "verify", "--root", root, "--pubkey", fifo}},
		{"log append key", []string{"log", "append", "--root", root, "--key", fifo, "--action", "note", "--reason", "r"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CRADLE_HOME", t.TempDir())
			type res struct {
				stderr string
				code   int
			}
			done := make(chan res, 1)
			go func() {
				_, stderr, code := run(t, tc.args...)
				done <- res{stderr, code}
			}()
			select {
			case r := <-done:
				if r.code != 2 || !strings.Contains(r.stderr, "FIFO") {
					t.Fatalf("exit %d, stderr %q; want 2 naming the FIFO", r.code, r.stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("blocked on a FIFO")
			}
		})
	}
}

func TestImageLimitFlags(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img.tar")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := imagebuild.WriteDockerArchive(f, imagebuild.DirLayers(miniRoot(t)), imagebuild.Options{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rule := []string{"--rule", "file.shadow.permissions", "-q"}
	tests := []struct {
		name  string
		flags []string
		code  int
		err   string
	}{
		{"defaults", nil, 3, ""},
		{"raised", []string{"--image-max-bytes", "64GiB", "--image-max-entries", "5000000", "--image-max-name-bytes", "1G"}, 3, ""},
		{"bytes", []string{"--image-max-bytes", "4K"}, 2, "bytes of decompressed layers"},
		{"entries", []string{"--image-max-entries", "3"}, 2, "entries"},
		{"names", []string{"--image-max-name-bytes", "20"}, 2, "bytes of entry names"},
		{"bad size", []string{"--image-max-bytes", "lots"}, 2, "not a positive size"},
		{"negative entries", []string{"--image-max-entries", "-1"}, 2, "must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"scan", "--image", img}, rule...), tc.flags...)
			_, stderr, code := run(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.err)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "4k": 4 << 10, "512M": 512 << 20, "16GiB": 16 << 30, "2TB": 2 << 40, "3G": 3 << 30} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1X", "G", "99999999999T"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) accepted", in)
		}
	}
	if got := formatSize(16 << 30); got != "16GiB" {
		t.Errorf("formatSize = %q", got)
	}
}
