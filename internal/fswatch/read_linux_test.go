//go:build linux

package fswatch

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// scripted returns its reads in order, then reads the (closed) file.
type scripted struct {
	steps []func([]byte) (int, error)
	f     *os.File
}

func (s *scripted) Read(b []byte) (int, error) {
	if len(s.steps) == 0 {
		return s.f.Read(b)
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	return step(b)
}

// TestReadFailureEndsWatch: EINTR and EAGAIN are retried; any other
// read error (here a closed descriptor) is delivered after the changes
// read before it, and the batch channel is closed instead of going quiet.
func TestReadFailureEndsWatch(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := &scripted{f: f, steps: []func([]byte) (int, error){
		func([]byte) (int, error) { return 0, unix.EINTR },
		func(b []byte) (int, error) { return copy(b, "a"), nil },
		func([]byte) (int, error) { return 0, unix.EAGAIN },
		func(b []byte) (int, error) { return copy(b, "b"), nil },
	}}
	parse := func(b []byte) []change { return []change{{path: "/r/" + string(b)}} }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw := &feed{c: make(chan []change, 4)}
	go readEvents(ctx, "test", r, parse, raw)
	out := make(chan Batch)
	done := make(chan error, 1)
	go func() { done <- debounce(ctx, nil, Options{Debounce: time.Hour, MaxDelay: time.Hour}, raw, out) }()
	safety := time.After(10 * time.Second)
	select {
	case b := <-out:
		if want := []string{"/r/a", "/r/b"}; !slices.Equal(b.Paths, want) {
			t.Errorf("pending batch: %v, want %v", b.Paths, want)
		}
	case <-safety:
		t.Fatal("changes read before the failure were not delivered")
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("error: %v, want the read's error", err)
		}
	case <-safety:
		t.Fatal("the watch went on after its reader failed")
	}
}

// TestReadCancelIsNoError: a read that fails because the context ended
// (its descriptor closed under it) ends the watch without an error.
func TestReadCancelIsNoError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw := &feed{c: make(chan []change)}
	readEvents(ctx, "test", f, func([]byte) []change { return nil }, raw)
	if raw.err != nil {
		t.Errorf("error after cancellation: %v", raw.err)
	}
	if err := debounce(ctx, nil, Options{Debounce: time.Second, MaxDelay: time.Second}, raw, make(chan Batch)); err != nil {
		t.Errorf("debounce: %v", err)
	}
}

// TestWatcherErr: the batch channel closes with Err set when the
// backend fails, and with Err nil when the context ends.
func TestWatcherErr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw := &feed{c: make(chan []change)}
	w := newWatcher(ctx, Inotify, nil, Options{Debounce: time.Second, MaxDelay: time.Second}, raw)
	raw.err = unix.EBADF
	close(raw.c)
	for range w.C {
	}
	if !errors.Is(w.Err(), unix.EBADF) {
		t.Errorf("Err() = %v, want EBADF", w.Err())
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	w = newWatcher(ctx2, Inotify, nil, Options{Debounce: time.Second, MaxDelay: time.Second}, &feed{c: make(chan []change)})
	cancel2()
	for range w.C {
	}
	if w.Err() != nil {
		t.Errorf("Err() after cancellation = %v", w.Err())
	}
}
