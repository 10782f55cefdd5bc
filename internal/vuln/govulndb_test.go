package vuln_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/vuln"
	"github.com/cradle-cra/cradle/internal/vuln/db"
)

// vulndbVersion is the golang.org/x/vulndb snapshot the reference
// comparison (bench/vuln-vs-govulncheck.sh) was run against.
const vulndbVersion = "v0.0.0-20261105234957-e22db6528018"

// TestGoVulnDB imports the Go vulnerability database when it is in the
// module cache (the bench script downloads it) and checks the module
// findings govulncheck -mode binary -scan module reports for the
// reference program's gin v1.7.0 and x/text v0.3.7.
func TestGoVulnDB(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 4,800 records")
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, "go", "pkg", "mod")
	}
	src := filepath.Join(cache, "golang.org", "x", "vulndb@"+vulndbVersion, "data", "osv")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("Go vulnerability database not in the module cache (go mod download golang.org/x/vulndb@%s): %v", vulndbVersion, err)
	}
	path := filepath.Join(t.TempDir(), "osv.db")
	d, err := db.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err := d.Import(context.Background(), src, time.Now(), func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d records in %s", p.Records, time.Since(start))
	comps := []vuln.Component{
		{Name: "github.com/gin-gonic/gin", Version: "1.7.0", Ecosystem: "Go", GOOS: "linux", GOARCH: "amd64"},
		{Name: "golang.org/x/text", Version: "0.3.7", Ecosystem: "Go", GOOS: "linux", GOARCH: "amd64"},
	}
	fs, gaps, err := vuln.Match(d, comps)
	if err != nil || len(gaps) != 0 {
		t.Fatal(err, gaps)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.ID+" "+f.Package.Name+" "+f.FixedVersions[0])
	}
	// govulncheck v1.9.0's module findings on the same snapshot.
	want := []string{
		"GO-2021-0052 github.com/gin-gonic/gin 1.7.7",
		"GO-2023-1737 github.com/gin-gonic/gin 1.9.1",
		"GO-2022-1059 golang.org/x/text 0.3.8",
		"GO-2026-5970 golang.org/x/text 0.39.0",
		"GO-2026-6629 golang.org/x/text 0.41.0",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	d.Close()
}
