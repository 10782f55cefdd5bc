package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// sysctlDropIn is the file cradle persists kernel parameters in. Its name
// sorts after the distributions' 99-*.conf files (including Debian's and
// RHEL's 99-sysctl.conf link to /etc/sysctl.conf), so its values win
// unless something sorts later; such entries are neutralised.
const sysctlDropIn = "etc/sysctl.d/99-zz-cradle.conf"

const sysctlDropInHeader = "# Kernel parameters set by cradle fix. Later files in sysctl.d and\n# /etc/sysctl.conf must not set these keys.\n"

// Remediate persists a compliant value for every key that does not comply
// and, on a live target, sets the running value.
func (c *sysctlCheck) Remediate(ctx context.Context, f *facts.Store, ch *remedy.Changes) error {
	if ch.Target().Kind() == target.KindImage {
		return nil
	}
	value, ok := c.fixValue()
	if !ok {
		ch.Defer("set "+strings.Join(c.keys, ", "), "the rule's bounds leave no value to choose")
		return nil
	}
	cfg, err := sysctl.Collect(ctx, ch.Overlay())
	if err != nil {
		return fmt.Errorf("reading sysctl configuration: %w", err)
	}
	var families []string
	if info, err := osrelease.Get(f); err == nil && info != nil {
		families = info.Families()
	}
	live := ch.Live()
	for _, key := range c.keys {
		var rv string
		runtimeOK := true
		if live {
			v, _, err := sysctl.Runtime(ch.Target(), key)
			if errors.Is(err, fs.ErrNotExist) {
				continue // the check skips keys the running kernel lacks
			}
			if err != nil {
				return err
			}
			rv, runtimeOK = v, c.ok(v)
		}
		p, persisted := cfg.Persisted(key)
		persistOK := persisted && c.ok(p.Value)
		if !persisted && !c.a.RequirePersisted {
			if live {
				// A runtime-only change is lost at reboot: persist it too.
				persistOK = runtimeOK
			} else if d, known := sysctl.Default(key, families); known && c.ok(d) {
				persistOK = true
			}
		}
		if !persistOK {
			if err := c.persist(ctx, ch, key, value); err != nil {
				return err
			}
			if cfg, err = sysctl.Collect(ctx, ch.Overlay()); err != nil {
				return fmt.Errorf("reading planned sysctl configuration: %w", err)
			}
		}
		if !runtimeOK {
			ch.Sysctl(key, value, rv, fmt.Sprintf("set %s = %s in the running kernel", key, value))
		}
		if !persistOK || !runtimeOK {
			ch.Effect(remedy.Effect{Kind: remedy.EffectSysctl, Subject: key, Value: value})
		}
	}
	return nil
}

// fixValue is the value to set: the required one, the first allowed one,
// or the bound.
func (c *sysctlCheck) fixValue() (string, bool) {
	switch {
	case c.a.Value != "":
		return c.a.Value, true
	case len(c.a.Allowed) > 0:
		return c.a.Allowed[0], true
	case c.a.Min != nil:
		if c.a.Max != nil && *c.a.Max < *c.a.Min {
			return "", false
		}
		return strconv.FormatInt(*c.a.Min, 10), true
	case c.a.Max != nil:
		return strconv.FormatInt(*c.a.Max, 10), true
	}
	return "", false
}

// persist writes key = value into the drop-in and neutralises whatever
// assignment still wins over it in systemd-sysctl's order.
func (c *sysctlCheck) persist(ctx context.Context, ch *remedy.Changes, key, value string) error {
	b, _, err := fixReadOptional(ch, sysctlDropIn)
	if err != nil {
		return err
	}
	lines := fixLines(b)
	if len(lines) == 0 {
		lines = fixLines([]byte(sysctlDropInHeader))
	}
	set := false
	for _, l := range sysctl.Parse(b) {
		if l.Key == key && !l.Glob && !l.Exclude {
			lines[l.Num-1] = key + " = " + value
			set = true
		}
	}
	if !set {
		lines = append(lines, key+" = "+value)
	}
	if err := ch.WriteFile(sysctlDropIn, fixJoin(lines), 0o644, fmt.Sprintf("persist %s = %s in %s", key, value, target.Abs(sysctlDropIn))); err != nil {
		return err
	}
	// Whatever is read after the drop-in wins; neutralise it until the
	// drop-in's line is the one in effect. Each round disables every
	// competing line of the winning file, so the rounds are bounded by
	// the files (a vendor file takes two: its mask is edited next).
	nk := sysctl.NormalizeKey(key)
	for round := 0; ; round++ {
		cfg, err := sysctl.Collect(ctx, ch.Overlay())
		if err != nil {
			return fmt.Errorf("reading planned sysctl configuration: %w", err)
		}
		if round > 2*len(cfg.Files)+1 {
			return fmt.Errorf("%s: could not make %s = %s take effect", target.Abs(sysctlDropIn), key, value)
		}
		p, ok := cfg.Persisted(key)
		if !ok {
			return fmt.Errorf("%s: %s = %s is not read by systemd-sysctl (is it masked?)", target.Abs(sysctlDropIn), key, value)
		}
		if p.File == target.Abs(sysctlDropIn) {
			return nil
		}
		if c.ok(p.Value) && !p.Glob {
			return nil // a later compliant assignment: leave the administrator's line
		}
		if sysctl.Canonical(p.Key) != sysctl.Canonical(key) && !p.Glob {
			// The kernel sets key when p.Key changes (forwarding turns
			// accept_redirects off); commenting that line out would
			// change another setting.
			return fmt.Errorf("%s:%d: %s = %s sets %s as a side effect; change it by hand", p.File, p.Num, p.Key, p.Value, key)
		}
		nums := []int{p.Num}
		for _, a := range cfg.Assignments {
			if a.File != p.File || a.Exclude || a.Num == p.Num {
				continue
			}
			if m, _ := path.Match(a.Key, nk); a.Glob && p.Glob && m || !a.Glob && !p.Glob && sysctl.Canonical(a.Key) == sysctl.Canonical(nk) && !c.ok(a.Value) {
				nums = append(nums, a.Num)
			}
		}
		if err := fixNeutralise(ch, p.File, nums, "etc/sysctl.d",
			fmt.Sprintf("comment out %s = %s, which would override %s", p.Key, p.Value, target.Abs(sysctlDropIn))); err != nil {
			return err
		}
	}
}
