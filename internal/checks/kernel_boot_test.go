package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func grubTree(linux, def string, extra map[string]string) map[string]string {
	files := map[string]string{"etc/default/grub": "GRUB_CMDLINE_LINUX_DEFAULT=\"" + def + "\"\nGRUB_CMDLINE_LINUX=\"" + linux + "\"\n"}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func TestKernelCmdline(t *testing.T) {
	x86 := map[string]string{"boot/config-6.1.0-18-amd64": "CONFIG_X86_64=y\nCONFIG_X86=y\n"}
	arm := map[string]string{"boot/config-6.1.0-18-arm64": "CONFIG_ARM64=y\n"}
	tests := []struct {
		name   string
		files  map[string]string
		live   bool
		args   string
		status result.Status
	}{
		{"no boot loader", map[string]string{"etc/os-release": "ID=alpine\n"}, false, `{param: audit, values: ["1"]}`, result.NotApplicable},
		{"audit on all entries", grubTree("audit=1", "quiet", nil), false, `{param: audit, values: ["1"]}`, result.Pass},
		{"audit on normal entries only", grubTree("", "quiet audit=1", nil), false, `{param: audit, values: ["1"]}`, result.Fail},
		{"audit, recovery disabled", grubTree("", "audit=1", map[string]string{"etc/default/grub.d/r.cfg": "GRUB_DISABLE_RECOVERY=true\n"}), false, `{param: audit, values: ["1"]}`, result.Pass},
		{"last occurrence wins", grubTree("audit=1 audit=0", "", nil), false, `{param: audit, values: ["1"]}`, result.Fail},
		{"grub.d appends", grubTree("", "", map[string]string{"etc/default/grub.d/a.cfg": "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX audit=1\"\n"}), false, `{param: audit, values: ["1"]}`, result.Pass},
		{"stale grub.cfg", grubTree("audit=1", "", map[string]string{"boot/grub/grub.cfg": "menuentry 'Debian' {\n linux /vmlinuz ro quiet\n}\n"}), false, `{param: audit, values: ["1"]}`, result.Fail},
		{"backlog enough", grubTree("audit_backlog_limit=8192", "", nil), false, `{param: audit_backlog_limit, min: 8192}`, result.Pass},
		{"backlog low", grubTree("audit_backlog_limit=320", "", nil), false, `{param: audit_backlog_limit, min: 8192}`, result.Fail},
		{"backlog garbage", grubTree("audit_backlog_limit=lots", "", nil), false, `{param: audit_backlog_limit, min: 8192}`, result.Fail},
		{"init forbidden", grubTree("", "init=/bin/sh", nil), false, `{forbid: [init, rd.break, systemd.debug_shell]}`, result.Fail},
		{"debug shell spelled with a dash", grubTree("systemd.debug-shell=1", "", nil), false, `{forbid: [init, rd.break, systemd.debug_shell]}`, result.Fail},
		{"debug shell explicitly off", grubTree("systemd.debug_shell=0", "", nil), false, `{forbid: [systemd.debug_shell]}`, result.Pass},
		{"debug shell off, dash", grubTree("systemd.debug-shell=no", "", nil), false, `{forbid: [systemd.debug_shell]}`, result.Pass},
		{"debug shell on a tty", grubTree("systemd.debug_shell=/dev/tty2", "", nil), false, `{forbid: [systemd.debug_shell]}`, result.Fail},
		{"debug shell bare", grubTree("systemd.debug_shell", "", nil), false, `{forbid: [systemd.debug_shell]}`, result.Fail},
		{"init is systemd", grubTree("init=/lib/systemd/systemd", "", nil), false, `{forbid: [init, rdinit]}`, result.Pass},
		{"init is /sbin/init", grubTree("init=/sbin/init rdinit=/init", "", nil), false, `{forbid: [init, rdinit]}`, result.Pass},
		{"init is a shell", grubTree("init=/bin/bash", "", nil), false, `{forbid: [init, rdinit]}`, result.Fail},
		{"init off is not an init path", grubTree("init=0", "", nil), false, `{forbid: [init]}`, result.Fail},
		{"forbidden value matched exactly", grubTree("mitigations=0", "", nil), false, `{forbid: ["mitigations=0"]}`, result.Fail},
		{"after -- is init's", grubTree("ro -- init=/bin/sh", "", nil), false, `{forbid: [init]}`, result.Pass},
		{"clean", grubTree("ro", "quiet", nil), false, `{forbid: [init, rd.break]}`, result.Pass},
		{"mitigations off", grubTree("mitigations=off", "", nil), false, `{forbid: ["mitigations=off", nopti]}`, result.Fail},
		{"mitigations auto", grubTree("mitigations=auto", "", nil), false, `{forbid: ["mitigations=off", nopti]}`, result.Pass},
		{"slub_debug P", grubTree("slub_debug=FZP", "", nil), false, `{param: slub_debug, flags: P}`, result.Pass},
		{"slub_debug alone", grubTree("slub_debug", "", nil), false, `{param: slub_debug, flags: P}`, result.Pass},
		{"slub_debug without P", grubTree("slub_debug=F,kmalloc-64", "", nil), false, `{param: slub_debug, flags: P}`, result.Fail},
		{"x86 only on arm64", grubTree("", "", arm), false, `{param: vsyscall, values: [none], arches: [x86_64]}`, result.NotApplicable},
		{"x86 only on x86", grubTree("", "", x86), false, `{param: vsyscall, values: [none], arches: [x86_64]}`, result.Fail},
		{"live running kernel", map[string]string{"proc/cmdline": "BOOT_IMAGE=/vmlinuz ro audit=1\n"}, true, `{param: audit, values: ["1"]}`, result.Pass},
		{"live running kernel without", map[string]string{"proc/cmdline": "BOOT_IMAGE=/vmlinuz ro\n"}, true, `{param: audit, values: ["1"]}`, result.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, kernelCmdlineTemplate{}, tt.args, targettest.Open(t, tt.live, tt.files))
			if o.Status != tt.status {
				t.Fatalf("status %s, want %s: %s %+v", o.Status, tt.status, o.Reason, o.Evidence)
			}
		})
	}
}

