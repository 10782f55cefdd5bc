package packages

import (
	"bytes"
	"strings"
)

// DebianCopyrightPath is where a dpkg package's copyright file lives,
// relative to the target root.
func DebianCopyrightPath(pkg string) string { return "usr/share/doc/" + pkg + "/copyright" }

// DebianLicense returns the licence short name a machine-readable Debian
// copyright file (copyright-format 1.0, DEP-5) gives for the package as a
// whole: the License of the "Files: *" paragraph, else the header's. A
// free-form copyright file yields "" — there is no reliable licence in
// prose. The names are Debian's ("GPL-2+", "BSD-3-clause"), close to but
// not always SPDX identifiers.
func DebianLicense(b []byte) string {
	if !bytes.HasPrefix(b, []byte("Format:")) && !bytes.HasPrefix(b, []byte("format:")) {
		return ""
	}
	var header, all string
	first := true
	eachStanza(b, func(fields map[string]string, _ map[string]int) {
		lic, _, _ := strings.Cut(fields["license"], "\n")
		lic = strings.TrimSpace(lic)
		if first {
			header, first = lic, false
			return
		}
		if all == "" && strings.TrimSpace(fields["files"]) == "*" {
			all = lic
		}
	})
	if all != "" {
		return all
	}
	return header
}
