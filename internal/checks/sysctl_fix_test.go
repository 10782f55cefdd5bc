package checks

import (
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// fxDebianSysctl is Debian 12's sysctl layout.
var fxDebianSysctl = map[string]string{
	"etc/os-release":                         "ID=debian\nVERSION_ID=\"12\"\n",
	"etc/sysctl.d/99-sysctl.conf":            "->../sysctl.conf",
	"etc/sysctl.d/README.sysctl":             "Kernel system variables configuration files\n",
	"etc/sysctl.conf":                        "#\n# /etc/sysctl.conf - Configuration file for setting system variables\n#kernel.domainname = example.com\n",
	"usr/lib/sysctl.d/50-pid-max.conf":       "kernel.pid_max = 4194304\n",
	"usr/lib/sysctl.d/99-protect-links.conf": "fs.protected_fifos = 1\nfs.protected_hardlinks = 1\nfs.protected_regular = 2\nfs.protected_symlinks = 1\n",
}

// fxRHELSysctl is RHEL 9's layout (systemd's 50-default.conf).
var fxRHELSysctl = map[string]string{
	"etc/os-release":              "ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n",
	"etc/sysctl.d/99-sysctl.conf": "->../sysctl.conf",
	"etc/sysctl.conf":             "# sysctl settings are defined through files in\n# /usr/lib/sysctl.d/, /run/sysctl.d/, and /etc/sysctl.d/.\n",
	"usr/lib/sysctl.d/50-default.conf": "kernel.sysrq = 16\nkernel.core_uses_pid = 1\nnet.ipv4.conf.default.rp_filter = 2\n" +
		"-net.ipv4.conf.all.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\nfs.protected_hardlinks = 1\nfs.protected_symlinks = 1\n",
	"usr/lib/sysctl.d/50-redhat.conf": "kernel.yama.ptrace_scope = 0\nkernel.kptr_restrict = 1\n",
}

func TestSysctlFix(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  string
		paths []string          // files written, sorted
		want  map[string]string // planned file -> substring
	}{
		{"debian default", fxDebianSysctl, `{key: kernel.kptr_restrict, allowed: ["1", "2"]}`,
			[]string{"/etc/sysctl.d/99-zz-cradle.conf"}, map[string]string{sysctlDropIn: sysctlDropInHeader + "kernel.kptr_restrict = 1\n"}},
		{"debian sysctl.conf earlier via 99-sysctl.conf", fxMerge(fxDebianSysctl, map[string]string{"etc/sysctl.conf": "net.ipv4.ip_forward = 1\n"}),
			`{key: net.ipv4.ip_forward, value: "0"}`, []string{"/etc/sysctl.d/99-zz-cradle.conf"}, map[string]string{sysctlDropIn: "net.ipv4.ip_forward = 0\n"}},
		{"sysctl.conf read last", fxMerge(fxDebianSysctl, map[string]string{"etc/sysctl.d/99-sysctl.conf": "", "etc/sysctl.conf": "net.ipv4.ip_forward = 1\n"}),
			`{key: net.ipv4.ip_forward, value: "0"}`, []string{"/etc/sysctl.conf", "/etc/sysctl.d/99-zz-cradle.conf"},
			map[string]string{"etc/sysctl.conf": "#cradle: net.ipv4.ip_forward = 1\n"}},
		{"later etc file commented", fxMerge(fxDebianSysctl, map[string]string{"etc/sysctl.d/zz-local.conf": "kernel.randomize_va_space = 0\nvm.swappiness = 10\n"}),
			`{key: kernel.randomize_va_space, value: "2"}`, []string{"/etc/sysctl.d/99-zz-cradle.conf", "/etc/sysctl.d/zz-local.conf"},
			map[string]string{"etc/sysctl.d/zz-local.conf": "#cradle: kernel.randomize_va_space = 0\nvm.swappiness = 10\n"}},
		{"later vendor file masked", fxMerge(fxDebianSysctl, map[string]string{"usr/lib/sysctl.d/zz-vendor.conf": "kernel.sysrq = 1\nkernel.pid_max = 65536\n"}),
			`{key: kernel.sysrq, value: "0"}`, []string{"/etc/sysctl.d/99-zz-cradle.conf", "/etc/sysctl.d/zz-vendor.conf"},
			map[string]string{"etc/sysctl.d/zz-vendor.conf": "#cradle: kernel.sysrq = 1\nkernel.pid_max = 65536\n", "usr/lib/sysctl.d/zz-vendor.conf": "kernel.sysrq = 1\n"}},
		{"earlier vendor file overridden", fxRHELSysctl, `{key: kernel.sysrq, value: "0"}`,
			[]string{"/etc/sysctl.d/99-zz-cradle.conf"}, map[string]string{sysctlDropIn: "kernel.sysrq = 0\n", "usr/lib/sysctl.d/50-default.conf": "kernel.sysrq = 16\n"}},
		{"rhel keys and glob", fxMerge(fxRHELSysctl, map[string]string{"etc/sysctl.d/zz-lab.conf": "net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.*.rp_filter = 0\n"}),
			`{keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"]}`,
			[]string{"/etc/sysctl.d/99-zz-cradle.conf", "/etc/sysctl.d/zz-lab.conf"},
			map[string]string{sysctlDropIn: "net.ipv4.conf.all.rp_filter = 1\n", "etc/sysctl.d/zz-lab.conf": "#cradle: net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.*.rp_filter = 0\n"}},
		{"later file sets the other name", fxMerge(fxDebianSysctl, map[string]string{"etc/sysctl.d/zz-router.conf": "net.ipv4.conf.all.forwarding = 1\n"}),
			`{key: net.ipv4.ip_forward, value: "0"}`, []string{"/etc/sysctl.d/99-zz-cradle.conf", "/etc/sysctl.d/zz-router.conf"},
			map[string]string{sysctlDropIn: "net.ipv4.ip_forward = 0\n", "etc/sysctl.d/zz-router.conf": "#cradle: net.ipv4.conf.all.forwarding = 1\n"}},
		{"min", fxMerge(fxRHELSysctl, map[string]string{"etc/sysctl.d/10-perf.conf": "kernel.perf_event_paranoid = -1\n"}),
			`{key: kernel.perf_event_paranoid, min: 2}`, []string{"/etc/sysctl.d/99-zz-cradle.conf"}, map[string]string{sysctlDropIn: "kernel.perf_event_paranoid = 2\n"}},
		{"require persisted", fxRHELSysctl, `{key: kernel.randomize_va_space, value: "2", require_persisted: true}`,
			[]string{"/etc/sysctl.d/99-zz-cradle.conf"}, map[string]string{sysctlDropIn: "kernel.randomize_va_space = 2\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, sysctlTemplate{}, tt.args, fxTree(t, tt.files))
			got := fxPaths(ch)
			slices.Sort(got)
			if !slices.Equal(got, tt.paths) {
				t.Errorf("writes %v, want %v", got, tt.paths)
			}
			for p, w := range tt.want {
				fxContains(t, p, planned(t, ch, p), w)
			}
			if len(ch.RuntimeChanges()) != 0 {
				t.Errorf("offline plan has runtime changes %+v", ch.RuntimeChanges())
			}
			for _, op := range ch.Ops() {
				if len(op.Effects) == 0 || op.Effects[0].Kind != remedy.EffectSysctl {
					t.Errorf("op %s %s without sysctl effect", op.Kind, op.Path)
				}
			}
		})
	}
}

