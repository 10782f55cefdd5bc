package catalogers

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/target"
)

// GitHub is the package URL type of GitHub repositories, which the
// actions and reusable workflows a workflow uses are.
const GitHub = "github"

// Bounds of the GitHub Actions cataloger: workflow and action files are
// small; the YAML library itself refuses nesting deeper than 10,000
// levels and excessive alias expansion.
const (
	maxWorkflowSize = 2 << 20
	maxUses         = 10000 // jobs, steps and aliases visited per file
	maxUsesLen      = 512
)

// ghActions reads GitHub Actions workflows (.github/workflows/*.yml or
// .yaml) and composite actions (action.yml or action.yaml with
// runs.steps): each "uses: OWNER/REPO[/PATH]@REF" of a job (a reusable
// workflow) or a step (an action) is a component
// pkg:github/OWNER/REPO@REF#PATH. A commit SHA ref with a version in the
// line's comment ("@8ade13… # v4.1.0") is reported as that version, the
// SHA kept as github:commit. Local references ("./.github/workflows/x.yml",
// "./action") have no package URL: the repository they belong to is not
// known from the file. "docker://IMAGE" steps (a container image, not a
// repository) and references built from expressions ("${{ … }}") are
// left out.
type ghActions struct{}

func (ghActions) Name() string { return "github-actions" }

func (ghActions) Match(fi target.FileInfo) bool {
	base := path.Base(fi.Path)
	ext := path.Ext(base)
	if ext != ".yml" && ext != ".yaml" {
		return false
	}
	if base == "action.yml" || base == "action.yaml" {
		return true
	}
	dir := path.Dir(fi.Path)
	return path.Base(dir) == "workflows" && path.Base(path.Dir(dir)) == ".github"
}

func (ghActions) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := target.ReadFileLimit(f.t, f.Info.Path, maxWorkflowSize)
	if err != nil {
		return nil, err
	}
	base := path.Base(f.Info.Path)
	return parseGHActions(b, base == "action.yml" || base == "action.yaml")
}

// ghUse is one "uses" value and the comment on its line.
type ghUse struct{ value, comment string }

func parseGHActions(b []byte, action bool) ([]Package, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	budget := maxUses
	root := ghResolve(&doc, &budget)
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = ghResolve(root.Content[0], &budget)
	}
	var uses []ghUse
	if action {
		// runs.steps of a composite action.
		uses = ghSteps(ghGet(ghGet(root, "runs", &budget), "steps", &budget), &budget, uses)
	} else {
		jobs := ghGet(root, "jobs", &budget)
		if jobs != nil && jobs.Kind == yaml.MappingNode {
			for i := 1; i < len(jobs.Content) && budget > 0; i += 2 {
				job := ghResolve(jobs.Content[i], &budget)
				if u := ghGet(job, "uses", &budget); u != nil && u.Kind == yaml.ScalarNode {
					uses = append(uses, ghUse{u.Value, ghComment(u)})
				}
				uses = ghSteps(ghGet(job, "steps", &budget), &budget, uses)
			}
		}
	}
	var out []Package
	seen := map[string]bool{}
	for _, u := range uses {
		p, ok := ghPackage(u)
		if !ok || seen[p.Name+"@"+p.Version+" "+u.value] {
			continue
		}
		seen[p.Name+"@"+p.Version+" "+u.value] = true
		out = append(out, p)
	}
	if budget <= 0 {
		return out, fmt.Errorf("more than %d jobs, steps and aliases: the rest were not read", maxUses)
	}
	return out, nil
}

// ghSteps appends the "uses" of a sequence of steps.
func ghSteps(steps *yaml.Node, budget *int, uses []ghUse) []ghUse {
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return uses
	}
	for _, s := range steps.Content {
		if *budget <= 0 {
			break
		}
		if u := ghGet(ghResolve(s, budget), "uses", budget); u != nil && u.Kind == yaml.ScalarNode {
			uses = append(uses, ghUse{u.Value, ghComment(u)})
		}
	}
	return uses
}

// ghResolve follows an alias (one step per call, counted).
func ghResolve(n *yaml.Node, budget *int) *yaml.Node {
	*budget--
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// ghGet is the value of key in mapping n, or nil.
func ghGet(n *yaml.Node, key string, budget *int) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return ghResolve(n.Content[i+1], budget)
		}
	}
	return nil
}

// ghVersionRE finds a version in a comment ("# v4.1.0", "# release/v1").
var ghVersionRE = regexp.MustCompile(`v?\d+(\.\d+)*`)

// ghSHARE is a ref that is a commit SHA (abbreviated or whole).
var ghSHARE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// ghComment is the version a comment by the value states, if any.
func ghComment(n *yaml.Node) string {
	c := n.LineComment
	if c == "" {
		c = n.HeadComment
	}
	if c == "" {
		c = n.FootComment
	}
	return ghVersionRE.FindString(c)
}

// ghPackage turns a "uses" value into a component.
func ghPackage(u ghUse) (Package, bool) {
	use := strings.TrimSpace(u.value)
	if use == "" || len(use) > maxUsesLen || strings.Contains(use, "${{") || strings.HasPrefix(use, "docker://") {
		return Package{}, false
	}
	name, ref, _ := strings.Cut(use, "@")
	if name == "" || strings.Contains(ref, "@") {
		return Package{}, false
	}
	p := Package{Ecosystem: GitHub, Type: TypeLibrary, Name: name, Version: ref,
		Properties: []Property{{"github:uses", use}}}
	if ghSHARE.MatchString(ref) && u.comment != "" {
		p.Version = u.comment
		p.Properties = append(p.Properties, Property{"github:commit", ref})
	}
	kind := "action"
	if strings.Contains(name, ".github/workflows/") {
		kind = "workflow"
	}
	p.Properties = append(p.Properties, Property{"github:kind", kind})
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 || parts[0] == "." || parts[0] == ".." || parts[0] == "" || parts[1] == "" {
		return p, true // local: no package URL
	}
	sub := ""
	if len(parts) == 3 {
		sub = parts[2]
	}
	p.PURL = packageurl.NewPackageURL(GitHub, parts[0], parts[1], p.Version, nil, sub).ToString()
	return p, true
}