func TestKernelConfig(t *testing.T) {
	cfg := "CONFIG_X86_64=y\nCONFIG_X86=y\nCONFIG_MODULE_SIG=y\n# CONFIG_MODULE_SIG_FORCE is not set\nCONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y\nCONFIG_DEVMEM=y\n"
	tests := []struct {
		name   string
		files  map[string]string
		args   string
		status result.Status
	}{
		{"no kernel", map[string]string{"etc/os-release": "ID=debian\n"}, `{option: CONFIG_MODULE_SIG, values: [y]}`, result.NotApplicable},
		{"no config", map[string]string{"boot/vmlinuz-6.1.0-18-amd64": ""}, `{option: CONFIG_MODULE_SIG, values: [y]}`, result.NotApplicable},
		{"set", map[string]string{"boot/config-6.1.0-18-amd64": cfg}, `{option: CONFIG_MODULE_SIG, values: [y]}`, result.Pass},
		{"not set", map[string]string{"boot/config-6.1.0-18-amd64": cfg}, `{option: CONFIG_MODULE_SIG_FORCE, values: [y]}`, result.Fail},
		{"absent counts as not set", map[string]string{"boot/config-6.1.0-18-amd64": cfg}, `{option: CONFIG_KEXEC, values: [n]}`, result.Pass},
		{"must be unset", map[string]string{"boot/config-6.1.0-18-amd64": cfg}, `{option: CONFIG_DEVMEM, values: [n]}`, result.Fail},
		{"equivalent option", map[string]string{"boot/config-6.1.0-18-amd64": cfg}, `{option: CONFIG_MODULE_SIG_FORCE, values: [y], or_options: [CONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y]}`, result.Pass},
		{"equivalent cmdline", map[string]string{"boot/config-6.1.0-18-amd64": cfg, "etc/default/grub": "GRUB_CMDLINE_LINUX=\"module.sig_enforce=1\"\n"}, `{option: CONFIG_MODULE_SIG_FORCE, values: [y], or_cmdline: [module.sig_enforce=1]}`, result.Pass},
		{"equivalent cmdline on normal entries only", map[string]string{"boot/config-6.1.0-18-amd64": cfg, "etc/default/grub": "GRUB_CMDLINE_LINUX_DEFAULT=\"module.sig_enforce=1\"\n"}, `{option: CONFIG_MODULE_SIG_FORCE, values: [y], or_cmdline: [module.sig_enforce=1]}`, result.Fail},
		{"other arch", map[string]string{"boot/config-6.1.0-18-amd64": cfg}, `{option: CONFIG_ARM64_BTI_KERNEL, values: [y], arches: [arm64]}`, result.NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, kernelConfigTemplate{}, tt.args, targettest.Tree(t, tt.files))
			if o.Status != tt.status {
				t.Fatalf("status %s, want %s: %s %+v", o.Status, tt.status, o.Reason, o.Evidence)
			}
		})
	}
}

