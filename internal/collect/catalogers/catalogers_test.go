package catalogers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
)

// langs is the shared tree of hand-written lockfiles and metadata.
var langs = filepath.Join("..", "..", "sbom", "testdata", "langs")

func collect(t *testing.T, root string, o Options) *Result {
	t.Helper()
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	r, err := Collect(context.Background(), tg, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// line renders a package for comparison: cataloger, purl, licence, location
// and its dependencies' keys.
func line(p Package) string {
	id := p.PURL
	if id == "" && p.Type != TypeFile {
		id = p.Name + "@" + p.Version // no package URL (a local reference)
	}
	s := fmt.Sprintf("%s %s %s", p.Cataloger, id, p.Location)
	if p.License != "" {
		s += " license=" + p.License
	}
	if p.Type == TypeApplication {
		s += " app"
	}
	if len(p.DependsOn) > 0 {
		s += " deps=" + strings.Join(p.DependsOn, ",")
	}
	return s
}

func TestCollectLangs(t *testing.T) {
	r := collect(t, langs, Options{})
	var got []string
	for _, p := range r.Packages {
		got = append(got, line(p))
	}
	want := []string{
		"yarn-lock pkg:npm/berry-app@0.0.0-use.local /srv/berry/yarn.lock app deps=kleur@4.1.5",
		"yarn-lock pkg:npm/kleur@4.1.5 /srv/berry/yarn.lock",
		"github-actions pkg:github/actions/setup-python@v5 /srv/ci/.github/actions/setup/action.yml",
		"github-actions ./.github/workflows/reusable.yml@ /srv/ci/.github/workflows/ci.yml",
		"github-actions pkg:github/slsa-framework/slsa-github-generator@v2.0.0#.github/workflows/generator_generic_slsa3.yml /srv/ci/.github/workflows/ci.yml",
		"github-actions pkg:github/actions/checkout@v4.1.0 /srv/ci/.github/workflows/ci.yml",
		"github-actions pkg:github/actions/checkout@8ade135a41bc03ea155e62e844d188df1ea18608 /srv/ci/.github/workflows/ci.yml",
		"github-actions pkg:github/github/codeql-action@v3#init /srv/ci/.github/workflows/ci.yml",
		"github-actions ./.github/actions/setup@ /srv/ci/.github/workflows/ci.yml",
		"go-mod pkg:golang/example.org/cradle/goapp /srv/goapp/go.mod app deps=github.com/fork/alpha@v1.4.3",
		"go-mod pkg:golang/github.com/fork/alpha@v1.4.3 /srv/goapp/go.mod",
		"go-mod pkg:golang/golang.org/x/text@v0.3.7 /srv/goapp/go.mod",
		"npm-lock pkg:npm/oldweb@0.2.0 /srv/oldweb/package-lock.json app",
		"npm-lock pkg:npm/ms@2.1.3 /srv/oldweb/package-lock.json",
		"npm-lock pkg:npm/tiny-debug@4.3.4 /srv/oldweb/package-lock.json deps=node_modules/tiny-debug/node_modules/ms",
		"npm-lock pkg:npm/ms@2.0.0 /srv/oldweb/package-lock.json",
		"pnpm-lock pkg:npm/react-dom@18.2.0 /srv/pnpm/pnpm-lock.yaml deps=react@18.2.0",
		"pnpm-lock pkg:npm/react@18.2.0 /srv/pnpm/pnpm-lock.yaml",
		"pipfile-lock pkg:pypi/pyasn1@0.4.4 /srv/py/Pipfile.lock",
		"pipfile-lock pkg:pypi/alabaster@0.7.12 /srv/py/Pipfile.lock",
		"python-requirements pkg:pypi/pytest@6.2.5 /srv/py/dev-requirements.txt",
		"python-requirements pkg:pypi/pytest@4.6.11 /srv/py/dev-requirements.txt",
		"python-requirements pkg:pypi/backports-zoneinfo@0.2.1 /srv/py/dev-requirements.txt",
		"poetry-lock pkg:pypi/certifi@2024.8.30 /srv/py/poetry.lock",
		"poetry-lock pkg:pypi/requests@2.32.3 /srv/py/poetry.lock deps=certifi",
		"python-requirements pkg:pypi/idna@3.7 /srv/py/requirements.txt",
		"python-requirements pkg:pypi/requests@2.32.3 /srv/py/requirements.txt",
		"python-setup pkg:pypi/cryptography@36.0.2 /srv/py/setup.py",
		"python-setup pkg:pypi/pyopenssl@22.0.0 /srv/py/setup.py",
		"python-setup pkg:pypi/httplib2@0.20.4 /srv/py/setup.py",
		"python-setup pkg:pypi/google-auth@2.17.0 /srv/py/setup.py",
		"uv-lock pkg:pypi/pyapp@0.1.0 /srv/py/uv.lock app deps=six",
		"uv-lock pkg:pypi/six@1.16.0 /srv/py/uv.lock",
		"cargo-lock pkg:cargo/rustapp@0.1.0 /srv/rust/Cargo.lock app deps=itoa@1.0.11,serde@1.0.210",
		"cargo-lock pkg:cargo/itoa@0.4.8 /srv/rust/Cargo.lock",
		"cargo-lock pkg:cargo/itoa@1.0.11 /srv/rust/Cargo.lock",
		"cargo-lock pkg:cargo/serde@1.0.210 /srv/rust/Cargo.lock deps=itoa@0.4.8",
		"npm-installed pkg:npm/%40acme/util@2.0.1 /srv/web/node_modules/@acme/util/package.json license=Apache-2.0 deps=left-pad,not-installed",
		"npm-installed pkg:npm/left-pad@1.3.0 /srv/web/node_modules/left-pad/package.json license=WTFPL",
		"npm-lock pkg:npm/web@1.0.0 /srv/web/package-lock.json license=MIT app deps=node_modules/@acme/util,node_modules/left-pad",
		"npm-lock pkg:npm/%40acme/util@2.0.1 /srv/web/package-lock.json license=Apache-2.0 deps=node_modules/@acme/util/node_modules/left-pad",
		"npm-lock pkg:npm/left-pad@1.0.2 /srv/web/package-lock.json license=WTFPL",
		"npm-lock pkg:npm/left-pad@1.3.0 /srv/web/package-lock.json license=WTFPL",
		"yarn-lock pkg:npm/%40acme/colors@3.2.5 /srv/yarn1/yarn.lock",
		"yarn-lock pkg:npm/tiny-cli@1.0.0 /srv/yarn1/yarn.lock deps=@acme/colors@3.2.5",
		"python-installed pkg:pypi/eggdir@1.0 /usr/lib/python3/dist-packages/eggdir-1.0-py3.11.egg/EGG-INFO/PKG-INFO license=MIT deps=idna",
		"python-installed pkg:pypi/idna@3.6 /usr/lib/python3/dist-packages/idna-3.6.dist-info/METADATA license=BSD-3-Clause",
		"python-installed pkg:pypi/oldegg@0.9 /usr/lib/python3/dist-packages/oldegg.egg-info/PKG-INFO license=MIT",
		"python-installed pkg:pypi/tiny-http@2.1.0 /usr/lib/python3/dist-packages/tinyhttp-2.1.0.dist-info/METADATA license=BSD-3-Clause deps=idna",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Gaps) > 0 {
		t.Errorf("gaps: %v", r.Gaps)
	}
}

// TestOnlyAndFile: Only restricts the catalogers; File catalogues one
// file without a walk.
func TestOnlyAndFile(t *testing.T) {
	r := collect(t, langs, Options{Only: []string{"cargo-lock"}})
	if len(r.Packages) != 4 {
		t.Errorf("cargo-lock only: %d packages", len(r.Packages))
	}
	r = collect(t, langs, Options{File: "/srv/py/uv.lock"})
	if len(r.Packages) != 2 || r.Candidates != 1 {
		t.Errorf("one file: %d packages from %d candidates", len(r.Packages), r.Candidates)
	}
}

// TestPrune: other systems' trees, version-control stores and paths
// below the depth bound are not entered.
func TestPrune(t *testing.T) {
	root := t.TempDir()
	deep := strings.Repeat("d/", MaxDepth+1)
	for _, dir := range []string{"a/.git/x", "var/lib/docker/overlay2/l", "chroot/etc", "chroot/usr/bin", deep, "ok"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"chroot/etc/os-release": "ID=debian\n"}
	for _, dir := range []string{"a/.git/x", "var/lib/docker/overlay2/l", "chroot/usr/bin", deep, "ok"} {
		files[dir+"/Cargo.lock"] = "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\n"
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := collect(t, root, Options{})
	if len(r.Packages) != 1 || r.Packages[0].Location != "/ok/Cargo.lock" {
		t.Errorf("packages %+v", r.Packages)
	}
}

// TestCancel: a cancelled context ends the run with its error.
func TestCancel(t *testing.T) {
	tg, err := target.OpenRootFS(langs)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := Collect(ctx, tg, Options{}); err == nil {
		t.Error("no error from a cancelled run")
	}
}

// TestDeepNesting: a TOML lockfile nesting deeper than the bound is an
// error, not a stack overflow of the recursive parser.
func TestDeepNesting(t *testing.T) {
	deep := []byte("a = " + strings.Repeat("[", 100000))
	for name, parse := range map[string]func([]byte) ([]Package, error){
		"cargo": parseCargoLock, "poetry": parsePoetryLock, "uv": parseUvLock, "pdm": parsePdmLock,
	} {
		if _, err := parse(deep); err == nil || !strings.Contains(err.Error(), "nest") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
