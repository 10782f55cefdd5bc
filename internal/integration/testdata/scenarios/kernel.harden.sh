#!/usr/bin/env bash
# Gives the tree in $1 a kernel and a boot loader configuration that pass
# the kernel rules: the command-line parameters in GRUB_CMDLINE_LINUX (so
# recovery entries get them too) and in every linux line of grub.cfg, and
# the build configuration of the newest kernel with the hardening options
# (an older kernel's weaker configuration is installed too: the rules read
# the newest). Module signatures are enforced through module.sig_enforce=1,
# as Debian's kernel does not set CONFIG_MODULE_SIG_FORCE.
set -euo pipefail
root=${1:?usage: kernel.harden.sh TREE}
args='audit=1 audit_backlog_limit=8192 pti=on spectre_v2=on vsyscall=none page_poison=1 slub_debug=P page_alloc.shuffle=1 module.sig_enforce=1'
install -d "$root/etc/default/grub.d" "$root/boot/grub"
cat >"$root/etc/default/grub" <<EOF
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
EOF
# grub-mkconfig sources grub.d/*.cfg after the main file.
printf 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX %s"\n' "$args" >"$root/etc/default/grub.d/50-cra.cfg"
cat >"$root/boot/grub/grub.cfg" <<EOF
set default="0"
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux {
	linux	/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0d3f ro $args quiet
	initrd	/boot/initrd.img-6.1.0-28-amd64
}
submenu 'Advanced options for Debian GNU/Linux' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-28-amd64 (recovery mode)' {
		linux	/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0d3f ro single $args
	}
}
EOF
chmod 0600 "$root/boot/grub/grub.cfg"
good='CONFIG_X86_64=y
CONFIG_X86=y
CONFIG_MODULE_SIG=y
# CONFIG_MODULE_SIG_FORCE is not set
CONFIG_HARDENED_USERCOPY=y
CONFIG_RANDOMIZE_BASE=y
CONFIG_STACKPROTECTOR_STRONG=y
CONFIG_STRICT_KERNEL_RWX=y
CONFIG_STRICT_MODULE_RWX=y
CONFIG_DEVMEM=y
CONFIG_STRICT_DEVMEM=y
CONFIG_FORTIFY_SOURCE=y
CONFIG_SLAB_FREELIST_HARDENED=y
CONFIG_VMAP_STACK=y
CONFIG_PAGE_TABLE_ISOLATION=y'
printf '%s\n' "$good" >"$root/boot/config-6.1.0-28-amd64"
printf '%s\n' "$good" | sed 's/^CONFIG_STRICT_KERNEL_RWX=y/# CONFIG_STRICT_KERNEL_RWX is not set/' >"$root/boot/config-6.1.0-9-amd64"
: >"$root/boot/vmlinuz-6.1.0-28-amd64"
: >"$root/boot/vmlinuz-6.1.0-9-amd64"
