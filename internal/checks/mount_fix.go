package checks

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/mounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Remediate adds the missing options to the configuration that mounts the
// mount point: its /etc/fstab entry, the .mount unit that overrides fstab,
// or, for systemd's own /dev/shm mount, a new fstab entry. A mount point
// that is not a separate filesystem cannot be fixed by editing files; that
// is deferred. The running mount changes on remount or reboot.
func (c *mountOptionCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if ch.Target().Kind() == target.KindImage {
		return nil
	}
	tb, err := mounts.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading mounts: %w", err)
	}
	mp := c.a.Mountpoint
	want := strings.Join(c.a.Options, ",")
	notSeparate := func() error {
		what := "mount " + mp + " as a separate filesystem"
		if want != "" {
			what += " with " + want
		}
		ch.Defer(what,
			mp+" is not a separate filesystem (no fstab entry or mount unit); creating one needs a partition, volume or tmpfs decision")
		return nil
	}
	effect := remedy.Effect{Kind: remedy.EffectMountOptions, Subject: mp, Value: want}
	if ch.Live() && tb.Running != nil {
		run, ok := tb.RunningEntry(mp)
		if !ok {
			return notSeparate()
		}
		if fe, ok := tb.FstabEntry(mp); ok && len(c.missing(fe.Options)) > 0 {
			if err := c.fixFstabLine(ch, fe); err != nil {
				return err
			}
		}
		if miss := c.missing(run.Options); len(miss) > 0 {
			ch.Defer("remount "+mp+" with "+strings.Join(miss, ","),
				"the running mount keeps its options until it is remounted (mount -o remount "+mp+") or the host reboots")
		}
		ch.Effect(effect)
		return nil
	}
	e, ok, err := tb.Configured(mp)
	if err != nil {
		return fmt.Errorf("reading mount units: %w", err)
	}
	if !ok {
		return notSeparate()
	}
	switch e.Origin {
	case "fstab":
		err = c.fixFstabLine(ch, e)
	case "unit":
		err = c.fixUnit(ch, e)
	case "builtin":
		err = c.addFstabLine(ch, e)
	default:
		return notSeparate()
	}
	if err != nil {
		return err
	}
	ch.Effect(effect)
	return nil
}

// fixOptions returns opts with the rule's options in effect: the
// negations removed (nodev undoes a later "dev" only if it comes after
// it) and the missing ones appended; "defaults" and the rest stay.
func (c *mountOptionCheck) fixOptions(opts []string) []string {
	miss := c.missing(opts)
	out := slices.DeleteFunc(slices.Clone(opts), func(o string) bool {
		for _, m := range miss {
			if o == mounts.Negation(m) {
				return true
			}
		}
		return false
	})
	for _, m := range miss {
		if !mounts.HasOption(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func (c *mountOptionCheck) summary(where string, opts []string) string {
	return fmt.Sprintf("add %s to the %s mount in %s (takes effect on remount or reboot)", strings.Join(c.missing(opts), ","), c.a.Mountpoint, where)
}

// fixFstabLine rewrites the options field of fstab line e.Line, keeping
// the other columns and their alignment where the new field fits.
func (c *mountOptionCheck) fixFstabLine(ch *remedy.Changes, e mounts.Entry) error {
	b, err := ch.ReadFile("etc/fstab")
	if err != nil {
		return fmt.Errorf("/etc/fstab: %w", err)
	}
	lines := fixLines(b)
	if e.Line < 1 || e.Line > len(lines) {
		return fmt.Errorf("/etc/fstab:%d: no such line", e.Line)
	}
	lines[e.Line-1] = fstabSetField(lines[e.Line-1], 3, strings.Join(c.fixOptions(e.Options), ","))
	return ch.WriteFile("etc/fstab", fixJoin(lines), 0o644, c.summary("/etc/fstab", e.Options))
}

// fstabMissing fills fstab fields a short line leaves out before the one
// being set: mount(8) reads a missing type as "auto".
var fstabMissing = []string{"none", "none", "auto", "defaults"}

// fstabSetField replaces whitespace-separated field i (0-based) of line,
// appending it (after fstabMissing's values for any fields before it the
// line lacks; "0 0" pass fields are left to the defaults) when the line
// has fewer fields. Blanks after the field shrink to keep the next column
// where it was.
func fstabSetField(line string, i int, val string) string {
	type span struct{ a, b int }
	var fs []span
	for j := 0; j < len(line); {
		for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		if j >= len(line) {
			break
		}
		k := j
		for k < len(line) && line[k] != ' ' && line[k] != '\t' {
			k++
		}
		fs = append(fs, span{j, k})
		j = k
	}
	if i >= len(fs) {
		out := strings.TrimRight(line, " \t")
		for j := len(fs); j < i && j < len(fstabMissing); j++ {
			out += "\t" + fstabMissing[j]
		}
		return out + "\t" + val
	}
	f := fs[i]
	rest := line[f.b:]
	if grow := len(val) - (f.b - f.a); grow > 0 && i+1 < len(fs) {
		blanks := fs[i+1].a - f.b
		if !strings.Contains(line[f.b:fs[i+1].a], "\t") {
			rest = line[f.b+min(grow, blanks-1):]
		}
	}
	return line[:f.a] + val + rest
}

// addFstabLine writes an fstab entry for a mount systemd makes on its own
// (/dev/shm), keeping its options.
func (c *mountOptionCheck) addFstabLine(ch *remedy.Changes, e mounts.Entry) error {
	b, _, err := fixReadOptional(ch, "etc/fstab")
	if err != nil {
		return err
	}
	opts := slices.DeleteFunc(c.fixOptions(e.Options), func(o string) bool { return o == "rw" })
	opts = append([]string{"defaults"}, opts...)
	lines := append(fixLines(b), fmt.Sprintf("%s\t%s\t%s\t%s\t0\t0", e.Spec, e.Dir, e.Type, strings.Join(opts, ",")))
	return ch.WriteFile("etc/fstab", fixJoin(lines), 0o644,
		fmt.Sprintf("add an /etc/fstab entry mounting %s with %s (takes effect on remount or reboot)", c.a.Mountpoint, strings.Join(c.missing(e.Options), ",")))
}

// fixUnit edits Options= of the .mount unit in effect; a vendor unit is
// copied to /etc/systemd/system first (as systemctl edit --full does), so
// the package's file stays untouched.
func (c *mountOptionCheck) fixUnit(ch *remedy.Changes, e mounts.Entry) error {
	b, err := ch.ReadFile(e.File)
	if err != nil {
		return fmt.Errorf("%s: %w", e.File, err)
	}
	dst := e.File
	if !strings.HasPrefix(e.File, "/etc/") {
		dst = path.Join("/etc/systemd/system", path.Base(e.File))
	}
	lines := fixLines(b)
	opt := "Options=" + strings.Join(c.fixOptions(e.Options), ",")
	if e.Line > 0 && e.Line <= len(lines) {
		lines[e.Line-1] = opt
	} else {
		at := -1
		for i, l := range lines {
			if strings.TrimSpace(l) == "[Mount]" {
				at = i + 1
			}
		}
		if at < 0 {
			lines, at = append(lines, "[Mount]"), len(lines)+1
		}
		lines = slices.Insert(lines, at, opt)
	}
	return ch.WriteFile(dst, fixJoin(lines), 0o644, c.summary(dst, e.Options))
}
