package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

var update = flag.Bool("update", false, "rewrite expected status files")

var profiles = []string{"default", "strict", "product"}

// fixtureRoot returns the debootstrap tree, skipping (or failing, when
// CRADLE_REQUIRE_FIXTURES=1) without it.
func fixtureRoot(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CRADLE_TEST_ROOTFS")
	if dir == "" {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("CRADLE_TEST_ROOTFS is not set (run scripts/fixture-rootfs.sh)")
		}
		t.Skip("CRADLE_TEST_ROOTFS not set; run via .ci/run or set it to a debootstrap tree")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("integration tests need root to copy the fixture with its ownership")
		}
		t.Skip("integration tests need root")
	}
	return dir
}

// scenarioTrees builds (once per test binary) a copy of the fixture for
// each scenario with its scripts applied.
var (
	scenarioOnce sync.Once
	scenarioDirs map[string]string
	scenarioErr  error
	scenarioBase string
)

func scenarios(t *testing.T) map[string]string {
	t.Helper()
	base := fixtureRoot(t)
	scenarioOnce.Do(func() {
		scenarioBase, scenarioErr = os.MkdirTemp("", "cradle-scenarios-")
		if scenarioErr != nil {
			return
		}
		scenarioDirs = map[string]string{"pristine": base}
		for _, kind := range []string{"harden", "break"} {
			dst := filepath.Join(scenarioBase, kind)
			if out, err := exec.Command("cp", "-a", base, dst).CombinedOutput(); err != nil {
				scenarioErr = fmt.Errorf("copy fixture: %v: %s", err, out)
				return
			}
			scripts, _ := filepath.Glob(filepath.Join("testdata", "scenarios", "*."+kind+".sh"))
			sort.Strings(scripts)
			for _, s := range scripts {
				if out, err := exec.Command("bash", s, dst).CombinedOutput(); err != nil {
					scenarioErr = fmt.Errorf("%s: %v: %s", s, err, out)
					return
				}
			}
			scenarioDirs[kind] = dst
		}
	})
	if scenarioErr != nil {
		t.Fatal(scenarioErr)
	}
	return scenarioDirs
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if scenarioBase != "" {
		os.RemoveAll(scenarioBase)
	}
	os.Exit(code)
}

