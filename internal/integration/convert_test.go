package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/output/outputtest"
	"github.com/cradle-cra/cradle/internal/target"
)

// TestConvertMatchesScan: on the misconfigured Debian tree, one scan per
// profile written as JSON, SARIF, JUnit, HTML and table through the output
// pipeline, as cradle scan writes them; cradle convert of the JSON gives
// every other format byte for byte, and the JSON matches its schema.
func TestConvertMatchesScan(t *testing.T) {
	dir := scenarios(t)["break"]
	eng := loadEngine(t)
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	reg := output.Default()
	for _, profile := range profiles {
		t.Run(profile, func(t *testing.T) {
			rep := scan(t, eng, tg, profile)
			out := t.TempDir()
			formats := []string{"json", "sarif", "junit", "html", "table"}
			for _, f := range formats {
				sink, err := reg.Open(output.KindScanReport, f, filepath.Join(out, "scan."+f), nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := sink.Write(rep, output.Options{Verbose: true}); err != nil {
					t.Fatal(err)
				}
			}
			saved := filepath.Join(out, "scan.json")
			b, err := os.ReadFile(saved)
			if err != nil {
				t.Fatal(err)
			}
			outputtest.Validate(t, output.KindScanReport, b)
			for _, f := range formats {
				want, err := os.ReadFile(filepath.Join(out, "scan."+f))
				if err != nil {
					t.Fatal(err)
				}
				code, got, errs := runCLI(t, t.TempDir(), "convert", saved, "--format", f, "--verbose")
				if code != 0 {
					t.Fatalf("convert --format %s: exit %d: %s", f, code, errs)
				}
				if got != string(want) {
					t.Errorf("convert --format %s differs from the scan's own output (%d vs %d bytes)", f, len(got), len(want))
				}
			}
		})
	}
}
