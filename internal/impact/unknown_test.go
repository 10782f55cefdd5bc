package impact

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestUnknownVersusNone rates every kind of effect on targets that do and
// do not carry the source its verdict needs: none only where the source
// was read and showed nothing, unknown where there was nothing to read.
func TestUnknownVersusNone(t *testing.T) {
	quiet := map[string]string{"var/log/auth.log": testdata(t, "auth.log.1")} // root only, in the window
	withJournal := map[string]string{"var/log/journal/0123/system.journal": "LPKSHHRH"}
	journalRead := collect(t, targettest.Tree(t, accountsTree(withJournal)))
	// What a journal reader records when it read the whole window.
	journalRead.AddSource(Source{Name: SourceJournal, Status: SourceRead, Paths: []string{"/var/log/journal"}})

	signals := map[string]*Signals{
		"offline, no logs":               collect(t, targettest.Tree(t, accountsTree(nil))),
		"offline, auth log":              collect(t, targettest.Tree(t, accountsTree(quiet))),
		"offline, journal not read":      collect(t, targettest.Tree(t, accountsTree(withJournal))),
		"offline, journal read":          journalRead,
		"live, systemd":                  collect(t, targettest.LiveTree(t, liveTree(t, nil))),
		"live, PID 1 not systemd":        collect(t, targettest.LiveTree(t, liveTree(t, map[string]string{"proc/1/comm": "tini\n", "proc/1/exe": "->/sbin/tini"}))),
		"live, no /proc/modules":         collect(t, targettest.LiveTree(t, without(liveTree(t, nil), "proc/modules"))),
		"live, no dpkg":                  collect(t, targettest.LiveTree(t, without(liveTree(t, nil), "var/lib/dpkg/info/openssh-server.list", "var/lib/dpkg/info/cron.list", "var/lib/dpkg/info/telnet.list"))),
		"offline live tree (unit files)": collect(t, targettest.Tree(t, liveTree(t, nil))),
	}
	type row struct {
		signals string
		effect  remedy.Effect
		level   string
		want    string
	}
	root := remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}
	pw := remedy.Effect{Kind: remedy.EffectSSHNoPassword}
	carol := remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "carol"}
	avahi := remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "avahi-daemon.service"}
	cramfs := remedy.Effect{Kind: remedy.EffectModuleBlock, Subject: "cramfs"}
	fwd := remedy.Effect{Kind: remedy.EffectSysctl, Subject: "net.ipv6.conf.all.forwarding", Value: "0"}
	noexec := remedy.Effect{Kind: remedy.EffectMountOptions, Subject: "/var/tmp", Value: "noexec"}
	telnet := remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: "telnet"}
	rows := []row{
		// Logins: authentication logs and the journal.
		{"offline, no logs", root, remedy.ImpactUnknown, "no authentication log or journal was read"},
		{"offline, auth log", root, remedy.ImpactNone, "no root SSH login with a password in /var/log/auth.log"},
		{"offline, journal not read", root, remedy.ImpactUnknown, "journal: /var/log/journal/0123/system.journal: corrupt journal file"},
		{"offline, journal read", root, remedy.ImpactNone, "in /var/log/journal covering the last 30 days"},
		{"offline, no logs", carol, remedy.ImpactUnknown, "SSH login by carol not ruled out"},
		{"offline, auth log", carol, remedy.ImpactNone, "no SSH login by carol in /var/log/auth.log"},
		{"offline, journal not read", carol, remedy.ImpactUnknown, "journal: /var/log/journal/0123/system.journal: corrupt journal file"},
		{"offline, journal read", carol, remedy.ImpactNone, "no SSH login by carol"},
		{"offline, no logs", pw, remedy.ImpactUnknown, "password SSH login not ruled out"},
		{"offline, auth log", pw, remedy.ImpactPossible, "can only log in with a password"},
		// Services: sockets (live) and unit files (systemd).
		{"live, systemd", avahi, remedy.ImpactNone, "no listener or connection of avahi-daemon.service in 1 sample(s), no enabled unit depends on it"},
		{"live, PID 1 not systemd", avahi, remedy.ImpactUnknown, `units that depend on avahi-daemon.service not checked: units (PID 1 is "tini" (/sbin/tini), not systemd`},
		{"live, PID 1 not systemd", remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "ssh.service"}, remedy.ImpactObserved, "inbound tcp :22 from 192.0.2.10"},
		{"live, PID 1 not systemd", remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "php8.2-fpm.service"}, remedy.ImpactUnknown, "not systemd"},
		{"offline live tree (unit files)", avahi, remedy.ImpactUnknown, "offline target: listeners and connections of avahi-daemon.service not checked"},
		{"offline live tree (unit files)", remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "php8.2-fpm.service"}, remedy.ImpactObserved, "Requires=php8.2-fpm.service"},
		// Kernel modules: /proc/modules.
		{"live, systemd", cramfs, remedy.ImpactNone, "kernel module cramfs is not loaded"},
		{"live, no /proc/modules", cramfs, remedy.ImpactUnknown, "loaded kernel modules not checked: modules"},
		{"offline live tree (unit files)", cramfs, remedy.ImpactUnknown, "offline target: loaded kernel modules not checked"},
		// Forwarding: running programs and /proc/sys.
		{"live, systemd", fwd, remedy.ImpactObserved, "dockerd is running"},
		{"offline, no logs", fwd, remedy.ImpactUnknown, "offline target: running container runtimes and routers not checked"},
		// noexec: running programs.
		{"live, systemd", noexec, remedy.ImpactNone, "no program running from /var/tmp"},
		{"offline, no logs", noexec, remedy.ImpactUnknown, "offline target: programs running from /var/tmp not checked"},
		// Package removal: running programs and the package's file list.
		{"live, systemd", telnet, remedy.ImpactNone, "no running program or listening unit from package telnet"},
		{"live, systemd", remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: "absent"}, remedy.ImpactNone, "package absent has no dpkg file list: not installed"},
		{"live, no dpkg", telnet, remedy.ImpactUnknown, "no dpkg database"},
		{"offline live tree (unit files)", telnet, remedy.ImpactUnknown, "offline target: running programs of package telnet not checked"},
		// Firewall default deny: listeners and inbound connections.
		{"live, systemd", remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: ""}, remedy.ImpactObserved, "inbound tcp :22 from 192.0.2.10"},
		{"live, systemd", remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22"}, remedy.ImpactObserved, "inbound tcp :80 from 198.51.100.23"},
		{"live, systemd", remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22,tcp/80,tcp/631"}, remedy.ImpactPossible, "no longer reachable from other hosts: udp 0.0.0.0:68"},
		{"live, systemd", remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22,tcp/80,tcp/631,udp/68"}, remedy.ImpactNone, "every listener for other hosts is on a kept port"},
		{"offline, no logs", remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "input", Value: "tcp/22"}, remedy.ImpactUnknown, "offline target: listeners and inbound connections not checked"},
		{"offline, no logs", remedy.Effect{Kind: remedy.EffectFirewallDeny, Subject: "forward"}, remedy.ImpactUnknown, "offline target: forwarded traffic not checked"},
	}
	// Effects without a usage model have no source to miss.
	for _, k := range []remedy.EffectKind{remedy.EffectSSHRestrict, remedy.EffectPermissions, remedy.EffectAuthPolicy, remedy.EffectSchedulerLimit, remedy.EffectOther} {
		rows = append(rows, row{"offline, no logs", remedy.Effect{Kind: k, Subject: "x"}, remedy.ImpactNone, ""})
	}
	for _, r := range rows {
		t.Run(r.signals+"/"+string(r.effect.Kind)+"/"+r.effect.Subject, func(t *testing.T) {
			var want []string
			if r.want != "" {
				want = append(want, r.want)
			}
			wantImpact(t, assess(signals[r.signals], r.effect), r.level, want...)
		})
	}
}

