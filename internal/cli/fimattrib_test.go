package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

type attribDoc struct {
	Changes []struct {
		Path, Kind string
		Explained  *struct{ By, Ref, Detail string }
	} `json:"changes"`
	Attribution *struct {
		Sources                        []string
		Explained, Unexplained, Hidden int
	} `json:"attribution"`
	Packages *struct {
		Packages, Files, Mismatched, Missing int
		ConffilesModified                    int `json:"conffiles_modified"`
	} `json:"packages"`
}

// buildDeb builds a real package that ships /usr/bin/cradle-attrib-demo
// with body, and returns its path inside the tree root (under /tmp).
func buildDeb(t *testing.T, root, version, body string) string {
	t.Helper()
	d := t.TempDir()
	for p, c := range map[string]string{
		"DEBIAN/control": "Package: cradle-attrib-demo\nVersion: " + version + "\nArchitecture: all\n" +
			"Maintainer: cradle tests <tests@example.org>\nDescription: change attribution test\n",
		"usr/bin/cradle-attrib-demo": body,
	} {
		os.MkdirAll(filepath.Join(d, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(d, p), []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deb := "/tmp/cradle-attrib-demo_" + version + ".deb"
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", d, filepath.Join(root, deb)).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	return deb
}

// TestFimChangeAttribution: in a copy of the debootstrap tree, a change
// made by cradle fix, one by a real package upgrade (the tree's own dpkg
// installing a .deb built here), one recorded with log append --path and
// one made by hand: only the last is unexplained.
func TestFimChangeAttribution(t *testing.T) {
	sb := targettest.NewSandbox(t)
	if _, err := exec.LookPath("dpkg-deb"); err != nil || !sb.Has("usr/bin/dpkg") {
		targettest.Missing(t, "needs dpkg-deb on the host and dpkg in the fixture")
	}
	root, home := sb.Root, t.TempDir()
	mustRun := mustRunner(t, map[string]string{"CRADLE_HOME": home})
	dpkg := func(deb string) {
		t.Helper()
		if out, errs, err := sb.Run(context.Background(), "dpkg", "-i", deb); err != nil {
			t.Fatalf("dpkg -i %s: %v\n%s%s", deb, err, out, errs)
		}
	}
	dpkg(buildDeb(t, root, "1.0", "#!/bin/sh\necho v1\n"))
	pol := filepath.Join(t.TempDir(), "fim.yaml")
	os.WriteFile(pol, []byte("paths:\n  - path: /etc\n  - path: /usr/bin\n"), 0o644)
	fim := []string{"--root", root, "--config", pol, "--db", filepath.Join(home, "fim.db")}
	mustRun(0, append([]string{"fim", "init", "--reason", "baseline"}, fim...)...)

	// (b) a package upgrade, (a) a fix run, (c) a recorded manual change,
	// (d) an unrecorded one.
	dpkg(buildDeb(t, root, "2.0", "#!/bin/sh\necho v2\n"))
	mustRun(0, "fix", "--root", root, "--rule", "coredump.limits", "--rule", "cron.crontab.permissions", "--apply", "--change-ref", "CHG-A", "--reason", "hardening")
	appendTo(t, filepath.Join(root, "etc/hosts"), "192.0.2.10 backup\n")
	mustRun(0, "log", "append", "--root", root, "--path", "/etc/hosts", "--change-ref", "CHG-B", "--reason", "backup server")
	appendTo(t, filepath.Join(root, "etc/issue"), "hacked\n")

	out, _ := mustRun(3, append([]string{"fim", "check", "--format", "json"}, fim...)...)
	d := decodeAs[attribDoc](t, out)
	want := map[string]string{"/usr/bin/cradle-attrib-demo": "package", "/etc/crontab": "fix",
		"/etc/security/limits.d/cradle.conf": "fix", "/etc/hosts": "change-log", "/etc/issue": "none"}
	for _, c := range d.Changes {
		if c.Explained == nil {
			t.Fatalf("%s: no explanation", c.Path)
		}
		by, listed := want[c.Path]
		switch {
		case listed && c.Explained.By != by:
			t.Errorf("%s explained by %+v, want %s", c.Path, c.Explained, by)
		case !listed && c.Explained.By == "none":
			t.Errorf("%s %s is unexplained: %+v", c.Kind, c.Path, c.Explained)
		}
		delete(want, c.Path)
		if c.Path == "/usr/bin/cradle-attrib-demo" && (c.Explained.Ref != "cradle-attrib-demo 2.0" || !strings.Contains(c.Explained.Detail, "upgrade 1.0 -> 2.0")) {
			t.Errorf("package explanation: %+v", c.Explained)
		}
	}
	if len(want) > 0 {
		t.Errorf("changes not reported: %v", want)
	}
	if a := d.Attribution; a == nil || a.Unexplained != 1 || len(a.Sources) != 3 {
		t.Fatalf("attribution: %+v", a)
	}

	// Only the hand change fails the check and is listed.
	out, _ = mustRun(3, append([]string{"fim", "check", "--unexplained-only", "--format", "json"}, fim...)...)
	if d := decodeAs[attribDoc](t, out); len(d.Changes) != 1 || d.Changes[0].Path != "/etc/issue" || d.Attribution.Hidden == 0 {
		t.Fatalf("--unexplained-only: %+v", d)
	}
	mustRun(2, append([]string{"fim", "check", "--fail-on", "some"}, fim...)...)
	mustRun(0, "log", "append", "--root", root, "--path", "/etc/issue", "--reason", "banner")
	mustRun(0, append([]string{"fim", "check", "--fail-on", "unexplained"}, fim...)...)
	mustRun(3, append([]string{"fim", "check"}, fim...)...) // still changes

	// Without a database: the package files match, until one is edited.
	out, _ = mustRun(0, "fim", "verify-packages", "--root", root, "--format", "json")
	if d := decodeAs[attribDoc](t, out); d.Packages == nil || d.Packages.Files < 1000 || d.Packages.Mismatched != 0 {
		t.Fatalf("verify-packages: %+v", d.Packages)
	}
	appendTo(t, filepath.Join(root, "usr/bin/cradle-attrib-demo"), "echo evil\n")
	out, _ = mustRun(3, "fim", "verify-packages", "--root", root, "--conffiles", "--format", "json")
	d = decodeAs[attribDoc](t, out)
	if p := d.Packages; p == nil || p.Mismatched != 1 || p.ConffilesModified < 1 {
		t.Fatalf("verify-packages after edits: %+v %+v", p, d.Changes)
	}
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestFimAttributionSmallTree runs without the fixture: a manual change
// recorded with log append --path is explained, an unrecorded one is
// not, and a tree without a package database says so.
func TestFimAttributionSmallTree(t *testing.T) {
	root, db, mustRun := fimFixture(t)
	fim := []string{"--root", root, "--db", db}
	mustRun(0, append([]string{"fim", "init", "--reason", "baseline"}, fim...)...)
	out, _ := mustRun(0, append([]string{"fim", "check", "--format", "json"}, fim...)...)
	if d := decodeAs[attribDoc](t, out); d.Attribution == nil || len(d.Attribution.Sources) != 0 {
		t.Fatalf("no change: %+v", d.Attribution)
	}
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("192.0.2.1 a\n"), 0o644)
	mustRun(2, "log", "append", "--root", root, "--path", "etc/hosts", "--reason", "r") // not absolute
	mustRun(0, "log", "append", "--root", root, "--path", "/etc/hosts", "--reason", "new host")
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/bash\n"), 0o644)
	out, _ = mustRun(3, append([]string{"fim", "check", "--format", "json"}, fim...)...)
	d := decodeAs[attribDoc](t, out)
	got := map[string]string{}
	for _, c := range d.Changes {
		got[c.Path] = c.Explained.By
	}
	if got["/etc/hosts"] != "change-log" || got["/etc/passwd"] != "none" || d.Attribution.Unexplained != 1 ||
		len(d.Attribution.Sources) != 2 {
		t.Fatalf("%v %+v", got, d.Attribution)
	}
	// Edited again after it was recorded: no longer explained.
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("192.0.2.2 b\n"), 0o644)
	out, _ = mustRun(3, append([]string{"fim", "check", "--fail-on", "unexplained", "--format", "json"}, fim...)...)
	for _, c := range decodeAs[attribDoc](t, out).Changes {
		if c.Path == "/etc/hosts" && (c.Explained.By != "none" || !strings.Contains(c.Explained.Detail, "changed again after")) {
			t.Fatalf("re-edited file: %+v", c.Explained)
		}
	}
	mustRun(2, "fim", "verify-packages", "--root", root) // no package database
	// update accepts both; its log entry says which were unexplained.
	out, _ = mustRun(0, append([]string{"fim", "update", "--change-ref", "CHG-7", "--reason", "accepted", "--format", "json"}, fim...)...)
	if d := decodeAs[attribDoc](t, out); d.Attribution == nil || d.Attribution.Unexplained != 2 {
		t.Fatalf("update attribution: %+v", d.Attribution)
	}
	out, _ = mustRun(0, "log", "--root", root, "--format", "json")
	var logDoc struct {
		Entries []struct {
			ChangeRef string `json:"change_ref"`
			Details   struct {
				Accepted *struct {
					Changes     int
					By          map[string]int
					Unexplained []struct{ Path, Kind string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &logDoc); err != nil {
		t.Fatal(err)
	}
	last := logDoc.Entries[len(logDoc.Entries)-1]
	acc := last.Details.Accepted
	if last.ChangeRef != "CHG-7" || acc == nil || acc.By["none"] != 2 || len(acc.Unexplained) != 2 ||
		acc.Unexplained[0].Path != "/etc/hosts" || acc.Unexplained[1].Path != "/etc/passwd" || acc.Changes < 2 {
		t.Fatalf("update entry: %+v %+v", last, acc)
	}
}
