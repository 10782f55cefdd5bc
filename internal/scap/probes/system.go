package probes

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// family is family_object: every target cradle scans is a Unix-like tree.
func family(_ context.Context, _ *oval.Object, _ *oval.Env) (oval.Collected, error) {
	return collected([]oval.Item{{Fields: map[string][]oval.Value{"family": str("unix")}}}), nil
}

// machines maps Debian architectures and Go's GOARCH onto uname -m.
var machines = map[string]string{
	"amd64": "x86_64", "arm64": "aarch64", "i386": "i686", "386": "i686",
	"armhf": "armv7l", "armel": "armv5tel", "arm": "armv7l", "ppc64el": "ppc64le", "ppc64le": "ppc64le",
	"s390x": "s390x", "riscv64": "riscv64", "mips64el": "mips64", "loong64": "loongarch64",
}

// uname is uname_object. Live, the kernel's identity from /proc/sys/kernel.
// Offline there is no running kernel: os_name and processor_type come from
// the tree (the architecture its packages are built for); the kernel
// release, version and node name are not collected.
func (s *state) uname(ctx context.Context, _ *oval.Object, env *oval.Env) (oval.Collected, error) {
	t := env.Target
	f := map[string][]oval.Value{}
	if t.Live() {
		for field, p := range map[string]string{
			"os_name": "proc/sys/kernel/ostype", "os_release": "proc/sys/kernel/osrelease",
			"os_version": "proc/sys/kernel/version", "node_name": "proc/sys/kernel/hostname",
		} {
			b, err := target.ReadFile(t, p)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return oval.Collected{}, err
			}
			f[field] = str(strings.TrimSpace(string(b)))
		}
		m := machines[runtime.GOARCH]
		if b, err := target.ReadFile(t, "proc/sys/kernel/arch"); err == nil {
			m = strings.TrimSpace(string(b))
		}
		if m != "" {
			f["machine_class"], f["processor_type"] = str(m), str(m)
		}
		return collected([]oval.Item{{Fields: f}}, "running kernel (/proc/sys/kernel)"), nil
	}
	f["os_name"] = str("Linux")
	arch := ""
	if b, err := target.ReadFile(t, "var/lib/dpkg/arch"); err == nil {
		arch = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	if arch == "" {
		if db, err := s.packages(ctx, env); err == nil {
			for _, p := range db.Packages {
				if (p.Name == "base-files" || p.Name == "libc6" || p.Name == "glibc") && p.Arch != "" && p.Arch != "all" {
					arch = p.Arch
					break
				}
			}
		}
	}
	if m, ok := machines[arch]; ok {
		f["machine_class"], f["processor_type"] = str(m), str(m)
	} else if arch != "" {
		f["machine_class"], f["processor_type"] = str(arch), str(arch)
	}
	return collected([]oval.Item{{Fields: f}},
		"offline: no running kernel; os_name and processor_type come from the tree, os_release, os_version and node_name are not collected"), nil
}

// environment is environmentvariable58_object. Live, the environment of
// the scanning process (pid xsi:nil means the probe's own process, which
// the content uses for login-shell defaults such as PATH). Offline there is
// no process: not collected.
func environment(_ context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	if !env.Target.Live() {
		return notCollected("offline: environment variables belong to running processes, which an offline target has none of"), nil
	}
	if pe := obj.Entity("pid"); pe != nil && !pe.Nil && len(pe.Values) > 0 {
		return notCollected("environment of another process (pid " + strings.Join(pe.Values, ",") + ") is not collected"), nil
	}
	ne := obj.Entity("name")
	var items []oval.Item
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		ok, err := ne.Match(k)
		if err != nil {
			return oval.Collected{}, err
		}
		if ok {
			items = append(items, oval.Item{Fields: map[string][]oval.Value{
				"pid": intv(int64(os.Getpid())), "name": str(k), "value": str(v)}})
		}
	}
	return collected(items, "live: the environment of the scanning process"), nil
}