func loadEngine(t testing.TB) *engine.Engine {
	t.Helper()
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func scan(t testing.TB, eng *engine.Engine, tg target.Target, profile string) *result.Report {
	t.Helper()
	opts := engine.Options{Profile: profile}
	plan, err := eng.Plan(opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Scan(context.Background(), tg, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// statusLines renders "rule status" lines, with the reason for
// not_applicable and error so unexpected causes show in diffs.
func statusLines(rep *result.Report) string {
	var b strings.Builder
	rs := append([]result.Result(nil), rep.Results...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].RuleID < rs[j].RuleID })
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s", r.RuleID, r.Status)
		if r.Status == result.Error {
			fmt.Fprintf(&b, " # %s", firstLine(r.Reason))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "expected", name+".txt")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/integration -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s: statuses differ from %s (rerun with -update after review):\n%s", name, p, diffLines(string(want), got))
	}
}

func diffLines(want, got string) string {
	w := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	g := map[string]bool{}
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
		if !w[l] {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	return b.String()
}

// coverage records every status each rule reached, across all scans.
type coverage struct {
	mu   sync.Mutex
	seen map[string]map[result.Status]bool
}

var cov = &coverage{seen: map[string]map[result.Status]bool{}}

func (c *coverage) add(rep *result.Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rep.Results {
		if c.seen[r.RuleID] == nil {
			c.seen[r.RuleID] = map[result.Status]bool{}
		}
		c.seen[r.RuleID][r.Status] = true
	}
}

func TestScenarios(t *testing.T) {
	dirs := scenarios(t)
	eng := loadEngine(t)
	for _, name := range []string{"pristine", "harden", "break"} {
		tg, err := target.OpenRootFS(dirs[name])
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range profiles {
			rep := scan(t, eng, tg, p)
			cov.add(rep)
			checkGolden(t, "rootfs-"+name+"."+p, statusLines(rep))
			if name == "harden" {
				// The hardened tree is the baseline's own definition of
				// done: nothing may fail or error there.
				for _, r := range rep.Results {
					if r.Status == result.Fail || r.Status == result.Error {
						t.Errorf("harden/%s: %s is %s: %s %+v", p, r.RuleID, r.Status, r.Reason, r.Evidence)
					}
				}
			}
		}
		tg.Close()
	}
}

func TestStaticTrees(t *testing.T) {
	eng := loadEngine(t)
	ents, err := os.ReadDir(filepath.Join("testdata", "trees"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join("testdata", "trees", e.Name())
		open := target.OpenRootFS
		if strings.HasPrefix(e.Name(), "live-") {
			open = target.OpenLiveRoot
		}
		tg, err := open(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range profiles {
			rep := scan(t, eng, tg, p)
			cov.add(rep)
			checkGolden(t, "tree-"+e.Name()+"."+p, statusLines(rep))
		}
		tg.Close()
	}
}

// TestEveryRuleHasPassAndFailFixture runs after the scans above (Go runs
// tests in source order) and checks that each rule passed and failed
// somewhere.
func TestEveryRuleHasPassAndFailFixture(t *testing.T) {
	fixtureRoot(t)
	if len(cov.seen) == 0 {
		t.Skip("no scans recorded (run the whole package)")
	}
	eng := loadEngine(t)
	var missing []string
	for _, r := range eng.Rules.Rules {
		s := cov.seen[r.ID]
		var lack []string
		if !s[result.Pass] {
			lack = append(lack, "pass")
		}
		if !s[result.Fail] {
			lack = append(lack, "fail")
		}
		if len(lack) > 0 {
			missing = append(missing, fmt.Sprintf("%s (no %s)", r.ID, strings.Join(lack, ", no ")))
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d rules lack a passing or failing fixture:\n  %s", len(missing), len(eng.Rules.Rules), strings.Join(missing, "\n  "))
	}
}

// TestScanDoesNotModifyTarget hashes a scenario tree (content, mode,
// ownership, times) before and after scanning it with every profile.
func TestScanDoesNotModifyTarget(t *testing.T) {
	dirs := scenarios(t)
	eng := loadEngine(t)
	dir := dirs["break"]
	before := treeHash(t, dir)
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		scan(t, eng, tg, p)
	}
	tg.Close()
	if after := treeHash(t, dir); after != before {
		t.Fatalf("tree hash changed by a scan: %s -> %s", before, after)
	}
}

// treeHash digests every entry's path, type, mode, owner, size, mtime,
// extended attributes and content (or link target) without following
// symlinks.
func treeHash(t testing.TB, dir string) string {
	t.Helper()
	m := treeManifest(t, dir)
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%s\x00", p, m[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// treeManifest describes every entry of the tree (path relative to dir →
// type and mode, owner, size, mtime, extended attributes and the SHA-256
// of the content or link target), without following symlinks.
func treeManifest(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		uid, gid := owner(fi)
		size := fi.Size()
		if fi.IsDir() {
			size = 0 // ext4 never shrinks a directory once it grew
		}
		h := sha256.New()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			io.WriteString(h, l)
		case fi.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		m[rel] = fmt.Sprintf("%v %d:%d size %d mtime %d xattrs %q sha256 %x", fi.Mode(), uid, gid, size, fi.ModTime().UnixNano(), xattrs(p), h.Sum(nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffManifests lists the entries that differ between two manifests (at
// most 30), or returns "" when they are equal.
func diffManifests(want, got map[string]string) string {
	var lines []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			lines = append(lines, fmt.Sprintf("- %s: %s", p, w))
		} else if g != w {
			lines = append(lines, fmt.Sprintf("~ %s: %s\n    now %s", p, w, g))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			lines = append(lines, fmt.Sprintf("+ %s: %s", p, g))
		}
	}
	sort.Strings(lines)
	if len(lines) > 30 {
		lines = append(lines[:30], fmt.Sprintf("… and %d more", len(lines)-30))
	}
	return strings.Join(lines, "\n")
}
