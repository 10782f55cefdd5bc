package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/scap/xccdf"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// ssgContent returns a SCAP Security Guide data stream from the fixture
// cache (CRADLE_TEST_SCAP, filled by scripts/fixture-scap.sh).
func ssgContent(t *testing.T, version, name string) string {
	t.Helper()
	dir := os.Getenv("CRADLE_TEST_SCAP")
	if dir == "" {
		targettest.Missing(t, "CRADLE_TEST_SCAP is not set (scripts/fixture-scap.sh)")
	}
	p := filepath.Join(dir, version, "root", "usr", "share", "xml", "scap", "ssg", "content", name)
	if _, err := os.Stat(p); err != nil {
		targettest.Missing(t, "no SCAP content: %v", err)
	}
	return p
}

// TestSSGContentResolves reads the real data streams and resolves every
// profile: every select, refine-value and extends must name something.
func TestSSGContentResolves(t *testing.T) {
	for _, tc := range []struct {
		version, name string
		rules         int
	}{
		{"0.1.65", "ssg-debian11-ds.xml", 355},
		{"0.1.76", "ssg-debian12-ds.xml", 591},
		{"0.1.76", "ssg-ubuntu2404-ds.xml", 464},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := xccdf.Open(ssgContent(t, tc.version, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			info, err := xccdf.Describe(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Benchmarks) != 1 || info.Benchmarks[0].Rules != tc.rules || len(info.Benchmarks[0].Profiles) == 0 {
				t.Errorf("info = %+v", info.Benchmarks)
			}
		})
	}
}

// TestSSGScanRootfs evaluates the Debian 12 standard profile on the
// debootstrap fixture: every rule gets a known XCCDF result, and rules
// the profile selects are evaluated, not skipped.
func TestSSGScanRootfs(t *testing.T) {
	ds := ssgContent(t, "0.1.76", "ssg-debian12-ds.xml")
	rootfs := os.Getenv("CRADLE_TEST_ROOTFS")
	if rootfs == "" {
		targettest.Missing(t, "CRADLE_TEST_ROOTFS is not set")
	}
	spec, err := target.NewSpec(target.KindRootFS, rootfs)
	if err != nil {
		t.Fatal(err)
	}
	a := &App{Version: "test"}
	out, err := a.SCAPScan(context.Background(), SCAPScanInput{Target: spec, Content: ds, Profile: "xccdf_org.ssgproject.content_profile_standard"})
	if err != nil {
		t.Fatal(err)
	}
	rep := out.Report
	if len(rep.Results) != 591 {
		t.Fatalf("%d results", len(rep.Results))
	}
	evaluated := 0
	for _, r := range rep.Results {
		if !r.Status.Known() {
			t.Errorf("%s: status %q", r.RuleID, r.Status)
		}
		if r.Status == result.Pass || r.Status == result.Fail {
			evaluated++
		}
	}
	if evaluated < 20 {
		t.Errorf("only %d rules evaluated to pass or fail: %v", evaluated, rep.Summary)
	}
	if err := SCAPGuard(rep, false); err != nil {
		t.Error(err)
	}
}
