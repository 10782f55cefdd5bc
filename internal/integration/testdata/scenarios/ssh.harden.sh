#!/usr/bin/env bash
# Hardens the OpenSSH server of the tree in $1: a drop-in read before the
# rest of sshd_config (first value wins) plus file permissions.
set -euo pipefail
root=${1:?usage: ssh.harden.sh TREE}
ssh=$root/etc/ssh
[ -d "$ssh" ] || exit 0
install -d -m 0755 "$ssh/sshd_config.d"
cat >"$ssh/sshd_config.d/00-cradle-harden.conf" <<'CONF'
# Hardened OpenSSH server settings.
PermitRootLogin no
PermitEmptyPasswords no
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
IgnoreRhosts yes
IgnoreUserKnownHosts yes
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
GatewayPorts no
PermitTunnel no
MaxAuthTries 3
LoginGraceTime 30s
ClientAliveInterval 5m
ClientAliveCountMax 2
LogLevel VERBOSE
MaxStartups 10:30:60
MaxSessions 4
Banner /etc/issue.net
UsePAM yes
StrictModes yes
Compression no
GSSAPIAuthentication no
UseDNS no
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com
KexAlgorithms -diffie-hellman-group14-sha256
HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256
PubkeyAcceptedAlgorithms -ssh-rsa*
PrintLastLog yes
X11UseLocalhost yes
KerberosAuthentication no
PubkeyAuthentication yes
RekeyLimit 512M 1h
AllowGroups root sudo
DisableForwarding yes
CONF
chmod 0644 "$ssh/sshd_config.d/00-cradle-harden.conf"
chown root:root "$ssh/sshd_config" "$ssh/sshd_config.d"
chmod 0600 "$ssh/sshd_config"
chmod 0755 "$ssh/sshd_config.d"
for k in "$ssh"/ssh_host_*_key; do
	[ -e "$k" ] || continue
	chown root:root "$k" "$k.pub"
	chmod 0600 "$k"
	chmod 0644 "$k.pub"
done
