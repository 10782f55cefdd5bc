package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitThenClassify(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cradle.yaml")
	out, errs, code := run(t, "init", "--non-interactive", "--file", file, "--product", "edge-gateway",
		"--manufacturer", "Example GmbH", "--email", "psirt@example.com", "--support-years", "3", "--category", "I.12")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "wrote "+file) || !strings.Contains(errs, "support period is 3.0 years") {
		t.Errorf("init output %q, warnings %q", out, errs)
	}
	if _, errs, code := run(t, "init", "--non-interactive", "--file", file); code != 2 || !strings.Contains(errs, "--force") {
		t.Errorf("init over an existing file: exit %d %s", code, errs)
	}
	out, errs, code = run(t, "classify", "--file", file, "--standards", "full", "--format", "json")
	if code != 0 {
		t.Fatalf("classify: exit %d: %s", code, errs)
	}
	var r struct {
		Product string `json:"product"`
		Class   string `json:"class"`
		Routes  []struct{ Module, Verdict string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Product != "edge-gateway" || r.Class != "important-I" || r.Routes[0].Module != "A" || r.Routes[0].Verdict != "open" {
		t.Errorf("classification %+v", r)
	}
	// Flags override the file.
	out, _, code = run(t, "classify", "--file", file, "--category", "none")
	if code != 0 || !strings.Contains(out, "default category") {
		t.Errorf("classify --category none: exit %d\n%s", code, out)
	}
}

func TestInitUnansweredCategories(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cradle.yaml")
	if _, errs, code := run(t, "init", "--non-interactive", "--file", file); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	// Nobody said which categories apply: classify refuses to guess.
	if _, errs, code := run(t, "classify", "--file", file); code != 2 || !strings.Contains(errs, "no classification answers") {
		t.Errorf("classify without answers: exit %d %s", code, errs)
	}
}

func TestInitInteractive(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cradle.yaml")
	answers := "sensor-hub\n2.0\nACME Ltd\nsec@acme.example\nCollects sensor data.\n\n7\nII.2, I.11\n"
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"init", "-i", "--file", file}, Env{Stdin: strings.NewReader(answers), Stdout: &out, Stderr: &errb})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`name: sensor-hub`, `"2.0"`, `name: ACME Ltd`, `contact: sec@acme.example`, `categories: [II.2, I.11]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("product file lacks %q:\n%s", want, b)
		}
	}
	out.Reset()
	code = Run(context.Background(), []string{"classify", "--file", file}, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if code != 0 || !strings.Contains(out.String(), "class II") {
		t.Errorf("classify: exit %d\n%s", code, out.String())
	}
}

func TestClassifyBadProductFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cradle.yaml")
	os.WriteFile(file, []byte("schema_version: 1\nmanufacturer:\n  name: x\n  fax: 123\n"), 0o644)
	_, errs, code := run(t, "classify", "--file", file)
	if code != 2 || !strings.Contains(errs, file+":4:") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if _, errs, code := run(t, "classify", "--category", "IX.1"); code != 2 || !strings.Contains(errs, "IX.1") {
		t.Errorf("unknown category: exit %d %s", code, errs)
	}
}
