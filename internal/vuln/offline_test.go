package vuln

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOffline: matching, the database, VEX and the catalogers cannot
// reach the network: nothing they build on, however deep, links the net
// package (so no HTTP client, DNS or sockets). Downloading data is the
// operator's step; see docs/vulnerabilities.md.
func TestOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}",
		"github.com/cradle-cra/cradle/internal/vuln/...", "github.com/cradle-cra/cradle/internal/vex",
		"github.com/cradle-cra/cradle/internal/collect/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "net" || strings.HasPrefix(p, "net/http") || p == "crypto/tls" {
			t.Errorf("a vulnerability or cataloguing package depends on %s", p)
		}
	}
}
