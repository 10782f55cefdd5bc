package cli

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var scapXCCDF = filepath.Join("testdata", "scap", "test-xccdf.xml")

// scapRoot is a small tree: a hostname, and sshd allowing root logins.
func scapRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range map[string]string{"etc/hostname": "gw\n", "etc/ssh/sshd_config": "PermitRootLogin yes\n"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// listing names every path of a tree with its size and time, to prove a
// scan wrote nothing into it.
func listing(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.ModTime().String() + " " + fi.Mode().String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSCAPScan(t *testing.T) {
	root := scapRoot(t)
	before := listing(t, root)
	out, errs, code := run(t, "scan", "--scap", scapXCCDF, "--profile", "xccdf_org.test_profile_all", "--root", root, "-q", "--format", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Results []struct {
			RuleID     string              `json:"rule_id"`
			Status     string              `json:"status"`
			References map[string][]string `json:"references"`
		} `json:"results"`
		SCAP struct {
			Score  float64 `json:"score"`
			Values []struct{ ID, Value string }
		} `json:"scap"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		got[r.RuleID] = r.Status
		if r.RuleID == "xccdf_org.test_rule_root" && (len(r.References["cce"]) != 1 || len(r.References["nist_800_53"]) != 1) {
			t.Errorf("references = %v", r.References)
		}
	}
	want := map[string]string{"xccdf_org.test_rule_root": "fail", "xccdf_org.test_rule_hostname": "pass", "xccdf_org.test_rule_never": "notapplicable"}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s = %q, want %q", id, got[id], st)
		}
	}
	if rep.SCAP.Score != 50 || len(rep.SCAP.Values) != 1 || rep.SCAP.Values[0].Value != "no" {
		t.Errorf("scap = %+v", rep.SCAP)
	}
	if after := listing(t, root); after != before {
		t.Errorf("the scan changed the target:\n%s\n---\n%s", before, after)
	}
}

func TestSCAPScanFormatsAndTailoring(t *testing.T) {
	root := scapRoot(t)
	out, errs, code := run(t, "scan", "--scap", scapXCCDF, "--profile", "xccdf_org.test_profile_all", "--root", root, "-q", "--format", "arf")
	if code != ExitFindings || !strings.Contains(out, `<rule-result idref="xccdf_org.test_rule_root"`) || !strings.Contains(out, "<result>fail</result>") {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	tail := filepath.Join("testdata", "scap", "tailoring.xml")
	out, errs, code = run(t, "scan", "--scap", scapXCCDF, "--tailoring", tail, "--root", root, "-q", "--format", "xccdf")
	if code != ExitOK || !strings.Contains(out, "<result>notselected</result>") || !strings.Contains(out, `idref="xccdf_org.test_profile_all_tailored"`) {
		t.Fatalf("tailored: exit %d: %s\n%s", code, errs, out)
	}
}

func TestSCAPAllNotApplicable(t *testing.T) {
	root := scapRoot(t)
	args := []string{"scan", "--scap", scapXCCDF, "--profile", "xccdf_org.test_profile_none_apply", "--root", root, "-q"}
	_, errs, code := run(t, args...)
	if code != ExitFindings || !strings.Contains(errs, "notapplicable") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if _, errs, code := run(t, append(args, "--allow-all-notapplicable")...); code != ExitOK {
		t.Errorf("--allow-all-notapplicable: exit %d: %s", code, errs)
	}
}

func TestSCAPUsage(t *testing.T) {
	root := scapRoot(t)
	for name, args := range map[string][]string{
		"waivers":       {"scan", "--scap", scapXCCDF, "--waivers", "w.yaml", "--root", root},
		"no profile":    {"scan", "--scap", scapXCCDF, "--profile", "nope", "--root", root},
		"not scap":      {"scan", "--scap", filepath.Join("testdata", "scap", "tailoring.xml"), "--root", root},
		"missing":       {"scan", "--scap", "no-such.xml", "--root", root},
		"info not scap": {"scap", "info", filepath.Join("testdata", "scap", "tailoring.xml")},
	} {
		if _, errs, code := run(t, args...); code != ExitUsage {
			t.Errorf("%s: exit %d: %s", name, code, errs)
		}
	}
}

func TestSCAPInfo(t *testing.T) {
	out, errs, code := run(t, "scap", "info", scapXCCDF)
	if code != ExitOK || !strings.Contains(out, "xccdf_org.test_profile_all  ") || !strings.Contains(out, "3 rules") {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
}
