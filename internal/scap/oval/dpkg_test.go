package oval

import (
	"os/exec"
	"testing"
)

// TestDebianEVRAgreesWithDpkg checks debian_evr_string ordering against
// dpkg --compare-versions itself where dpkg is installed.
func TestDebianEVRAgreesWithDpkg(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg not installed")
	}
	versions := []string{"1.0", "1.0-0", "1.0-1", "1.0-1+b1", "1.0~rc1", "1.0~rc1~1", "1:0.9", "0:1.0", "1.0a", "1.0.1",
		"1.0+dfsg-1", "1.0-1ubuntu1", "2.36-9+deb12u4", "2.36-9+deb12u10", "1:9.2p1-2+deb12u3", "1:9.2p1-2", "10", "9", "1.0-1.1", "1.0-1~bpo1"}
	// A spread of pairs in both directions keeps the dpkg calls few.
	for i, a := range versions {
		steps := []int{1, 3, 7, 12}
		if testing.Short() {
			steps = steps[:1]
		}
		for _, step := range steps {
			b := versions[(i+step)%len(versions)]
			ok, err := MatchEntity(LessThan, DebianEVRString, b, a) // a < b
			if err != nil {
				t.Fatalf("%s < %s: %v", a, b, err)
			}
			want := exec.Command(dpkg, "--compare-versions", a, "lt", b).Run() == nil
			if ok != want {
				t.Errorf("%s < %s: engine %v, dpkg %v", a, b, ok, want)
			}
			ok, _ = MatchEntity(GreaterThan, DebianEVRString, b, a)
			want = exec.Command(dpkg, "--compare-versions", a, "gt", b).Run() == nil
			if ok != want {
				t.Errorf("%s > %s: engine %v, dpkg %v", a, b, ok, want)
			}
		}
	}
}
