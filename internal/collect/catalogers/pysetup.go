package catalogers

import (
	"regexp"
	"strings"
)

// pySetup reads setup.py without running it: a heuristic text scan for
// string literals that are exact pins ("name==1.2.3", with extras or a
// marker), as install_requires, extras_require and setup_requires lists
// hold them, wherever the literal stands (a list may be built in a
// variable first). Comments, triple-quoted strings and literals with a
// template ("{", "%") are not read; ranges say nothing installed.
var pySetup = wholeFile{name: "python-setup", base: "setup.py", parse: func(b []byte) ([]Package, error) { return parseSetupPy(b), nil }}

// pySetupPinRE is a whole literal that pins one requirement.
var pySetupPinRE = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(;.*)?$`)

func parseSetupPy(b []byte) []Package {
	var out []Package
	seen := map[string]bool{}
	for _, lit := range pyStringLiterals(b) {
		if strings.ContainsAny(lit, "{}%*") {
			continue
		}
		m := pySetupPinRE.FindStringSubmatch(lit)
		if m == nil {
			continue
		}
		p := pyPackage(m[1], m[3])
		if seen[p.Key+"@"+p.Version] {
			continue
		}
		seen[p.Key+"@"+p.Version] = true
		out = append(out, p)
	}
	return pyDedupe(out)
}

// maxPyLiteral bounds the literals pyStringLiterals returns: a pin is
// short.
const maxPyLiteral = 256

// pyStringLiterals returns the single-line string literals of Python
// source, in order: '…' and "…" with backslash escapes kept as written,
// outside comments; triple-quoted strings (docstrings) are skipped, and
// so are prefixed literals other than r/u (f-strings, bytes). One pass,
// linear in the input.
func pyStringLiterals(b []byte) []string {
	var out []string
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			prefix := byte(0)
			if i > 0 && isPyIdent(b[i-1]) {
				prefix = b[i-1] | 0x20
				if i > 1 && isPyIdent(b[i-2]) {
					prefix = 'x' // two-letter prefixes (rb, br, fr) or an identifier
				}
			}
			if i+2 < len(b) && b[i+1] == c && b[i+2] == c {
				i = skipTriple(b, i+3, c)
				continue
			}
			j := i + 1
			for j < len(b) && b[j] != c && b[j] != '\n' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(b) && b[j] == c && j-i-1 <= maxPyLiteral && (prefix == 0 || prefix == 'r' || prefix == 'u') {
				out = append(out, string(b[i+1:j]))
			}
			i = j
		}
	}
	return out
}

// skipTriple returns the index of the last quote closing a triple-quoted
// string whose body starts at i (or the end of b).
func skipTriple(b []byte, i int, q byte) int {
	for ; i < len(b); i++ {
		if b[i] == '\\' {
			i++
			continue
		}
		if b[i] == q && i+2 < len(b) && b[i+1] == q && b[i+2] == q {
			return i + 2
		}
	}
	return len(b)
}

func isPyIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
