package vuln

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
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

// A distribution package in an SBOM carries its source package (cradle's
// property, or the purl's upstream qualifier), under which Debian's
// advisories name it.
func TestReadCycloneDXSource(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","components":[
{"name":"libssl3","purl":"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12","properties":[{"name":"cradle:package:source","value":"openssl"}]},
{"name":"libc6","purl":"pkg:deb/debian/libc6@2.36-9%2Bdeb12u3%2Bb1?distro=debian-12","properties":[{"name":"cradle:package:source","value":"glibc (2.36-9+deb12u3)"}]},
{"name":"zlib1g","purl":"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12&upstream=zlib"}]}`
	comps, gaps, err := ReadCycloneDX(strings.NewReader(doc))
	if err != nil || len(gaps) != 0 || len(comps) != 3 {
		t.Fatalf("%+v %+v %v", comps, gaps, err)
	}
	for i, want := range [][2]string{{"openssl", ""}, {"glibc", "2.36-9+deb12u3"}, {"zlib", ""}} {
		if comps[i].Source != want[0] || comps[i].SourceVersion != want[1] {
			t.Errorf("%s: source %q %q, want %v", comps[i].Name, comps[i].Source, comps[i].SourceVersion, want)
		}
	}
}

// cradle's own SBOMs in every JSON format give the same components,
// source packages included.
func TestReadSBOMFormats(t *testing.T) {
	var want []string
	for _, f := range []string{"rootfs.cdx.json", "rootfs.spdx23.json", "rootfs.spdx.json"} {
		fh, err := os.Open(filepath.Join("..", "sbom", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		comps, _, err := ReadSBOM(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var got []string
		for _, c := range comps {
			got = append(got, c.Ecosystem+" "+c.Name+" "+c.Version+" "+c.Source)
		}
		slices.Sort(got)
		if want == nil {
			want = got
			if !slices.Contains(got, "Debian:12 libc6 2.36-9+deb12u7 glibc") {
				t.Errorf("%s: libc6 without its source package: %q", f, got)
			}
		} else if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", f, got, want)
		}
	}
	if _, _, err := ReadSBOM(strings.NewReader(`<bom/>`)); err == nil || !strings.Contains(err.Error(), "XML") {
		t.Errorf("XML: %v", err)
	}
}
