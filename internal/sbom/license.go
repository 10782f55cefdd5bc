package sbom

import (
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// debianSPDX maps the short names of Debian's copyright format
// (copyright-format 1.0, "License Specification") that differ from SPDX
// identifiers to them; names not here must already be SPDX ids.
var debianSPDX = map[string]string{
	"gpl-1": "GPL-1.0-only", "gpl-1+": "GPL-1.0-or-later",
	"gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
	"gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
	"lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
	"lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
	"lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
	"agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later",
	"gfdl-1.2": "GFDL-1.2-only", "gfdl-1.2+": "GFDL-1.2-or-later",
	"gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later",
	"expat": "MIT", "artistic": "Artistic-1.0", "artistic-2.0": "Artistic-2.0",
	"bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
	"apache-2.0": "Apache-2.0", "mpl-1.1": "MPL-1.1", "mpl-2.0": "MPL-2.0", "zlib": "Zlib",
	"isc": "ISC", "cc0-1.0": "CC0-1.0", "python-2.0": "Python-2.0", "openssl": "OpenSSL",
}

// SPDXExpression returns the licence l as a valid SPDX licence expression
// — as it is, or with Debian's short names (GPL-2+, Expat) and lower-case
// operators mapped — or "" when it cannot be one (GPLv2+, free text,
// "public-domain"). cradle does not guess beyond the table.
func SPDXExpression(l string) string {
	l = strings.TrimSpace(l)
	if l == "" || len(l) > 1024 {
		return ""
	}
	if ok, _ := spdxexp.ValidateLicenses([]string{l}); ok {
		return l
	}
	words := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ", ",", " ").Replace(l))
	for i, w := range words {
		switch lw := strings.ToLower(w); {
		case lw == "or" || lw == "and" || lw == "with":
			words[i] = strings.ToUpper(lw)
		case debianSPDX[lw] != "":
			words[i] = debianSPDX[lw]
		}
	}
	expr := strings.ReplaceAll(strings.ReplaceAll(strings.Join(words, " "), "( ", "("), " )", ")")
	if ok, _ := spdxexp.ValidateLicenses([]string{expr}); ok {
		return expr
	}
	return ""
}
