package catalogers

import (
	"slices"
	"testing"
)

// Package URLs from lockfiles are normalised as each purl type says:
// npm scopes percent-encoded (%40), PyPI names in PEP 503 form (lower
// case, runs of "-", "_", "." as one "-"), Go module paths with their
// case kept (they are case-sensitive; the Go database spells them so).
func TestLockfilePURLs(t *testing.T) {
	purls := func(ps []Package, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.PURL)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"requirements", purls(parseRequirements([]byte("Zope.Interface==5.4.0\nPyYAML===6.0.1 --hash=sha256:00\nrequests>=2\n# c\nfoo__bar[extra]==1.0 ; python_version > '3'\n")), nil),
			[]string{"pkg:pypi/foo-bar@1.0", "pkg:pypi/pyyaml@6.0.1", "pkg:pypi/zope-interface@5.4.0"}},
		{"poetry", purls(parsePoetryLock([]byte("[[package]]\nname = \"Typing_Extensions\"\nversion = \"4.12.2\"\n"))), []string{"pkg:pypi/typing-extensions@4.12.2"}},
		{"uv", purls(parseUvLock([]byte("version = 1\n[[package]]\nname = \"ruamel.yaml\"\nversion = \"0.18.6\"\nsource = { registry = \"https://pypi.org/simple\" }\n"))), []string{"pkg:pypi/ruamel-yaml@0.18.6"}},
		{"go.mod", purls(parseGoMod([]byte("module example.org/App\n\ngo 1.22\n\nrequire (\n\tgithub.com/BurntSushi/toml v1.4.0\n\tgithub.com/Masterminds/semver/v3 v3.2.1 // indirect\n)\n"), nil)),
			[]string{"pkg:golang/example.org/App", "pkg:golang/github.com/BurntSushi/toml@v1.4.0", "pkg:golang/github.com/Masterminds/semver/v3@v3.2.1"}},
		{"package-lock v3", purls(parseNpmLock([]byte(`{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"app","version":"1.0.0","dependencies":{"@babel/core":"^7"}},"node_modules/@babel/core":{"version":"7.24.0"}}}`))),
			[]string{"pkg:npm/%40babel/core@7.24.0", "pkg:npm/app@1.0.0"}},
		// v2 carries both "packages" and the v1 "dependencies" tree: one
		// component per package, not two.
		{"package-lock v2", purls(parseNpmLock([]byte(`{"name":"app","version":"1.0.0","lockfileVersion":2,"packages":{"":{"name":"app","version":"1.0.0"},"node_modules/@babel/core":{"version":"7.24.0"}},"dependencies":{"@babel/core":{"version":"7.24.0"}}}`))),
			[]string{"pkg:npm/%40babel/core@7.24.0", "pkg:npm/app@1.0.0"}},
		{"pnpm v6", purls(parsePnpmLock([]byte("lockfileVersion: '6.0'\npackages:\n  /@scope/pkg@1.2.3:\n    resolution: {integrity: sha512-x}\n    dependencies:\n      dep: 2.0.0\n  /dep@2.0.0:\n    resolution: {integrity: sha512-y}\n"))),
			[]string{"pkg:npm/%40scope/pkg@1.2.3", "pkg:npm/dep@2.0.0"}},
		{"pnpm v5", purls(parsePnpmLock([]byte("lockfileVersion: 5.4\npackages:\n  /@scope/pkg/1.2.3:\n    resolution: {integrity: sha512-x}\n"))),
			[]string{"pkg:npm/%40scope/pkg@1.2.3"}},
		{"yarn v1", purls(parseYarnLock([]byte("# yarn lockfile v1\n\n\"@types/node@^20\":\n  version \"20.11.5\"\n  resolved \"https://registry.yarnpkg.com/@types/node/-/node-20.11.5.tgz\"\n"))),
			[]string{"pkg:npm/%40types/node@20.11.5"}},
		{"pnpm v9", purls(parsePnpmLock([]byte("lockfileVersion: '9.0'\npackages:\n  '@scope/pkg@1.2.3':\n    resolution: {integrity: sha512-x}\nsnapshots:\n  '@scope/pkg@1.2.3': {}\n"))),
			[]string{"pkg:npm/%40scope/pkg@1.2.3"}},
		{"Cargo.lock", purls(parseCargoLock([]byte("version = 3\n[[package]]\nname = \"serde_json\"\nversion = \"1.0.128\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"))),
			[]string{"pkg:cargo/serde_json@1.0.128"}},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.got, c.want)
		}
	}
}
