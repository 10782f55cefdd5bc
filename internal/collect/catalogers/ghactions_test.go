package catalogers

import (
	"slices"
	"strings"
	"testing"
)

// pkgLine renders a package's identity and properties.
func pkgLine(p Package) string {
	s := p.Name + "@" + p.Version + " " + p.PURL
	for _, pr := range p.Properties {
		s += " " + pr.Name + "=" + pr.Value
	}
	return s
}

func TestGHActions(t *testing.T) {
	tests := []struct {
		name   string
		action bool
		in     string
		want   []string
		err    bool
	}{
		{name: "workflow", in: `
jobs:
  call:
    uses: ./.github/workflows/reusable.yml
  remote:
    uses: octo/repo/.github/workflows/w.yml@172239021f7ba04fe7327647b213799853a9eb89
  build:
    steps:
      - uses: actions/checkout@8ade135a41bc03ea155e62e844d188df1ea18608 # v4.1.0
      - uses: pypa/gh-action-pypi-publish@f7600683efdcb7656dec5b29656edb7bc586e597 # release/v1
      - uses: actions/cache/restore@v3 # v3.3.1 (a tag ref keeps its tag)
      - uses: docker://alpine:3.20
      - uses: ${{ matrix.action }}
      - uses: ./local
      - run: make
`, want: []string{
			"./.github/workflows/reusable.yml@  github:uses=./.github/workflows/reusable.yml github:kind=workflow",
			"octo/repo/.github/workflows/w.yml@172239021f7ba04fe7327647b213799853a9eb89 pkg:github/octo/repo@172239021f7ba04fe7327647b213799853a9eb89#.github/workflows/w.yml github:uses=octo/repo/.github/workflows/w.yml@172239021f7ba04fe7327647b213799853a9eb89 github:kind=workflow",
			"actions/checkout@v4.1.0 pkg:github/actions/checkout@v4.1.0 github:uses=actions/checkout@8ade135a41bc03ea155e62e844d188df1ea18608 github:commit=8ade135a41bc03ea155e62e844d188df1ea18608 github:kind=action",
			"pypa/gh-action-pypi-publish@v1 pkg:github/pypa/gh-action-pypi-publish@v1 github:uses=pypa/gh-action-pypi-publish@f7600683efdcb7656dec5b29656edb7bc586e597 github:commit=f7600683efdcb7656dec5b29656edb7bc586e597 github:kind=action",
			"actions/cache/restore@v3 pkg:github/actions/cache@v3#restore github:uses=actions/cache/restore@v3 github:kind=action",
			"./local@  github:uses=./local github:kind=action",
		}},
		{name: "composite action", action: true, in: `
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5
    - uses: actions/setup-python@v5
`, want: []string{"actions/setup-python@v5 pkg:github/actions/setup-python@v5 github:uses=actions/setup-python@v5 github:kind=action"}},
		{name: "aliases", in: `
x: &s {uses: a/b@v1}
jobs:
  j: {steps: [*s, *s]}
`, want: []string{"a/b@v1 pkg:github/a/b@v1 github:uses=a/b@v1 github:kind=action"}},
		{name: "not a workflow", in: "jobs: [1, 2]\n"},
		{name: "steps not a list", in: "jobs: {a: {steps: {uses: a/b@v1}}}\n"},
		{name: "broken", in: "jobs: {a: [\n", err: true},
		{name: "too many steps", in: "jobs: {a: {steps: [" + strings.Repeat("{uses: a/b@v1},", maxUses+1) + "]}}\n", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parseGHActions([]byte(tt.in), tt.action)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, pkgLine(p))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestGHActionsMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"src/x/.github/workflows/ci.yml":         true,
		"src/x/.github/workflows/ci.yaml":        true,
		"src/x/.github/workflows/sub/ci.yml":     false,
		"src/x/.github/workflows/README.md":      false,
		"src/x/.github/actions/setup/action.yml": true,
		"src/x/action.yaml":                      true,
		"src/x/workflows/ci.yml":                 false,
		"src/x/.github/dependabot.yml":           false,
	} {
		if got := (ghActions{}).Match(fileInfo(p)); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
}
