package impact

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestServiceDisable(t *testing.T) {
	s := collect(t, targettest.LiveTree(t, liveTree(t, nil)))
	offline := collect(t, targettest.Tree(t, liveTree(t, nil)))
	tests := []struct {
		name  string
		s     *Signals
		unit  string
		level string
		want  []string
	}{
		{"ssh listener with a client", s, "ssh.service", remedy.ImpactObserved, []string{
			"ssh.service is listening on tcp 0.0.0.0:22 (sshd, ssh.service), tcp [::]:22 (sshd, ssh.service)",
			"1 established connection(s) seen in 1 sample(s): inbound tcp :22 from 192.0.2.10"}},
		{"alias resolves to the unit", s, "sshd.service", remedy.ImpactObserved, []string{"inbound tcp :22 from 192.0.2.10"}},
		{"loopback listener only", s, "mariadb.service", remedy.ImpactPossible, []string{"mariadb.service is listening on tcp 127.0.0.1:3306 (mariadbd, mariadb.service)"}},
		{"outbound connection", s, "pgbackrest", remedy.ImpactObserved, []string{"outbound tcp to 10.0.0.15:5432"}},
		{"v4-mapped client of nginx", s, "nginx.service", remedy.ImpactObserved, []string{"tcp [::]:80 (nginx, nginx.service)", "inbound tcp :80 from 198.51.100.23"}},
		{"socket activation held by PID 1", s, "cups.service", remedy.ImpactPossible, []string{"tcp 0.0.0.0:631 (systemd, init.scope)"}},
		{"required by an enabled unit", s, "php8.2-fpm.service", remedy.ImpactObserved, []string{
			"enabled unit nginx.service has Requires=php8.2-fpm.service (/usr/lib/systemd/system/nginx.service)"}},
		{"wanted by an enabled unit; disabled BindsTo ignored", s, "redis-server.service", remedy.ImpactPossible, []string{
			"enabled unit nginx.service has Wants=redis-server.service"}},
		{"wants link of an enabled unit", s, "mariadb.service", remedy.ImpactPossible, []string{
			"enabled unit pgbackrest.service has Wants=mariadb.service (/etc/systemd/system/pgbackrest.service.wants/mariadb.service)"}},
		{"unused", s, "avahi-daemon.service", remedy.ImpactNone, []string{"no listener or connection of avahi-daemon.service in 1 sample(s)"}},
		{"offline: dependencies only", offline, "php8.2-fpm.service", remedy.ImpactObserved, []string{"Requires=php8.2-fpm.service"}},
		{"offline: no sockets", offline, "ssh.service", remedy.ImpactUnknown, []string{"offline target: listeners and connections of ssh.service not checked", "no enabled unit depends on it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := assess(tc.s, remedy.Effect{Kind: remedy.EffectServiceOff, Subject: tc.unit})
			wantImpact(t, got, tc.level, tc.want...)
			if strings.Contains(strings.Join(got.Evidence, "\n"), "legacy-report") {
				t.Errorf("disabled unit named as dependent: %q", got.Evidence)
			}
		})
	}
}

func TestModuleBlock(t *testing.T) {
	s := collect(t, targettest.LiveTree(t, liveTree(t, nil)))
	offline := collect(t, targettest.Tree(t, liveTree(t, nil)))
	tests := []struct {
		name, mod, level string
		s                *Signals
		want             string
	}{
		{"loaded and used", "usb-storage", remedy.ImpactObserved, s, "kernel module usb_storage is loaded (refcount 1, used by uas)"},
		{"loaded, unused", "nf_tables", remedy.ImpactObserved, s, "kernel module nf_tables is loaded (refcount 0)"},
		{"not loaded", "cramfs", remedy.ImpactNone, s, "kernel module cramfs is not loaded"},
		{"offline", "usb-storage", remedy.ImpactUnknown, offline, "offline target: loaded kernel modules not checked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantImpact(t, assess(tc.s, remedy.Effect{Kind: remedy.EffectModuleBlock, Subject: tc.mod}), tc.level, tc.want)
		})
	}
}

