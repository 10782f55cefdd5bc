// Package kconfig collects the build configuration of a target's kernel:
// /boot/config-VERSION (or /usr/lib/modules/VERSION/config, where Fedora
// and Arch keep it) of the running kernel on a live host, of the newest
// installed kernel otherwise. A tree without any kernel (a container
// image, a chroot) has none, and says so.
package kconfig

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Key is the fact-store key.
const Key = "kconfig"

// Bounds: a kernel config is about 300 KiB with ~10,000 options.
const (
	MaxFileSize = 4 << 20
	MaxOptions  = 50000
	MaxKernels  = 256
)

// Facts are the build configuration of one kernel of the target.
type Facts struct {
	// Kernels are the installed kernel versions found (from /boot/config-*,
	// /boot/vmlinuz-* and the module directories), newest first.
	Kernels []string `json:"kernels"`
	// Version is the kernel the configuration is of; Running says it was
	// chosen as the running kernel (live hosts).
	Version string `json:"version"`
	Running bool   `json:"running"`
	// File is the configuration read ("" when the kernel has none).
	File string `json:"file"`
	// Options maps CONFIG_ names to their value: "y", "m", a number or
	// string, or "n" for "# CONFIG_X is not set". Lines gives each one's
	// line in File.
	Options map[string]string `json:"options"`
	Lines   map[string]int    `json:"lines"`
	// Arch is the architecture the configuration is for (x86_64, x86,
	// arm64, arm, riscv, s390, powerpc) when it says.
	Arch string `json:"arch,omitempty"`
}

// HasKernel reports whether the target has a kernel at all.
func (f *Facts) HasKernel() bool { return len(f.Kernels) > 0 }

// Value returns an option's value: "n" when it is not set or absent.
func (f *Facts) Value(opt string) string {
	if v, ok := f.Options[opt]; ok {
		return v
	}
	return "n"
}

// Get returns the memoised configuration.
func Get(s *facts.Store) (*Facts, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// moduleDirs hold one directory per installed kernel's modules.
var moduleDirs = []string{"usr/lib/modules", "lib/modules"}

// Collect finds the kernels of t and reads the configuration of the
// running (live) or newest one.
func Collect(ctx context.Context, t target.Target) (*Facts, error) {
	f := &Facts{Kernels: []string{}, Options: map[string]string{}, Lines: map[string]int{}}
	seen := map[string]bool{}
	addVersion := func(v string) {
		if v != "" && !seen[v] && len(seen) < MaxKernels {
			seen[v] = true
			f.Kernels = append(f.Kernels, v)
		}
	}
	for _, pat := range []string{"config-*", "vmlinuz-*", "vmlinux-*", "Image-*"} {
		ms, err := target.Glob(t, "boot", pat)
		if err != nil {
			return nil, fmt.Errorf("list /boot: %w", err)
		}
		for _, m := range ms {
			addVersion(strings.SplitN(m[len("boot/"):], "-", 2)[1])
		}
	}
	for _, d := range moduleDirs {
		ents, err := t.ReadDir(d)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("list %s: %w", target.Abs(d), err)
		}
		for _, e := range ents {
			// A module directory with a kernel image or a config is a
			// kernel; one with only leftovers (modules.* of a removed
			// package) is not.
			if e.Type.IsDir() && (target.Exists(t, d+"/"+e.Name+"/vmlinuz") || target.Exists(t, d+"/"+e.Name+"/config") || target.Exists(t, d+"/"+e.Name+"/modules.dep")) {
				addVersion(e.Name)
			}
		}
	}
	slices.SortFunc(f.Kernels, func(a, b string) int { return CompareVersions(b, a) })
	if len(f.Kernels) == 0 {
		return f, ctx.Err()
	}
	f.Version = f.Kernels[0]
	if t.Live() {
		if b, err := target.ReadFileLimit(t, "proc/sys/kernel/osrelease", 4096); err == nil {
			if v := strings.TrimSpace(string(b)); v != "" {
				f.Version, f.Running = v, true
			}
		}
	}
	if !f.Running {
		// The newest kernel that has a configuration.
		for _, v := range f.Kernels {
			if configPath(t, v) != "" {
				f.Version = v
				break
			}
		}
	}
	p := configPath(t, f.Version)
	if p == "" {
		return f, ctx.Err()
	}
	b, err := target.ReadFileLimit(t, p, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", target.Abs(p), err)
	}
	f.File = target.Abs(p)
	f.Options, f.Lines = Parse(b)
	f.Arch = arch(f)
	return f, ctx.Err()
}

// configPath returns where version's configuration is, or "".
func configPath(t target.Target, version string) string {
	if version == "" || strings.ContainsAny(version, "/") {
		return ""
	}
	for _, p := range []string{"boot/config-" + version, "usr/lib/modules/" + version + "/config", "lib/modules/" + version + "/config"} {
		if fi, err := t.Stat(p); err == nil && fi.Mode.IsRegular() {
			return p
		}
	}
	return ""
}

// Parse reads a kernel .config: CONFIG_X=value lines and "# CONFIG_X is
// not set" comments (value "n"); string values keep their quotes. The
// first MaxOptions options are kept.
func Parse(b []byte) (opts map[string]string, lines map[string]int) {
	opts, lines = map[string]string{}, map[string]int{}
	for i, l := range textline.Split(b) {
		if len(opts) >= MaxOptions {
			break
		}
		l = strings.TrimSpace(l)
		var name, val string
		if rest, ok := strings.CutPrefix(l, "# "); ok {
			n, ok := strings.CutSuffix(rest, " is not set")
			if !ok {
				continue
			}
			name, val = n, "n"
		} else {
			n, v, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			name, val = n, v
		}
		if !strings.HasPrefix(name, "CONFIG_") || strings.ContainsAny(name, " \t#") {
			continue
		}
		opts[name], lines[name] = val, i+1
	}
	return opts, lines
}

// arch names the architecture a configuration is for.
func arch(f *Facts) string {
	for _, a := range []struct{ opt, name string }{
		{"CONFIG_X86_64", "x86_64"}, {"CONFIG_X86", "x86"}, {"CONFIG_ARM64", "arm64"}, {"CONFIG_ARM", "arm"},
		{"CONFIG_RISCV", "riscv"}, {"CONFIG_S390", "s390"}, {"CONFIG_PPC", "powerpc"},
	} {
		if f.Options[a.opt] == "y" {
			return a.name
		}
	}
	return ""
}

// CompareVersions orders kernel versions the way version sorting does:
// runs of digits compare as numbers, other runs byte-wise, and "~" sorts
// before everything (a pre-release).
func CompareVersions(a, b string) int {
	for a != "" || b != "" {
		if a == "" || b == "" {
			if strings.HasPrefix(a+b, "~") {
				// "1.0~rc1" is older than "1.0".
				if a == "" {
					return 1
				}
				return -1
			}
			if a == "" {
				return -1
			}
			return 1
		}
		da, db := isDigit(a[0]), isDigit(b[0])
		switch {
		case da && db:
			ra, rb := digits(a), digits(b)
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[len(ra):], b[len(rb):]
		case da != db:
			// A digit run sorts after the end of the other's non-digits,
			// except that "~" sorts first.
			if a[0] == '~' {
				return -1
			}
			if b[0] == '~' {
				return 1
			}
			if da {
				return 1
			}
			return -1
		default:
			if a[0] != b[0] {
				if a[0] == '~' {
					return -1
				}
				if b[0] == '~' {
					return 1
				}
				return cmpInt(int(a[0]), int(b[0]))
			}
			a, b = a[1:], b[1:]
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
