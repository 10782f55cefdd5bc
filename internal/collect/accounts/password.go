package accounts

import "strings"

// PasswordState classifies a password field without exposing it.
type PasswordState string

const (
	// Empty: no password at all — login without one may be possible.
	Empty PasswordState = "empty"
	// Locked: "!" prefix (passwd -l); the hash behind it, if any, is kept.
	Locked PasswordState = "locked"
	// Disabled: "*" or another value that no hash can match.
	Disabled PasswordState = "disabled"
	// Hashed: a usable password hash.
	Hashed PasswordState = "hashed"
	// InShadow: the passwd field is "x"; the password lives in shadow.
	InShadow PasswordState = "in_shadow"
)

// Classify returns the state of a shadow (or passwd) password field and,
// for hashes (also locked ones), the crypt(5) scheme name.
func Classify(field string) (PasswordState, string) {
	switch {
	case field == "":
		return Empty, ""
	case field == "x":
		return InShadow, ""
	case strings.HasPrefix(field, "!"):
		return Locked, Scheme(strings.TrimLeft(field, "!"))
	case strings.HasPrefix(field, "*"):
		return Disabled, ""
	}
	s := Scheme(field)
	if s == "" {
		return Disabled, ""
	}
	return Hashed, s
}

// schemes maps crypt(5) prefixes to scheme names.
var schemes = []struct{ prefix, name string }{
	{"$y$", "yescrypt"},
	{"$gy$", "gost-yescrypt"},
	{"$7$", "scrypt"},
	{"$2b$", "bcrypt"},
	{"$2a$", "bcrypt"},
	{"$2y$", "bcrypt"},
	{"$2x$", "bcrypt"},
	{"$6$", "sha512crypt"},
	{"$5$", "sha256crypt"},
	{"$sha1$", "sha1crypt"},
	{"$md5", "sunmd5"},
	{"$3$", "nthash"},
	{"$1$", "md5crypt"},
}

// Scheme names the hashing scheme of a crypt(5) hash: yescrypt,
// gost-yescrypt, scrypt, bcrypt, sha512crypt, sha256crypt, sha1crypt,
// sunmd5, nthash, md5crypt, bsdicrypt, descrypt, "unknown" for another
// "$id$" form, or "" when field is not a hash at all.
func Scheme(field string) string {
	for _, s := range schemes {
		if strings.HasPrefix(field, s.prefix) {
			return s.name
		}
	}
	switch {
	case strings.HasPrefix(field, "$"):
		return "unknown"
	case strings.HasPrefix(field, "_") && len(field) == 20:
		return "bsdicrypt"
	case len(field) == 13 && isDESAlphabet(field):
		return "descrypt"
	}
	return ""
}

func isDESAlphabet(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// Password returns the effective password field of u: the shadow hash
// when shadowed, otherwise the passwd field. ok is false when the password
// is shadowed but the shadow entry is unknown.
func (u *User) Password() (field string, ok bool) {
	if u.Passwd == "x" {
		if u.Shadow == nil {
			return "", false
		}
		return u.Shadow.Hash, true
	}
	return u.Passwd, true
}
