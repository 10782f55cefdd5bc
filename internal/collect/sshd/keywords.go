package sshd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// keywords lists sshd_config keywords in their documented spelling; lookup
// is case-insensitive, as in sshd.
var keywords = []string{
	"AcceptEnv", "AddressFamily", "AllowAgentForwarding", "AllowGroups",
	"AllowStreamLocalForwarding", "AllowTcpForwarding", "AllowUsers",
	"AuthenticationMethods", "AuthorizedKeysCommand", "AuthorizedKeysCommandUser",
	"AuthorizedKeysFile", "AuthorizedPrincipalsCommand", "AuthorizedPrincipalsCommandUser",
	"AuthorizedPrincipalsFile", "Banner", "CASignatureAlgorithms", "ChannelTimeout",
	"ChrootDirectory", "Ciphers", "ClientAliveCountMax", "ClientAliveInterval",
	"Compression", "DebianBanner", "DenyGroups", "DenyUsers", "DisableForwarding",
	"ExposeAuthInfo", "FingerprintHash", "ForceCommand", "GatewayPorts",
	"GSSAPIAuthentication", "GSSAPICleanupCredentials", "GSSAPIEnablek5users", "GSSAPIKexAlgorithms",
	"GSSAPIKeyExchange", "GSSAPIStoreCredentialsOnRekey", "GSSAPIStrictAcceptorCheck",
	"HostbasedAcceptedAlgorithms", "HostbasedAuthentication",
	"HostbasedUsesNameFromPacketOnly", "HostCertificate", "HostKey", "HostKeyAgent",
	"HostKeyAlgorithms", "IgnoreRhosts", "IgnoreUserKnownHosts", "Include", "IPQoS",
	"KbdInteractiveAuthentication", "KerberosAuthentication", "KerberosGetAFSToken", "KerberosUseKuserok",
	"KerberosOrLocalPasswd", "KerberosTicketCleanup", "KexAlgorithms", "ListenAddress",
	"LoginGraceTime", "LogLevel", "LogVerbose", "MACs", "Match", "MaxAuthTries",
	"MaxSessions", "MaxStartups", "ModuliFile", "PasswordAuthentication",
	"PermitEmptyPasswords", "PermitListen", "PermitOpen", "PermitRootLogin",
	"PermitTTY", "PermitTunnel", "PermitUserEnvironment", "PermitUserRC",
	"PerSourceMaxStartups", "PerSourceNetBlockSize", "PerSourcePenalties",
	"PerSourcePenaltyExemptList", "PidFile", "Port", "PrintLastLog", "PrintMotd",
	"Protocol", "PubkeyAcceptedAlgorithms", "PubkeyAuthentication", "PubkeyAuthOptions",
	"RDomain", "RekeyLimit", "RequiredRSASize", "RevokedKeys", "SecurityKeyProvider",
	"SetEnv", "SshdAuthPath", "SshdSessionPath", "StreamLocalBindMask",
	"StreamLocalBindUnlink", "StrictModes", "Subsystem", "SyslogFacility", "TCPKeepAlive",
	"TrustedUserCAKeys", "UnusedConnectionTimeout", "UseDNS", "UsePAM",
	"UsePrivilegeSeparation", "VersionAddendum", "X11DisplayOffset", "X11Forwarding",
	"X11UseLocalhost", "XAuthLocation",
}

// aliases maps deprecated spellings to the keyword sshd treats them as
// (servconf.c keywords[]).
var aliases = map[string]string{
	"hostdsakey":                      "HostKey",
	"keepalive":                       "TCPKeepAlive",
	"challengeresponseauthentication": "KbdInteractiveAuthentication",
	"pubkeyacceptedkeytypes":          "PubkeyAcceptedAlgorithms",
	"hostbasedacceptedkeytypes":       "HostbasedAcceptedAlgorithms",
	"dsaauthentication":               "PubkeyAuthentication",
	"skeyauthentication":              "KbdInteractiveAuthentication",
}

// deprecated are keywords sshd still accepts and ignores with a log
// message (servconf.c sDeprecated, sIgnore and, on Debian's build,
// sUnsupported): not errors, and they set nothing.
var deprecated = []string{
	"AFSTokenPassing", "AuthorizedKeysFile2", "CheckMail", "KerberosGetAFSToken", "KerberosTgtPassing",
	"KeyRegenerationInterval", "PAMAuthenticationViaKbdInt", "ReverseMappingCheck", "RhostsAuthentication",
	"RhostsRSAAuthentication", "RSAAuthentication", "ServerKeyBits", "UseLogin", "VerifyReverseMapping",
}

// Deprecated reports whether kw is accepted by sshd but ignored.
func Deprecated(kw string) bool {
	for _, d := range deprecated {
		if strings.EqualFold(d, kw) {
			return true
		}
	}
	return strings.EqualFold(kw, "Protocol") || strings.EqualFold(kw, "UsePrivilegeSeparation")
}

