package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// sysctl is sysctl_object. On a live target it reads the running value
// from /proc/sys. Offline there is no kernel: the item holds the value the
// persisted configuration (sysctl.d, sysctl.conf) would set at boot, or the
// kernel's built-in default when nothing sets it, and the evidence says
// which; a name neither knows is not collected.
func (s *state) sysctl(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	t := env.Target
	ne := obj.Entity("name")
	names, ok := literalValues(ne)
	if !ok {
		var err error
		if names, err = s.sysctlNames(ctx, env); err != nil {
			return oval.Collected{}, err
		}
	}
	var items []oval.Item
	var notes []string
	for _, n := range names {
		if ok, err := ne.Match(n); err != nil || !ok {
			if err != nil {
				return oval.Collected{}, err
			}
			continue
		}
		if t.Live() {
			v, p, err := sysctl.Runtime(t, n)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // the kernel has no such variable
				}
				return oval.Collected{}, fmt.Errorf("sysctl %s: %w", n, err)
			}
			items = append(items, sysctlItem(n, v))
			notes = append(notes, fmt.Sprintf("%s = %s (running kernel, %s)", n, v, p))
			continue
		}
		cfg, err := memoGet(s, t, "sysctl", func() (*sysctl.Config, error) { return sysctl.Collect(ctx, t) })
		if err != nil {
			return oval.Collected{}, fmt.Errorf("sysctl configuration: %w", err)
		}
		if a, ok := cfg.Persisted(n); ok {
			items = append(items, sysctlItem(n, a.Value))
			notes = append(notes, fmt.Sprintf("offline: %s = %s as the persisted configuration sets it (%s:%d), not a running kernel's value", n, a.Value, a.File, a.Num))
			continue
		}
		osr, _ := memoGet(s, t, "osrelease", func() (*osrelease.Info, error) { return osrelease.Collect(ctx, t) })
		var fam []string
		if osr != nil {
			fam = osr.Families()
		}
		if v, ok := sysctl.Default(n, fam); ok {
			items = append(items, sysctlItem(n, v))
			notes = append(notes, fmt.Sprintf("offline: %s = %s, the kernel default (no persisted configuration sets it)", n, v))
			continue
		}
		items = append(items, oval.Item{Status: oval.StatusNotCollected, Fields: map[string][]oval.Value{"name": str(n)},
			Message: "offline: " + n + " is not set by the persisted configuration and its kernel default is unknown"})
	}
	return collected(items, notes...), nil
}

func sysctlItem(name, value string) oval.Item {
	return oval.Item{Fields: map[string][]oval.Value{"name": str(name), "value": str(value)}}
}

// maxSysctlNames bounds the /proc/sys enumeration of a pattern query.
const maxSysctlNames = 1 << 16

// sysctlNames lists the names a pattern can match: the running kernel's
// (live) or those the persisted configuration sets (offline).
func (s *state) sysctlNames(ctx context.Context, env *oval.Env) ([]string, error) {
	t := env.Target
	if !t.Live() {
		cfg, err := memoGet(s, t, "sysctl", func() (*sysctl.Config, error) { return sysctl.Collect(ctx, t) })
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		var out []string
		for _, a := range cfg.Assignments {
			if k := sysctl.NormalizeKey(a.Key); !a.Glob && !a.Exclude && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out, nil
	}
	var out []string
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		ents, err := t.ReadDir(dir)
		if err != nil || depth > 16 {
			return nil
		}
		for _, e := range ents {
			p := dir + "/" + e.Name
			if e.Type.IsDir() {
				if err := walk(p, depth+1); err != nil {
					return err
				}
				continue
			}
			if len(out) >= maxSysctlNames {
				return fmt.Errorf("more than %d sysctl names", maxSysctlNames)
			}
			// proc/sys/net/ipv4/conf/eth0.100/rp_filter → net.ipv4.conf.eth0/100.rp_filter
			out = append(out, strings.Map(func(r rune) rune {
				switch r {
				case '/':
					return '.'
				case '.':
					return '/'
				}
				return r
			}, strings.TrimPrefix(p, "proc/sys/")))
		}
		return nil
	}
	return out, walk(target.Clean("proc/sys"), 0)
}
