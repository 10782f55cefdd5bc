package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSBOMSignVerify(t *testing.T) {
	root := filepath.Join("..", "sbom", "testdata", "rootfs")
	dir := t.TempDir()
	env := map[string]string{"CRADLE_HOME": filepath.Join(dir, "home"), "SOURCE_DATE_EPOCH": "1767323045"}
	att := filepath.Join(dir, "rootfs.att.json")
	if _, errs, code := runIn(t, env, "sbom", "--root", root, "--sign", "--format", "spdx-json", "-o", att); code != 0 {
		t.Fatalf("sign: exit %d: %s", code, errs)
	}
	sbomOut := filepath.Join(dir, "rootfs.spdx.json")
	out, errs, code := runIn(t, env, "sbom", "verify", att, "-o", sbomOut)
	if code != 0 || !strings.Contains(out, "predicate: https://spdx.dev/Document (SPDX 3.0.1, 5 components)") ||
		!strings.Contains(out, "subject: root:") {
		t.Fatalf("verify: exit %d: %s%s", code, out, errs)
	}
	if _, _, code := runIn(t, env, "sbom", "check", sbomOut); code != 0 {
		t.Errorf("the verified SBOM does not read back: exit %d", code)
	}

	// A tampered file, an unknown key, an artifact that is no subject.
	b, _ := os.ReadFile(att)
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(b), `"payload": "ey`, `"payload": "ez`, 1)), 0o600)
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		"tampered":   {env, []string{"sbom", "verify", tampered}, 3, "does not verify"},
		"wrong key":  {map[string]string{"CRADLE_HOME": filepath.Join(dir, "none")}, []string{"sbom", "verify", att}, 3, "unknown key"},
		"artifact":   {env, []string{"sbom", "verify", att, "--artifact", filepath.Join(root, "etc", "os-release")}, 3, "not a subject"},
		"no env":     {env, []string{"sbom", "verify", filepath.Join(root, "etc", "os-release")}, 2, "malformed envelope"},
		"xml":        {env, []string{"sbom", "--root", root, "--sign", "--format", "cyclonedx-xml"}, 2, "cannot be attested"},
		"no hashes":  {env, []string{"sbom", "--root", root, "--sign", "--no-file-hashes"}, 2, "--subject"},
		"key unsign": {env, []string{"sbom", "--root", root, "--key", att}, 2, "for --sign"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errs, code := runIn(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d): %s", code, tc.code, errs)
			}
		})
	}

	// --file: the subject is the file, and --artifact matches it.
	f := filepath.Join(root, "etc", "os-release")
	fatt := filepath.Join(dir, "file.att.json")
	if _, errs, code := runIn(t, env, "sbom", "--file", f, "--sign", "-o", fatt); code != 0 {
		t.Fatalf("sign --file: exit %d: %s", code, errs)
	}
	if out, errs, code := runIn(t, env, "sbom", "verify", fatt, "--artifact", f); code != 0 || !strings.Contains(out, "sha256:") {
		t.Errorf("verify --artifact: exit %d: %s%s", code, out, errs)
	}
}
