// Package kmodloaded collects the kernel modules loaded on a live target
// from /proc/modules, with the taint flags the kernel records for each
// (unsigned, out-of-tree, forced, staging, ...).
package kmodloaded

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Module is one line of /proc/modules.
type Module struct {
	Name     string   `json:"name"` // as the kernel names it (underscores)
	Size     uint64   `json:"size"`
	RefCount int      `json:"refcount"`
	UsedBy   []string `json:"used_by,omitempty"`
	State    string   `json:"state"` // Live, Loading, Unloading
	Taint    string   `json:"taint,omitempty"`
	Line     int      `json:"line"`
}

// Tainted reports whether the module carries any of the flag letters.
func (m Module) Tainted(flags string) bool { return strings.ContainsAny(m.Taint, flags) }

// Loaded is the module fact of a live target.
type Loaded struct {
	Modules []Module `json:"modules"`
	File    string   `json:"file"`
}

// Find returns the module named name ("usb-storage" and "usb_storage" are
// the same module), or false.
func (l *Loaded) Find(name string) (Module, bool) {
	name = Normalize(name)
	for _, m := range l.Modules {
		if m.Name == name {
			return m, true
		}
	}
	return Module{}, false
}

// Key is the fact-store key.
const Key = "kmodloaded"

// Path is the module table.
const Path = "proc/modules"

// ErrNotLive is returned for targets without runtime state.
var ErrNotLive = errors.New("the target has no runtime state (/proc)")

// Get returns the memoised module list.
func Get(s *facts.Store) (*Loaded, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// Collect reads /proc/modules of a live target. A kernel built without
// module support has no /proc/modules: the error wraps fs.ErrNotExist.
func Collect(_ context.Context, t target.Target) (*Loaded, error) {
	if !t.Live() {
		return nil, ErrNotLive
	}
	b, err := target.ReadFile(t, Path)
	if err != nil {
		return nil, fmt.Errorf("loaded modules: %w", err)
	}
	return &Loaded{Modules: Parse(b), File: target.Abs(Path)}, nil
}

// Normalize maps module names to the kernel's spelling (dashes become
// underscores).
func Normalize(name string) string { return strings.ReplaceAll(strings.TrimSpace(name), "-", "_") }

// Parse parses /proc/modules content:
//
//	name size refcount used_by|- state address [(taint)]
//
// Lines with fewer than five fields are skipped.
func Parse(b []byte) []Module {
	out := []Module{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		m := Module{Name: Normalize(f[0]), State: f[4], Line: n}
		m.Size, _ = strconv.ParseUint(f[1], 10, 64)
		m.RefCount, _ = strconv.Atoi(f[2])
		if f[3] != "-" {
			for _, u := range strings.Split(f[3], ",") {
				if u != "" {
					m.UsedBy = append(m.UsedBy, u)
				}
			}
		}
		if last := f[len(f)-1]; len(f) > 6 && strings.HasPrefix(last, "(") && strings.HasSuffix(last, ")") {
			m.Taint = strings.Trim(last, "()")
		}
		out = append(out, m)
	}
	return out
}
