#!/usr/bin/env bash
# Makes the packages.* rules pass on a copy of the Debian 12 fixture: the
# integrity checker is recorded as installed, and a removed-but-not-purged
# NIS package ("config-files") shows that leftovers do not count.
set -euo pipefail
root=${1:?usage: $0 ROOT}
status="$root/var/lib/dpkg/status"

add_stanza() { # name status-word
	grep -qx "Package: $1" "$status" && return 0
	[ -z "$(tail -c1 "$status")" ] || echo >>"$status"
	tail -n1 "$status" | grep -q . && echo >>"$status"
	want=install
	[ "$2" = installed ] || want=deinstall
	printf 'Package: %s\nStatus: %s ok %s\nPriority: optional\nSection: admin\nArchitecture: amd64\nVersion: 0.0-fixture1\nDescription: fixture package\n\n' "$1" "$want" "$2" >>"$status"
}

add_stanza aide installed
add_stanza nis config-files
