package oval

import (
	"fmt"
	"strings"

	"github.com/cradle-cra/cradle/internal/result"
)

// DefinitionClass returns a definition's class ("compliance", "inventory",
// "patch", "vulnerability", "miscellaneous"); ok is false for an unknown id.
func (d *Document) DefinitionClass(id string) (class string, ok bool) {
	def := d.Definitions[id]
	if def == nil {
		return "", false
	}
	return def.Class, true
}

// Evidence renders the tests a definition reached, one entry each, in the
// shape every cradle output carries.
func (r Result) Evidence() []result.Evidence {
	out := make([]result.Evidence, 0, len(r.Tests)+1)
	for _, te := range r.Tests {
		obs := fmt.Sprintf("%s_test %s: %s", te.Type, te.ID, te.Result)
		if te.ObjectID != "" {
			obs += fmt.Sprintf(" (object %s: %d item(s), %s)", te.ObjectID, te.Items, te.Flag)
		}
		notes := append([]string(nil), te.Notes...)
		if te.Message != "" {
			notes = append([]string{te.Message}, notes...)
		}
		out = append(out, result.Evidence{Observed: obs, Note: strings.Join(notes, "; ")})
	}
	if len(r.RegexEngines) > 0 {
		out = append(out, result.Evidence{Observed: "regular expressions evaluated by " + strings.Join(r.RegexEngines, ", "),
			Note: "Perl-style patterns run on Go's RE2 engine when it accepts them, otherwise on regexp2 (lookaround, backreferences)"})
	}
	return out
}
