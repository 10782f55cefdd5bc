#!/usr/bin/env bash
# Gives the tree in $1 a kernel and a boot loader configuration that fail
# the kernel rules: audit=1 only on normal entries (GRUB_CMDLINE_LINUX_DEFAULT,
# so the recovery entry boots unaudited), a small audit backlog, init= and
# the systemd debug shell (spelled with a dash, the same to systemd),
# mitigations off, the weakest memory settings; a grub.cfg that was never
# regenerated; and the newest kernel built without the hardening options
# while an older one has them.
set -euo pipefail
root=${1:?usage: kernel.break.sh TREE}
install -d "$root/etc/default/grub.d" "$root/boot/grub"
cat >"$root/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_CMDLINE_LINUX_DEFAULT="quiet audit=1"
GRUB_CMDLINE_LINUX="audit_backlog_limit=64 vsyscall=emulate slub_debug=F page_poison=0"
EOF
cat >"$root/etc/default/grub.d/90-debug.cfg" <<'EOF'
# A troubleshooting leftover.
GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT init=/bin/bash systemd.debug-shell=1 mitigations=off pti=off spectre_v2=off"
EOF
cat >"$root/boot/grub/grub.cfg" <<'EOF'
menuentry 'Debian GNU/Linux' --class debian {
	linux	/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0d3f ro quiet
}
EOF
printf '%s\n' 'CONFIG_X86_64=y' 'CONFIG_X86=y' 'CONFIG_MODULE_SIG=y' 'CONFIG_STRICT_KERNEL_RWX=y' >"$root/boot/config-6.1.0-9-amd64"
printf '%s\n' 'CONFIG_X86_64=y' 'CONFIG_X86=y' '# CONFIG_MODULE_SIG is not set' '# CONFIG_HARDENED_USERCOPY is not set' \
	'# CONFIG_RANDOMIZE_BASE is not set' 'CONFIG_STACKPROTECTOR=y' '# CONFIG_STACKPROTECTOR_STRONG is not set' \
	'# CONFIG_STRICT_KERNEL_RWX is not set' '# CONFIG_STRICT_MODULE_RWX is not set' 'CONFIG_DEVMEM=y' \
	'# CONFIG_STRICT_DEVMEM is not set' '# CONFIG_FORTIFY_SOURCE is not set' '# CONFIG_SLAB_FREELIST_HARDENED is not set' \
	'# CONFIG_VMAP_STACK is not set' '# CONFIG_PAGE_TABLE_ISOLATION is not set' >"$root/boot/config-6.1.0-28-amd64"
: >"$root/boot/vmlinuz-6.1.0-28-amd64"
