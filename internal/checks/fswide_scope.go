package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
)

// maxTreesListed bounds the other systems' trees named in one result.
const maxTreesListed = 10

// Every filesystem-wide template takes two arguments that keep other
// systems' trees out of the check and its fix:
//
//	skip_nested_roots: false             # enter container stores and nested roots too
//	other_system_trees: [/srv/images/*]  # more trees of other systems
//
// Each template's argument struct lists both fields itself: the strict
// decoder does not check unknown fields through an inline struct.

// fsScope is what a check leaves out: by default the trees fswalk
// recognises, which its walk does not enter; with skip_nested_roots false
// nothing (a second walk, shared by the checks that ask for it); always the
// rule's other_system_trees, entries at or below which are neither
// reported nor fixed.
type fsScope struct {
	enter bool
	trees []string
}

func newFSScope(n *yaml.Node, skipNestedRoots *bool, otherSystemTrees []string) (fsScope, error) {
	s := fsScope{enter: skipNestedRoots != nil && !*skipNestedRoots}
	for _, p := range otherSystemTrees {
		p = strings.TrimSuffix(p, "/**")
		if !strings.HasPrefix(p, "/") || p == "/" {
			return fsScope{}, check.ArgErrorf(n, "other_system_trees: %q is not an absolute directory below /", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fsScope{}, check.ArgErrorf(n, "other_system_trees: bad pattern %q: %v", p, err)
		}
		s.trees = append(s.trees, path.Clean(p))
	}
	return s, nil
}

func (s fsScope) walk(f *facts.Store) (*fswalk.Facts, error) {
	return fswalk.GetWith(f, fswalk.Options{EnterOthers: s.enter})
}

// treeOf returns the other_system_trees pattern p is at or below.
func (s fsScope) treeOf(p string) (string, bool) {
	if len(s.trees) == 0 {
		return "", false
	}
	for dir := p; dir != "/" && dir != "."; dir = path.Dir(dir) {
		for _, t := range s.trees {
			if ok, _ := path.Match(t, dir); ok {
				return t, true
			}
		}
	}
	return "", false
}

// note tells, for the evidence, which other systems' trees the walk met
// (not entered, or entered because the rule says so) and how many entries
// the rule's own trees left out.
func (s fsScope) note(fw *fswalk.Facts, left map[string]int) string {
	var b strings.Builder
	if o := fw.Others; o.Total > 0 {
		if fw.OthersEntered {
			fmt.Fprintf(&b, "; other systems' trees entered (skip_nested_roots: false): %d", o.Total)
		} else {
			fmt.Fprintf(&b, "; other systems' trees not entered: %d", o.Total)
		}
		for i, t := range o.Trees[:min(len(o.Trees), maxTreesListed)] {
			sep := ", "
			if i == 0 {
				sep = " — "
			}
			fmt.Fprintf(&b, "%s%s (%s)", sep, t.Path, t.Reason)
		}
		if n := o.Total - min(len(o.Trees), maxTreesListed); n > 0 {
			fmt.Fprintf(&b, " and %d more", n)
		}
	}
	if len(left) > 0 {
		trees := make([]string, 0, len(left))
		for t := range left {
			trees = append(trees, t)
		}
		slices.Sort(trees)
		b.WriteString("; left out as other systems' trees (other_system_trees): ")
		for i, t := range trees {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%d entries)", t, left[t])
		}
	}
	return b.String()
}
