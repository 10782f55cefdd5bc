package target_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/cli"
	"github.com/cradle-cra/cradle/internal/imagebuild"
)

type jsonReport struct {
	Target struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"target"`
	Results []struct {
		RuleID   string `json:"rule_id"`
		Status   string `json:"status"`
		Reason   string `json:"reason"`
		Evidence []struct {
			Observed, Expected, File string
		} `json:"evidence"`
	} `json:"results"`
}

func scanJSON(t *testing.T, args ...string) (jsonReport, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"scan", "-q", "-f", "json"}, args...), cli.Env{Stdout: &stdout, Stderr: &stderr})
	var rep jsonReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, stderr %s: %v", code, stderr.String(), err)
	}
	return rep, code
}

// TestScanImageEndToEnd scans a docker save archive through the CLI and
// expects the same verdicts as a scan of the tree it was built from.
func TestScanImageEndToEnd(t *testing.T) {
	tree := t.TempDir()
	for name, f := range map[string]struct {
		body string
		mode os.FileMode
	}{
		"etc/os-release": {"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", 0o644},
		"etc/passwd":     {"root:x:0:0:root:/root:/bin/bash\n", 0o644},
		"etc/group":      {"root:x:0:\nshadow:x:42:\n", 0o644},
		"etc/shadow":     {"root:*:19000:0:99999:7:::\n", 0o644},
	} {
		p := filepath.Join(tree, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(t.TempDir(), "app.tar")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := imagebuild.WriteDockerArchive(f, imagebuild.DirLayers(tree), imagebuild.Options{Compression: imagebuild.Gzip}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	rep, code := scanJSON(t, "--image", img, "--rule", "file.shadow.permissions")
	if code != 3 || rep.Target.Kind != "image" || len(rep.Results) != 1 {
		t.Fatalf("exit %d, report %+v", code, rep)
	}
	if r := rep.Results[0]; r.Status != "fail" || len(r.Evidence) == 0 || r.Evidence[0].File != "/etc/shadow" {
		t.Fatalf("result %+v", r)
	}

	// Every rule reaches the same verdict on the image as on its tree,
	// except those that declare themselves meaningless for images (kernel
	// parameters, modules, mounts belong to the host that runs them).
	imgRep, _ := scanJSON(t, "--image", img, "--profile", "strict")
	dirRep, _ := scanJSON(t, "--root", tree, "--profile", "strict")
	if len(imgRep.Results) == 0 || len(imgRep.Results) != len(dirRep.Results) {
		t.Fatalf("image %d results, tree %d", len(imgRep.Results), len(dirRep.Results))
	}
	for i, r := range imgRep.Results {
		d := dirRep.Results[i]
		if r.RuleID == d.RuleID && r.Status == "not_applicable" && strings.Contains(r.Reason, "container image") {
			continue
		}
		if r.RuleID != d.RuleID || r.Status != d.Status {
			t.Errorf("%s: image %s (%s), tree %s %s (%s)", r.RuleID, r.Status, r.Reason, d.RuleID, d.Status, d.Reason)
		}
	}
}
