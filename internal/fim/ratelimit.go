package fim

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket shared by the hashing workers. Each read is
// paid after the fact: the balance may go negative, and the reader
// sleeps until its share of the debt is repaid at the rate. Workers
// sleep at the same time, each for its own debt, so the total rate holds
// without serialising them behind one lock held across a sleep.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64
	tokens float64
	last   time.Time
}

func newLimiter(rate int64, burst int) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// chunk is the read size under the limit: about an eighth of a second's
// worth, so a worker's sleeps stay short and the rate smooth, between
// 64 KiB and the normal buffer size.
func (l *limiter) chunk() int {
	if l == nil {
		return bufSize
	}
	return int(min(float64(bufSize), max(64<<10, l.rate/8)))
}

// take pays for n bytes read, sleeping as long as the bucket is in debt.
func (l *limiter) take(ctx context.Context, n int) error {
	if l == nil || n <= 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	l.tokens -= float64(n)
	wait := time.Duration(-l.tokens / l.rate * float64(time.Second))
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	tm := time.NewTimer(wait)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
