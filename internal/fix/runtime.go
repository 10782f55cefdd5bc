package fix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/remedy"
)

// HostRuntime makes runtime changes on the live host the process runs on:
// kernel parameters through /proc/sys and packages through the system's
// package manager. It is only used when the target is the live host.
type HostRuntime struct {
	// ProcSys is the sysctl tree; empty means /proc/sys.
	ProcSys string
	// Timeout bounds one package manager run; zero means 15 minutes.
	Timeout time.Duration
}

// Apply makes rc and returns the previous state for Revert.
func (h HostRuntime) Apply(ctx context.Context, rc remedy.Runtime) (string, error) {
	switch rc.Kind {
	case remedy.KindSysctl:
		p := h.sysctlPath(rc.Key)
		old, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("sysctl %s: %w", rc.Key, err)
		}
		if err := os.WriteFile(p, []byte(rc.Value+"\n"), 0); err != nil {
			return "", fmt.Errorf("sysctl %s=%s: %w", rc.Key, rc.Value, err)
		}
		return strings.TrimSpace(string(old)), nil
	case remedy.KindPackage:
		before := "installed"
		if rc.Action == "install" {
			before = "absent"
		}
		return before, h.pkg(ctx, rc.Action, rc.Key)
	}
	return "", fmt.Errorf("unknown runtime change %q", rc.Kind)
}

// Revert undoes Apply: the old sysctl value is written back; a removed
// package is installed again (its current version, from the configured
// sources) and an installed one removed.
func (h HostRuntime) Revert(ctx context.Context, rc remedy.Runtime, old string) error {
	switch rc.Kind {
	case remedy.KindSysctl:
		if old == "" {
			return nil
		}
		return os.WriteFile(h.sysctlPath(rc.Key), []byte(old+"\n"), 0)
	case remedy.KindPackage:
		action := "install"
		if rc.Action == "install" {
			action = "remove"
		}
		return h.pkg(ctx, action, rc.Key)
	}
	return fmt.Errorf("unknown runtime change %q", rc.Kind)
}

func (h HostRuntime) sysctlPath(key string) string {
	base := h.ProcSys
	if base == "" {
		base = "/proc/sys"
	}
	return filepath.Join(base, filepath.FromSlash(strings.TrimPrefix(sysctl.ProcPath(key), "proc/sys/")))
}

// packageManagers maps a manager binary to its non-interactive commands.
var packageManagers = []struct {
	bin             string
	install, remove []string
}{
	{"apt-get", []string{"install", "-y", "--no-install-recommends"}, []string{"remove", "-y"}},
	{"dnf", []string{"install", "-y"}, []string{"remove", "-y"}},
	{"yum", []string{"install", "-y"}, []string{"remove", "-y"}},
	{"zypper", []string{"--non-interactive", "install"}, []string{"--non-interactive", "remove"}},
	{"apk", []string{"add"}, []string{"del"}},
}

func (h HostRuntime) pkg(ctx context.Context, action, name string) error {
	if strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t\n/") {
		return fmt.Errorf("refusing package name %q", name)
	}
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	for _, pm := range packageManagers {
		bin, err := exec.LookPath(pm.bin)
		if err != nil {
			continue
		}
		if action == "remove" {
			if err := removesOnly(ctx, pm.bin, bin, name); err != nil {
				return err
			}
		}
		args := pm.remove
		if action == "install" {
			args = pm.install
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(append([]string{}, args...), name)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s %s: %w: %s", pm.bin, action, name, err, lastLines(string(out), 5))
		}
		return nil
	}
	return errors.New("no supported package manager found (apt-get, dnf, yum, zypper, apk)")
}

// removesOnly refuses a removal that would take other packages with it
// (package managers remove dependants too): the preflight assessed only
// the named package, and a revert would reinstall only that one.
func removesOnly(ctx context.Context, pm, bin, name string) error {
	var cmd *exec.Cmd
	switch pm {
	case "apt-get":
		cmd = exec.CommandContext(ctx, bin, "-s", "remove", name)
	case "dnf", "yum", "zypper":
		rpm, err := exec.LookPath("rpm")
		if err != nil {
			return nil
		}
		cmd = exec.CommandContext(ctx, rpm, "-e", "--test", name)
	default:
		return nil // apk del refuses to remove what others need
	}
	out, err := cmd.CombinedOutput()
	if pm != "apt-get" {
		if err != nil {
			return fmt.Errorf("removing %s would break other packages: %s", name, lastLines(string(out), 5))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("apt-get -s remove %s: %w: %s", name, err, lastLines(string(out), 5))
	}
	if others := otherRemovals(string(out), name); len(others) > 0 {
		return fmt.Errorf("removing %s would also remove %s; remove them deliberately or waive the rule", name, strings.Join(others, ", "))
	}
	return nil
}

// otherRemovals lists the packages an apt-get simulation ("Remv pkg
// [version]") removes besides name.
func otherRemovals(sim, name string) []string {
	var out []string
	for _, l := range strings.Split(sim, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "Remv" {
			pkg, _, _ := strings.Cut(f[1], ":")
			if pkg != name {
				out = append(out, pkg)
			}
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