func without(files map[string]string, names ...string) map[string]string {
	for _, n := range names {
		delete(files, n)
	}
	return files
}

// TestAssessOrdering pins the worst-of rule: observed beats unknown,
// unknown beats possible (keeping both evidences) and none.
func TestAssessOrdering(t *testing.T) {
	s := collect(t, targettest.Tree(t, accountsTree(nil))) // offline, no logs
	avahi := remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "avahi-daemon.service"}
	other := remedy.Effect{Kind: remedy.EffectOther}
	wantImpact(t, assess(s, other, avahi), remedy.ImpactUnknown, "offline target")
	got := assess(s, remedy.Effect{Kind: remedy.EffectSSHNoPassword}, other)
	wantImpact(t, got, remedy.ImpactUnknown, "password SSH login not ruled out", "can only log in with a password: bob, carol")
	if !strings.Contains(got.Evidence[0], "not ruled out") {
		t.Errorf("what was not checked comes first: %q", got.Evidence)
	}
	live := collect(t, targettest.LiveTree(t, liveTree(t, nil))) // no logs
	got = assess(live, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "carol"}, remedy.Effect{Kind: remedy.EffectModuleBlock, Subject: "usb-storage"})
	wantImpact(t, got, remedy.ImpactObserved, "usb_storage is loaded")
	if strings.Contains(strings.Join(got.Evidence, "\n"), "carol") {
		t.Errorf("unknown evidence kept under observed: %q", got.Evidence)
	}
	if Rank(remedy.ImpactNone) >= Rank(remedy.ImpactPossible) || Rank(remedy.ImpactPossible) >= Rank(remedy.ImpactUnknown) || Rank(remedy.ImpactUnknown) >= Rank(remedy.ImpactObserved) {
		t.Error("want none < possible < unknown < observed")
	}
}