func TestSysctlForwarding(t *testing.T) {
	fw := func(key string) remedy.Effect {
		return remedy.Effect{Kind: remedy.EffectSysctl, Subject: key, Value: "0"}
	}
	running := collect(t, targettest.LiveTree(t, liveTree(t, nil)))
	noDocker := liveTree(t, map[string]string{"proc/950/comm": "", "proc/sys/net/ipv4/ip_forward": "0\n"})
	delete(noDocker, "proc/950/comm")
	installed := collect(t, targettest.LiveTree(t, noDocker))
	offline := collect(t, targettest.Tree(t, map[string]string{
		"usr/lib/systemd/systemd":                                   "",
		"etc/frr/frr.conf":                                          "frr defaults traditional\nhostname edge1\n!\nrouter bgp 64512\n",
		"usr/lib/systemd/system/docker.service":                     "[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/multi-user.target.wants/docker.service": "->/usr/lib/systemd/system/docker.service",
	}))
	bare := collect(t, targettest.Tree(t, map[string]string{"etc/hostname": "db1\n"}))
	bareLive := collect(t, targettest.LiveTree(t, map[string]string{"etc/hostname": "db1\n", "proc/1/comm": "systemd\n", "proc/sys/net/ipv4/ip_forward": "0\n"}))
	forwardingOn := collect(t, targettest.LiveTree(t, map[string]string{"proc/sys/net/ipv4/ip_forward": "1\n"}))
	tests := []struct {
		name   string
		s      *Signals
		effect remedy.Effect
		level  string
		want   []string
	}{
		{"runtime running", running, fw("net.ipv4.ip_forward"), remedy.ImpactObserved, []string{
			"container runtime or router running: dockerd is running (docker.service)", "net.ipv4.ip_forward is 1 at runtime"}},
		{"ipv6 key", running, fw("net.ipv6.conf.all.forwarding"), remedy.ImpactObserved, nil},
		{"runtime installed", installed, fw("net.ipv4.conf.all.forwarding"), remedy.ImpactPossible, []string{"container runtime or router installed: /usr/bin/dockerd"}},
		{"offline router and enabled unit", offline, fw("net.ipv4.ip_forward"), remedy.ImpactUnknown, []string{"offline target: running container runtimes and routers not checked", "/etc/frr/frr.conf", "docker.service is enabled"}},
		{"forwarding on, nothing known", forwardingOn, fw("net.ipv4.ip_forward"), remedy.ImpactPossible, []string{"net.ipv4.ip_forward is 1 at runtime"}},
		{"nothing offline", bare, fw("net.ipv4.ip_forward"), remedy.ImpactUnknown, []string{"offline target: the running forwarding switches not checked"}},
		{"nothing live", bareLive, fw("net.ipv4.ip_forward"), remedy.ImpactNone, []string{"no container runtime or router found"}},
		{"forwarding switched on", running, remedy.Effect{Kind: remedy.EffectSysctl, Subject: "net.ipv4.ip_forward", Value: "1"}, remedy.ImpactNone, nil},
		{"user namespaces off with a runtime", running, remedy.Effect{Kind: remedy.EffectSysctl, Subject: "user.max_user_namespaces", Value: "0"}, remedy.ImpactPossible, []string{"user namespaces"}},
		{"user namespaces off without one", bareLive, remedy.Effect{Kind: remedy.EffectSysctl, Subject: "user.max_user_namespaces", Value: "0"}, remedy.ImpactNone, nil},
		{"user namespaces off offline", bare, remedy.Effect{Kind: remedy.EffectSysctl, Subject: "user.max_user_namespaces", Value: "0"}, remedy.ImpactUnknown, nil},
		{"unrelated key", running, remedy.Effect{Kind: remedy.EffectSysctl, Subject: "kernel.kptr_restrict", Value: "2"}, remedy.ImpactNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantImpact(t, assess(tc.s, tc.effect), tc.level, tc.want...)
		})
	}
}

func TestPackageRemove(t *testing.T) {
	s := collect(t, targettest.LiveTree(t, liveTree(t, nil)))
	tests := []struct {
		pkg, level string
		want       []string
	}{
		{"openssh-server", remedy.ImpactObserved, []string{
			"running programs from package openssh-server: sshd (pid 2211, ssh.service) runs /usr/sbin/sshd",
			"units of package openssh-server are listening: tcp 0.0.0.0:22 (ssh.service)"}},
		{"cron", remedy.ImpactObserved, []string{"cron (pid 1000, cron.service) runs /usr/sbin/cron"}},
		{"telnet", remedy.ImpactNone, []string{"no running program or listening unit from package telnet"}},
		{"not-installed", remedy.ImpactNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: tc.pkg}), tc.level, tc.want...)
		})
	}
}

