package checks

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// fxDebianKmod is Debian 12's modprobe.d layout (merged /usr).
var fxDebianKmod = map[string]string{
	"etc/os-release":                  "ID=debian\nVERSION_ID=\"12\"\n",
	"lib":                             "->usr/lib",
	"usr/lib/modprobe.d/aliases.conf": "alias net-pf-3 off\nalias net-pf-6 off\n",
	"usr/lib/modprobe.d/systemd.conf": "options bonding max_bonds=0\noptions dummy numdummies=0\n",
	"etc/modprobe.d/.keep":            "directory exists\n",
}

// fxRHELKmod is RHEL 9's layout: vendor blacklists in /usr/lib.
var fxRHELKmod = map[string]string{
	"etc/os-release":                         "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n",
	"lib":                                    "->usr/lib",
	"usr/lib/modprobe.d/dist-blacklist.conf": "# watchdog drivers\nblacklist i8xx_tco\n",
	"usr/lib/modprobe.d/sctp-blacklist.conf": "# Remove the blacklist by adding a comment # at the start of the line.\nblacklist sctp\n",
	"etc/modprobe.d/firewalld-sysctls.conf":  "install nf_conntrack /usr/sbin/modprobe --ignore-install nf_conntrack $CMDLINE_OPTS && /usr/sbin/sysctl --quiet --pattern 'net[.]netfilter[.]nf_conntrack.*' --system\n",
}

func TestKmodFix(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  string
		want  string            // planned cradle-blacklist.conf
		other map[string]string // other planned files -> substring
	}{
		{"debian default", fxDebianKmod, `{module: cramfs}`,
			kmodHeader + "\n\ninstall cramfs /bin/false\nblacklist cramfs\n", nil},
		{"blacklist only", fxDebianKmod, `{module: usb-storage, require: blacklist}`,
			kmodHeader + "\n\nblacklist usb-storage\n", nil},
		{"existing blacklist kept", fxRHELKmod, `{module: sctp, require: both}`,
			kmodHeader + "\n\ninstall sctp /bin/false\n", nil},
		{"chained install commented", fxMerge(fxDebianKmod, map[string]string{
			"etc/modprobe.d/00-local.conf": "install dccp /sbin/modprobe --ignore-install dccp\noptions dccp foo=1\n"}),
			`{module: dccp}`, kmodHeader + "\n\ninstall dccp /bin/false\nblacklist dccp\n",
			map[string]string{"etc/modprobe.d/00-local.conf": "#cradle: install dccp /sbin/modprobe --ignore-install dccp\noptions dccp foo=1\n"}},
		{"vendor install masked", fxMerge(fxRHELKmod, map[string]string{
			"usr/lib/modprobe.d/00-vendor.conf": "install tipc /sbin/modprobe --ignore-install tipc\nblacklist floppy\n"}),
			`{module: tipc, require: either}`, kmodHeader + "\n\ninstall tipc /bin/false\nblacklist tipc\n",
			map[string]string{"etc/modprobe.d/00-vendor.conf": "#cradle: install tipc /sbin/modprobe --ignore-install tipc\nblacklist floppy\n",
				"usr/lib/modprobe.d/00-vendor.conf": "install tipc /sbin/modprobe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, kernelModuleDisabledTemplate{}, tt.args, fxTree(t, tt.files))
			if got := planned(t, ch, kmodConf); got != tt.want {
				t.Errorf("%s:\n%s\nwant:\n%s", kmodConf, got, tt.want)
			}
			for p, w := range tt.other {
				fxContains(t, p, planned(t, ch, p), w)
			}
			mod := strings.Fields(strings.Trim(tt.args, "{}"))[1]
			mod = strings.TrimSuffix(mod, ",")
			fxHasEffect(t, ch, remedy.Effect{Kind: remedy.EffectModuleBlock, Subject: mod})
			for _, op := range ch.Ops() {
				if op.Path == "/"+kmodConf && !strings.Contains(op.Summary, "until rmmod or reboot") {
					t.Errorf("summary %q does not say a loaded module stays", op.Summary)
				}
			}
		})
	}
}

func TestKmodFixBuiltinAndLoaded(t *testing.T) {
	ctx := context.Background()
	tg := fxTree(t, fxDebianKmod, map[string]string{"usr/lib/modules/6.1.0-18-amd64/modules.builtin": "kernel/fs/cramfs/cramfs.ko\n"})
	ch := fixRoundTrip(t, kernelModuleDisabledTemplate{}, `{module: cramfs}`, tg)
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() || !strings.Contains(ops[0].Reason, "built into the kernel") {
		t.Errorf("ops %+v", ops)
	}

	live := targettest.LiveTree(t, fxMerge(fxDebianKmod, map[string]string{"proc/modules": "sctp 446464 2 - Live 0x0000000000000000\n"}))
	c := newCheck(t, kernelModuleDisabledTemplate{}, `{module: sctp}`)
	ch = remedy.New(live)
	ch.Begin("kmod.sctp", remedy.Meta{})
	if err := c.(interface {
		Remediate(context.Context, *facts.Store, *remedy.Changes) error
	}).Remediate(ctx, facts.NewStore(ctx, live), ch); err != nil {
		t.Fatal(err)
	}
	var kinds []remedy.Kind
	for _, op := range ch.Ops() {
		kinds = append(kinds, op.Kind)
	}
	if !slices.Equal(kinds, []remedy.Kind{remedy.KindWrite, remedy.KindDeferred}) {
		t.Errorf("ops %v", kinds)
	}
	if !strings.Contains(ch.Ops()[0].Summary, "loaded now") {
		t.Errorf("summary %q", ch.Ops()[0].Summary)
	}
}

// Module rules planned together share one sorted file.
func TestKmodFixComposition(t *testing.T) {
	rules := []string{`{module: usb-storage, require: blacklist}`, `{module: cramfs}`, `{module: usb-storage, require: both}`, `{module: bluetooth, require: either}`}
	ch := planTogether(t, fxTree(t, fxDebianKmod), "kmod", kernelModuleDisabledTemplate{}, rules...)
	want := kmodHeader + "\n\ninstall bluetooth /bin/false\nblacklist bluetooth\n\ninstall cramfs /bin/false\nblacklist cramfs\n\ninstall usb-storage /bin/false\nblacklist usb-storage\n"
	if got := planned(t, ch, kmodConf); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
