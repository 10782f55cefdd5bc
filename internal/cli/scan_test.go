package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// miniRoot writes a small root filesystem with one failing rule
// (world-readable shadow) and returns its path.
func miniRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]struct {
		data string
		mode os.FileMode
	}{
		"etc/os-release": {"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", 0o644},
		"etc/passwd":     {"root:x:0:0:root:/root:/bin/bash\n", 0o644},
		"etc/group":      {"root:x:0:\nshadow:x:42:\n", 0o644},
		"etc/shadow":     {"root:*:19000:0:99999:7:::\n", 0o644},
		"etc/hostname":   {"mini\n", 0o644},
	}
	for name, f := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanExitCodes(t *testing.T) {
	root := miniRoot(t)
	rule := []string{"--rule", "file.shadow.permissions"}
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"findings", append([]string{"scan", "--root", root, "-q"}, rule...), 3, "failed at or above severity info"},
		{"below threshold", append([]string{"scan", "--root", root, "--fail-on", "critical"}, rule...), 0, ""},
		{"fail-on none", append([]string{"scan", "--root", root, "--fail-on", "none"}, rule...), 0, ""},
		{"bad severity", []string{"scan", "--root", root, "--fail-on", "severe"}, 2, "unknown severity"},
		{"bad format", []string{"scan", "--root", root, "--format", "pdf"}, 2, "unknown format"},
		{"bad profile", []string{"scan", "--root", root, "--profile", "nope"}, 2, "unknown profile"},
		{"unknown flag", []string{"scan", "--frobnicate"}, 2, "unknown flag"},
		{"root and image", []string{"scan", "--root", root, "--image", "x.tar"}, 2, "mutually exclusive"},
		{"missing root", []string{"scan", "--root", filepath.Join(root, "nope")}, 2, "no such file"},
		{"unknown rule", []string{"scan", "--root", root, "--rule", "no.such.rule"}, 2, "unknown rule"},
		{"rule typo", []string{"scan", "--root", root, "--rule", "file.shadow.permisions"}, 2, `unknown rule "file.shadow.permisions"; did you mean "file.shadow.permissions"?`},
		{"extra args", []string{"scan", "extra"}, 2, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if tc.err != "" && !strings.Contains(stderr, tc.err) {
				t.Fatalf("stderr %q does not mention %q", stderr, tc.err)
			}
		})
	}
}

func TestScanJSONReport(t *testing.T) {
	root := miniRoot(t)
	out, stderr, code := run(t, "scan", "--root", root, "-f", "json", "--rule", "file.shadow.permissions")
	if code != 3 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		SchemaVersion string         `json:"schema_version"`
		Summary       map[string]int `json:"summary"`
		Results       []struct {
			RuleID   string `json:"rule_id"`
			Status   string `json:"status"`
			Evidence []struct {
				Observed, Expected, File string
			} `json:"evidence"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.SchemaVersion != "1.1" || rep.Summary["fail"] != 1 || len(rep.Summary) != 5 {
		t.Fatalf("report header: %+v", rep)
	}
	r := rep.Results[0]
	if r.RuleID != "file.shadow.permissions" || r.Status != "fail" || r.Evidence[0].File != "/etc/shadow" || !strings.Contains(r.Evidence[0].Observed, "0644") {
		t.Fatalf("result: %+v", r)
	}
}

func TestBadInputFilesFailFastWithLine(t *testing.T) {
	root := miniRoot(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	tests := []struct {
		name, flag, file, data, want string
	}{
		{"tailoring syntax", "--tailoring", "t.yaml", "select: [a\nunselect: b\n", "t.yaml:"},
		{"tailoring unknown key", "--tailoring", "t.yaml", "profile: default\nselekt: [x]\n", "t.yaml:2: unknown field \"selekt\""},
		{"tailoring unknown rule param", "--tailoring", "t.yaml", "params:\n  no.such.rule: {x: 1}\n", "unknown rule"},
		{"waiver without justification", "--waivers", "w.yaml", "waivers:\n  - rule: file.shadow.permissions\n    owner: ops\n", "w.yaml:2: waiver for file.shadow.permissions: justification is required"},
		{"waiver bad date", "--waivers", "w.yaml", "file.shadow.permissions:\n  justification: ok\n  expiration_date: soon\n", "w.yaml:2:"},
		{"waiver unknown field", "--waivers", "w.yaml", "waivers:\n  - rule: x\n    justification: y\n    expiry: 2020-01-01\n", "w.yaml:4: unknown field \"expiry\""},
		{"empty file", "--waivers", "w.yaml", "", "empty file"},
		{"tailoring select typo", "--tailoring", "t.yaml", "profile: default\nselect:\n  - file.shadow.permisions\n", `t.yaml:3: select: unknown rule "file.shadow.permisions"; did you mean "file.shadow.permissions"?`},
		{"tailoring glob typo", "--tailoring", "t.yaml", "unselect: [mounts.tmp.*]\n", `t.yaml:1: unselect: "mounts.tmp.*" matches no rule; did you mean "mount.tmp.*"?`},
		{"tailoring param typo", "--tailoring", "t.yaml", "params:\n  accounts.password_max_days:\n    dayz: 90\n", `t.yaml:3: params: unknown parameter "dayz" of rule accounts.password_max_days; did you mean "days"?`},
		{"waiver rule typo", "--waivers", "w.yaml", "waivers:\n  - justification: vendor image\n    rule: file.shadow.permision\n", `w.yaml:3: waiver: unknown rule "file.shadow.permision"; did you mean "file.shadow.permissions"?`},
		{"InSpec waiver typo", "--waivers", "w.yaml", "file.shadow.permissions:\n  justification: ok\nfile.shadw.*:\n  justification: ok\n", `w.yaml:3: waiver: "file.shadw.*" matches no rule; did you mean "file.shadow.*"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.file, tc.data)
			_, stderr, code := run(t, "scan", "--root", root, tc.flag, p, "-o", out, "-f", "json")
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("report written despite input error")
			}
		})
	}
}

