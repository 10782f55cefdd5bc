#!/usr/bin/env bash
# Makes the updates.* rules pass on a copy of the Debian 12 fixture: APT
# sources over https and automatic security updates switched on.
set -euo pipefail
root=${1:?usage: $0 ROOT}
apt="$root/etc/apt"
mkdir -p "$apt/apt.conf.d"
sed -i 's#http://#https://#' "$apt/sources.list"
cat >"$apt/apt.conf.d/20auto-upgrades" <<'CONF'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
CONF