// inMatch lists, lower-cased as spelt, the keywords sshd accepts inside a
// Match block (servconf.c keywords[] with SSHCFG_ALL); every other
// keyword is global-only. They are also the options a matching block
// sets for a connection (copy_set_server_options).
var inMatch = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`permitrootlogin loglevel logverbose rhostsrsaauthentication
	hostbasedauthentication hostbasedusesnamefrompacketonly hostbasedacceptedalgorithms
	hostbasedacceptedkeytypes rsaauthentication pubkeyauthentication pubkeyacceptedalgorithms
	pubkeyacceptedkeytypes pubkeyauthoptions kerberosauthentication gssapiauthentication
	passwordauthentication kbdinteractiveauthentication challengeresponseauthentication
	skeyauthentication ignorerhosts x11forwarding x11displayoffset x11uselocalhost
	permitemptypasswords rekeylimit allowtcpforwarding allowagentforwarding allowusers denyusers
	allowgroups denygroups gatewayports maxauthtries maxsessions banner clientaliveinterval
	clientalivecountmax authorizedkeysfile authorizedkeysfile2 acceptenv setenv permittunnel
	permittty permituserrc match permitopen permitlisten forcecommand chrootdirectory revokedkeys
	trustedusercakeys authorizedprincipalsfile include ipqos authorizedkeyscommand
	authorizedkeyscommanduser authorizedprincipalscommand authorizedprincipalscommanduser
	authenticationmethods streamlocalbindmask streamlocalbindunlink allowstreamlocalforwarding
	disableforwarding exposeauthinfo rdomain casignaturealgorithms requiredrsasize channeltimeout
	unusedconnectiontimeout`) {
		m[k] = true
	}
	return m
}()

// matchAllowed reports whether the keyword spelt s may appear in a Match block.
func matchAllowed(s string) bool { return inMatch[strings.ToLower(s)] }

// MatchKeyword reports whether a Match block can set keyword for a
// connection.
func MatchKeyword(keyword string) bool { return matchAllowed(Canonical(keyword)) }

var canonical = func() map[string]string {
	m := make(map[string]string, len(keywords)+len(aliases)+len(deprecated))
	for _, k := range keywords {
		m[strings.ToLower(k)] = k
	}
	for _, k := range deprecated {
		m[strings.ToLower(k)] = k
	}
	for a, k := range aliases {
		m[a] = k
	}
	return m
}()

// Canonical returns the documented spelling of keyword kw (matched
// case-insensitively, deprecated aliases resolved), or kw unchanged when it
// is not a known keyword.
func Canonical(kw string) string {
	if c, ok := canonical[strings.ToLower(kw)]; ok {
		return c
	}
	return kw
}

// Known reports whether kw is a known sshd_config keyword.
func Known(kw string) bool {
	_, ok := canonical[strings.ToLower(kw)]
	return ok
}

// multi lists keywords whose every occurrence adds to the value; for all
// others sshd keeps the first value it reads.
var multi = map[string]bool{
	"AcceptEnv": true, "AllowGroups": true, "AllowUsers": true, "DenyGroups": true,
	"DenyUsers": true, "HostCertificate": true, "HostKey": true, "ListenAddress": true,
	"Port": true, "Subsystem": true,
}

// lastWins lists keywords whose every active line overwrites the value
// (servconf.c assigns them without the "unset" test of the others).
var lastWins = map[string]bool{"MaxStartups": true, "PerSourceMaxStartups": true, "PerSourceNetBlockSize": true}

// Multi reports whether keyword accumulates over occurrences.
func Multi(keyword string) bool { return multi[Canonical(keyword)] }

// Version is an OpenSSH release, e.g. 9.2.
type Version struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
	// Source says how it was determined, for evidence.
	Source string `json:"source,omitempty"`
	// SntrupAlias is set for distribution builds that backported the
	// suffix-less "sntrup761x25519-sha512" KEX name of OpenSSH 9.9 into
	// the default list (Debian 1:9.2p1-2+deb12u4 and later).
	SntrupAlias bool `json:"sntrup_alias,omitempty"`
}