func TestWaivers(t *testing.T) {
	root := miniRoot(t)
	dir := t.TempDir()
	tests := []struct {
		name, waivers string
		status        string
		code          int
	}{
		{"active", "waivers:\n  - rule: file.shadow.permissions\n    justification: vendor image\n    owner: ops\n    expires: 2999-01-01\n", "waived", 0},
		{"expired", "waivers:\n  - rule: file.shadow.permissions\n    justification: vendor image\n    expires: 2001-01-01\n", "fail", 3},
		{"inspec format", "file.shadow.permissions:\n  justification: vendor image\n  expiration_date: 2999-01-01\n", "waived", 0},
		{"inspec run false", "file.shadow.permissions:\n  justification: not relevant\n  run: false\n", "waived", 0},
		{"out of scope", "waivers:\n  - rule: file.shadow.permissions\n    justification: x\n    scope: [other-host]\n", "fail", 3},
		{"a tree's own hostname does not scope", "waivers:\n  - rule: file.shadow.permissions\n    justification: x\n    scope: [mini]\n", "fail", 3},
		{"in scope by target path", "waivers:\n  - rule: file.shadow.permissions\n    justification: x\n    scope: [" + root + "]\n", "waived", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, "w.yaml", tc.waivers)
			out, stderr, code := run(t, "scan", "--root", root, "--waivers", p, "-f", "json", "--rule", "file.shadow.permissions")
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if !strings.Contains(out, `"status": "`+tc.status+`"`) {
				t.Fatalf("status not %s:\n%s", tc.status, out)
			}
		})
	}
}

func TestTailoring(t *testing.T) {
	root := miniRoot(t)
	dir := t.TempDir()
	p := writeFile(t, dir, "t.yaml", "profile: default\nunselect: [file.shadow.*]\n")
	out, stderr, code := run(t, "scan", "--root", root, "--tailoring", p, "-f", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, `"file.shadow.permissions"`) {
		t.Fatal("unselected rule was evaluated")
	}
}

func TestOutputFileIsAtomicAndComplete(t *testing.T) {
	root := miniRoot(t)
	p := filepath.Join(t.TempDir(), "r.json")
	_, stderr, code := run(t, "scan", "--root", root, "-f", "json", "-o", p, "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(p)
	if err != nil || !json.Valid(b) {
		t.Fatalf("report file: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}

func TestHelpTeaches(t *testing.T) {
	out, _, code := run(t, "scan", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--root", "--image", "Profiles", "Tailoring", "waivers", "sarif", "Exit codes"} {
		if !strings.Contains(out, want) {
			t.Errorf("scan --help lacks %q", want)
		}
	}
}

// A rule that cannot be evaluated is not a pass: it reaches the exit code.
func TestErrorsCountTowardsFailOn(t *testing.T) {
	root := miniRoot(t)
	shadow := filepath.Join(root, "etc", "shadow")
	if err := os.Remove(shadow); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(shadow, 0o755); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "scan", "--root", root, "-f", "json", "--rule", "accounts.no_empty_passwords")
	if code != 3 || !strings.Contains(stderr, "could not be evaluated") || !strings.Contains(out, `"status": "error"`) {
		t.Fatalf("exit %d, stderr %q, report:\n%s", code, stderr, out)
	}
}
