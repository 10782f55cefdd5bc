package probes

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func systemdTree() map[string]string {
	return map[string]string{
		"usr/lib/systemd/systemd":                                   "ELF",
		"usr/lib/systemd/system/multi-user.target":                  "[Unit]\nRequires=basic.target\n",
		"usr/lib/systemd/system/graphical.target":                   "[Unit]\nRequires=multi-user.target\nWants=display-manager.service\n",
		"usr/lib/systemd/system/basic.target":                       "[Unit]\nRequires=sysinit.target\nWants=sockets.target\n",
		"usr/lib/systemd/system/sysinit.target":                     "[Unit]\n",
		"usr/lib/systemd/system/sockets.target":                     "[Unit]\n",
		"usr/lib/systemd/system/apparmor.service":                   "[Unit]\nDescription=AppArmor\n[Install]\nWantedBy=sysinit.target\n",
		"usr/lib/systemd/system/auditd.service":                     "[Service]\nExecStart=/sbin/auditd\n[Install]\nWantedBy=multi-user.target\n",
		"usr/lib/systemd/system/telnet.socket":                      "[Socket]\nListenStream=23\n[Install]\nWantedBy=sockets.target\n",
		"usr/lib/systemd/system/rsync.service":                      "[Service]\nExecStart=/usr/bin/rsync\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/sysinit.target.wants/apparmor.service":  "->/usr/lib/systemd/system/apparmor.service",
		"etc/systemd/system/multi-user.target.wants/auditd.service": "->/usr/lib/systemd/system/auditd.service",
		"etc/systemd/system/telnet.socket":                          "->/dev/null",
		"etc/systemd/system/auditd.service.d/override.conf":         "[Service]\nExecStart=\nExecStart=/sbin/auditd -l\n",
		"etc/systemd/system/default.target":                         "->/usr/lib/systemd/system/multi-user.target",
	}
}

func TestUnitDependency(t *testing.T) {
	tg := targettest.Tree(t, systemdTree())
	c := collect(t, tg, object("systemdunitdependency", nil, ent("unit", "multi-user.target")))
	equal(t, "dependency", field(c, "dependency"), "apparmor.service|auditd.service|basic.target|sockets.target|sysinit.target")
}

func TestUnitProperty(t *testing.T) {
	tg := targettest.Tree(t, systemdTree())
	prop := func(unit, property string) []string {
		return field(collect(t, tg, object("systemdunitproperty", nil, ent("unit", unit), ent("property", property))), "value")
	}
	equal(t, "auditd ActiveState", prop("auditd.service", "ActiveState"), "active")
	equal(t, "auditd UnitFileState", prop("auditd.service", "UnitFileState"), "enabled")
	equal(t, "auditd ExecStart (drop-in resets)", prop("auditd.service", "ExecStart"), "/sbin/auditd -l")
	equal(t, "rsync ActiveState", prop("rsync.service", "ActiveState"), "inactive")
	equal(t, "rsync UnitFileState", prop("rsync.service", "UnitFileState"), "disabled")
	equal(t, "telnet LoadState", prop("telnet.socket", "LoadState"), "masked")
	equal(t, "telnet UnitFileState", prop("telnet.socket", "UnitFileState"), "masked")
	equal(t, "absent LoadState", prop("nis.service", "LoadState"), "not-found")
	c := collect(t, tg, object("systemdunitproperty", nil, ent("unit", "pattern match", `^(auditd|rsync)\.service$`), ent("property", "ActiveState")))
	equal(t, "pattern", field(c, "unit"), "auditd.service", "rsync.service")
}

func TestUnitActiveStateLive(t *testing.T) {
	files := systemdTree()
	files["run/systemd/units/invocation:rsync.service"] = "->abc"
	tg := targettest.LiveTree(t, files)
	c := collect(t, tg, object("systemdunitproperty", nil, ent("unit", "rsync.service"), ent("property", "ActiveState")))
	equal(t, "live rsync ActiveState", field(c, "value"), "active")
}
