package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kcmdline"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// grubSnippet is cradle's own grub.d file: grub-mkconfig sources
// /etc/default/grub.d/*.cfg after /etc/default/grub, in glob order, so its
// appended parameters come last on the line and are the ones in effect.
const grubSnippet = "etc/default/grub.d/99-cradle.cfg"

const grubSnippetHeader = "# Kernel parameters set by cradle fix, appended to every boot entry\n# (GRUB_CMDLINE_LINUX also reaches recovery entries). Regenerate grub.cfg\n# (update-grub, grub2-mkconfig -o ...) after editing.\n"

// Fixable: a required parameter can be appended; removing a forbidden
// one means editing whatever file sets it, which is left to a person.
func (c *kernelCmdlineCheck) Fixable() bool { return c.a.Param != "" && len(c.a.Forbid) == 0 }

// fixParam is the parameter the fix sets: the first allowed value, the
// minimum, or the flags.
func (c *kernelCmdlineCheck) fixParam() string {
	switch {
	case c.a.Values != nil:
		return c.a.Param + "=" + c.a.Values[0]
	case c.a.Min != nil:
		return fmt.Sprintf("%s=%d", c.a.Param, *c.a.Min)
	}
	return c.a.Param + "=" + c.a.Flags
}

// shellSafe reports whether s can stand inside a double-quoted shell
// string as it is.
func shellSafe(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.,:=+-/", r)) {
			return false
		}
	}
	return s != ""
}

// Remediate appends the parameter to GRUB_CMDLINE_LINUX and
// GRUB_CMDLINE_LINUX_DEFAULT in cradle's grub.d file (one pair of lines
// per parameter, replaced when the rule runs again), so the normal and
// the recovery entries get it last. Regenerating grub.cfg and rebooting
// are deferred: they run the distribution's scripts and change what
// boots. Without /etc/default/grub the boot loader's own tool is named.
func (c *kernelCmdlineCheck) Remediate(_ context.Context, _ *facts.Store, ch *remedy.Changes) error {
	want := c.fixParam()
	if !ch.Exists("etc/default/grub") {
		ch.Defer("set "+want+" on the kernel command line",
			"no /etc/default/grub: use the boot loader's own tool (grubby --update-kernel=ALL --args="+want+", /etc/kernel/cmdline with kernel-install) and reboot")
		return nil
	}
	if !shellSafe(want) {
		ch.Defer("set "+want+" in /etc/default/grub", "the value holds characters a fix will not put in a shell file; add it by hand")
		return nil
	}
	var old string
	if ch.Exists(grubSnippet) {
		b, err := ch.ReadFile(grubSnippet)
		if err != nil {
			return fmt.Errorf("read /%s: %w", grubSnippet, err)
		}
		old = string(b)
	}
	// This rule's lines are replaced where they stand (a second run
	// changes nothing), others' kept, missing ones appended.
	key := kcmdline.NormalKey(c.a.Param)
	lines := map[string]string{}
	for _, v := range []string{"GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"} {
		lines[v] = fmt.Sprintf(`%s="$%s %s"`, v, v, want)
	}
	var kept []string
	for _, l := range strings.Split(old, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if v, p, ok := snippetParam(l); ok && kcmdline.NormalKey(p.Key) == key {
			if nl, ok := lines[v]; ok {
				kept = append(kept, nl)
				delete(lines, v)
			}
			continue
		}
		kept = append(kept, l)
	}
	for _, v := range []string{"GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"} {
		if nl, ok := lines[v]; ok {
			kept = append(kept, nl)
		}
	}
	body := grubSnippetHeader + strings.Join(kept, "\n") + "\n"
	if err := ch.WriteFile(grubSnippet, []byte(body), 0o644,
		fmt.Sprintf("append %s to GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT in /%s", want, grubSnippet)); err != nil {
		return err
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectOther, Subject: "kernel command line", Value: want})
	ch.Defer("regenerate grub.cfg and reboot for "+want,
		"a fix writes the boot loader's configuration source only: run update-grub (grub2-mkconfig -o /boot/grub2/grub.cfg) and reboot for the kernel to get it")
	return nil
}

// snippetParam reads the parameter of one of cradle's snippet lines,
// NAME="$NAME key=value".
func snippetParam(l string) (name string, p kcmdline.Param, ok bool) {
	name, rest, ok := strings.Cut(l, `="$`)
	if !ok {
		return "", p, false
	}
	_, arg, ok := strings.Cut(strings.TrimSuffix(rest, `"`), " ")
	if !ok {
		return "", p, false
	}
	ps := kcmdline.Parse(arg)
	if len(ps) != 1 {
		return "", p, false
	}
	return name, ps[0], true
}
