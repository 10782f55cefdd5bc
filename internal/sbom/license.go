package sbom

import (
	"regexp"
	"sort"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// debianSPDX maps the short names of Debian's copyright format
// (copyright-format 1.0, "License Specification") that are not SPDX
// identifiers to them (lower case). The GNU families (GPL-2+, LGPL-2.1,
// GFDL-1.3+ …) are mapped by gnuLicense instead.
var debianSPDX = map[string]string{
	"expat": "MIT", "mit/x11": "MIT", "artistic": "Artistic-1.0", "artistic-1": "Artistic-1.0",
	"artistic-2": "Artistic-2.0", "artistic-2.0": "Artistic-2.0",
	"bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
	"apache-2": "Apache-2.0", "mpl-1.1": "MPL-1.1", "mpl-2": "MPL-2.0", "zlib": "Zlib",
	"cc0": "CC0-1.0", "python": "Python-2.0", "psf-2": "PSF-2.0", "zope-2.1": "ZPL-2.1",
	"perl": "Artistic-1.0-Perl OR GPL-1.0-or-later",
}

// debianExceptions maps the keyword of Debian's "LICENCE with KEYWORD
// exception" to the SPDX exception id, where SPDX has one.
var debianExceptions = map[string]string{
	"font": "Font-exception-2.0", "classpath": "Classpath-exception-2.0",
	"libtool": "Libtool-exception", "bison": "Bison-exception-2.2", "bison-2.2": "Bison-exception-2.2",
	"gcc-3.1": "GCC-exception-3.1", "autoconf-3.0": "Autoconf-exception-3.0", "u-boot": "u-boot-exception-2.0",
}

// gnuName matches the GNU licences in Debian's and SPDX's deprecated
// notation: GPL-2, GPL-2+, GPL-2.0+, LGPL-2.1, AGPL-3+, GFDL-1.3 …
var gnuName = regexp.MustCompile(`(?i)^(a?gpl|lgpl|gfdl)-([1-9])(?:\.([0-9]))?(\+)?$`)

// gnuLicense maps a GNU licence name to its current SPDX id ("" when it
// is none): "GPL-2+" → "GPL-2.0-or-later", "LGPL-2.1" → "LGPL-2.1-only".
func gnuLicense(w string) string {
	m := gnuName.FindStringSubmatch(w)
	if m == nil {
		return ""
	}
	minor := m[3]
	if minor == "" {
		minor = "0"
	}
	id := strings.ToUpper(m[1]) + "-" + m[2] + "." + minor + "-only"
	if m[4] != "" {
		id = strings.TrimSuffix(id, "-only") + "-or-later"
	}
	if ok, _ := spdxexp.ActiveLicense(id); !ok {
		return ""
	}
	return id
}

// licenseID maps one licence name to a current SPDX id or, for the Debian
// table's compound entries, a parenthesised expression; "" when unknown.
func licenseID(w string) string {
	lw := strings.ToLower(w)
	if id := debianSPDX[lw]; id != "" {
		if strings.Contains(id, " ") {
			return "(" + id + ")"
		}
		return id
	}
	if id := gnuLicense(w); id != "" {
		return id
	}
	if strings.HasPrefix(w, "LicenseRef-") || strings.HasPrefix(w, "DocumentRef-") {
		return w
	}
	if ok, id := spdxexp.ActiveLicense(w); ok {
		return id
	}
	return ""
}

// SPDXExpression returns the licence l as a valid SPDX licence expression
// with current ids — Debian's short names (GPL-2+, Expat), SPDX's
// deprecated ids (GPL-2.0+) and lower-case operators mapped — or "" when
// a part of it is no known licence (GPLv2+, free text, "public-domain").
// cradle does not guess beyond the table.
func SPDXExpression(l string) string {
	expr, refs := licenseExpression(l, false)
	if len(refs) > 0 {
		return ""
	}
	return expr
}

// DebianExpression is SPDXExpression for the License field of a Debian
// copyright file: a name that is no SPDX licence (public-domain,
// OpenSSH, "GPL-2+ with OpenSSL exception") is kept as a LicenseRef of
// that name ("LicenseRef-public-domain"), not replaced by a guess, and
// refs maps each LicenseRef used to the name it stands for. Commas
// separate parts with lower precedence than "and" and "or", as the
// copyright format defines: "A or B, and C" is "(A OR B) AND C".
func DebianExpression(l string) (expr string, refs map[string]string) {
	return licenseExpression(l, true)
}

var refUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// licenseRef names an unknown licence: LicenseRef- and the name with
// characters an SPDX idstring cannot hold replaced ("+" by "-or-later").
func licenseRef(name string) string {
	s := strings.ReplaceAll(name, "+", "-or-later")
	s = strings.Trim(refUnsafe.ReplaceAllString(s, "-"), "-")
	return "LicenseRef-" + s
}

// licenseExpression converts l; unknown names become LicenseRefs
// (returned in refs) when keepRefs, else the result is "" with a non-nil
// refs.
func licenseExpression(l string, keepRefs bool) (string, map[string]string) {
	l = strings.TrimSpace(l)
	if l == "" || len(l) > 1024 {
		return "", nil
	}
	refs := map[string]string{}
	var parts []string
	for i, seg := range strings.Split(l, ",") {
		words := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(seg))
		if i > 0 {
			// ", and C": the operator joins C to everything before.
			if len(words) == 0 {
				return "", nil
			}
			op := strings.ToUpper(words[0])
			if op != "AND" && op != "OR" {
				return "", nil
			}
			if prev := strings.Join(parts, " "); strings.Contains(prev, " ") {
				parts = []string{"(" + prev + ")"}
			}
			parts, words = append(parts, op), words[1:]
			conv := convertWords(words, refs)
			if conv == "" {
				return "", nil
			}
			if len(words) > 1 {
				conv = "(" + conv + ")"
			}
			parts = append(parts, conv)
			continue
		}
		conv := convertWords(words, refs)
		if conv == "" {
			return "", nil
		}
		parts = append(parts, conv)
	}
	expr := strings.Join(parts, " ")
	if len(refs) > 0 && !keepRefs {
		return "", refs
	}
	if ok, _ := spdxexp.ValidateLicenses([]string{expr}); !ok {
		return "", nil
	}
	if len(refs) == 0 {
		refs = nil
	}
	return expr, refs
}

