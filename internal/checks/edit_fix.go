package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Helpers shared by the remediations of configuration files: they edit
// text line by line (the line model in textfile_fix.go) through the
// planned state, so fixes of several rules to one file compose and every
// change shows as a small diff.

// fixReadOptional returns the planned content of name, or nil when it
// does not exist.
func fixReadOptional(ch *remedy.Changes, name string) ([]byte, bool, error) {
	b, err := ch.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// fixCommentOut comments out the given 1-based lines of file (an
// absolute or root-relative path) by prefixing them with "#cradle: ".
// Lines already commented out are left alone.
func fixCommentOut(ch *remedy.Changes, file string, nums []int, summary string) error {
	b, err := ch.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", target.Abs(file), err)
	}
	lines := fixLines(b)
	changed := false
	for _, n := range nums {
		if n < 1 || n > len(lines) {
			return fmt.Errorf("%s:%d: no such line", target.Abs(file), n)
		}
		if c, ok := commentOut(lines[n-1]); ok {
			lines[n-1], changed = c, true
		}
	}
	if !changed {
		return nil
	}
	return ch.WriteFile(file, fixJoin(lines), 0o644, summary)
}

// fixVendorFile reports whether file (absolute) lies outside /etc, in a
// directory the package manager owns or that does not survive a reboot,
// so it must be masked rather than edited.
func fixVendorFile(file string) bool {
	return !strings.HasPrefix(target.Abs(file), "/etc/")
}

// fixNeutralise disables lines of a drop-in configuration file. A file in
// /etc is edited in place; a vendor or runtime file (/usr/lib, /lib,
// /run, /usr/local/lib) is masked by a same-named file in etcDir that
// carries its content with the lines commented out, the way systemd-style
// directories (sysctl.d, modprobe.d) let an administrator override it.
func fixNeutralise(ch *remedy.Changes, file string, nums []int, etcDir, summary string) error {
	if !fixVendorFile(file) {
		return fixCommentOut(ch, file, nums, summary)
	}
	b, err := ch.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", target.Abs(file), err)
	}
	mask := path.Join(target.Clean(etcDir), path.Base(file))
	if ch.Exists(mask) {
		// The same-named /etc file already masks it; the line cannot be
		// in effect. Callers only get here on stale facts.
		return fmt.Errorf("%s: already masked by %s", target.Abs(file), target.Abs(mask))
	}
	lines := fixLines(b)
	for _, n := range nums {
		if n >= 1 && n <= len(lines) {
			lines[n-1], _ = commentOut(lines[n-1])
		}
	}
	head := []string{"# Copy of " + target.Abs(file) + " with conflicting settings commented out by cradle;", "# this file masks it."}
	return ch.WriteFile(mask, fixJoin(append(head, lines...)), 0o644, summary+" (masks "+target.Abs(file)+")")
}

// fixGroupLines collects line numbers per file, in first-seen file order.
type fixGroupLines struct {
	files []string
	lines map[string][]int
}

func (g *fixGroupLines) add(file string, n int) {
	if g.lines == nil {
		g.lines = map[string][]int{}
	}
	if _, ok := g.lines[file]; !ok {
		g.files = append(g.files, file)
	}
	if !slices.Contains(g.lines[file], n) {
		g.lines[file] = append(g.lines[file], n)
	}
}

// commentOut comments out the collected lines, file by file.
func (g *fixGroupLines) commentOut(ch *remedy.Changes, summary string) error {
	for _, file := range g.files {
		if err := fixCommentOut(ch, file, g.lines[file], summary); err != nil {
			return err
		}
	}
	return nil
}