func TestMountNoexec(t *testing.T) {
	files := liveTree(t, map[string]string{
		"opt/tools/run.sh":    "#!/bin/sh\n",
		"proc/1200/comm":      "agent\n",
		"proc/1200/exe":       "->/srv/agent/bin/agent",
		"proc/1200/cgroup":    "0::/system.slice/agent.service\n",
		"srv/agent/bin/agent": "ELF",
		"var/tmp/notes.txt":   "x",
	})
	dir := targettest.Dir(t, files)
	if err := chmod(dir, "opt/tools/run.sh", 0o755); err != nil {
		t.Fatal(err)
	}
	s := collect(t, openLive(t, dir))
	tests := []struct {
		mnt, opts, level string
		want             []string
	}{
		{"/srv", "nodev,noexec", remedy.ImpactObserved, []string{"programs running from /srv: agent (/srv/agent/bin/agent)"}},
		{"/opt/tools", "noexec", remedy.ImpactPossible, []string{"executable files on /opt/tools: /opt/tools/run.sh"}},
		{"/var/tmp", "noexec,nosuid", remedy.ImpactNone, nil},
		{"/srv", "nodev", remedy.ImpactNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.mnt+" "+tc.opts, func(t *testing.T) {
			wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectMountOptions, Subject: tc.mnt, Value: tc.opts}), tc.level, tc.want...)
		})
	}
}

func TestAssessWorstOfEffects(t *testing.T) {
	s := collect(t, targettest.LiveTree(t, liveTree(t, map[string]string{"var/log/auth.log": testdata(t, "auth.log")})))
	if got := s.Assess(&remedy.Op{}); got.Level != remedy.ImpactNone || len(got.Evidence) != 0 {
		t.Errorf("no effects: %+v", got)
	}
	got := assess(s,
		remedy.Effect{Kind: remedy.EffectModuleBlock, Subject: "cramfs"},
		remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "mariadb.service"},
		remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "no"},
		remedy.Effect{Kind: remedy.EffectOther},
	)
	wantImpact(t, got, remedy.ImpactObserved, "root logged in over SSH 2 times")
	if strings.Contains(strings.Join(got.Evidence, "\n"), "mariadb") {
		t.Errorf("evidence of a lower level kept: %q", got.Evidence)
	}
}

func TestLearnAndMerge(t *testing.T) {
	files := liveTree(t, map[string]string{"var/log/auth.log": testdata(t, "auth.log")})
	tg := targettest.LiveTree(t, files)
	var calls int
	s, err := Learn(context.Background(), tg, 0, time.Millisecond, Options{Now: now}, func(_ time.Duration, n int) { calls = n })
	if err != nil {
		t.Fatal(err)
	}
	if s.Samples != 1 || calls != 1 {
		t.Errorf("samples = %d, progress saw %d", s.Samples, calls)
	}
	if len(s.Logins) != 4 {
		t.Errorf("logins = %d", len(s.Logins))
	}
	// A second look (the same state) merges without duplicates and counts
	// the sample.
	s2 := collect(t, tg)
	nConns, nLogins := len(s.Conns), len(s.Logins)
	s.Merge(s2)
	if s.Samples != 2 || len(s.Conns) != nConns || len(s.Logins) != nLogins {
		t.Errorf("after merge: samples %d conns %d/%d logins %d/%d", s.Samples, len(s.Conns), nConns, len(s.Logins), nLogins)
	}
	wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectServiceOff, Subject: "ssh.service"}), remedy.ImpactObserved, "seen in 2 sample(s)")

	sum := strings.Join(s.Summary(), "\n")
	for _, w := range []string{
		"ssh logins: 4 accepted in the last 30 days (1 log file(s)): password by bob; publickey by alice, root",
		"ssh access: authorized keys for root; administrators alice, carol; password-capable users root, bob, carol",
		"sockets (2 sample(s)):",
		"kernel modules: 6 loaded",
		"forwarding: running dockerd is running (docker.service); installed /usr/bin/dockerd; runtime net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=0",
	} {
		if !strings.Contains(sum, w) {
			t.Errorf("summary lacks %q:\n%s", w, sum)
		}
	}

	if _, err := Learn(context.Background(), targettest.Tree(t, files), time.Second, time.Millisecond, Options{}, nil); err != ErrNotLive {
		t.Errorf("offline learn: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Learn(ctx, tg, time.Hour, time.Millisecond, Options{}, nil); err == nil {
		t.Error("cancelled learn succeeded")
	}
}
