package evidence

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/signing"
)

var update = flag.Bool("update", false, "rewrite golden files")

var when = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func testKey(t *testing.T) *signing.Key {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(k *signing.Key) signing.Keyring {
	r := signing.Keyring{}
	r.Add(k.Public())
	return r
}

func inputs() []Input {
	return []Input{
		{InScan, "testdata/inputs/scan.json"},
		{InSBOM, "testdata/inputs/sbom.cdx.json"},
		{InVuln, "testdata/inputs/vuln.json"},
		{InFIM, "testdata/inputs/fim.json"},
		{InAdvisories, "testdata/inputs/advisories"},
	}
}

func build(t *testing.T, k *signing.Key, mutate func(*Options)) *Result {
	t.Helper()
	pf := "testdata/product/cradle.yaml"
	b, err := os.ReadFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := product.Parse(pf, b)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	o := Options{ProductPath: pf, Product: p, Out: filepath.Join(dir, "pack"), Zip: filepath.Join(dir, "pack.zip"),
		Inputs: inputs(), Signer: k, Now: when, Tool: "cradle test"}
	if mutate != nil {
		mutate(&o)
	}
	r, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update):\n%s", name, got)
	}
}

// TestBuildGoldens: the matrix and drafts for a fixed clock.
func TestBuildGoldens(t *testing.T) {
	k := testKey(t)
	r := build(t, k, nil)
	for _, f := range []string{"annex1-matrix.json", "manifest.json", "documents/annex-vii-technical-documentation.md",
		"documents/annex-ii-user-information.md", "documents/annex-v-eu-declaration-of-conformity.md"} {
		b, err := os.ReadFile(filepath.Join(r.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Base(f), b)
	}
	var tbl bytes.Buffer
	if err := r.Matrix.Table(&tbl); err != nil {
		t.Fatal(err)
	}
	golden(t, "matrix.txt", tbl.Bytes())
	if r.Manifest.Retention.KeepUntil != "2041-11-30" {
		t.Errorf("keep until %s, want the support end 2041-11-30 (later than 2036-12-05)", r.Manifest.Retention.KeepUntil)
	}
	v, err := Verify(r.Dir, keyring(k))
	if err != nil || !v.OK() {
		t.Fatalf("fresh pack does not verify: %v %v", err, v.Problems)
	}
	v, err = Verify(r.Zip, keyring(k))
	if err != nil || !v.OK() {
		t.Fatalf("fresh zip does not verify: %v %v", err, v.Problems)
	}
}

func TestMatrixStatuses(t *testing.T) {
	r := build(t, testKey(t), nil)
	got := map[string]Status{}
	for _, row := range r.Matrix.Requirements {
		got[row.ID] = row.Status
	}
	for id, want := range map[string]Status{
		"CRA.A1.P1.2m": NotApplicable, // justified in the risk file
		"CRA.A1.P2.1":  Met,           // SBOM
		"CRA.A1.P2.5":  Met,           // CVD policy declared
		"CRA.A1.P1.2g": Unknown,       // nothing looked at
		"CRA.A1.P2.4":  Met,           // advisories
	} {
		if got[id] != want {
			t.Errorf("%s: %s, want %s", id, got[id], want)
		}
	}
	for _, row := range r.Matrix.Requirements {
		if row.Status == Met && len(row.Evidence) == 0 {
			t.Errorf("%s met without evidence", row.ID)
		}
	}
}

func TestRetention(t *testing.T) {
	for _, tc := range []struct{ placed, end, want string }{
		{"2026-12-05", "2031-12-04", "2036-12-05"}, // ten years is longer
		{"2026-12-05", "2041-11-30", "2041-11-30"}, // support period is longer
		{"2028-02-29", "2030-01-01", "2038-02-28"}, // leap day: AddDate normalises to 1 March; see below
	} {
		p, _ := time.Parse("2006-01-02", tc.placed)
		e, _ := time.Parse("2006-01-02", tc.end)
		got := retention(p, e).KeepUntil
		if tc.placed == "2028-02-29" {
			tc.want = "2038-03-01" // Go's AddDate: 29 Feb + 10 years = 1 March, the later, safer date
		}
		if got != tc.want {
			t.Errorf("%s/%s: %s, want %s", tc.placed, tc.end, got, tc.want)
		}
	}
}

// TestTamper: every kind of tampering is caught, and names the file.
func TestTamper(t *testing.T) {
	k := testKey(t)
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir string)
		file   string
	}{
		{"content changed", func(t *testing.T, d string) {
			appendTo(t, filepath.Join(d, "artifacts/scan/scan.json"), " ")
		}, "artifacts/scan/scan.json"},
		{"matrix changed", func(t *testing.T, d string) {
			p := filepath.Join(d, "annex1-matrix.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"not_met"`), []byte(`"met"`), 1), 0o644)
		}, "annex1-matrix.json"},
		{"file added", func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "documents", "extra.md"), []byte("x"), 0o644)
		}, "documents/extra.md"},
		{"file removed", func(t *testing.T, d string) {
			os.Remove(filepath.Join(d, "documents/annex-v-eu-declaration-of-conformity.md"))
		}, "documents/annex-v-eu-declaration-of-conformity.md"},
		{"manifest edited", func(t *testing.T, d string) {
			p := filepath.Join(d, ManifestFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("edge-gateway"), []byte("edge-gatewaz"), 1), 0o644)
		}, ManifestFile},
		{"manifest and file edited together", func(t *testing.T, d string) {
			f := filepath.Join(d, "product/cradle.yaml")
			appendTo(t, f, "#")
			b, _ := os.ReadFile(f)
			p := filepath.Join(d, ManifestFile)
			var m Manifest
			mb, _ := os.ReadFile(p)
			json.Unmarshal(mb, &m)
			for i := range m.Files {
				if m.Files[i].Path == "product/cradle.yaml" {
					m.Files[i].SHA256, m.Files[i].Size = digest(b), int64(len(b))
				}
			}
			nb, _ := encodeManifest(&m)
			os.WriteFile(p, nb, 0o644)
		}, ManifestFile},
		{"signature removed", func(t *testing.T, d string) { os.Remove(filepath.Join(d, SignatureFile)) }, SignatureFile},
		{"signed by another key", func(t *testing.T, d string) {
			other := build(t, testKey(t), nil)
			b, _ := os.ReadFile(filepath.Join(other.Dir, SignatureFile))
			os.WriteFile(filepath.Join(d, SignatureFile), b, 0o644)
		}, SignatureFile},
		{"symlink added", func(t *testing.T, d string) {
			os.Symlink("/etc/passwd", filepath.Join(d, "link"))
		}, "link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t, k, nil)
			tc.tamper(t, r.Dir)
			v, err := Verify(r.Dir, keyring(k))
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() {
				t.Fatal("tampering not caught")
			}
			found := false
			for _, p := range v.Problems {
				found = found || p.Path == tc.file
			}
			if !found {
				t.Errorf("problems %v do not name %s", v.Problems, tc.file)
			}
		})
	}
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

