package facts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	tg, err := target.OpenRootFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(context.Background(), tg)
}

// counted returns a collector that counts its calls and yields v.
func counted[T any](n *atomic.Int32, v T, err error) Collector[T] {
	return func(context.Context, *Store) (T, error) {
		n.Add(1)
		return v, err
	}
}

func TestMemoises(t *testing.T) {
	s := newStore(t)
	var n atomic.Int32
	for range 3 {
		v, err := Get(s, "k", counted(&n, 42, nil))
		if err != nil || v != 42 {
			t.Fatalf("Get = %v, %v", v, err)
		}
	}
	if n.Load() != 1 {
		t.Errorf("collector ran %d times, want once", n.Load())
	}
	// Another key is another fact.
	if v, _ := Get(s, "other", counted(&n, 7, nil)); v != 7 || n.Load() != 2 {
		t.Errorf("second key: %v after %d runs", v, n.Load())
	}
}

func TestErrorsAreMemoised(t *testing.T) {
	s := newStore(t)
	var n atomic.Int32
	boom := errors.New("boom")
	for range 2 {
		v, err := Get(s, "k", counted(&n, "x", boom))
		if !errors.Is(err, boom) || v != "" {
			t.Fatalf("Get = %q, %v; want zero value and the collector's error", v, err)
		}
	}
	if n.Load() != 1 {
		t.Errorf("failing collector ran %d times, want once", n.Load())
	}
}

func TestTypeMismatch(t *testing.T) {
	s := newStore(t)
	if _, err := Get(s, "k", func(context.Context, *Store) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	_, err := Get(s, "k", func(context.Context, *Store) (string, error) { return "", nil })
	if err == nil || !strings.Contains(err.Error(), "holds int") {
		t.Errorf("err = %v", err)
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	s := newStore(t)
	var n atomic.Int32
	release := make(chan struct{})
	slow := func(context.Context, *Store) (int, error) {
		n.Add(1)
		<-release
		return 5, nil
	}
	const callers = 32
	var wg sync.WaitGroup
	got := make([]int, callers)
	for i := range callers {
		wg.Go(func() {
			v, err := Get(s, "slow", slow)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	time.Sleep(20 * time.Millisecond) // let callers pile up on the collection
	close(release)
	wg.Wait()
	if n.Load() != 1 {
		t.Errorf("collector ran %d times, want once", n.Load())
	}
	for i, v := range got {
		if v != 5 {
			t.Errorf("caller %d got %d", i, v)
		}
	}
}

func TestDependentFacts(t *testing.T) {
	s := newStore(t)
	var base atomic.Int32
	getBase := func(s *Store) (int, error) { return Get(s, "base", counted(&base, 20, nil)) }
	derived := func(_ context.Context, s *Store) (int, error) {
		b, err := getBase(s)
		if s.Target() == nil || s.Context() == nil {
			t.Error("collector's store has no target or context")
		}
		return b + 1, err
	}
	if v, err := Get(s, "derived", derived); v != 21 || err != nil {
		t.Fatalf("derived = %d, %v", v, err)
	}
	// The dependency is shared with the rest of the scan.
	if v, _ := getBase(s); v != 20 || base.Load() != 1 {
		t.Errorf("base = %d after %d collections", v, base.Load())
	}
}

func TestCycles(t *testing.T) {
	// Facts a → b → c → a, and self → self.
	var next = map[string]string{"a": "b", "b": "c", "c": "a", "self": "self"}
	var collect Collector[string]
	collect = func(_ context.Context, s *Store) (string, error) {
		key := s.chain[len(s.chain)-1]
		v, err := Get(s, next[key], collect)
		return key + v, err
	}
	for _, tc := range []struct{ key, chain string }{
		{"self", "self → self"},
		{"a", "a → b → c → a"},
	} {
		s := newStore(t)
		done := make(chan error, 1)
		go func() { _, err := Get(s, tc.key, collect); done <- err }()
		select {
		case err := <-done:
			var ce *CycleError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.chain) {
				t.Errorf("%s: err = %v, want a cycle %s", tc.key, err, tc.chain)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: deadlock", tc.key)
		}
	}
}

// TestCycleAcrossGoroutines starts two facts that need each other on two
// goroutines at once: whichever waits second must see the cycle, and both
// must return.
func TestCycleAcrossGoroutines(t *testing.T) {
	for i := range 50 {
		s := newStore(t)
		var started sync.WaitGroup
		started.Add(2)
		mk := func(other string) Collector[int] {
			var self Collector[int]
			self = func(_ context.Context, s *Store) (int, error) {
				started.Done()
				started.Wait() // both collections are under way
				return Get(s, other, func(_ context.Context, s *Store) (int, error) {
					t.Error("the other fact is collected twice")
					return 0, nil
				})
			}
			return self
		}
		errs := make(chan error, 2)
		go func() { _, err := Get(s, "x", mk("y")); errs <- err }()
		go func() { _, err := Get(s, "y", mk("x")); errs <- err }()
		for range 2 {
			select {
			case err := <-errs:
				var ce *CycleError
				if !errors.As(err, &ce) {
					t.Fatalf("round %d: err = %v, want a cycle", i, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: deadlock", i)
			}
		}
	}
}

func TestPanickingCollector(t *testing.T) {
	s := newStore(t)
	for range 2 {
		_, err := Get(s, "p", func(context.Context, *Store) (int, error) { panic("bad input") })
		if err == nil || !strings.Contains(err.Error(), "bad input") {
			t.Fatalf("err = %v", err)
		}
	}
}

func TestWaitingHonoursContext(t *testing.T) {
	tg, err := target.OpenRootFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewStore(ctx, tg)
	release := make(chan struct{})
	defer close(release)
	go Get(s, "slow", func(context.Context, *Store) (int, error) { <-release; return 1, nil }) //nolint:errcheck
	for {
		s.sh.mu.Lock()
		_, started := s.sh.entries["slow"]
		s.sh.mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	_, err = Get(s, "slow", func(context.Context, *Store) (int, error) { return 2, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func ExampleGet() {
	tg, _ := target.OpenRootFS(".")
	s := NewStore(context.Background(), tg)
	words := func(context.Context, *Store) ([]string, error) { return []string{"a", "b"}, nil }
	count := func(_ context.Context, s *Store) (int, error) {
		w, err := Get(s, "words", words) // a fact built on another fact
		return len(w), err
	}
	n, err := Get(s, "count", count)
	fmt.Println(n, err)
	// Output: 2 <nil>
}
