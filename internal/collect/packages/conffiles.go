package packages

import (
	"encoding/hex"
	"path"
	"strings"
)

// maxConffilePath bounds one conffile path (PATH_MAX).
const maxConffilePath = 4096

// dpkgConffiles parses a status stanza's Conffiles field: one
// " /path md5 [obsolete]" line each. A digest that is not 32 hex digits
// ("newconffile") is recorded as "".
func dpkgConffiles(field string) map[string]string {
	if strings.TrimSpace(field) == "" {
		return nil
	}
	var out map[string]string
	for _, line := range strings.Split(field, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "/") || len(f[0]) > maxConffilePath || strings.ContainsRune(f[0], 0) {
			continue
		}
		md5 := strings.ToLower(f[1])
		if _, err := hex.DecodeString(md5); err != nil || len(md5) != 32 {
			md5 = ""
		}
		if out == nil {
			out = map[string]string{}
		}
		out[path.Clean(f[0])] = md5
	}
	return out
}
