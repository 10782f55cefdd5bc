package catalogers

import (
	"sort"

	"github.com/package-url/packageurl-go"
)

// purl builds a canonical package URL (percent-encoded, qualifiers
// sorted); an empty name gives none.
func purl(typ, ns, name, version string, qual map[string]string) string {
	if name == "" {
		return ""
	}
	var q packageurl.Qualifiers
	keys := make([]string, 0, len(qual))
	for k := range qual {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if qual[k] != "" {
			q = append(q, packageurl.Qualifier{Key: k, Value: qual[k]})
		}
	}
	return packageurl.NewPackageURL(typ, ns, name, version, q, "").ToString()
}
