package vuln

import (
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/vuln/osv"
)

// ScoreVector computes the base score of one CVSS v3.0, v3.1 or v4.0
// vector (the form "CVSS:3.1/AV:N/…") and its qualitative severity. A
// vector that does not parse is an error: people type these, and a typo
// must not become a score.
func ScoreVector(vector string) (*CVSS, string, error) {
	v := strings.TrimSpace(vector)
	if !strings.HasPrefix(v, "CVSS:3.0/") && !strings.HasPrefix(v, "CVSS:3.1/") && !strings.HasPrefix(v, "CVSS:4.0/") {
		return nil, "", fmt.Errorf("CVSS vector %q: want CVSS:3.0/…, CVSS:3.1/… or CVSS:4.0/…", vector)
	}
	c := score(osv.Severity{Score: v})
	if c == nil {
		return nil, "", fmt.Errorf("CVSS vector %q does not parse", vector)
	}
	return c, level(c.Score), nil
}