func TestSysctlFixLive(t *testing.T) {
	tg := targettest.LiveTree(t, fxMerge(fxDebianSysctl, map[string]string{
		"proc/sys/kernel/randomize_va_space": "0\n",
		"proc/sys/kernel/dmesg_restrict":     "1\n",
	}))
	ch := fixRoundTrip(t, sysctlTemplate{}, `{key: kernel.randomize_va_space, value: "2"}`, tg)
	rt := ch.RuntimeChanges()
	if len(rt) != 1 || rt[0].Key != "kernel.randomize_va_space" || rt[0].Value != "2" || rt[0].Old != "0" {
		t.Errorf("runtime %+v", rt)
	}
	fxContains(t, "drop-in", planned(t, ch, sysctlDropIn), "kernel.randomize_va_space = 2\n")
	fxHasEffect(t, ch, remedy.Effect{Kind: remedy.EffectSysctl, Subject: "kernel.randomize_va_space", Value: "2"})

	// Running value right, persisted value wrong: only the file changes.
	tg = targettest.LiveTree(t, fxMerge(fxDebianSysctl, map[string]string{
		"proc/sys/kernel/dmesg_restrict": "1\n",
		"etc/sysctl.d/10-dmesg.conf":     "kernel.dmesg_restrict = 0\n",
	}))
	ch = fixRoundTrip(t, sysctlTemplate{}, `{key: kernel.dmesg_restrict, value: "1"}`, tg)
	if len(ch.RuntimeChanges()) != 0 {
		t.Errorf("runtime %+v", ch.RuntimeChanges())
	}
}

// Two sysctl rules planned into one change set share the drop-in.
func TestSysctlFixComposition(t *testing.T) {
	tg := fxTree(t, fxRHELSysctl, map[string]string{"etc/sysctl.d/99-zz-cradle-break.conf": "kernel.kptr_restrict = 0\nfs.suid_dumpable = 2\n"})
	rules := []string{
		`{key: kernel.kptr_restrict, allowed: ["1", "2"]}`,
		`{key: fs.suid_dumpable, value: "0"}`,
		`{key: kernel.yama.ptrace_scope, min: 1}`,
		`{key: kernel.kptr_restrict, value: "2"}`,
	}
	ch := planTogether(t, tg, "sysctl", sysctlTemplate{}, rules...)
	got := planned(t, ch, sysctlDropIn)
	want := sysctlDropInHeader + "kernel.kptr_restrict = 2\nfs.suid_dumpable = 0\nkernel.yama.ptrace_scope = 1\n"
	if got != want {
		t.Errorf("drop-in:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Count(strings.Join(fxPaths(ch), " "), "99-zz-cradle.conf"); n != 1 {
		t.Errorf("drop-in written %d times", n)
	}
}
