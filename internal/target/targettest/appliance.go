package targettest

import (
	"os"
	"os/exec"
	"testing"
)

// Appliance returns the appliance tree scripts/fixture-appliance.sh builds
// (CRADLE_TEST_APPLIANCE). Without it, without root or without one of the
// tools the test runs, the test is skipped — or fails when
// CRADLE_REQUIRE_FIXTURES=1 (as in CI). why says what root is needed for.
func Appliance(t testing.TB, why string, tools ...string) string {
	t.Helper()
	skip := t.Skip
	if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
		skip = t.Fatal
	}
	dir := os.Getenv("CRADLE_TEST_APPLIANCE")
	if dir == "" {
		skip("CRADLE_TEST_APPLIANCE not set; run via .ci/run or set it to the tree scripts/fixture-appliance.sh builds")
	}
	if os.Geteuid() != 0 {
		skip("needs root: " + why)
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			skip("needs " + tool)
		}
	}
	return dir
}
