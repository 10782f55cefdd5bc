package checks

import (
	"context"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/mounts"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// mountOptionTemplate checks that a mount point is its own filesystem and
// is mounted with the given options:
//
//	mount_option: {mountpoint: /tmp, options: [nodev, nosuid]}
//	mount_option: {mountpoint: /var/log, require_separate: true}
//
// On a live target the running mount table decides, and an fstab entry for
// the mount point must carry the options too (it applies at the next
// boot). Offline the configured mount decides: an enabled .mount unit,
// the fstab entry, or systemd's own /dev/shm mount. A mount point that is
// not separate fails with require_separate, else is not_applicable.
type mountOptionTemplate struct{}

type mountOptionArgs struct {
	Mountpoint      string   `yaml:"mountpoint"`
	Options         []string `yaml:"options"`
	RequireSeparate bool     `yaml:"require_separate"`
}

type mountOptionCheck struct{ a mountOptionArgs }

func (mountOptionTemplate) Name() string { return "mount_option" }

func (mountOptionTemplate) New(n *yaml.Node) (check.Check, error) {
	var a mountOptionArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.Mountpoint, "/") {
		return nil, check.ArgErrorf(n, "mountpoint must be an absolute path")
	}
	if len(a.Options) == 0 && !a.RequireSeparate {
		return nil, check.ArgErrorf(n, "set options or require_separate")
	}
	for _, o := range a.Options {
		if o == "" || strings.ContainsAny(o, ", ") {
			return nil, check.ArgErrorf(n, "option %q: list one mount option per entry", o)
		}
	}
	a.Mountpoint = mounts.CleanDir(a.Mountpoint)
	return &mountOptionCheck{a}, nil
}

func (c *mountOptionCheck) Fixable() bool { return len(c.a.Options) > 0 }

func (c *mountOptionCheck) expected() string {
	exp := c.a.Mountpoint + " is a separate filesystem"
	if len(c.a.Options) > 0 {
		exp += " mounted with " + strings.Join(c.a.Options, ",")
	}
	return exp
}

func (c *mountOptionCheck) missing(opts []string) []string {
	var out []string
	for _, o := range c.a.Options {
		if !mounts.HasOption(opts, o) {
			out = append(out, o)
		}
	}
	return out
}

func (c *mountOptionCheck) entryEvidence(e mounts.Entry, what string) (result.Evidence, bool) {
	ev := result.Evidence{Expected: c.expected(), Observed: e.String() + " (" + what + ")", File: e.File, Line: e.Line}
	if miss := c.missing(e.Options); len(miss) > 0 {
		ev.Note = "not in effect: " + strings.Join(miss, ",")
		return ev, false
	}
	return ev, true
}

func (c *mountOptionCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	if f.Target().Kind() == target.KindImage {
		return check.NotApplicable("container images do not define the mounts they run with")
	}
	tb, err := mounts.Get(f)
	if err != nil {
		return check.FromErr("reading mounts", err)
	}
	mp := c.a.Mountpoint
	if f.Target().Live() && tb.Running != nil {
		run, ok := tb.RunningEntry(mp)
		if !ok {
			return c.notSeparate(result.Evidence{Expected: c.expected(), Observed: mp + " is not a mount point", File: tb.RunningSource})
		}
		ev, good := c.entryEvidence(run, "running")
		evs := []result.Evidence{ev}
		if fe, ok := tb.FstabEntry(mp); ok {
			pev, pgood := c.entryEvidence(fe, "fstab")
			if !pgood {
				pev.Note += "; applies at the next boot"
			}
			good = good && pgood
			evs = append(evs, pev)
		}
		if good {
			return check.Pass(evs...)
		}
		return check.Fail(evs...)
	}
	e, ok, err := tb.Configured(mp)
	if err != nil {
		return check.FromErr("reading mount units", err)
	}
	if !ok {
		return c.notSeparate(result.Evidence{Expected: c.expected(), Observed: "no fstab entry or mount unit for " + mp, File: "/etc/fstab"})
	}
	ev, good := c.entryEvidence(e, e.Origin)
	if good {
		return check.Pass(ev)
	}
	return check.Fail(ev)
}

func (c *mountOptionCheck) notSeparate(ev result.Evidence) check.Outcome {
	if c.a.RequireSeparate {
		return check.Fail(ev)
	}
	o := check.NotApplicable("%s is not a separate filesystem", c.a.Mountpoint)
	o.Evidence = []result.Evidence{ev}
	return o
}
