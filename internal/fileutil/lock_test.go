package fileutil

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestLocks(t *testing.T) {
	for name, lock := range map[string]func(context.Context, string) (func(), error){
		"platform": Lock, "create": lockByCreate,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "l.lock")
			var mu sync.Mutex
			inside, maxInside := 0, 0
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 5 {
						unlock, err := lock(context.Background(), p)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						inside++
						maxInside = max(maxInside, inside)
						mu.Unlock()
						time.Sleep(time.Millisecond)
						mu.Lock()
						inside--
						mu.Unlock()
						unlock()
					}
				}()
			}
			wg.Wait()
			if maxInside != 1 {
				t.Fatalf("%d holders at once", maxInside)
			}
			// A held lock times out with the context.
			unlock, err := lock(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if _, err := lock(ctx, p); err == nil {
				t.Fatal("second holder got the lock")
			}
			unlock()
		})
	}
}

func TestLockByCreateStale(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l.lock")
	os.WriteFile(p, nil, 0o600)
	old := time.Now().Add(-2 * staleLock)
	os.Chtimes(p, old, old)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	unlock, err := lockByCreate(ctx, p)
	if err != nil {
		t.Fatalf("stale lock not broken: %v", err)
	}
	unlock()
}