// AtLeast reports whether v is major.minor or later. The zero Version is
// treated as current.
func (v Version) AtLeast(major, minor int) bool {
	if v.Major == 0 {
		return true
	}
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

func (v Version) String() string {
	if v.Major == 0 {
		return "unknown"
	}
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
}

// ParseVersion reads the OpenSSH release from a package version such as
// "1:9.2p1-2+deb12u3" or "8.7p1-38.el9".
func ParseVersion(s string) (Version, bool) {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	maj, rest, ok := strings.Cut(s, ".")
	if !ok {
		return Version{}, false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || a <= 0 || a > 99 {
		return Version{}, false
	}
	v := Version{Major: a, Minor: b}
	// openssh (1:9.2p1-2+deb12u4), changelog.Debian: "Make
	// sntrup761x25519-sha512 key exchange algorithm available without the
	// @openssh.com suffix too (closes: #1088873)".
	if _, u, ok := strings.Cut(rest, "+deb12u"); ok && a == 9 && b == 2 {
		if n, err := strconv.Atoi(u); err == nil && n >= 4 {
			v.SntrupAlias = true
		}
	}
	return v, true
}

// defaults are sshd's compiled-in values (as `sshd -T` prints them) for
// keywords a configuration leaves unset. Crypto lists are version dependent
// and come from DefaultAlgorithms.
var defaults = map[string]string{
	"AddressFamily":                   "any",
	"AllowAgentForwarding":            "yes",
	"AllowStreamLocalForwarding":      "yes",
	"AllowTcpForwarding":              "yes",
	"AuthenticationMethods":           "any",
	"AuthorizedKeysFile":              ".ssh/authorized_keys .ssh/authorized_keys2",
	"Banner":                          "none",
	"ChrootDirectory":                 "none",
	"ClientAliveCountMax":             "3",
	"ClientAliveInterval":             "0",
	"Compression":                     "yes",
	"DisableForwarding":               "no",
	"ExposeAuthInfo":                  "no",
	"FingerprintHash":                 "SHA256",
	"ForceCommand":                    "none",
	"GatewayPorts":                    "no",
	"GSSAPIAuthentication":            "no",
	"GSSAPICleanupCredentials":        "yes",
	"GSSAPIStrictAcceptorCheck":       "yes",
	"HostbasedAuthentication":         "no",
	"HostbasedUsesNameFromPacketOnly": "no",
	"IgnoreRhosts":                    "yes",
	"IgnoreUserKnownHosts":            "no",
	"KbdInteractiveAuthentication":    "yes",
	"KerberosAuthentication":          "no",
	"KerberosOrLocalPasswd":           "yes",
	"KerberosTicketCleanup":           "yes",
	"LogLevel":                        "INFO",
	"LoginGraceTime":                  "120",
	"MaxAuthTries":                    "6",
	"MaxSessions":                     "10",
	"MaxStartups":                     "10:30:100",
	"PasswordAuthentication":          "yes",
	"PermitEmptyPasswords":            "no",
	"PermitListen":                    "any",
	"PermitOpen":                      "any",
	"PermitRootLogin":                 "prohibit-password",
	"PermitTTY":                       "yes",
	"PermitTunnel":                    "no",
	"PermitUserEnvironment":           "no",
	"PermitUserRC":                    "yes",
	"PerSourceMaxStartups":            "none",
	"Port":                            "22",
	"PrintLastLog":                    "yes",
	"PrintMotd":                       "yes",
	"PubkeyAuthentication":            "yes",
	"RekeyLimit":                      "default none",
	"StreamLocalBindMask":             "0177",
	"StreamLocalBindUnlink":           "no",
	"StrictModes":                     "yes",
	"SyslogFacility":                  "AUTH",
	"TCPKeepAlive":                    "yes",
	"UseDNS":                          "no",
	"UsePAM":                          "no",
	"VersionAddendum":                 "none",
	"X11DisplayOffset":                "10",
	"X11Forwarding":                   "no",
	"X11UseLocalhost":                 "yes",
}

// Default returns the compiled-in default of keyword for OpenSSH v.
func Default(keyword string, v Version) (string, bool) {
	k := Canonical(keyword)
	if l, ok := DefaultAlgorithms(k, v); ok {
		return strings.Join(l, ","), true
	}
	switch k {
	case "RequiredRSASize":
		if v.AtLeast(9, 1) {
			return "1024", true
		}
		return "", false
	case "UnusedConnectionTimeout", "ChannelTimeout":
		if v.AtLeast(9, 2) {
			return "none", true
		}
		return "", false
	}
	d, ok := defaults[k]
	return d, ok
}

// ParseTime parses an sshd time value ("90", "1m30s", "2h", case
// insensitive units s, m, h, d, w) or a plain integer, in seconds.
func ParseTime(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, errors.New("empty value")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	var total int64
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			return 0, fmt.Errorf("%q is not an sshd time value", s)
		}
		n, _ := strconv.ParseInt(s[:i], 10, 64)
		mult := int64(1)
		if i < len(s) {
			switch s[i] {
			case 's':
			case 'm':
				mult = 60
			case 'h':
				mult = 3600
			case 'd':
				mult = 86400
			case 'w':
				mult = 604800
			default:
				return 0, fmt.Errorf("%q is not an sshd time value", s)
			}
			i++
		}
		total += n * mult
		if total > 1<<40 {
			return 0, fmt.Errorf("time value too large")
		}
		s = s[i:]
	}
	return total, nil
}
