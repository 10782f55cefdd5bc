package sbom

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/catalogers"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestGoldenLangs: the language catalogers' components in a CycloneDX
// document (testdata/langs: hand-written lockfiles and metadata), with
// their dependency edges, validated against the schema.
func TestGoldenLangs(t *testing.T) {
	got := render(t, build(t, filepath.Join("testdata", "langs")))
	golden := filepath.Join("testdata", "langs.cdx.json")
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
	validate(t, got)
	var doc struct {
		Components []struct {
			Ref  string `json:"bom-ref"`
			Purl string
		}
		Dependencies []struct {
			Ref          string
			Dependencies []string `json:"dependsOn"`
		}
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{"target": true}
	for _, c := range doc.Components {
		if refs[c.Ref] {
			t.Errorf("duplicate bom-ref %s", c.Ref)
		}
		refs[c.Ref] = true
	}
	edges := 0
	for _, d := range doc.Dependencies {
		for _, on := range d.Dependencies {
			if !refs[on] {
				t.Errorf("%s depends on unknown %s", d.Ref, on)
			}
			if d.Ref != "target" {
				edges++
			}
		}
	}
	if len(doc.Components) != 49 || edges != 16 {
		t.Errorf("%d components, %d edges", len(doc.Components), edges)
	}
}

// TestBuildFile: a single file is catalogued on its own, the document's
// subject an application.
func TestBuildFile(t *testing.T) {
	tg, err := target.OpenRootFS(filepath.Join("testdata", "langs", "srv", "rust"))
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	b, err := BuildFile(context.Background(), tg, "file:Cargo.lock", "Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Components) != 4 || b.Subject.Type != TypeApplication {
		t.Errorf("%d components, subject %+v", len(b.Components), b.Subject)
	}
	doc := render(t, b)
	validate(t, doc)
	if !bytes.Contains(doc, []byte(`"type": "application"`)) {
		t.Error("subject is not an application")
	}
}

// TestFileComponent: a file component carries its hashes, a file: ref and
// no purl, and the document still validates.
func TestFileComponent(t *testing.T) {
	b := &BOM{Subject: Subject{Name: "root:/x", Type: TypeOperatingSystem}}
	b.Components = AppendCatalog(nil, []catalogers.Package{{
		Cataloger: "unpackaged-file", Type: catalogers.TypeFile, Name: "tool", Location: "/usr/local/bin/tool", Key: "/usr/local/bin/tool",
		Hashes: []catalogers.Hash{{Alg: "SHA-256", Value: strings.Repeat("a", 64)}, {Alg: "SHA-512", Value: strings.Repeat("b", 128)}},
	}})
	doc := render(t, b)
	validate(t, doc)
	for _, want := range []string{`"bom-ref": "file:/usr/local/bin/tool"`, `"type": "file"`, `"alg": "SHA-512"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("no %s in\n%s", want, doc)
		}
	}
}

// TestGoldenLangsFormats: every writer carries the catalogers'
// components (types, purls, properties, hashes), each document validates
// against its schema, and "sbom check" finds no field missing without a
// reason.
func TestGoldenLangsFormats(t *testing.T) {
	b := build(t, filepath.Join("testdata", "langs"))
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			got := renderAs(t, b, format, goldenOpts)
			if format != FormatCycloneDXJSON {
				golden := filepath.Join("testdata", strings.Replace(goldenFiles[format].file, "rootfs", "langs", 1))
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
					t.Errorf("output differs from %s (go test -update to accept)", golden)
				}
			}
			if check := goldenFiles[format].schema; check != nil {
				if err := check(t, got); err != nil {
					t.Errorf("%s: %v", format, err)
				}
			}
			d, err := Read(got)
			if err != nil {
				t.Fatal(err)
			}
			n := 0 // the packages' files (--files) are nested
			for _, c := range d.Components {
				if !c.Nested {
					n++
				}
			}
			if n != len(b.Components) {
				t.Errorf("%d components read back, %d written", n, len(b.Components))
			}
			if r := Check(d, format); r.Score != 100 {
				var buf bytes.Buffer
				_ = r.Table(&buf)
				t.Errorf("score %.1f:\n%s", r.Score, buf.String())
			}
		})
	}
}

// TestFileComponentFormats: an unpackaged file's SHA-256 and SHA-512
// reach every format; its SHA-512, filename and executable property read
// back, and the check rates it fully.
func TestFileComponentFormats(t *testing.T) {
	b := &BOM{Subject: Subject{Name: "/", Type: TypeOperatingSystem}}
	b.Components = AppendCatalog(nil, []catalogers.Package{{Cataloger: "unpackaged-file", Type: catalogers.TypeFile,
		Name: "tool", Location: "/usr/local/bin/tool", Key: "/usr/local/bin/tool", Executable: true,
		Hashes: []catalogers.Hash{{Alg: "SHA-256", Value: strings.Repeat("a", 64)}, {Alg: "SHA-512", Value: strings.Repeat("b", 128)}}}})
	for _, format := range Formats() {
		got := renderAs(t, b, format, goldenOpts)
		if !bytes.Contains(got, []byte(strings.Repeat("a", 64))) {
			t.Errorf("%s: no SHA-256", format)
		}
		if check := goldenFiles[format].schema; check != nil {
			if err := check(t, got); err != nil {
				t.Errorf("%s: %v", format, err)
			}
		}
		d, err := Read(got)
		if err != nil || len(d.Components) != 1 {
			t.Fatalf("%s: %v", format, err)
		}
		c := d.Components[0]
		if c.SHA512 != strings.Repeat("b", 128) || c.Filename != "tool" {
			t.Errorf("%s: read back %+v", format, c)
		}
		if r := Check(d, format); r.Score != 100 {
			t.Errorf("%s: score %.1f %+v", format, r.Score, r.Gaps)
		}
	}
}

// TestJarHash: a Java archive's component carries the archive's SHA-512
// and TR-03183-2's filename and archive properties, so check finds the
// hash and filename present.
func TestJarHash(t *testing.T) {
	root := t.TempDir()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("META-INF/maven/com.acme/app/pom.properties")
	w.Write([]byte("groupId=com.acme\nartifactId=app\nversion=1.0.0\n"))
	zw.Close()
	os.MkdirAll(filepath.Join(root, "opt"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "opt", "app.jar"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := render(t, build(t, root))
	d, err := Read(doc)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(buf.Bytes())
	for _, c := range d.Components {
		if c.Name != "com.acme:app" {
			continue
		}
		if c.SHA512 != hex.EncodeToString(sum[:]) || c.Filename != "app.jar" || c.BSI["archive"] != "archive" ||
			c.BSI["executable"] != "non-executable" || c.Unavailable[FieldHash] != "" {
			t.Errorf("jar component %+v", c)
		}
		return
	}
	t.Fatalf("no jar component in %s", doc)
}
