package sbom

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCheckOwnSBOMs: cradle's golden SBOMs are TR-03183-2 conformant for
// the fields the target can supply (SPDX 2.3 is scored but is not a
// format TR-03183-2 v2.1.0 accepts).
func TestCheckOwnSBOMs(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", goldenFiles[format].file))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Read(b)
			if err != nil {
				t.Fatal(err)
			}
			r := Check(d, goldenFiles[format].file)
			var buf bytes.Buffer
			if err := r.Table(&buf); err != nil {
				t.Fatal(err)
			}
			if r.Score != 100 || r.Conformant != (format != FormatSPDX23JSON) || r.Primary != "testdata/rootfs" {
				t.Errorf("score %.1f conformant %v:\n%s", r.Score, r.Conformant, buf.String())
			}
			// 5 packages; with their files (2 of libc6, 1 of openssh-server).
			if r.Components != 8 {
				t.Errorf("%d components", r.Components)
			}
			if !strings.Contains(buf.String(), "licence: no machine-readable copyright file") {
				t.Errorf("the table does not say why a licence is unavailable:\n%s", buf.String())
			}
		})
	}
}

// foreign is another tool's CycloneDX SBOM: no creator, a component with
// a SHA-256 only and no licence, one without dependencies stated.
const foreign = `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"2026-01-01T00:00:00Z",
 "component":{"type":"application","name":"app"}},
 "components":[
  {"bom-ref":"a","type":"library","name":"a","version":"1.0","purl":"pkg:npm/a@1.0",
   "supplier":{"name":"A","url":["https://a.example"]},"licenses":[{"expression":"MIT"}],
   "hashes":[{"alg":"SHA-512","content":"00"}],
   "properties":[{"name":"bsi:component:filename","value":"a.tgz"},{"name":"bsi:component:executable","value":"non-executable"},
    {"name":"bsi:component:archive","value":"archive"},{"name":"bsi:component:structured","value":"structured"}]},
  {"bom-ref":"b","type":"library","name":"b","hashes":[{"alg":"SHA-256","content":"00"}]}],
 "dependencies":[{"ref":"a","dependsOn":[]}]}`

func TestCheckForeign(t *testing.T) {
	d, err := Read([]byte(foreign))
	if err != nil {
		t.Fatal(err)
	}
	r := Check(d, "x.cdx.json")
	if r.Conformant || r.Document[0].Status != StatusMissing || r.Document[1].Status != StatusPresent || r.Primary != "app" {
		t.Errorf("report %+v", r)
	}
	// a: 11 of 11; b: name only of 11; document: 1 of 2 → 13 of 24.
	if r.Score != 54.1 || len(r.Gaps) != 1 || r.Gaps[0].Name != "b" || len(r.Gaps[0].Missing) != 10 {
		t.Errorf("score %.1f, gaps %+v", r.Score, r.Gaps)
	}
}

func TestReadRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":  "hello",
		"unknown":   `{"a":1}`,
		"bad cdx":   `{"bomFormat":"CycloneDX","components":7}`,
		"bad spdx2": `{"spdxVersion":"SPDX-2.3","packages":{}}`,
		"bad spdx3": `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":{}}`,
		"bad xml":   `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>`,
	} {
		if _, err := Read([]byte(in)); err == nil {
			t.Errorf("%s: read", name)
		}
	}
	deep := `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + strings.Repeat(`{"type":"library","name":"x","components":[`, 70) +
		strings.Repeat(`]}`, 70) + `]}`
	if _, err := Read([]byte(deep)); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestDiff(t *testing.T) {
	old := &Doc{Components: []DocComponent{
		{Name: "libc6", Version: "2.36-9", PURL: "pkg:deb/debian/libc6@2.36-9?arch=amd64"},
		{Name: "bash", Version: "5.2-1", PURL: "pkg:deb/debian/bash@5.2-1?arch=amd64"},
		{Name: "gone", Version: "1"},
		{Name: "same", Version: "1"},
		{Name: "file", Nested: true},
	}}
	cur := &Doc{Components: []DocComponent{
		{Name: "libc6", Version: "2.36-9+deb12u7", PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12"},
		{Name: "bash", Version: "5.2~rc1-1", PURL: "pkg:deb/debian/bash@5.2~rc1-1?arch=amd64"},
		{Name: "new", Version: "2"},
		{Name: "same", Version: "1"},
	}}
	r := Diff(old, cur, "a", "b")
	if len(r.Added) != 1 || r.Added[0].Name != "new" || len(r.Removed) != 1 || r.Removed[0].Name != "gone" || r.Unchanged != 1 {
		t.Errorf("%+v", r)
	}
	if len(r.Changed) != 2 || r.Changed[0].Name != "bash" || r.Changed[0].Direction != "downgraded" ||
		r.Changed[1].Name != "libc6" || r.Changed[1].Direction != "upgraded" {
		t.Errorf("changed %+v", r.Changed)
	}
	var buf bytes.Buffer
	if err := r.Table(&buf); err != nil || !strings.Contains(buf.String(), "1 added, 1 removed, 2 changed, 1 unchanged") {
		t.Errorf("table %q %v", buf.String(), err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		// Debian Policy §5.6.12 and dpkg's own examples.
		{"1.0~rc1", "1.0", -1}, {"1.0", "1.0+b1", -1}, {"1:1.0", "2.0", 1}, {"2.36-9", "2.36-9+deb12u7", -1},
		{"1.10", "1.9", 1}, {"1.0a", "1.0+", -1}, {"1.001", "1.1", 0}, {"9.2p1-2", "9.2p1-2", 0},
		// semver's precedence on plain releases.
		{"1.0.0", "2.0.0", -1}, {"2.1.1", "2.1.0", 1},
	} {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzRead: any input is read or refused without a panic, and what is
// read can be checked and diffed.
func FuzzRead(f *testing.F) {
	for _, g := range goldenFiles {
		b, _ := os.ReadFile(filepath.Join("testdata", g.file))
		f.Add(b)
	}
	f.Add([]byte(foreign))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Read(b)
		if err != nil {
			return
		}
		r := Check(d, "fuzz")
		if r.Score < 0 || r.Score > 100 {
			t.Fatalf("score %v", r.Score)
		}
		var buf bytes.Buffer
		if err := r.Table(&buf); err != nil {
			t.Fatal(err)
		}
		Diff(d, d, "a", "a")
	})
}

// TestReportGoldens: the check report of the CycloneDX golden and the
// diff of the foreign SBOM against it, as JSON and table.
func TestReportGoldens(t *testing.T) {
	read := func(b []byte) *Doc {
		d, err := Read(b)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	own, err := os.ReadFile(filepath.Join("testdata", "rootfs.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	minScore := 90.0
	check := Check(read(own), "rootfs.cdx.json")
	check.MinScore = &minScore
	foreignCheck := Check(read([]byte(foreign)), "x.cdx.json")
	diff := Diff(read([]byte(foreign)), read(own), "x.cdx.json", "rootfs.cdx.json")
	for name, r := range map[string]interface {
		JSON(w io.Writer) error
		Table(w io.Writer) error
	}{"check": check, "check-foreign": foreignCheck, "diff": diff} {
		for ext, render := range map[string]func(io.Writer) error{"json": r.JSON, "txt": r.Table} {
			var buf bytes.Buffer
			if err := render(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+"."+ext+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs (go test -update to accept):\n%s", golden, buf.Bytes())
			}
		}
	}
}

// FuzzFileLists: dpkg .list files and apk's installed database give
// absolute, clean paths and never panic.
func FuzzFileLists(f *testing.F) {
	f.Add([]byte("/.\n/usr\n/usr/bin/x\n/usr/../etc/y\n"))
	f.Add([]byte("P:musl\nV:1.2\nF:lib\nR:ld-musl.so.1\nR:../x\n\nP:b\nR:y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range parseDpkgList(b) {
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "/../") || p == "/" {
				t.Fatalf("dpkg path %q", p)
			}
		}
		for _, l := range ParseApkFiles(b) {
			for _, p := range l {
				if !strings.HasPrefix(p, "/") || strings.Contains(p, "/../") || p == "/" {
					t.Fatalf("apk path %q", p)
				}
			}
		}
	})
}

func TestGroupUnavailable(t *testing.T) {
	u := func(field, why string) FieldResult {
		return FieldResult{Field: field, Status: StatusUnavailable, Reason: why}
	}
	gaps := []ComponentGaps{
		{Name: "a", Version: "1", Unavailable: []FieldResult{u("hash", "owned by x (pkg a)"), u("filename", "owned by x (pkg a)"), u("licence", "none stated")}},
		{Name: "b", Unavailable: []FieldResult{u("filename", "owned by x (pkg b)"), u("hash", "owned by x (pkg b)")}},
		{Name: "c", Unavailable: []FieldResult{u("hash", "owned by x (pkg c)")}},
		{Name: "d", Unavailable: []FieldResult{u("licence", "none stated")}},
	}
	got := groupUnavailable(gaps)
	want := []unavailableGroup{
		{n: 2, fields: "filename, hash", reason: "owned by x (…)", example: "a 1: owned by x (pkg a)", first: "a 1"},
		{n: 2, fields: "licence", reason: "none stated", first: "a 1"},
		{n: 1, fields: "hash", reason: "owned by x (pkg c)", first: "c"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
