package fim

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A report names paths and link targets of the target, which can be any
// bytes. Like Entry, the report's changes and problems carry a string
// that is not valid UTF-8 hex-encoded (path_hex, old_hex, ...), so a
// saved JSON report re-renders (cradle convert) to exactly the bytes of
// the report it was saved from, and names the very file that changed.

type changeAlias Change

type changeWire struct {
	changeAlias
	PathHex string `json:"path_hex,omitempty"`
}

// MarshalJSON encodes c, hex-encoding a path that is not UTF-8.
func (c Change) MarshalJSON() ([]byte, error) {
	w := changeWire{changeAlias: changeAlias(c)}
	hexIfInvalid(&w.Path, &w.PathHex)
	return json.Marshal(w)
}

// UnmarshalJSON decodes c; unknown properties are ignored (a newer minor
// version may add some).
func (c *Change) UnmarshalJSON(b []byte) error {
	var w changeWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if err := unhex(&w.Path, w.PathHex, "path"); err != nil {
		return err
	}
	*c = Change(w.changeAlias)
	return nil
}

type diffAlias Diff

type diffWire struct {
	diffAlias
	OldHex string `json:"old_hex,omitempty"`
	NewHex string `json:"new_hex,omitempty"`
}

// MarshalJSON encodes d, hex-encoding values (link targets) that are not
// UTF-8.
func (d Diff) MarshalJSON() ([]byte, error) {
	w := diffWire{diffAlias: diffAlias(d)}
	hexIfInvalid(&w.Old, &w.OldHex)
	hexIfInvalid(&w.New, &w.NewHex)
	return json.Marshal(w)
}

// UnmarshalJSON decodes d.
func (d *Diff) UnmarshalJSON(b []byte) error {
	var w diffWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if err := unhex(&w.Old, w.OldHex, "old"); err != nil {
		return err
	}
	if err := unhex(&w.New, w.NewHex, "new"); err != nil {
		return err
	}
	*d = Diff(w.diffAlias)
	return nil
}

type problemAlias Problem

type problemWire struct {
	problemAlias
	PathHex  string `json:"path_hex,omitempty"`
	ErrorHex string `json:"error_hex,omitempty"`
}

// MarshalJSON encodes p, hex-encoding a path or message (which quotes
// the path) that is not UTF-8.
func (p Problem) MarshalJSON() ([]byte, error) {
	w := problemWire{problemAlias: problemAlias(p)}
	hexIfInvalid(&w.Path, &w.PathHex)
	hexIfInvalid(&w.Error, &w.ErrorHex)
	return json.Marshal(w)
}

// UnmarshalJSON decodes p.
func (p *Problem) UnmarshalJSON(b []byte) error {
	var w problemWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if err := unhex(&w.Path, w.PathHex, "path"); err != nil {
		return err
	}
	if err := unhex(&w.Error, w.ErrorHex, "error"); err != nil {
		return err
	}
	*p = Problem(w.problemAlias)
	return nil
}

// hexIfInvalid moves *s into *h, hex-encoded, when it is not UTF-8.
func hexIfInvalid(s, h *string) {
	if !utf8.ValidString(*s) {
		*h, *s = hexString(*s), ""
	}
}

func hexString(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&0xf])
	}
	return b.String()
}

// Printable shows a hostile name to people: a string with control or
// other non-printing characters (ANSI escapes, bidirectional overrides)
// or invalid UTF-8 is quoted with Go escapes, so every renderer shows the
// exact bytes and none can be tricked into showing another name.
func Printable(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return strconv.Quote(s)
	}
	return s
}

// ValidUTF8 replaces each byte of s that is not UTF-8 with U+FFFD, as
// encoding/json does: the report's own metadata (target, policy and
// database names, which come from the command line) travel as plain
// JSON strings, so renderers show them as a saved report would.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s { // an invalid byte ranges as one utf8.RuneError
		b.WriteRune(r)
	}
	return b.String()
}

// Portable returns a copy of r as it reads back from its JSON form:
// metadata strings with invalid UTF-8 replaced. Changes, problems and
// entries round-trip exactly (hex-encoded where needed) and are shared.
func (r *Report) Portable() *Report {
	c := *r
	c.Target, c.Policy.Name, c.Policy.Hash = ValidUTF8(r.Target), ValidUTF8(r.Policy.Name), ValidUTF8(r.Policy.Hash)
	for _, d := range []**DBInfo{&c.Database, &c.Previous} {
		if *d != nil {
			v := **d
			v.Path, v.Digest, v.Host, v.KeyID, v.PolicyHash = ValidUTF8(v.Path), ValidUTF8(v.Digest), ValidUTF8(v.Host), ValidUTF8(v.KeyID), ValidUTF8(v.PolicyHash)
			*d = &v
		}
	}
	return &c
}
