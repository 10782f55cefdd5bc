//go:build linux

package drift

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestWatchRescansOnFileChange(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "sshd_config")
	os.WriteFile(f, []byte("a\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evals := make(chan int, 10)
	n := 0
	done := make(chan error)
	go func() {
		done <- Watch(ctx, WatchOptions{
			Interval: time.Hour, Debounce: time.Millisecond,
			Dirs: []WatchDir{{Dir: dir, Names: []string{"sshd_config"}}},
			Evaluate: func(context.Context) error {
				n++
				evals <- n
				return nil
			},
		})
	}()
	wait := func(want int) {
		t.Helper()
		select {
		case got := <-evals:
			if got != want {
				t.Fatalf("evaluation %d, want %d", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no evaluation %d", want)
		}
	}
	wait(1)
	os.WriteFile(f, []byte("b\n"), 0o644)
	wait(2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRelevantEvents(t *testing.T) {
	wds := map[int]WatchDir{1: {Dir: "/etc", Names: []string{"passwd"}}, 2: {Dir: "/etc/ssh/sshd_config.d", Any: true}}
	ev := func(wd int, mask uint32, name string) []byte {
		b := make([]byte, unix.SizeofInotifyEvent+16)
		e := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		e.Wd, e.Mask, e.Len = int32(wd), mask, 16
		copy(b[unix.SizeofInotifyEvent:], name)
		return b
	}
	tests := []struct {
		name string
		buf  []byte
		want bool
	}{
		{"watched name", ev(1, unix.IN_CLOSE_WRITE, "passwd"), true},
		{"other name", ev(1, unix.IN_CLOSE_WRITE, "hosts"), false},
		{"listed dir", ev(2, unix.IN_CREATE, "x.conf"), true},
		{"overflow", ev(-1, unix.IN_Q_OVERFLOW, ""), true},
		{"two events", append(ev(1, unix.IN_MODIFY, "hosts"), ev(1, unix.IN_MODIFY, "passwd")...), true},
	}
	for _, tc := range tests {
		if got := relevantEvents(tc.buf, wds); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
