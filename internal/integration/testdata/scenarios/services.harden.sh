#!/usr/bin/env bash
# Makes the services.* rules pass on a copy of the Debian 12 fixture: masks
# the debug shell and Ctrl-Alt-Del, boots to multi-user.target.
set -euo pipefail
root=${1:?usage: $0 ROOT}
etc="$root/etc/systemd/system"
mkdir -p "$etc"
ln -sfn /dev/null "$etc/debug-shell.service"
ln -sfn /dev/null "$etc/ctrl-alt-del.target"
ln -sfn /lib/systemd/system/multi-user.target "$etc/default.target"
