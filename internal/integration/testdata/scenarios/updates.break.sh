#!/usr/bin/env bash
# Makes the updates.* rules fail on a copy of the Debian 12 fixture: an
# unsigned repository, apt.conf switches that accept unsigned packages,
# automatic updates switched off and unattended-upgrades removed.
set -euo pipefail
root=${1:?usage: $0 ROOT}
apt="$root/etc/apt"
mkdir -p "$apt/sources.list.d" "$apt/apt.conf.d"
echo 'deb [arch=amd64 trusted=yes] http://repo.example.invalid/debian bookworm main' >"$apt/sources.list.d/fixture-unsigned.list"
cat >"$apt/apt.conf.d/99fixture-insecure" <<'CONF'
// Fixture: everything apt can be told to accept without signatures.
APT::Get::AllowUnauthenticated "true";
Acquire {
  AllowInsecureRepositories "1";
  AllowDowngradeToInsecureRepositories "yes";
};
#clear Unattended-Upgrade::Origins-Pattern;
Unattended-Upgrade::Origins-Pattern { "origin=Debian,codename=${distro_codename},label=Debian"; };
APT {
  Periodic {
    Update-Package-Lists "0";
    Unattended-Upgrade "0";
  };
};
CONF
rm -f "$root/etc/systemd/system/timers.target.wants/apt-daily.timer" \
	"$root/etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer"
status="$root/var/lib/dpkg/status"
awk 'BEGIN { RS = ""; ORS = "\n\n" } $0 !~ /(^|\n)Package: unattended-upgrades(\n|$)/' "$status" >"$status.tmp"
cat "$status.tmp" >"$status"
rm -f "$status.tmp"