// rezip copies a zip, letting edit change, drop (nil) or add entries.
func rezip(t *testing.T, src string, edit func(name string, b []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if b = edit(f.Name, b); b == nil {
			continue
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	for n, s := range extra {
		w, _ := zw.Create(n)
		w.Write([]byte(s))
	}
	zw.Close()
	return buf.Bytes()
}

func TestTamperZip(t *testing.T) {
	k := testKey(t)
	r := build(t, k, nil)
	same := func(_ string, b []byte) []byte { return b }
	for _, tc := range []struct {
		name  string
		edit  func(string, []byte) []byte
		extra map[string]string
		file  string
	}{
		{"entry changed", func(n string, b []byte) []byte {
			if n == "artifacts/vuln/vuln.json" {
				return append(b, ' ')
			}
			return b
		}, nil, "artifacts/vuln/vuln.json"},
		{"entry removed", func(n string, b []byte) []byte {
			if n == "annex1-matrix.json" {
				return nil
			}
			return b
		}, nil, "annex1-matrix.json"},
		{"entry added", same, map[string]string{"evil.txt": "x"}, "evil.txt"},
		{"path traversal", same, map[string]string{"../evil.txt": "x"}, "../evil.txt"},
		{"absolute path", same, map[string]string{"/etc/evil": "x"}, "/etc/evil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := rezip(t, r.Zip, tc.edit, tc.extra)
			v, err := VerifyZip("pack.zip", data, keyring(k))
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() {
				t.Fatal("tampering not caught")
			}
			found := false
			for _, p := range v.Problems {
				found = found || p.Path == tc.file
			}
			if !found {
				t.Errorf("problems %v do not name %s", v.Problems, tc.file)
			}
		})
	}
	if _, err := VerifyZip("junk.zip", []byte("not a zip"), keyring(k)); !errors.Is(err, ErrUnreadable) {
		t.Errorf("junk: %v, want ErrUnreadable", err)
	}
}

// TestZipBomb: an entry that inflates beyond its bound is refused without
// inflating it all.
func TestZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(ManifestFile)
	zeros := make([]byte, 1<<20)
	for i := 0; i < maxZipMeta>>20+2; i++ {
		w.Write(zeros)
	}
	zw.Close()
	if _, err := VerifyZip("bomb.zip", buf.Bytes(), signing.Keyring{}); !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("bomb: %v", err)
	}
}

func TestBuildRefusesExisting(t *testing.T) {
	k := testKey(t)
	r := build(t, k, nil)
	_, err := Build(Options{ProductPath: "testdata/product/cradle.yaml", Product: &product.File{Product: product.Identity{Name: "x", Versions: []string{"1"}}},
		Out: r.Dir, Signer: k, Now: when})
	if !errors.Is(err, ErrInput) {
		t.Errorf("existing out: %v", err)
	}
}

func TestInputKindChecked(t *testing.T) {
	_, err := loadInput(Input{InVuln, "testdata/inputs/scan.json"}, map[string]bool{})
	if err == nil || !strings.Contains(err.Error(), "vuln_report") {
		t.Errorf("scan report as vuln input: %v", err)
	}
	if _, err := ParseInput("bogus=x"); err == nil {
		t.Error("unknown kind accepted")
	}
}

func FuzzVerifyZip(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{ManifestFile, SignatureFile, "a/b.txt", "../x"} {
		w, _ := zw.Create(n)
		w.Write([]byte(`{"kind":"evidence_manifest","files":[{"path":"a/b.txt","sha256":"00","size":1}]}`))
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := VerifyZip("fuzz.zip", data, signing.Keyring{})
		if err == nil && v.OK() {
			t.Fatal("an unsigned zip verified")
		}
	})
}
