package checks

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

func TestSysctl(t *testing.T) {
	debian := map[string]string{
		"etc/os-release":                         "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/sysctl.d/99-sysctl.conf":            "->../sysctl.conf",
		"etc/sysctl.conf":                        "#kernel.sysrq=438\n",
		"usr/lib/sysctl.d/99-protect-links.conf": "fs.protected_fifos = 1\nfs.protected_hardlinks = 1\nfs.protected_regular = 2\nfs.protected_symlinks = 1\n",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range debian {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		live  bool
		files map[string]string
		args  string
		want  result.Status
		file  string
		line  int
	}{
		{"persisted vendor", false, debian, `{key: fs.protected_symlinks, value: "1"}`, result.Pass, "/usr/lib/sysctl.d/99-protect-links.conf", 4},
		{"kernel default passes", false, debian, `{key: kernel.randomize_va_space, value: "2"}`, result.Pass, "", 0},
		{"family default", false, debian, `{key: kernel.dmesg_restrict, value: "1"}`, result.Pass, "", 0},
		{"kernel default fails", false, debian, `{key: net.ipv4.conf.all.log_martians, value: "1"}`, result.Fail, "", 0},
		{"unknown default", false, debian, `{key: net.ipv4.tcp_invented, value: "1"}`, result.Error, "", 0},
		{"debian kernel protects links", false, with(map[string]string{"usr/lib/sysctl.d/99-protect-links.conf": ""}), `{key: fs.protected_symlinks, value: "1"}`, result.Pass, "", 0},
		{"alias sets ip_forward", false, with(map[string]string{"etc/sysctl.d/60-x.conf": "net.ipv4.ip_forward = 0\n", "etc/sysctl.d/70-y.conf": "net.ipv4.conf.all.forwarding = 1\n"}),
			`{key: net.ipv4.ip_forward, value: "0"}`, result.Fail, "/etc/sysctl.d/70-y.conf", 1},
		{"rp_filter max passes", false, with(map[string]string{"etc/sysctl.d/60-x.conf": "net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.default.rp_filter = 1\n"}),
			`{keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"], combine: max}`, result.Pass, "/etc/sysctl.d/60-x.conf", 1},
		{"rp_filter max fails", false, with(map[string]string{"etc/sysctl.d/60-x.conf": "net.ipv4.conf.all.rp_filter = 0\n"}),
			`{keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"], combine: max}`, result.Fail, "/etc/sysctl.d/60-x.conf", 1},
		{"rp_filter live interface", true, with(map[string]string{"etc/sysctl.d/60-x.conf": "net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.default.rp_filter = 2\n",
			"proc/sys/net/ipv4/conf/all/rp_filter": "0\n", "proc/sys/net/ipv4/conf/default/rp_filter": "2\n", "proc/sys/net/ipv4/conf/eth0/rp_filter": "0\n"}),
			`{keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"], combine: max}`, result.Fail, "/proc/sys/net/ipv4/conf/all/rp_filter", 0},
		{"require persisted offline", false, debian, `{key: kernel.randomize_va_space, value: "2", require_persisted: true}`, result.Fail, "", 0},
		{"sysctl.conf wins", false, with(map[string]string{"etc/sysctl.d/60-x.conf": "kernel.kptr_restrict = 2\n", "etc/sysctl.conf": "kernel.kptr_restrict=0\n"}),
			`{key: kernel.kptr_restrict, allowed: ["1", "2"]}`, result.Fail, "/etc/sysctl.conf", 1},
		{"keys all and default", false, with(map[string]string{"etc/sysctl.d/60-x.conf": "net.ipv4.conf.all.rp_filter=1\nnet/ipv4/conf/default/rp_filter = 2\n"}),
			`{keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"]}`, result.Pass, "/etc/sysctl.d/60-x.conf", 1},
		{"min", false, with(map[string]string{"etc/sysctl.d/60-x.conf": "kernel.perf_event_paranoid = 3\n"}), `{key: kernel.perf_event_paranoid, min: 2}`, result.Pass, "/etc/sysctl.d/60-x.conf", 1},
		{"live runtime right, unpersisted", true, with(map[string]string{"proc/sys/kernel/randomize_va_space": "2\n"}), `{key: kernel.randomize_va_space, value: "2"}`, result.Pass, "/proc/sys/kernel/randomize_va_space", 0},
		{"live runtime right, require persisted", true, with(map[string]string{"proc/sys/kernel/randomize_va_space": "2\n"}), `{key: kernel.randomize_va_space, value: "2", require_persisted: true}`, result.Fail, "/proc/sys/kernel/randomize_va_space", 0},
		{"live runtime wrong", true, with(map[string]string{"proc/sys/kernel/randomize_va_space": "0\n", "etc/sysctl.d/60-x.conf": "kernel.randomize_va_space = 2\n"}), `{key: kernel.randomize_va_space, value: "2"}`, result.Fail, "/proc/sys/kernel/randomize_va_space", 0},
		{"live persisted wrong", true, with(map[string]string{"proc/sys/kernel/randomize_va_space": "2\n", "etc/sysctl.d/60-x.conf": "kernel.randomize_va_space = 1\n"}), `{key: kernel.randomize_va_space, value: "2"}`, result.Fail, "/proc/sys/kernel/randomize_va_space", 0},
		{"live key absent", true, debian, `{key: kernel.unprivileged_userns_clone, value: "0"}`, result.NotApplicable, "", 0},
		{"live multi-field", true, with(map[string]string{"proc/sys/kernel/printk": "4\t4\t1\t7\n"}), `{key: kernel.printk, value: "4 4 1 7"}`, result.Pass, "/proc/sys/kernel/printk", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, sysctlTemplate{}, tt.args, kcTree(t, tt.live, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if tt.want == result.NotApplicable {
				return
			}
			if e := o.Evidence[0]; e.File != tt.file || e.Line != tt.line || e.Expected == "" {
				t.Errorf("evidence %+v, want %s:%d", e, tt.file, tt.line)
			}
		})
	}
	// A failure says what is wrong in its observed text.
	o := kcEval(t, sysctlTemplate{}, `{key: kernel.randomize_va_space, value: "2", require_persisted: true}`, kcTree(t, true, with(map[string]string{"proc/sys/kernel/randomize_va_space": "2\n"})))
	if e := o.Evidence[0]; o.Status != result.Fail || !strings.Contains(e.Observed, "not persisted") || !strings.Contains(e.Expected, "persisted") {
		t.Errorf("unpersisted evidence reads like a pass: %+v", o.Evidence)
	}
	for _, bad := range []string{`{key: a.b, value: "1", combine: min}`, `{key: x}`, `{value: "1"}`, `{key: a.b, value: "1", min: 1}`, `{key: "net.*.x", value: "1"}`, `{key: a.b, value: "1", what: 1}`} {
		if err := kcNewErr(sysctlTemplate{}, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestKernelModuleDisabled(t *testing.T) {
	tests := []struct {
		name  string
		live  bool
		files map[string]string
		args  string
		want  result.Status
	}{
		{"install false", false, map[string]string{"etc/modprobe.d/cra.conf": "install cramfs /bin/false\n"}, `{module: cramfs}`, result.Pass},
		{"install true dash name", false, map[string]string{"etc/modprobe.d/cra.conf": "install usb_storage /bin/true\n"}, `{module: usb-storage}`, result.Pass},
		{"blacklist only", false, map[string]string{"etc/modprobe.d/cra.conf": "blacklist cramfs\n"}, `{module: cramfs}`, result.Fail},
		{"blacklist accepted", false, map[string]string{"etc/modprobe.d/cra.conf": "blacklist cramfs\n"}, `{module: cramfs, require: either}`, result.Pass},
		{"both missing blacklist", false, map[string]string{"etc/modprobe.d/cra.conf": "install cramfs /bin/false\n"}, `{module: cramfs, require: both}`, result.Fail},
		{"nothing", false, map[string]string{"etc/os-release": "ID=debian\n"}, `{module: cramfs}`, result.Fail},
		{"loaded", true, map[string]string{"etc/modprobe.d/cra.conf": "install sctp /bin/false\n", "proc/modules": "sctp 1 0 - Live 0x0\n"}, `{module: sctp}`, result.Fail},
		{"builtin", false, map[string]string{"etc/modprobe.d/cra.conf": "install udf /bin/false\n", "lib/modules/6.1.0/modules.builtin": "kernel/fs/udf/udf.ko\n"}, `{module: udf}`, result.Fail},
		{"reloading install", false, map[string]string{"etc/modprobe.d/cra.conf": "install dccp /sbin/modprobe --ignore-install dccp\n"}, `{module: dccp}`, result.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, kernelModuleDisabledTemplate{}, tt.args, kcTree(t, tt.live, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%+v)", o.Status, tt.want, o.Evidence)
			}
			if len(o.Evidence) == 0 || o.Evidence[0].Expected == "" {
				t.Errorf("evidence %+v", o.Evidence)
			}
		})
	}
	if err := kcNewErr(kernelModuleDisabledTemplate{}, `{module: x, require: maybe}`); err == nil {
		t.Error("bad require accepted")
	}
}

func TestMountOption(t *testing.T) {
	fstab := "UUID=1 / ext4 errors=remount-ro 0 1\ntmpfs /tmp tmpfs defaults,nodev,nosuid 0 0\n/dev/vg/home /home ext4 defaults 0 2\n"
	tests := []struct {
		name  string
		live  bool
		files map[string]string
		args  string
		want  result.Status
		line  int
	}{
		{"options present", false, map[string]string{"etc/fstab": fstab}, `{mountpoint: /tmp, options: [nodev, nosuid]}`, result.Pass, 2},
		{"option missing", false, map[string]string{"etc/fstab": fstab}, `{mountpoint: /tmp, options: [noexec]}`, result.Fail, 2},
		{"home defaults", false, map[string]string{"etc/fstab": fstab}, `{mountpoint: /home, options: [nodev]}`, result.Fail, 3},
		{"not separate", false, map[string]string{"etc/fstab": fstab}, `{mountpoint: /var/tmp, options: [nodev]}`, result.NotApplicable, 0},
		{"require separate", false, map[string]string{"etc/fstab": fstab}, `{mountpoint: /var/log, require_separate: true}`, result.Fail, 0},
		{"separate", false, map[string]string{"etc/fstab": fstab}, `{mountpoint: /home/, require_separate: true}`, result.Pass, 3},
		{"dev shm builtin", false, map[string]string{"etc/fstab": fstab, "usr/lib/systemd/systemd": ""}, `{mountpoint: /dev/shm, options: [nodev, nosuid]}`, result.Pass, 0},
		{"dev shm noexec", false, map[string]string{"etc/fstab": fstab, "usr/lib/systemd/systemd": ""}, `{mountpoint: /dev/shm, options: [noexec]}`, result.Fail, 0},
		{"live running ok", true, map[string]string{"etc/fstab": fstab, "proc/self/mounts": "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n"}, `{mountpoint: /tmp, options: [nodev, nosuid]}`, result.Pass, 1},
		{"live fstab lacks", true, map[string]string{"etc/fstab": fstab, "proc/self/mounts": "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n"}, `{mountpoint: /tmp, options: [noexec]}`, result.Fail, 1},
		{"live not mounted", true, map[string]string{"etc/fstab": fstab, "proc/self/mounts": "/dev/sda1 / ext4 rw 0 0\n"}, `{mountpoint: /tmp, require_separate: true, options: [nodev]}`, result.Fail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, mountOptionTemplate{}, tt.args, kcTree(t, tt.live, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if e := o.Evidence[0]; e.Line != tt.line || e.Expected == "" || e.File == "" {
				t.Errorf("evidence %+v, want line %d", e, tt.line)
			}
		})
	}
	for _, bad := range []string{`{mountpoint: tmp, options: [nodev]}`, `{mountpoint: /tmp}`, `{mountpoint: /tmp, options: ["nodev,nosuid"]}`} {
		if err := kcNewErr(mountOptionTemplate{}, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestAllValueByKey(t *testing.T) {
	kv := func(k, v string) keyValue { return keyValue{key: k, value: v} }
	for _, tc := range []struct {
		name  string
		in    []keyValue
		want  string
		found bool
	}{
		{"all first", []keyValue{kv("net.ipv4.conf.all.rp_filter", "1"), kv("net.ipv4.conf.default.rp_filter", "0")}, "1", true},
		{"default first", []keyValue{kv("net.ipv4.conf.default.rp_filter", "0"), kv("net.ipv4.conf.all.rp_filter", "2")}, "2", true},
		{"no all key", []keyValue{kv("net.ipv4.conf.default.rp_filter", "0")}, "", false},
		{"empty", nil, "", false},
	} {
		got, found := allValue(tc.in)
		if found != tc.found || got.value != tc.want {
			t.Errorf("%s: allValue = %q, %v; want %q, %v", tc.name, got.value, found, tc.want, tc.found)
		}
	}
}
