#!/usr/bin/env bash
# Persists insecure kernel parameters in the tree in $1 so every sysctl.*
# rule fails. The file sorts after the vendor 99-protect-links.conf and
# 99-sysctl.conf, so its values win.
set -euo pipefail
root=${1:?usage: sysctl.break.sh TREE}
install -d -m 0755 "$root/etc/sysctl.d"
cat >"$root/etc/sysctl.d/99-zz-cradle-break.conf" <<'CONF'
kernel.randomize_va_space = 0
kernel.kptr_restrict = 0
kernel.dmesg_restrict = 0
kernel.yama.ptrace_scope = 0
kernel.unprivileged_bpf_disabled = 0
kernel.perf_event_paranoid = -1
kernel.kexec_load_disabled = 0
kernel.sysrq = 1
kernel.core_uses_pid = 0
kernel.unprivileged_userns_clone = 1
fs.suid_dumpable = 2
fs.protected_hardlinks = 0
fs.protected_symlinks = 0
fs.protected_fifos = 0
fs.protected_regular = 0
dev.tty.ldisc_autoload = 1
vm.unprivileged_userfaultfd = 1
vm.mmap_min_addr = 0
net.core.bpf_jit_harden = 0
net.ipv4.ip_forward = 1
net.ipv6.conf.all.forwarding = 1
net.ipv4.conf.*.rp_filter = 0
net.ipv4.conf.all.accept_redirects = 1
net.ipv4.conf.default.accept_redirects = 1
net.ipv6.conf.all.accept_redirects = 1
net.ipv6.conf.default.accept_redirects = 1
net.ipv4.conf.all.secure_redirects = 1
net.ipv4.conf.default.secure_redirects = 1
net.ipv4.conf.all.send_redirects = 1
net.ipv4.conf.default.send_redirects = 1
net.ipv4.conf.all.accept_source_route = 1
net.ipv4.conf.default.accept_source_route = 1
net.ipv6.conf.all.accept_source_route = 1
net.ipv6.conf.default.accept_source_route = 1
net.ipv4.conf.all.log_martians = 0
net.ipv4.conf.default.log_martians = 0
net.ipv4.icmp_echo_ignore_broadcasts = 0
net.ipv4.icmp_ignore_bogus_error_responses = 0
net.ipv4.tcp_syncookies = 0
net.ipv6.conf.all.accept_ra = 1
net.ipv6.conf.default.accept_ra = 1
net.ipv4.tcp_rfc1337 = 0
CONF
chmod 0644 "$root/etc/sysctl.d/99-zz-cradle-break.conf"
