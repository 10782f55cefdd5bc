package sshd

import "strings"

// CryptoKeywords are the algorithm-list keywords that accept the "+", "-"
// and "^" modifiers against sshd's default list.
var CryptoKeywords = []string{"Ciphers", "MACs", "KexAlgorithms", "HostKeyAlgorithms",
	"PubkeyAcceptedAlgorithms", "HostbasedAcceptedAlgorithms", "CASignatureAlgorithms"}

func isCrypto(k string) bool {
	for _, c := range CryptoKeywords {
		if c == k {
			return true
		}
	}
	return false
}

const (
	defCiphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
	defMACs    = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com," +
		"hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"
	kexECDH   = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521"
	kexDH     = "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
	hostCerts = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com," +
		"ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com," +
		"rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com"
	hostPlain = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com," +
		"sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"
)

// DefaultAlgorithms returns sshd's default list for a crypto keyword in
// OpenSSH v (the unknown version is treated as current).
func DefaultAlgorithms(keyword string, v Version) ([]string, bool) {
	var s string
	switch Canonical(keyword) {
	case "Ciphers":
		s = defCiphers
	case "MACs":
		s = defMACs
	case "KexAlgorithms":
		switch {
		case v.AtLeast(10, 0):
			s = "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com," + kexECDH + "," + kexDH
		case v.AtLeast(9, 9):
			s = "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256," + kexECDH + "," + kexDH
		case v.AtLeast(8, 5) && v.SntrupAlias:
			s = "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com," + kexECDH + "," + kexDH
		case v.AtLeast(8, 5):
			s = "sntrup761x25519-sha512@openssh.com," + kexECDH + "," + kexDH
		case v.AtLeast(8, 2):
			s = kexECDH + "," + kexDH
		default:
			s = kexECDH + "," + kexDH + ",diffie-hellman-group14-sha1"
		}
	case "HostKeyAlgorithms", "PubkeyAcceptedAlgorithms", "HostbasedAcceptedAlgorithms":
		s = hostCerts + "," + hostPlain
		if !v.AtLeast(8, 8) {
			s = hostCerts + ",ssh-rsa-cert-v01@openssh.com," + hostPlain + ",ssh-rsa"
		}
	case "CASignatureAlgorithms":
		s = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"
	default:
		return nil, false
	}
	return strings.Split(s, ","), true
}

// supported lists algorithms an OpenSSH build may accept beyond its
// defaults; "+" and "^" patterns are expanded against it.
var supported = map[string]string{
	"Ciphers": defCiphers + ",3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,rijndael-cbc@lysator.liu.se,blowfish-cbc,cast128-cbc,arcfour,arcfour128,arcfour256",
	"MACs": defMACs + ",hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha1-96-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com," +
		"hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-ripemd160-etm@openssh.com",
	"KexAlgorithms": "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com," + kexECDH + "," + kexDH +
		",diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,diffie-hellman-group-exchange-sha1",
	"HostKeyAlgorithms": hostCerts + "," + hostPlain + ",ssh-rsa,ssh-rsa-cert-v01@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com",
}

func supportedList(k string) []string {
	switch k {
	case "PubkeyAcceptedAlgorithms", "HostbasedAcceptedAlgorithms", "CASignatureAlgorithms":
		k = "HostKeyAlgorithms"
	}
	return strings.Split(supported[k], ",")
}

// AssembleAlgorithms applies an sshd algorithm specification to the
// default list the way kex_assemble_names does: "+list" appends, "-list"
// removes and "^list" prepends (patterns allowed), a plain list replaces.
func AssembleAlgorithms(keyword, spec string, def []string) []string {
	k := Canonical(keyword)
	if spec == "" {
		return append([]string(nil), def...)
	}
	op := spec[0]
	switch op {
	case '+', '-', '^':
		spec = spec[1:]
	default:
		op = 0
	}
	pats := splitList(spec)
	expand := func() []string {
		var out []string
		for _, p := range pats {
			if !strings.ContainsAny(p, "*?") {
				out = appendUniq(out, p)
				continue
			}
			for _, a := range supportedList(k) {
				if MatchPattern(p, a) {
					out = appendUniq(out, a)
				}
			}
		}
		return out
	}
	switch op {
	case '+':
		out := append([]string(nil), def...)
		for _, a := range expand() {
			out = appendUniq(out, a)
		}
		return out
	case '-':
		var out []string
		for _, a := range def {
			if !matchAny(pats, a) {
				out = append(out, a)
			}
		}
		return out
	case '^':
		out := expand()
		for _, a := range def {
			out = appendUniq(out, a)
		}
		return out
	}
	var out []string
	for _, a := range pats {
		out = appendUniq(out, a)
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func appendUniq(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func matchAny(pats []string, s string) bool {
	for _, p := range pats {
		if MatchPattern(p, s) {
			return true
		}
	}
	return false
}

// MatchPattern matches s against an OpenSSH wildcard pattern ("*" any run,
// "?" one character), case-sensitively, with no other metacharacters.
func MatchPattern(pat, s string) bool {
	// Iterative wildcard matching with single-star backtracking: linear
	// enough for hostile input, no recursion.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && (pat[p] == '?' || pat[p] == s[i]):
			p++
			i++
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
