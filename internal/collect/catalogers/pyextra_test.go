package catalogers

import (
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

func fileInfo(p string) target.FileInfo { return target.FileInfo{Path: p} }

func TestPythonMatch(t *testing.T) {
	for _, tt := range []struct {
		c    Cataloger
		path string
		want bool
	}{
		{pyRequirements{}, "p/requirements.txt", true},
		{pyRequirements{}, "p/dev-requirements.txt", true},
		{pyRequirements{}, "p/requirements-test.txt", true},
		{pyRequirements{}, "p/requirements/dev.txt", true},
		{pyRequirements{}, "p/requirements.in", false},
		{pyRequirements{}, "p/notes.txt", false},
		{pyInstalled{}, "site/x-1.0-py3.7.egg/EGG-INFO/PKG-INFO", true},
		{pyInstalled{}, "site/x/EGG-INFO/PKG-INFO", false},
		{pipfileLock, "p/Pipfile.lock", true},
		{pipfileLock, "p/Pipfile", false},
		{pySetup, "p/setup.py", true},
		{pySetup, "p/setup.cfg", false},
	} {
		if got := tt.c.Match(fileInfo(tt.path)); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.c.Name(), tt.path, got, tt.want)
		}
	}
}

func TestDevRequirements(t *testing.T) {
	for p, want := range map[string]bool{
		"requirements.txt": false, "dev-requirements.txt": true, "requirements-test.txt": true,
		"requirements_dev.txt": true, "requirements/testing.txt": true, "build-requirements.txt": false,
		"mypy-requirements.txt": false, "requirements-devices.txt": false,
	} {
		if got := devRequirements(p); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
}

func TestPipfileLock(t *testing.T) {
	pkgs, err := parsePipfileLock([]byte(`{"default": {"B": {"version": "==2.0"}, "a": {"version": "==1.0"}, "git": {"git": "https://x"}},
	"develop": {"c": {"version": "==3.0"}, "a": {"version": "==1.0"}, "bad name": {"version": "==1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, pkgLine(p))
	}
	want := []string{"B@2.0 pkg:pypi/b@2.0", "a@1.0 pkg:pypi/a@1.0", "c@3.0 pkg:pypi/c@3.0 python:dev=true"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := parsePipfileLock([]byte(`{"default": [`)); err == nil {
		t.Error("no error for broken JSON")
	}
}

func TestSetupPy(t *testing.T) {
	src := `"""docs==1.0 in a docstring"""
# rsa==4.5 in a comment
x = ['a==1.0', "B_c [x,y] == 2.0rc1 ; python_version<'3'", 'd>=1', 'e==1.*', f"g=={v}", b'h==1', 'i=={}'.format(1)]
y = "it's" + 'j==3' + 'unterminated
z = 'a==1.0'
'''k==4'''
`
	var got []string
	for _, p := range parseSetupPy([]byte(src)) {
		got = append(got, pkgLine(p))
	}
	want := []string{"a@1.0 pkg:pypi/a@1.0", "B_c@2.0rc1 pkg:pypi/b-c@2.0rc1", "j@3 pkg:pypi/j@3"}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRequirementsVersions(t *testing.T) {
	pkgs := parseRequirements([]byte("mypy==1.4.1; python_version < '3.8'\nmypy==1.12.0\nmypy==1.12.0\n"))
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Key+" "+p.PURL)
	}
	want := []string{"mypy pkg:pypi/mypy@1.4.1", "mypy@1.12.0 pkg:pypi/mypy@1.12.0"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPdmLock(t *testing.T) {
	pkgs, err := parsePdmLock([]byte(`[metadata]
groups = ["default", "test"]

[[package]]
name = "Requests"
version = "2.32.3"
groups = ["default"]
dependencies = ["certifi>=2017.4.17", "idna<4,>=2.5", "missing>=1"]

[[package]]
name = "certifi"
version = "2024.8.30"
groups = ["default"]

[[package]]
name = "idna"
version = "3.7"
groups = ["default", "test"]

[[package]]
name = "pytest"
version = "8.0.2"
groups = ["test"]
dependencies = ["idna"]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, pkgLine(p)+" deps="+strings.Join(p.DependsOn, ","))
	}
	want := []string{
		"Requests@2.32.3 pkg:pypi/requests@2.32.3 deps=certifi,idna",
		"certifi@2024.8.30 pkg:pypi/certifi@2024.8.30 deps=",
		"idna@3.7 pkg:pypi/idna@3.7 deps=",
		"pytest@8.0.2 pkg:pypi/pytest@8.0.2 python:dev=true deps=idna",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !(uvLock{}).Match(fileInfo("tools/fetch.py.lock")) || !pdmLock.Match(fileInfo("p/pdm.lock")) {
		t.Error("match")
	}
}
