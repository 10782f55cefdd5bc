package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/modprobe"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// kmodConf is the modprobe.d file cradle keeps modules out with.
const kmodConf = "etc/modprobe.d/cradle-blacklist.conf"

const kmodHeader = "# Kernel modules kept from loading by cradle fix, one block per module."

// Remediate adds "install MOD /bin/false" (unless the rule only asks for
// a blacklist) and "blacklist MOD" to the cradle modprobe.d file, and
// comments out an earlier install command that would win over it.
func (c *kernelModuleDisabledCheck) Remediate(ctx context.Context, _ *facts.Store, ch *remedy.Changes) error {
	if ch.Target().Kind() == target.KindImage {
		return nil
	}
	m := c.a.Module
	cfg, err := modprobe.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading modprobe configuration: %w", err)
	}
	if _, builtin := cfg.Builtin[modprobe.Normalize(m)]; builtin {
		ch.Defer("keep kernel module "+m+" from loading", m+" is built into the kernel; modprobe.d cannot disable it (use a kernel built without it)")
		return nil
	}
	wantInstall := c.a.Require != "blacklist"
	inst, hasInst := cfg.Install(m)
	_, hasBL := cfg.Blacklist(m)
	var add []string
	if wantInstall && !(hasInst && modprobe.Disables(inst)) {
		add = append(add, "install "+m+" /bin/false")
	}
	if !hasBL {
		add = append(add, "blacklist "+m)
	}
	summary := "keep kernel module " + m + " from loading"
	if cfg.Loaded != nil && cfg.Loaded[modprobe.Normalize(m)] {
		summary += " (it is loaded now and stays loaded until rmmod or reboot)"
	} else {
		summary += " (a module loaded already stays loaded until rmmod or reboot)"
	}
	if len(add) > 0 {
		if err := kmodAdd(ch, m, add, summary); err != nil {
			return err
		}
	}
	// kmod runs the first install command that matches: one in a file
	// sorting before ours (00-*.conf) that loads the module wins.
	if wantInstall {
		for range 64 {
			cfg, err = modprobe.Collect(ctx, ch.Overlay())
			if err != nil {
				return fmt.Errorf("reading planned modprobe configuration: %w", err)
			}
			inst, ok := cfg.Install(m)
			if !ok || modprobe.Disables(inst) {
				break
			}
			if err := fixNeutralise(ch, inst.File, []int{inst.Line}, "etc/modprobe.d",
				fmt.Sprintf("comment out \"install %s %s\", which loads %s despite %s", inst.Module, inst.Rest(), m, target.Abs(kmodConf))); err != nil {
				return err
			}
		}
	}
	if cfg.Loaded != nil && cfg.Loaded[modprobe.Normalize(m)] {
		ch.Defer("unload kernel module "+m, m+" is loaded now; modprobe.d only stops future loads (modprobe -r "+m+" or reboot)")
	}
	ch.Effect(remedy.Effect{Kind: remedy.EffectModuleBlock, Subject: m})
	return nil
}

// kmodAdd merges lines for module m into the cradle file, keeping one
// block per module sorted by module name.
func kmodAdd(ch *remedy.Changes, m string, add []string, summary string) error {
	b, _, err := fixReadOptional(ch, kmodConf)
	if err != nil {
		return err
	}
	blocks := map[string][]string{}
	var order []string
	for _, l := range fixLines(b) {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		key := modprobe.Normalize(f[1])
		if _, ok := blocks[key]; !ok {
			order = append(order, key)
		}
		blocks[key] = append(blocks[key], l)
	}
	key := modprobe.Normalize(m)
	if _, ok := blocks[key]; !ok {
		order = append(order, key)
	}
	for _, l := range add {
		if !slices.Contains(blocks[key], l) {
			blocks[key] = append(blocks[key], l)
		}
	}
	slices.Sort(order)
	out := []string{kmodHeader}
	for _, k := range order {
		// install before blacklist, whatever order rules added them in.
		ls := blocks[k]
		slices.SortStableFunc(ls, func(a, b string) int {
			return strings.Compare(strings.Fields(b)[0], strings.Fields(a)[0])
		})
		out = append(out, "")
		out = append(out, ls...)
	}
	return ch.WriteFile(kmodConf, fixJoin(out), 0o644, summary)
}
