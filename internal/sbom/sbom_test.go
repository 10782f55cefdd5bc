package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/package-url/packageurl-go"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixed is the golden files' timestamp.
var fixed = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func build(t *testing.T, dir string) *BOM {
	t.Helper()
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := Build(context.Background(), tg, "testdata/rootfs", false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func render(t *testing.T, b *BOM) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Write(&buf, FormatCycloneDXJSON, WriteOptions{Time: fixed, ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGoldenCycloneDX(t *testing.T) {
	got := render(t, build(t, "testdata/rootfs"))
	golden := filepath.Join("testdata", "rootfs.cdx.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update to accept):\n%s", golden, got)
	}
	// Same input, same bytes (serial included).
	if again := render(t, build(t, "testdata/rootfs")); !bytes.Equal(got, again) {
		t.Error("two renderings differ")
	}
	validate(t, want)
}

// validate checks doc against the CycloneDX 1.6 JSON schema.
func validate(t *testing.T, doc []byte) {
	t.Helper()
	if err := schemaCheck(t, doc); err != nil {
		t.Errorf("not valid CycloneDX 1.6: %v", err)
	}
}

// TestSchemaRejects: the schema check is not vacuous.
func TestSchemaRejects(t *testing.T) {
	bad := bytes.Replace(render(t, build(t, "testdata/rootfs")), []byte(`"type": "library"`), []byte(`"type": "gadget"`), 1)
	if schemaCheck(t, bad) == nil {
		t.Error("a component of an unknown type passed the schema")
	}
}

func schemaCheck(t *testing.T, doc []byte) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, v); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(v)
}

func TestComponents(t *testing.T) {
	b := build(t, "testdata/rootfs")
	byName := map[string]Component{}
	for _, c := range b.Components {
		byName[c.Name] = c
	}
	if _, ok := byName["old-removed"]; ok {
		t.Error("a package with only configuration files left is no component")
	}
	ssh := byName["openssh-server"]
	if ssh.PURL != "pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u3?arch=amd64&distro=debian-12" {
		t.Errorf("purl %s", ssh.PURL)
	}
	// Only installed dependencies become edges (procps is not on this
	// tree); the virtual mail-transport-agent resolves to its provider.
	if want := []string{byName["exim4-daemon-light"].Ref, byName["libc6"].Ref}; !slices.Equal(ssh.DependsOn, want) {
		t.Errorf("openssh-server depends on %v, want %v", ssh.DependsOn, want)
	}
	// Licences: from the machine-readable copyright file only.
	if l, l2 := byName["gcc-12-base"].License, byName["libc6"].License; l != "GPL-3+" || l2 != "" {
		t.Errorf("licences %q (want GPL-3+), %q (free-form: want none)", l, l2)
	}
	if s := byName["libc6"].Supplier; s.Name != "GNU Libc Maintainers" || s.Email != "debian-glibc@lists.debian.org" {
		t.Errorf("supplier %+v", s)
	}
	if b.Subject.OS != "Debian GNU/Linux 12 (bookworm)" || b.Subject.Version != "12" || len(b.Sources) != 1 {
		t.Errorf("subject %+v sources %v", b.Subject, b.Sources)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := (&BOM{}).Write(new(bytes.Buffer), "spdx-json", WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "spdx-json") {
		t.Errorf("err %v", err)
	}
}

// TestDebootstrap: every installed dpkg package of the Debian 12 fixture
// is a component with a purl, and the document is valid CycloneDX 1.6.
func TestDebootstrap(t *testing.T) {
	root := os.Getenv("CRADLE_TEST_ROOTFS")
	if root == "" {
		t.Skip("CRADLE_TEST_ROOTFS not set")
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := Build(context.Background(), tg, root, false)
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	installed := strings.Count(string(status), "Status: install ok installed")
	// The language catalogers add what the packages ship (Python
	// dist-info): only the dpkg components are compared with the status.
	var debs []Component
	for _, c := range b.Components {
		if strings.HasPrefix(c.PURL, "pkg:deb/") {
			debs = append(debs, c)
		}
	}
	if len(debs) != installed || installed < 50 {
		t.Errorf("%d deb components, %d installed packages", len(debs), installed)
	}
	for _, c := range debs {
		p, err := packageurl.FromString(c.PURL)
		if err != nil || p.Type != "deb" || p.Namespace != "debian" || p.Name != c.Name || p.Version != c.Version || p.Qualifiers.Map()["distro"] != "debian-12" {
			t.Errorf("%s: purl %q", c.Name, c.PURL)
		}
	}
	doc := render(t, b)
	validate(t, doc)
	var parsed struct{ Dependencies []json.RawMessage }
	if err := json.Unmarshal(doc, &parsed); err != nil || len(parsed.Dependencies) != len(b.Components)+1 {
		t.Errorf("dependencies: %d, err %v", len(parsed.Dependencies), err)
	}
}

// FuzzCycloneDX: any dpkg status file becomes a document that encodes
// and is JSON.
func FuzzCycloneDX(f *testing.F) {
	seed, _ := os.ReadFile(filepath.Join("testdata", "rootfs", "var", "lib", "dpkg", "status"))
	f.Add(seed)
	f.Add([]byte("Package: a\nStatus: install ok installed\nMaintainer: <broken\nDepends: a, a | b\n\nPackage: a\nStatus: install ok installed\n"))
	f.Fuzz(func(t *testing.T, status []byte) {
		pkgs := packages.ParseDpkgStatus(status, "/var/lib/dpkg/status")
		for i := range pkgs {
			pkgs[i].PURL = packages.PURL(pkgs[i], packages.Distro{ID: "debian", VersionID: "12"})
		}
		b := &BOM{Subject: Subject{Name: "fuzz", Type: TypeOperatingSystem}, Components: FromPackages(pkgs)}
		refs := map[string]bool{}
		for _, c := range b.Components {
			if refs[c.Ref] {
				t.Fatalf("duplicate bom-ref %q", c.Ref)
			}
			refs[c.Ref] = true
		}
		var buf bytes.Buffer
		if err := b.Write(&buf, FormatCycloneDXJSON, WriteOptions{Time: fixed}); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatal("not JSON")
		}
	})
}

// TestRPMEdges: rpm requires resolve through the capabilities packages
// provide; file and rpmlib requirements nobody provides by name are left.
func TestRPMEdges(t *testing.T) {
	pkgs := []packages.Package{
		{Name: "glibc", Version: "2.34-100.el9", Manager: packages.RPM, Installed: true, PURL: "pkg:rpm/rhel/glibc@2.34-100.el9",
			Provides: []string{"glibc", "libc.so.6()(64bit)"}},
		{Name: "bash", Version: "5.1.8-9.el9", Manager: packages.RPM, Installed: true, PURL: "pkg:rpm/rhel/bash@5.1.8-9.el9",
			Provides: []string{"/bin/sh", "bash"}, Depends: [][]string{{"libc.so.6()(64bit)"}, {"/bin/sh"}, {"filesystem"}}},
	}
	comps := FromPackages(pkgs)
	if comps[0].Name != "bash" || !slices.Equal(comps[0].DependsOn, []string{"pkg:rpm/rhel/glibc@2.34-100.el9"}) {
		t.Errorf("bash depends on %v", comps[0].DependsOn)
	}
}
