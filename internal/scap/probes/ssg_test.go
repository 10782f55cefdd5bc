package probes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestSSGContentOnRootFS evaluates every definition of the Debian OVAL
// content (scripts/fixture-scap.sh) against the debootstrap Debian 12 tree
// (scripts/fixture-rootfs.sh) with these probes: no probe may fail. The
// only test errors allowed name a probe type that is not implemented or an
// external variable only XCCDF supplies. CRADLE_SCAP_DUMP=FILE writes
// "definition<TAB>result" lines for comparison with OpenSCAP.
func TestSSGContentOnRootFS(t *testing.T) {
	root := os.Getenv("CRADLE_TEST_ROOTFS")
	if root == "" {
		root = "/var/cache/cradle-fixtures/rootfs-bookworm"
	}
	if _, err := os.Stat(filepath.Join(root, "etc/debian_version")); err != nil {
		targettest.Missing(t, "no Debian root filesystem at %s (scripts/fixture-rootfs.sh)", root)
	}
	files, _ := filepath.Glob("/var/cache/cradle-fixtures/scap/*/root/usr/share/xml/scap/ssg/content/ssg-debian1[12]-oval.xml")
	// The 0.1.76 packages carry an older Debian 11 copy too: one of each.
	files = slices.DeleteFunc(files, func(p string) bool { return strings.Contains(p, "0.1.76") && strings.HasSuffix(p, "debian11-oval.xml") })
	if len(files) == 0 {
		targettest.Missing(t, "no SSG content (scripts/fixture-scap.sh)")
	}
	if testing.Short() {
		t.Skip("evaluates whole benchmarks")
	}
	// CRADLE_SCAP_TARGET=host evaluates the running host instead.
	open := func() (target.Target, error) { return target.OpenRootFS(root) }
	if os.Getenv("CRADLE_SCAP_TARGET") == "host" {
		open = target.OpenHost
	}
	tg, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	var dump []string
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := oval.Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		start := time.Now()
		ev := oval.NewEvaluator(doc, oval.Env{Target: tg, Probes: Default()})
		values := map[oval.ResultValue]int{}
		bad := map[string]int{}
		for _, id := range doc.DefinitionIDs {
			res, err := ev.Definition(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			values[res.Value]++
			dump = append(dump, fmt.Sprintf("%s\t%s\t%s\t%s", filepath.Base(path), id, res.Value, res.Message))
			for _, te := range res.Tests {
				if te.Result == oval.Error && !strings.Contains(te.Message, "probe not implemented") &&
					!strings.Contains(te.Message, "not exported") && !strings.Contains(te.Message, "external") &&
					!strings.Contains(te.Message, "not collected (offline") &&
					// Pattern syntax is the engine's concern (oval.CompileRegex, tested there).
					!strings.Contains(te.Message, "error parsing regexp") {
					bad[te.Type+": "+te.Message]++
				}
			}
		}
		t.Logf("%s: %d definitions in %v: %v", filepath.Base(path), len(doc.DefinitionIDs), time.Since(start).Round(time.Millisecond), values)
		var msgs []string
		for m := range bad {
			msgs = append(msgs, m)
		}
		sort.Strings(msgs)
		for _, m := range msgs {
			t.Errorf("%s: %d× %s", filepath.Base(path), bad[m], m)
		}
	}
	if out := os.Getenv("CRADLE_SCAP_DUMP"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(dump, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
