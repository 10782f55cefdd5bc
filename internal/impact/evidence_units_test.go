package impact

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const (
	avahiService = "[Unit]\nDescription=Avahi mDNS/DNS-SD Stack\nRequires=avahi-daemon.socket\n\n[Service]\nType=dbus\nBusName=org.freedesktop.Avahi\nExecStart=/usr/sbin/avahi-daemon -s\n\n" +
		"[Install]\nWantedBy=multi-user.target\nAlso=avahi-daemon.socket\nAlias=dbus-org.freedesktop.Avahi.service\n"
	avahiSocket = "[Unit]\nDescription=Avahi mDNS/DNS-SD Stack Activation Socket\n\n[Socket]\nListenStream=/run/avahi-daemon/socket\n\n[Install]\nWantedBy=sockets.target\n"
	avahiDBus   = "[D-BUS Service]\nName=org.freedesktop.Avahi\nExec=/usr/sbin/avahi-daemon --no-drop-root\nUser=root\nSystemdService=dbus-org.freedesktop.Avahi.service\n"
)

// avahiTree is Debian's avahi-daemon enabled as its package enables it:
// the service, its socket and its D-Bus alias.
func avahiTree(extra map[string]string) map[string]string {
	files := map[string]string{
		"usr/lib/systemd/systemd": "",
		"lib":                     "->usr/lib",
		"usr/lib/systemd/system/avahi-daemon.service":                     avahiService,
		"usr/lib/systemd/system/avahi-daemon.socket":                      avahiSocket,
		"etc/systemd/system/multi-user.target.wants/avahi-daemon.service": "->/lib/systemd/system/avahi-daemon.service",
		"etc/systemd/system/sockets.target.wants/avahi-daemon.socket":     "->/lib/systemd/system/avahi-daemon.socket",
		"etc/systemd/system/dbus-org.freedesktop.Avahi.service":           "->/lib/systemd/system/avahi-daemon.service",
		"usr/share/dbus-1/system-services/org.freedesktop.Avahi.service":  avahiDBus,
		"usr/sbin/avahi-daemon":                                           "ELF",
		"var/lib/dpkg/info/avahi-daemon.list": "/.\n/lib/systemd/system/avahi-daemon.service\n/lib/systemd/system/avahi-daemon.socket\n" +
			"/usr/sbin/avahi-daemon\n/usr/share/dbus-1/system-services/org.freedesktop.Avahi.service\n",
		"var/lib/dpkg/info/avahi-utils.list": "/.\n/usr/bin/avahi-browse\n",
		"usr/bin/avahi-browse":               "ELF",
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

// TestDBusAliasIsNotADependent: disabling avahi was refused as observed
// because its own D-Bus alias "required" its socket.
func TestDBusAliasIsNotADependent(t *testing.T) {
	s := collect(t, targettest.Tree(t, avahiTree(nil)))
	relay := collect(t, targettest.Tree(t, avahiTree(map[string]string{
		"usr/lib/systemd/system/mdns-relay.service":                     "[Unit]\nRequires=dbus-org.freedesktop.Avahi.service\n[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/multi-user.target.wants/mdns-relay.service": "->/lib/systemd/system/mdns-relay.service",
	})))
	hdr := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	live := collect(t, targettest.LiveTree(t, avahiTree(map[string]string{
		"proc/net/tcp": hdr, "proc/net/tcp6": hdr, "proc/net/udp": hdr, "proc/net/udp6": hdr,
		"proc/1/comm": "systemd\n", "proc/1/exe": "->/usr/lib/systemd/systemd", "proc/1/cgroup": "0::/init.scope\n",
	})))
	tests := []struct {
		name, unit, level string
		s                 *Signals
		want              []string
	}{
		{"live, nothing listening", "avahi-daemon.service", remedy.ImpactNone, live, []string{
			"no listener or connection of avahi-daemon.service in 1 sample(s), no enabled unit depends on it",
			"D-Bus activates it as org.freedesktop.Avahi"}},
		// Offline, the sockets are not known: unknown, never observed.
		{"socket", "avahi-daemon.socket", remedy.ImpactUnknown, s, []string{
			"no enabled unit depends on it",
			"D-Bus activates it as org.freedesktop.Avahi through its own name dbus-org.freedesktop.Avahi.service"}},
		{"service", "avahi-daemon.service", remedy.ImpactUnknown, s, []string{"no enabled unit depends on it"}},
		{"a dependent through the D-Bus alias", "avahi-daemon.service", remedy.ImpactObserved, relay, []string{
			"enabled unit mdns-relay.service has Requires=dbus-org.freedesktop.Avahi.service"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := assessOne(tc.s, remedy.Effect{Kind: remedy.EffectServiceOff, Subject: tc.unit})
			wantImpact(t, got, tc.level, tc.want...)
			if strings.Contains(strings.Join(got.Evidence, "\n"), "enabled unit dbus-org") {
				t.Errorf("own alias named as a dependent: %q", got.Evidence)
			}
		})
	}
}

func TestPackageRemovalByItsUnits(t *testing.T) {
	s := collect(t, targettest.Tree(t, avahiTree(nil)))
	relay := collect(t, targettest.Tree(t, avahiTree(map[string]string{
		"usr/lib/systemd/system/mdns-relay.service":                     "[Unit]\nRequires=avahi-daemon.service\n[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/multi-user.target.wants/mdns-relay.service": "->/lib/systemd/system/mdns-relay.service",
		"etc/cron.d/printers":                                           "0 * * * * root avahi-browse -atp > /run/printers\n",
	})))
	tests := []struct {
		name, pkg, level string
		s                *Signals
		want             []string
	}{
		{"ships enabled units, not in use", "avahi-daemon", remedy.ImpactUnknown, s, []string{
			"package avahi-daemon ships enabled unit avahi-daemon.service: no enabled unit depends on it",
			"package avahi-daemon ships enabled unit avahi-daemon.socket: no enabled unit depends on it"}},
		{"an enabled unit requires its service", "avahi-daemon", remedy.ImpactObserved, relay, []string{
			"package avahi-daemon ships enabled unit avahi-daemon.service: enabled unit mdns-relay.service has Requires=avahi-daemon.service"}},
		{"a cron job runs its program", "avahi-utils", remedy.ImpactObserved, relay, []string{
			"cron jobs or enabled units run programs of package avahi-utils: /usr/bin/avahi-browse (/etc/cron.d/printers:1)"}},
		{"no file list", "avahi", remedy.ImpactUnknown, s, []string{"offline target: running programs of package avahi not checked"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantImpact(t, assessOne(tc.s, remedy.Effect{Kind: remedy.EffectPackageRemove, Subject: tc.pkg}), tc.level, tc.want...)
		})
	}
}

func TestPackageInstall(t *testing.T) {
	s := collect(t, targettest.Tree(t, avahiTree(nil)))
	tests := []struct{ pkg, level, want string }{
		{"auditd", remedy.ImpactPossible, "installing auditd enables and starts auditd.service"},
		{"sudo", remedy.ImpactNone, "no service"},
		{"avahi-daemon", remedy.ImpactNone, "already installed"},
		{"frobnicator", remedy.ImpactUnknown, "what installing frobnicator brings is not known from the target"},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			wantImpact(t, assessOne(s, remedy.Effect{Kind: remedy.EffectPackageInstall, Subject: tc.pkg}), tc.level, tc.want)
		})
	}
}

