#!/usr/bin/env bash
# Weakens the OpenSSH server of the tree in $1 so every ssh.* rule fails:
# a drop-in with insecure values, a Match block, loose file permissions.
set -euo pipefail
root=${1:?usage: ssh.break.sh TREE}
ssh=$root/etc/ssh
[ -d "$ssh" ] || exit 0
install -d "$ssh/sshd_config.d"
cat >"$ssh/sshd_config.d/00-cradle-break.conf" <<'CONF'
PermitRootLogin yes
PermitEmptyPasswords yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
HostbasedAuthentication yes
IgnoreRhosts no
IgnoreUserKnownHosts no
PermitUserEnvironment yes
X11Forwarding yes
AllowTcpForwarding yes
AllowAgentForwarding yes
AllowStreamLocalForwarding all
GatewayPorts yes
PermitTunnel yes
MaxAuthTries 10
LoginGraceTime 0
ClientAliveInterval 0
ClientAliveCountMax 10
LogLevel QUIET
MaxStartups 100:30:200
MaxSessions 50
Banner none
UsePAM no
StrictModes no
Compression yes
GSSAPIAuthentication yes
UseDNS yes
Ciphers +aes128-cbc,3des-cbc
MACs +hmac-md5,hmac-sha1-96
KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1
HostKeyAlgorithms +ssh-rsa,ssh-dss
PubkeyAcceptedAlgorithms +ssh-rsa
PrintLastLog no
X11UseLocalhost no
KerberosAuthentication yes
PubkeyAuthentication no
RekeyLimit default none
DisableForwarding no
# Restricts logins only for the connections this block selects.
Match Address 10.0.0.0/8
	AllowUsers root
	# Global-only: sshd refuses to start on it.
	PrintMotd no
CONF
chmod 0666 "$ssh/sshd_config"
chmod 0777 "$ssh/sshd_config.d"
for k in "$ssh"/ssh_host_*_key; do
	[ -e "$k" ] || continue
	chmod 0644 "$k"
	chmod 0666 "$k.pub"
done