// convertWords converts the words of one comma-free part: operators to
// upper case, licence names mapped, "with X exception" to WITH an SPDX
// exception or, unknown, folded into the licence's LicenseRef.
func convertWords(words []string, refs map[string]string) string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch lw := strings.ToLower(w); {
		case w == "(" || w == ")":
			out = append(out, w)
		case lw == "or" || lw == "and":
			out = append(out, strings.ToUpper(lw))
		case lw == "with" && len(out) > 0:
			// SPDX's "WITH exception-id", or Debian's "with KEYWORD exception".
			j := i + 1
			for j < len(words) && !strings.EqualFold(words[j], "exception") && words[j] != ")" && !isOperator(words[j]) {
				j++
			}
			kw := strings.Join(words[i+1:j], " ")
			if j < len(words) && strings.EqualFold(words[j], "exception") {
				if id := debianExceptions[strings.ToLower(kw)]; id != "" {
					out = append(out, "WITH", id)
				} else {
					// No SPDX exception: the licence with it is one unknown licence.
					prev := out[len(out)-1]
					name := prev + " with " + kw + " exception"
					if orig, ok := refs[prev]; ok {
						delete(refs, prev)
						name = orig + " with " + kw + " exception"
					} else if before := words[i-1]; before != prev {
						name = before + " with " + kw + " exception"
					}
					ref := licenseRef(name)
					refs[ref] = name
					out[len(out)-1] = ref
				}
				i = j
				continue
			}
			if ok, id := spdxExceptionID(kw); ok && j == i+2 {
				out = append(out, "WITH", id)
				i = j - 1
				continue
			}
			return ""
		default:
			id := licenseID(w)
			if id == "" {
				id = licenseRef(w)
				refs[id] = w
			}
			out = append(out, id)
		}
	}
	s := strings.Join(out, " ")
	return strings.ReplaceAll(strings.ReplaceAll(s, "( ", "("), " )", ")")
}

func isOperator(w string) bool { return strings.EqualFold(w, "or") || strings.EqualFold(w, "and") }

// spdxExceptionID validates an SPDX exception id by asking go-spdx about
// "MIT WITH id" (it exposes no exception lookup of its own).
func spdxExceptionID(id string) (bool, string) {
	norm, bad := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{"MIT WITH " + id}, spdxexp.ValidateLicensesOptions{})
	if len(bad) > 0 || len(norm) != 1 {
		return false, ""
	}
	return true, strings.TrimPrefix(norm[0], "MIT WITH ")
}

// licenseRefs lists refs' ids sorted.
func licenseRefs(refs map[string]string) []string {
	ids := make([]string, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// componentLicense is the SPDX expression of c's licence, Debian's
// notation read as DebianExpression for dpkg packages; refs names the
// LicenseRefs it uses. "" when it is no expression.
func componentLicense(c Component) (string, map[string]string) {
	if c.Manager == "dpkg" {
		return DebianExpression(c.License)
	}
	return SPDXExpression(c.License), nil
}

// debianRefComment explains the LicenseRefs made of Debian short names.
const debianRefComment = "a licence short name of the package's Debian copyright file (/usr/share/doc/PACKAGE/copyright has its text) that is no SPDX licence"
