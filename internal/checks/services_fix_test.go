package checks

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// opLines renders ops as "kind path from -> to" lines for assertions.
func opLines(ch *remedy.Changes) []string {
	var out []string
	for _, op := range ch.Ops() {
		if op.Deferred() {
			out = append(out, fmt.Sprintf("deferred %s: %s", op.Summary, op.Reason))
			continue
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s -> %s", op.Kind, op.Path, op.From, op.To)))
	}
	return out
}

func hasOp(ops []string, sub string) bool {
	for _, o := range ops {
		if strings.Contains(o, sub) {
			return true
		}
	}
	return false
}

// debianUnits is a usr-merged Debian 12 style unit tree.
var debianUnits = map[string]string{
	"usr/lib/systemd/systemd":                                              "",
	"bin":                                                                  "->usr/bin",
	"lib":                                                                  "->usr/lib",
	"usr/lib/systemd/system/rpcbind.service":                               "[Unit]\nDescription=RPC bind\n\n[Service]\nExecStart=/sbin/rpcbind -f -w\n\n[Install]\nWantedBy=multi-user.target\nAlso=rpcbind.socket\n",
	"usr/lib/systemd/system/rpcbind.socket":                                "[Socket]\nListenStream=/run/rpcbind.sock\n\n[Install]\nWantedBy=sockets.target\n",
	"usr/lib/systemd/system/rsyslog.service":                               "[Service]\nExecStart=/usr/sbin/rsyslogd -n\n\n[Install]\nWantedBy=multi-user.target\nAlias=syslog.service\n",
	"usr/lib/systemd/system/debug-shell.service":                           "[Service]\nExecStart=/bin/sh\n\n[Install]\nWantedBy=sysinit.target\n",
	"usr/lib/systemd/system/serial-getty@.service":                         "[Service]\nExecStart=-/sbin/agetty %I\n\n[Install]\nWantedBy=getty.target\n",
	"usr/lib/systemd/system/getty@.service":                                "[Service]\nExecStart=-/sbin/agetty %I\n\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n",
	"usr/lib/systemd/system/systemd-networkd.service":                      "[Service]\n",
	"usr/lib/systemd/system/static.service":                                "[Service]\nExecStart=/bin/true\n",
	"usr/lib/systemd/system/multi-user.target":                             "[Unit]\n",
	"usr/lib/systemd/system/graphical.target":                              "[Unit]\n",
	"usr/lib/systemd/system/ctrl-alt-del.target":                           "->reboot.target",
	"usr/lib/systemd/system/reboot.target":                                 "[Unit]\n",
	"usr/lib/systemd/system/default.target":                                "->graphical.target",
	"usr/lib/systemd/system/sysinit.target.wants/systemd-networkd.service": "->../systemd-networkd.service",
	"etc/systemd/system/multi-user.target.wants/rpcbind.service":           "->/lib/systemd/system/rpcbind.service",
	"etc/systemd/system/sockets.target.wants/rpcbind.socket":               "->/lib/systemd/system/rpcbind.socket",
	"etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service":     "->/lib/systemd/system/serial-getty@.service",
	"etc/systemd/system/getty.target.wants/serial-getty@ttyAMA0.service":   "->/lib/systemd/system/serial-getty@.service",
	"etc/systemd/system/sysinit.target.wants/debug-shell.service":          "->/lib/systemd/system/debug-shell.service",
	"etc/systemd/system/local.service":                                     "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	"etc/systemd/system/multi-user.target.wants/local.service":             "->/etc/systemd/system/local.service",
}

func with(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestServiceStateFix(t *testing.T) {
	rsyslogEnabled := with(debianUnits,
		"etc/systemd/system/multi-user.target.wants/rsyslog.service", "->/lib/systemd/system/rsyslog.service",
		"etc/systemd/system/syslog.service", "->/lib/systemd/system/rsyslog.service")
	tests := []struct {
		name    string
		files   map[string]string
		args    string
		want    []string // substrings of ops
		deny    []string
		effects []string // units with a service.disable effect
	}{
		{"disable service and socket", debianUnits, `{units: [rpcbind.service, rpcbind.socket], state: not_enabled}`,
			[]string{"file.remove /etc/systemd/system/multi-user.target.wants/rpcbind.service symlink to /lib/systemd/system/rpcbind.service", "file.remove /etc/systemd/system/sockets.target.wants/rpcbind.socket"},
			[]string{"/dev/null"}, []string{"rpcbind.service", "rpcbind.socket"}},
		{"disable removes alias links", rsyslogEnabled, `{units: [rsyslog.service], state: disabled}`,
			[]string{"file.remove /etc/systemd/system/multi-user.target.wants/rsyslog.service", "file.remove /etc/systemd/system/syslog.service"}, nil, []string{"rsyslog.service"}},
		{"disable through the alias keeps the alias", rsyslogEnabled, `{units: [syslog.service], state: disabled}`,
			[]string{"file.remove /etc/systemd/system/multi-user.target.wants/rsyslog.service"}, []string{"file.remove /etc/systemd/system/syslog.service"}, nil},
		{"instances by glob", debianUnits, `{units: ["serial-getty@*.service"], state: not_enabled}`,
			[]string{"getty.target.wants/serial-getty@ttyS0.service", "getty.target.wants/serial-getty@ttyAMA0.service"}, nil, []string{"serial-getty@ttyS0.service"}},
		{"one instance", debianUnits, `{units: ["serial-getty@ttyS0.service"], state: disabled}`,
			[]string{"getty.target.wants/serial-getty@ttyS0.service"}, []string{"ttyAMA0"}, nil},
		{"mask", debianUnits, `{units: [debug-shell.service], state: masked, absent_ok: true}`,
			[]string{"file.symlink /etc/systemd/system/debug-shell.service  -> symlink to /dev/null"}, nil, []string{"debug-shell.service"}},
		{"mask a vendor alias", debianUnits, `{units: [ctrl-alt-del.target], state: masked, absent_ok: true}`,
			[]string{"file.symlink /etc/systemd/system/ctrl-alt-del.target  -> symlink to /dev/null"}, nil, nil},
		{"vendor enablement is masked", debianUnits, `{units: [systemd-networkd.service], state: not_enabled}`,
			[]string{"file.symlink /etc/systemd/system/systemd-networkd.service  -> symlink to /dev/null"}, nil, []string{"systemd-networkd.service"}},
		{"local unit file", debianUnits, `{units: [local.service], state: disabled}`,
			[]string{"file.remove /etc/systemd/system/multi-user.target.wants/local.service"}, []string{"local.service  ->"}, nil},
		{"enable from WantedBy", debianUnits, `{units: [rsyslog.service], state: enabled}`,
			[]string{"file.symlink /etc/systemd/system/multi-user.target.wants/rsyslog.service  -> symlink to /usr/lib/systemd/system/rsyslog.service", "file.symlink /etc/systemd/system/syslog.service"}, nil, nil},
		{"enable an instance", with(debianUnits, "etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service", ""), `{units: ["serial-getty@ttyS0.service"], state: enabled}`,
			[]string{"file.symlink /etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service  -> symlink to /usr/lib/systemd/system/serial-getty@.service"}, nil, nil},
		{"enable a template with DefaultInstance", debianUnits, `{units: ["getty@.service"], state: enabled}`,
			[]string{"getty.target.wants/getty@tty1.service"}, nil, nil},
		{"enable any: first installed", debianUnits, `{units: [chrony.service, rsyslog.service], state: enabled, any: true}`,
			[]string{"multi-user.target.wants/rsyslog.service"}, []string{"chrony"}, nil},
		{"enable unmasks", with(debianUnits, "etc/systemd/system/rsyslog.service", "->/dev/null"), `{units: [rsyslog.service], state: enabled}`,
			[]string{"file.remove /etc/systemd/system/rsyslog.service symlink to /dev/null", "multi-user.target.wants/rsyslog.service"}, nil, nil},
		{"enable missing unit names the package", debianUnits, `{units: [auditd.service], state: enabled, package: auditd}`,
			[]string{"deferred enable auditd.service: unit file not installed (auditd.service); install package auditd first"}, nil, nil},
		{"enable static unit", debianUnits, `{units: [static.service], state: enabled}`,
			[]string{"deferred enable static.service: /usr/lib/systemd/system/static.service has no WantedBy="}, nil, nil},
		{"mask keeps a local unit file", debianUnits, `{units: [local.service], state: masked}`,
			[]string{"deferred mask local.service: /etc/systemd/system/local.service is a local unit file"}, nil, nil},
		{"sysv", map[string]string{"etc/init.d/rpcbind": "#!/bin/sh\n", "etc/rc2.d/S01rpcbind": "->../init.d/rpcbind"}, `{units: [rpcbind.service], state: not_enabled}`,
			[]string{"deferred make rpcbind.service not_enabled: the target uses sysv"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, serviceStateTemplate{}, tt.args, pkTree(t, tt.files))
			ops := opLines(ch)
			for _, w := range tt.want {
				if !hasOp(ops, w) {
					t.Errorf("no op %q in\n%s", w, strings.Join(ops, "\n"))
				}
			}
			for _, d := range tt.deny {
				if hasOp(ops, d) {
					t.Errorf("unexpected op %q in\n%s", d, strings.Join(ops, "\n"))
				}
			}
			for _, u := range tt.effects {
				if !hasEffect(ch, remedy.Effect{Kind: remedy.EffectServiceOff, Subject: u}) {
					t.Errorf("no service.disable effect for %s", u)
				}
			}
			for _, op := range ch.Ops() {
				if (op.Kind == remedy.KindRemove || strings.Contains(op.To, "/dev/null")) && !strings.HasPrefix(op.Summary, "unmask") && !strings.Contains(op.Summary, "keeps running") {
					t.Errorf("summary %q does not say the unit keeps running", op.Summary)
				}
			}
		})
	}
}

func TestDefaultTargetFix(t *testing.T) {
	rhel := map[string]string{
		"usr/lib/systemd/systemd":                  "",
		"usr/lib/systemd/system/multi-user.target": "[Unit]\n",
		"usr/lib/systemd/system/graphical.target":  "[Unit]\n",
		"etc/systemd/system/default.target":        "->/usr/lib/systemd/system/graphical.target",
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"debian vendor default", debianUnits, "file.symlink /etc/systemd/system/default.target  -> symlink to /usr/lib/systemd/system/multi-user.target"},
		{"rhel local link", rhel, "file.symlink /etc/systemd/system/default.target symlink to /usr/lib/systemd/system/graphical.target -> symlink to /usr/lib/systemd/system/multi-user.target"},
		{"target not installed", with(rhel, "usr/lib/systemd/system/multi-user.target", ""), "deferred set the default target to multi-user.target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, defaultTargetTemplate{}, `{allowed: [multi-user.target]}`, pkTree(t, tt.files))
			if ops := opLines(ch); !hasOp(ops, tt.want) {
				t.Errorf("no op %q in\n%s", tt.want, strings.Join(ops, "\n"))
			}
		})
	}
}
