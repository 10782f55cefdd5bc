package sysctl

// kernelDefaults are the values a kernel boots with when no configuration
// sets them (upstream Linux 5.x/6.x as distributions build it). Offline
// scans compare against these for keys nothing persists. Distribution
// kernels that patch or configure a different default are listed in
// familyDefaults.
var kernelDefaults = map[string]string{
	"kernel.randomize_va_space":                  "2",
	"kernel.kptr_restrict":                       "0",
	"kernel.dmesg_restrict":                      "0",
	"kernel.yama.ptrace_scope":                   "1",
	"kernel.unprivileged_bpf_disabled":           "2",
	"kernel.perf_event_paranoid":                 "2",
	"kernel.kexec_load_disabled":                 "0",
	"kernel.sysrq":                               "1",
	"kernel.core_uses_pid":                       "0",
	"kernel.panic_on_oops":                       "0",
	"fs.suid_dumpable":                           "0",
	"fs.protected_hardlinks":                     "0",
	"fs.protected_symlinks":                      "0",
	"fs.protected_fifos":                         "0",
	"fs.protected_regular":                       "0",
	"dev.tty.ldisc_autoload":                     "1",
	"vm.unprivileged_userfaultfd":                "0",
	"vm.mmap_min_addr":                           "4096",
	"net.core.bpf_jit_harden":                    "0",
	"net.ipv4.ip_forward":                        "0",
	"net.ipv4.conf.all.forwarding":               "0",
	"net.ipv6.conf.all.forwarding":               "0",
	"net.ipv6.conf.default.forwarding":           "0",
	"net.ipv4.conf.all.rp_filter":                "0",
	"net.ipv4.conf.default.rp_filter":            "0",
	"net.ipv4.conf.all.accept_redirects":         "1",
	"net.ipv4.conf.default.accept_redirects":     "1",
	"net.ipv6.conf.all.accept_redirects":         "1",
	"net.ipv6.conf.default.accept_redirects":     "1",
	"net.ipv4.conf.all.secure_redirects":         "1",
	"net.ipv4.conf.default.secure_redirects":     "1",
	"net.ipv4.conf.all.send_redirects":           "1",
	"net.ipv4.conf.default.send_redirects":       "1",
	"net.ipv4.conf.all.accept_source_route":      "0",
	"net.ipv4.conf.default.accept_source_route":  "1",
	"net.ipv6.conf.all.accept_source_route":      "0",
	"net.ipv6.conf.default.accept_source_route":  "0",
	"net.ipv4.conf.all.log_martians":             "0",
	"net.ipv4.conf.default.log_martians":         "0",
	"net.ipv4.icmp_echo_ignore_broadcasts":       "1",
	"net.ipv4.icmp_ignore_bogus_error_responses": "1",
	"net.ipv4.tcp_syncookies":                    "1",
	"net.ipv4.tcp_rfc1337":                       "0",
	"net.ipv6.conf.all.accept_ra":                "1",
	"net.ipv6.conf.default.accept_ra":            "1",
	"net.ipv4.conf.default.forwarding":           "0",
	"net.ipv4.conf.all.accept_local":             "0",
	"net.ipv4.conf.default.accept_local":         "0",
	"net.ipv4.conf.all.route_localnet":           "0",
	"net.ipv4.conf.default.route_localnet":       "0",
	"net.ipv4.conf.all.arp_ignore":               "0",
	"net.ipv4.conf.default.arp_ignore":           "0",
	"net.ipv4.conf.all.arp_announce":             "0",
	"net.ipv4.conf.default.arp_announce":         "0",
	"net.ipv4.conf.all.arp_filter":               "0",
	"net.ipv4.conf.default.arp_filter":           "0",
	"net.ipv4.conf.all.shared_media":             "1",
	"net.ipv4.conf.default.shared_media":         "1",
	"net.ipv4.conf.all.drop_gratuitous_arp":      "0",
	"net.ipv4.conf.default.drop_gratuitous_arp":  "0",
	"net.ipv6.conf.all.disable_ipv6":             "0",
	"net.ipv6.conf.default.disable_ipv6":         "0",
	"net.ipv6.conf.all.autoconf":                 "1",
	"net.ipv6.conf.default.autoconf":             "1",
	"net.ipv6.conf.all.max_addresses":            "16",
	"net.ipv6.conf.default.max_addresses":        "16",
	"net.ipv6.conf.all.router_solicitations":     "-1",
	"net.ipv6.conf.default.router_solicitations": "-1",
	"net.ipv6.conf.all.accept_ra_defrtr":         "1",
	"net.ipv6.conf.default.accept_ra_defrtr":     "1",
	"net.ipv6.conf.all.accept_ra_pinfo":          "1",
	"net.ipv6.conf.default.accept_ra_pinfo":      "1",
	"net.ipv6.conf.all.accept_ra_rtr_pref":       "1",
	"net.ipv6.conf.default.accept_ra_rtr_pref":   "1",
}

// familyDefaults override kernelDefaults for distribution kernels, keyed
// by os-release ID or ID_LIKE.
var familyDefaults = map[string]map[string]string{
	// Debian's kernel enables CONFIG_SECURITY_DMESG_RESTRICT, patches
	// perf_event_paranoid to 3, carries the unprivileged_userns_clone
	// switch (on since bullseye), sets the sysrq mask to 438 and enables
	// link protection by default (debian/patches "fs: Enable link
	// security restrictions by default"; procps' 99-protect-links.conf
	// persists the same).
	"debian": {
		"fs.protected_hardlinks":           "1",
		"fs.protected_symlinks":            "1",
		"kernel.dmesg_restrict":            "1",
		"kernel.perf_event_paranoid":       "3",
		"kernel.unprivileged_userns_clone": "1",
		"kernel.sysrq":                     "438",
		"vm.mmap_min_addr":                 "65536",
	},
	"ubuntu": {
		"fs.protected_hardlinks":           "1",
		"fs.protected_symlinks":            "1",
		"kernel.dmesg_restrict":            "1",
		"kernel.perf_event_paranoid":       "4",
		"kernel.unprivileged_userns_clone": "1",
		"vm.mmap_min_addr":                 "65536",
	},
	"rhel": {
		"kernel.sysrq": "16",
	},
}

// Default returns the kernel's built-in value for key on a distribution
// of the given families (os-release ID first, then ID_LIKE).
func Default(key string, families []string) (string, bool) {
	key = NormalizeKey(key)
	for _, f := range families {
		if v, ok := familyDefaults[f][key]; ok {
			return v, true
		}
	}
	v, ok := kernelDefaults[key]
	return v, ok
}