func TestKernelBootArgs(t *testing.T) {
	for _, args := range []string{`{}`, `{param: audit}`, `{param: audit, values: ["1"], min: 1}`, `{param: "audit=1", values: ["1"]}`, `{forbid: ["a b"]}`, `{values: ["1"], forbid: [x]}`} {
		if err := kcNewErr(kernelCmdlineTemplate{}, args); err == nil {
			t.Errorf("kernel_cmdline New(%s) accepted", args)
		}
	}
	for _, args := range []string{`{}`, `{option: MODULE_SIG, values: [y]}`, `{option: CONFIG_X}`, `{option: CONFIG_X, values: [y], or_options: [X=y]}`, `{option: CONFIG_X, values: [y], or_cmdline: [x]}`} {
		if err := kcNewErr(kernelConfigTemplate{}, args); err == nil {
			t.Errorf("kernel_config New(%s) accepted", args)
		}
	}
}

func TestKernelCmdlineFix(t *testing.T) {
	tg := pkTree(t, grubTree("quiet", "", map[string]string{"boot/grub/grub.cfg": "menuentry 'Debian' {\n linux /vmlinuz ro\n}\n"}))
	c := newCheck(t, kernelCmdlineTemplate{}, `{param: audit, values: ["1"]}`)
	ch := planFix(t, c, tg)
	body, err := ch.ReadFile(grubSnippet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1"`) || !strings.Contains(string(body), `GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT audit=1"`) {
		t.Errorf("snippet:\n%s", body)
	}
	deferred := 0
	for _, op := range ch.Ops() {
		if op.Deferred() {
			deferred++
		}
	}
	if deferred != 1 {
		t.Errorf("%d deferred operations, want the grub.cfg regeneration", deferred)
	}
	// The grub default sources now pass; the stale grub.cfg still fails.
	o := status(c, ch.Overlay())
	for _, e := range o.Evidence {
		if strings.HasPrefix(e.Note, "GRUB_CMDLINE") && e.Observed != "audit=1" {
			t.Errorf("after the fix %s: %s", e.Note, e.Observed)
		}
	}
	// A second rule composes with the first; the same rule replaces its line.
	c2 := newCheck(t, kernelCmdlineTemplate{}, `{param: audit_backlog_limit, min: 8192}`)
	if err := c2.(interface {
		Remediate(context.Context, *facts.Store, *remedy.Changes) error
	}).Remediate(context.Background(), nil, ch); err != nil {
		t.Fatal(err)
	}
	body, _ = ch.ReadFile(grubSnippet)
	if strings.Count(string(body), "audit=1") != 2 || strings.Count(string(body), "audit_backlog_limit=8192") != 2 {
		t.Errorf("composed snippet:\n%s", body)
	}
	if kcNewErr(kernelCmdlineTemplate{}, `{forbid: [init]}`) != nil || newCheck(t, kernelCmdlineTemplate{}, `{forbid: [init]}`).(interface{ Fixable() bool }).Fixable() {
		t.Error("a forbid rule has no native fix")
	}
	// No /etc/default/grub: deferred with the boot loader's tool.
	ch = planFix(t, c, pkTree(t, map[string]string{"boot/loader/entries/a.conf": "title A\noptions ro\n"}))
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() || !strings.Contains(ops[0].Reason, "grubby") {
		t.Errorf("without grub defaults: %+v", ops)
	}
}

func TestKernelCmdlineFixIdempotent(t *testing.T) {
	tg := pkTree(t, grubTree("", "", map[string]string{
		"etc/default/grub.d/99-cradle.cfg": grubSnippetHeader + "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX audit=0\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT audit=0\"\n" +
			"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX pti=on\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT pti=on\"\n",
	}))
	ch := planFix(t, newCheck(t, kernelCmdlineTemplate{}, `{param: audit, values: ["1"]}`), tg)
	body, _ := ch.ReadFile(grubSnippet)
	want := grubSnippetHeader + "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX audit=1\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT audit=1\"\n" +
		"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX pti=on\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT pti=on\"\n"
	if string(body) != want {
		t.Errorf("snippet:\n%s\nwant (the line replaced where it stands):\n%s", body, want)
	}
}
