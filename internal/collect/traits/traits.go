// Package traits decides which traits a rule may require (rules.Traits)
// a target lacks: a kernel of its own (kernel parameters, modules, mounts
// and audit rules take effect only on a system that boots) and an init
// system of its own (enabled services). A container image has neither: it
// runs its entry point on the host's kernel. A directory tree is judged
// by what it holds: a minimal userland (a container's root filesystem)
// has no init, no kernel and no modules.
package traits

import (
	"github.com/cradle-cra/cradle/internal/target"
)

// The traits this package decides; rules.Traits documents them.
const (
	Kernel = "kernel"
	Init   = "init"
)

// pid1Paths are where the kernel looks for the first process: a tree
// that has one is meant to boot.
var pid1Paths = []string{"sbin/init", "usr/sbin/init"}

// initPaths are where an init system is found in a tree: the init
// program itself, systemd, or OpenRC (whose services a tree can enable
// even where another program is PID 1).
var initPaths = append([]string{"lib/systemd/systemd", "usr/lib/systemd/systemd", "sbin/openrc", "sbin/openrc-init"}, pid1Paths...)

// kernelDirs hold an installed kernel or its modules.
var kernelDirs = []struct{ dir, pattern string }{
	{"boot", "vmlinuz*"}, {"boot", "vmlinux*"}, {"boot", "Image*"}, {"boot", "bzImage*"},
	{"lib/modules", "*"}, {"usr/lib/modules", "*"},
}

// Lacking returns, for each trait t lacks, why, in words fit for a
// not_applicable result. The live host (and a live root) has every
// trait.
func Lacking(t target.Target) map[string]string {
	switch {
	case t.Live():
		return nil
	case t.Kind() == target.KindImage:
		return map[string]string{
			Kernel: "container images run on their host's kernel: kernel parameters, modules, mounts and audit rules are the host's",
			Init:   "container images run their entry point, not an init system with enabled services",
		}
	}
	hasInit, hasKernel := anyExists(t, initPaths), anyExists(t, pid1Paths)
	for _, k := range kernelDirs {
		if hasKernel {
			break
		}
		m, err := target.Glob(t, k.dir, k.pattern)
		hasKernel = err == nil && len(m) > 0
	}
	out := map[string]string{}
	if !hasKernel {
		out[Kernel] = "the tree has no init program, kernel or kernel modules (sbin/init, boot/vmlinuz*, lib/modules): a minimal userland such as a container's runs on its host's kernel, whose settings apply"
	}
	if !hasInit {
		out[Init] = "the tree has no init system (sbin/init, systemd or OpenRC), so no services are started from it"
	}
	return out
}

// anyExists reports whether one of paths exists in t (a symlink counts,
// dangling or not: its name is what the kernel or a tool looks for).
func anyExists(t target.Target, paths []string) bool {
	for _, p := range paths {
		if _, err := t.Lstat(p); err == nil {
			return true
		}
	}
	return false
}
