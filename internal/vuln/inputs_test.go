package vuln

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// The test binary is a Go binary with build information.
func TestGoBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	if !IsGoBinary(exe) {
		t.Fatalf("%s not recognised as a Go binary", exe)
	}
	comps, err := GoBinary(exe)
	if err != nil {
		t.Fatal(err)
	}
	std := comps[0]
	if std.Name != "stdlib" || std.Ecosystem != "Go" || !strings.HasPrefix(runtime.Version(), "go"+std.Version[:strings.LastIndexByte(std.Version, '.')]) ||
		std.GOOS != runtime.GOOS || std.GOARCH != runtime.GOARCH || !strings.HasPrefix(std.PURL, "pkg:golang/stdlib@v") {
		t.Errorf("stdlib component %+v (runtime %s)", std, runtime.Version())
	}
	if c, ok := FromPURL(std.PURL); !ok || c.Name != "stdlib" || c.Version != std.Version {
		t.Errorf("purl round trip %+v", c)
	}
	if IsGoBinary("testdata/report.json.golden") {
		t.Error("a JSON file taken for a Go binary")
	}
	if _, err := GoBinary("testdata/report.json.golden"); err == nil {
		t.Error("GoBinary of a JSON file")
	}
}