// TestSources lists what a collection read and missed, and merges records
// of one source by completeness.
func TestSources(t *testing.T) {
	offline := collect(t, targettest.Tree(t, accountsTree(map[string]string{"var/log/auth.log": testdata(t, "auth.log")})))
	live := collect(t, targettest.LiveTree(t, liveTree(t, nil)))
	want := map[*Signals]string{
		offline: "accounts=read auth-log=read(/var/log/auth.log) automation=missing btmp=missing journal=missing lastlog=missing modules=missing processes=missing runtime-sysctl=missing sockets=missing sudo-log=read(/var/log/auth.log) units=missing wtmp=missing",
		live:    "accounts=read auth-log=missing automation=read btmp=missing journal=missing lastlog=missing modules=read(/proc/modules) processes=read(/proc) runtime-sysctl=read(/proc/sys/net/ipv4/ip_forward,/proc/sys/net/ipv6/conf/all/forwarding) sockets=read(/proc/net/tcp,/proc/net/tcp6,/proc/net/udp,/proc/net/udp6) sudo-log=missing units=read(/etc/systemd/system,/usr/lib/systemd/system,/lib/systemd/system) wtmp=missing",
	}
	for s, w := range want {
		var got []string
		for _, src := range s.SourceList() {
			g := src.Name + "=" + src.Status
			if len(src.Paths) > 0 {
				g += "(" + strings.Join(src.Paths, ",") + ")"
			}
			got = append(got, g)
		}
		if strings.Join(got, " ") != w {
			t.Errorf("sources:\n got %s\nwant %s", strings.Join(got, " "), w)
		}
	}
	if src, _ := offline.Source(SourceProcesses); src.Detail != "offline target: nothing is running" {
		t.Errorf("offline processes: %+v", src)
	}

	var s Signals
	s.AddSource(Source{Name: SourceJournal, Status: SourceMissing, Detail: "present but not read", Paths: []string{"/var/log/journal"}})
	s.AddSource(Source{Name: SourceJournal, Status: SourcePartial, Detail: "budget spent", Paths: []string{"/run/log/journal"}})
	s.AddSource(Source{Name: SourceJournal, Status: SourcePartial, Detail: "corrupt file"})
	s.AddSource(Source{Name: "wtmp"})
	got := s.SourceList()
	if len(got) != 2 || got[0].Name != SourceJournal || got[0].Status != SourcePartial || got[0].Detail != "budget spent; corrupt file" ||
		strings.Join(got[0].Paths, ",") != "/var/log/journal,/run/log/journal" || got[1].Status != SourceMissing {
		t.Errorf("merged: %+v", got)
	}
	s.AddSource(Source{Name: SourceJournal, Status: SourceRead})
	if src, _ := s.Source(SourceJournal); src.Status != SourceRead || src.Detail != "" {
		t.Errorf("read wins: %+v", src)
	}
	// Merging signals merges their sources.
	offline.Merge(&s)
	if src, _ := offline.Source(SourceJournal); src.Status != SourceRead {
		t.Errorf("after Merge: %+v", src)
	}
}

// TestUnitsMissingOffline: a tree without unit directories says so rather
// than blaming the offline target.
func TestUnitsMissingOffline(t *testing.T) {
	s := collect(t, targettest.Tree(t, map[string]string{"etc/hostname": "h\n"}))
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "avahi-daemon.service"}), remedy.ImpactUnknown,
		"units that depend on avahi-daemon not checked: units (no systemd unit directory)",
		"offline target: listeners and connections of avahi-daemon not checked")
	noSystemd := collect(t, targettest.Tree(t, map[string]string{"etc/init.d/avahi-daemon": "#!/bin/sh\n", "etc/systemd/system/avahi-daemon.service": "[Unit]\n"}))
	wantImpact(t, assess(noSystemd, remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "avahi-daemon.service"}), remedy.ImpactUnknown,
		"units (the tree has no systemd binary (init system sysv): the unit files do not say what runs)")
}
