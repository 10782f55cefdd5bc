package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

func (e *Env) warnf(format string, a ...any) {
	fmt.Fprintf(e.Stderr, "cradle: warning: "+format+"\n", a...)
}

// progress draws app.Progress on a terminal's standard error, at most a
// few times a second; notes are always shown.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	last    time.Time
	line    string // "scanning", "learning" or "walking" while a line is shown
}

func newProgress(env *Env, quiet bool) *progress {
	return &progress{w: env.Stderr, enabled: !quiet && env.tty(env.Stderr)}
}

func (p *progress) draw(kind string, final bool, format string, a ...any) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && !final {
		return
	}
	p.last, p.line = time.Now(), kind
	fmt.Fprintf(p.w, "\r"+format, a...)
}

func (p *progress) Rules(done, total int) {
	p.draw("scanning", done == total, "scanning: %d/%d rules", done, total)
}

func (p *progress) Learning(elapsed, total time.Duration, samples int) {
	p.draw("learning", false, "learning: %s of %s, %d samples", elapsed.Truncate(time.Second), total, samples)
}

func (p *progress) Note(line string) {
	p.End()
	fmt.Fprintln(p.w, line)
}

// End clears a scanning line and ends a learning line (its last state
// stays visible).
func (p *progress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.line {
	case "scanning":
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 40)+"\r")
	case "learning", "walking":
		fmt.Fprintln(p.w)
	}
	p.line = ""
}
