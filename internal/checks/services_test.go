package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
)

func TestServiceTemplates(t *testing.T) {
	sd := map[string]string{
		"usr/lib/systemd/systemd":                                          "",
		"lib":                                                              "->usr/lib",
		"usr/lib/systemd/system/rpcbind.service":                           "[Service]\n[Install]\nWantedBy=multi-user.target\n",
		"usr/lib/systemd/system/rpcbind.socket":                            "[Socket]\n[Install]\nWantedBy=sockets.target\n",
		"usr/lib/systemd/system/chrony.service":                            "[Service]\n[Install]\nWantedBy=multi-user.target\nAlias=chronyd.service\n",
		"usr/lib/systemd/system/debug-shell.service":                       "[Service]\n[Install]\nWantedBy=sysinit.target\n",
		"usr/lib/systemd/system/serial-getty@.service":                     "[Service]\n[Install]\nWantedBy=getty.target\n",
		"usr/lib/systemd/system/default.target":                            "->graphical.target",
		"etc/systemd/system/multi-user.target.wants/chrony.service":        "->/lib/systemd/system/chrony.service",
		"etc/systemd/system/chronyd.service":                               "->/lib/systemd/system/chrony.service",
		"etc/systemd/system/sockets.target.wants/rpcbind.socket":           "->/lib/systemd/system/rpcbind.socket",
		"etc/systemd/system/ctrl-alt-del.target":                           "->/dev/null",
		"etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service": "->/lib/systemd/system/serial-getty@.service",
	}
	tests := []struct {
		name  string
		tmpl  check.Template
		files map[string]string
		args  string
		want  result.Status
		file  string
	}{
		{"enabled", serviceStateTemplate{}, sd, `{units: [chrony.service], state: enabled}`, result.Pass, "/etc/systemd/system/multi-user.target.wants/chrony.service"},
		{"alias enabled", serviceStateTemplate{}, sd, `{units: [chronyd.service], state: enabled}`, result.Pass, "/etc/systemd/system/multi-user.target.wants/chrony.service"},
		{"any enabled", serviceStateTemplate{}, sd, `{units: [systemd-timesyncd.service, chronyd.service], state: enabled, any: true}`, result.Pass, ""},
		{"absent not enabled", serviceStateTemplate{}, sd, `{units: [systemd-timesyncd.service], state: enabled}`, result.Fail, ""},
		{"absent ok", serviceStateTemplate{}, sd, `{units: [auditd.service], state: enabled, absent_ok: true}`, result.NotApplicable, ""},
		{"socket enabled", serviceStateTemplate{}, sd, `{units: [rpcbind.service, rpcbind.socket], state: not_enabled}`, result.Fail, ""},
		{"disabled", serviceStateTemplate{}, sd, `{units: [rpcbind.service], state: disabled}`, result.Pass, "/usr/lib/systemd/system/rpcbind.service"},
		{"masked", serviceStateTemplate{}, sd, `{units: [ctrl-alt-del.target], state: masked}`, result.Pass, "/etc/systemd/system/ctrl-alt-del.target"},
		{"not masked", serviceStateTemplate{}, sd, `{units: [debug-shell.service], state: masked, absent_ok: true}`, result.Fail, "/usr/lib/systemd/system/debug-shell.service"},
		{"glob instance", serviceStateTemplate{}, sd, `{units: ["serial-getty@*.service"], state: not_enabled}`, result.Fail, "/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"},
		{"no init", serviceStateTemplate{}, map[string]string{"etc/hostname": "x\n"}, `{units: [a.service], state: enabled}`, result.NotApplicable, ""},
		{"default target vendor", defaultTargetTemplate{}, sd, `{allowed: [multi-user.target]}`, result.Fail, "/usr/lib/systemd/system/default.target"},
		{"openrc enabled", serviceStateTemplate{}, map[string]string{"sbin/openrc": "", "etc/init.d/crond": "", "etc/runlevels/default/crond": "->/etc/init.d/crond"},
			`{units: [crond.service], state: enabled}`, result.Pass, "/etc/runlevels/default/crond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, tt.tmpl, tt.args, pkTree(t, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if tt.file != "" && (len(o.Evidence) == 0 || o.Evidence[0].File != tt.file) {
				t.Errorf("evidence %+v, want file %s", o.Evidence, tt.file)
			}
		})
	}
}