func TestSysctlRuntimeEvidence(t *testing.T) {
	route := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
	twoDefaults := route + "eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n"
	ifInet6 := "20010db800000000021122fffe334455 02 40 00 00 eth0\nfe80000000000000021122fffe334455 02 40 20 80 eth0\n00000000000000000000000000000001 01 80 10 80 lo\n"
	ipv6Route := "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003 eth0\n"
	live := func(extra map[string]string) *Signals {
		files := map[string]string{
			"proc/sys/net/ipv4/conf/all/rp_filter":    "2\n",
			"proc/sys/net/ipv6/conf/all/accept_ra":    "1\n",
			"proc/sys/kernel/yama/ptrace_scope":       "1\n",
			"proc/sys/kernel/kexec_load_disabled":     "0\n",
			"proc/sys/net/ipv4/conf/all/log_martians": "1\n",
			"proc/net/route":                          route,
		}
		for k, v := range extra {
			files[k] = v
		}
		return collect(t, targettest.LiveTree(t, files))
	}
	one, multi := live(nil), live(map[string]string{"proc/net/route": twoDefaults})
	slaac := live(map[string]string{"proc/net/if_inet6": ifInet6, "proc/net/ipv6_route": ipv6Route})
	offline := collect(t, targettest.Tree(t, map[string]string{"etc/hostname": "db1\n"}))
	set := func(k, v string) remedy.Effect { return remedy.Effect{Kind: remedy.EffectSysctl, Subject: k, Value: v} }
	tests := []struct {
		name  string
		s     *Signals
		e     remedy.Effect
		level string
		want  []string
	}{
		{"rp_filter strict, one default route", one, set("net.ipv4.conf.all.rp_filter", "1"), remedy.ImpactNone, []string{
			"net.ipv4.conf.all.rp_filter is 2 at runtime and becomes 1", "one default route interface (eth0)"}},
		{"rp_filter strict, two default routes", multi, set("net.ipv4.conf.all.rp_filter", "1"), remedy.ImpactPossible, []string{
			"default routes via eth0, eth1: strict reverse-path filtering drops packets"}},
		{"accept_ra off with SLAAC", slaac, set("net.ipv6.conf.all.accept_ra", "0"), remedy.ImpactPossible, []string{
			"IPv6 is configured from router advertisements (eth0 address 2001:db8::211:22ff:fe33:4455, eth0 default route)"}},
		{"already set", one, set("net.ipv4.conf.all.log_martians", "1"), remedy.ImpactNone, []string{"net.ipv4.conf.all.log_martians is already 1 at runtime"}},
		{"one-way setting", one, set("kernel.kexec_load_disabled", "1"), remedy.ImpactNone, []string{"kernel.kexec_load_disabled = 1 cannot be undone without a reboot"}},
		{"offline rp_filter", offline, set("net.ipv4.conf.all.rp_filter", "1"), remedy.ImpactUnknown, []string{
			"offline target: the interfaces, addresses and routes net.ipv4.conf.all.rp_filter depends on are not known"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantImpact(t, assessOne(tc.s, tc.e), tc.level, tc.want...)
		})
	}
}
