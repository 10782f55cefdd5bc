package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/fileutil"
)

// emit writes a rendered document to -o FILE (atomically, with perm) or
// to standard output. It is the one place commands write documents.
func emit(env *Env, of *outputFlags, perm os.FileMode, render func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	if of != nil && of.output != "" {
		if err := fileutil.WriteAtomic(of.output, buf.Bytes(), perm); err != nil {
			return app.Input(err)
		}
		return nil
	}
	_, err := env.Stdout.Write(buf.Bytes())
	return err
}

// writeJSON renders v as indented JSON.
func writeJSON(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

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
	line    string // "scanning" or "learning" while a line is shown
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
	case "learning":
		fmt.Fprintln(p.w)
	}
	p.line = ""
}

// cell makes an untrusted field safe for one table cell: control
// characters (terminal escapes, tabs, newlines) are replaced and long text
// is shortened.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}
