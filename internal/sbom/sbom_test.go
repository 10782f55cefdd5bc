package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
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
	return renderAs(t, b, FormatCycloneDXJSON, WriteOptions{Time: fixed, ToolVersion: "test"})
}

func renderAs(t *testing.T, b *BOM, format string, o WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Write(&buf, format, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// goldenOpts are the golden documents' options: a creator, and the
// packages' files as components of their own.
var goldenOpts = WriteOptions{Time: fixed, ToolVersion: "test", Creator: "SBOM Team <sbom@example.com>", Files: true}

// goldenFiles names each format's golden document and its schema check
// (the XML one by xmllint against the official XSD).
var goldenFiles = map[string]struct {
	file   string
	schema func(*testing.T, []byte) error
}{
	FormatCycloneDXJSON: {"rootfs.cdx.json", schemaCheck},
	FormatCycloneDXXML:  {"rootfs.cdx.xml", xsdCheck},
	FormatSPDXJSON:      {"rootfs.spdx.json", spdx3Check},
	FormatSPDX23JSON:    {"rootfs.spdx23.json", spdx23Check},
}

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			g := goldenFiles[format]
			got := renderAs(t, build(t, "testdata/rootfs"), format, goldenOpts)
			golden := filepath.Join("testdata", g.file)
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
			// Same input, same bytes (serial, namespace, ids included).
			if again := renderAs(t, build(t, "testdata/rootfs"), format, goldenOpts); !bytes.Equal(got, again) {
				t.Error("two renderings differ")
			}
			if g.schema != nil {
				if err := g.schema(t, want); err != nil {
					t.Errorf("%s does not validate against its schema: %v", golden, err)
				}
			}
		})
	}
}

// TestCycloneDXXML: the XML document decodes to the JSON one's BOM.
func TestCycloneDXXML(t *testing.T) {
	b := build(t, "testdata/rootfs")
	var fromXML, fromJSON cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(renderAs(t, b, FormatCycloneDXXML, goldenOpts)), cdx.BOMFileFormatXML).Decode(&fromXML); err != nil {
		t.Fatal(err)
	}
	if err := cdx.NewBOMDecoder(bytes.NewReader(renderAs(t, b, FormatCycloneDXJSON, goldenOpts)), cdx.BOMFileFormatJSON).Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	// Component 3 is libc6, with files.
	x, j := (*fromXML.Components)[2], (*fromJSON.Components)[2]
	if fromXML.SerialNumber != fromJSON.SerialNumber || len(*fromXML.Components) != len(*fromJSON.Components) ||
		x.Name != "libc6" || x.Hashes == nil || (*x.Hashes)[0] != (*j.Hashes)[0] || x.PackageURL != j.PackageURL ||
		x.Components == nil || len(*x.Components) != len(*j.Components) {
		t.Errorf("XML and JSON differ: %+v", x)
	}
}

// validate checks doc against the CycloneDX 1.6 JSON schema.
func validate(t *testing.T, doc []byte) {
	t.Helper()
	if err := schemaCheck(t, doc); err != nil {
		t.Errorf("not valid CycloneDX 1.6: %v", err)
	}
}

func spdx23Check(t *testing.T, doc []byte) error {
	return jsonSchemaCheck(t, doc, "spdx-2.3.schema.json")
}

func spdx3Check(t *testing.T, doc []byte) error {
	return jsonSchemaCheck(t, doc, "spdx-3.0.1.schema.json")
}

// re2 compiles the schemas' patterns with Go's regexp, after rewriting
// the one lookahead of the SPDX 3.0.1 schema (an IRI that is not a blank
// node) to an equivalent RE2 expression.
func re2(s string) (jsonschema.Regexp, error) {
	if s == "^(?!_:).+:.+" {
		s = "^([^_]|_[^:]).*:.+"
	}
	return regexp.Compile(s)
}

// jsonSchemaCheck validates doc against one self-contained schema of
// testdata/schema.
func jsonSchemaCheck(t *testing.T, doc []byte, schema string) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseRegexpEngine(re2)
	b, err := os.ReadFile(filepath.Join("testdata", "schema", schema))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", schema, err)
	}
	if err := c.AddResource("file:///"+schema, v); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///" + schema)
	if err != nil {
		t.Fatal(err)
	}
	d, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(d)
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
	err := (&BOM{}).Write(new(bytes.Buffer), "spdx-rdf", WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "spdx-rdf") {
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
	dpkg := 0
	for _, c := range b.Components {
		if c.Manager != packages.Dpkg {
			// Catalogued (python3's egg-info): no hash of its own, and
			// the reason names the dpkg package that has it.
			if !strings.HasPrefix(c.PURL, "pkg:pypi/") || c.SHA512 != "" || !strings.Contains(c.Unavailable[FieldHash], "dpkg package") {
				t.Errorf("%s: purl %q, hash reason %q", c.Name, c.PURL, c.Unavailable[FieldHash])
			}
			continue
		}
		dpkg++
		p, err := packageurl.FromString(c.PURL)
		if err != nil || p.Type != "deb" || p.Namespace != "debian" || p.Name != c.Name || p.Version != c.Version || p.Qualifiers.Map()["distro"] != "debian-12" {
			t.Errorf("%s: purl %q", c.Name, c.PURL)
		}
		// Every package of Debian ships files: all are hashed.
		if c.SHA512 == "" || len(c.Files) == 0 {
			t.Errorf("%s: no hash (%v)", c.Name, c.Unavailable)
		}
	}
	if dpkg != installed || installed < 50 {
		t.Errorf("%d dpkg components, %d installed packages", dpkg, installed)
	}
	doc := render(t, b)
	validate(t, doc)
	var parsed struct{ Dependencies []json.RawMessage }
	if err := json.Unmarshal(doc, &parsed); err != nil || len(parsed.Dependencies) != len(b.Components)+1 {
		t.Errorf("dependencies: %d, err %v", len(parsed.Dependencies), err)
	}
	// Every format validates and is rated conformant: what the target
	// cannot supply is marked unavailable with the reason.
	o := WriteOptions{Time: fixed, ToolVersion: "test", Creator: "sbom@example.com"}
	for _, format := range Formats() {
		doc := renderAs(t, b, format, o)
		if check := goldenFiles[format].schema; check != nil {
			if err := check(t, doc); err != nil {
				t.Errorf("%s: %v", format, err)
			}
		}
		d, err := Read(doc)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		// SPDX 2.3 is below the versions TR-03183-2 accepts: not conformant whatever it holds.
		if r := Check(d, format); r.Score != 100 || r.Conformant != (format != "spdx23-json") || r.Components != len(b.Components) {
			t.Errorf("%s: score %.1f, %d components", format, r.Score, r.Components)
		}
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
