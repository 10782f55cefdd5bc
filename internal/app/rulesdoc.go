package app

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/rules"
)

// writeRulesMarkdown renders docs/rules.md from the embedded baseline.
func writeRulesMarkdown(w io.Writer, eng *engine.Engine) error {
	var b strings.Builder
	b.WriteString("# Built-in rules\n\n")
	b.WriteString("Generated from the embedded baseline by `cradle rules --format markdown`; do not edit by hand\n")
	b.WriteString("(`go test ./internal/cli -run TestRulesDoc -update` regenerates it).\n\n")
	fmt.Fprintf(&b, "%d rules. Profiles:\n\n", len(eng.Rules.Rules))
	for _, p := range eng.Profiles.All() {
		sel, err := eng.Profiles.Select(eng.Rules, p.ID)
		if err != nil {
			return err
		}
		ext := ""
		if len(p.Extends) > 0 {
			ext = " (extends " + strings.Join(p.Extends, ", ") + ")"
		}
		fmt.Fprintf(&b, "- `%s`%s — %d rules: %s\n", p.ID, ext, len(sel), strings.Join(strings.Fields(p.Description), " "))
	}
	b.WriteString("\n## CRA Annex I coverage\n\nRules per essential requirement of Regulation (EU) 2024/2847, Annex I (wording paraphrased; the Official Journal text is authoritative).\n\n| Annex I point | Requirement | Rules |\n|---|---|---|\n")
	for _, pt := range cra.AnnexI() {
		n := 0
		for _, r := range eng.Rules.Rules {
			if slices.Contains(r.References["cra"], pt.ID) {
				n++
			}
		}
		fmt.Fprintf(&b, "| `%s` | **%s**: %s | %d |\n", pt.ID, mdEscape(pt.Title), mdEscape(pt.Requirement), n)
	}
	areas := map[string][]*rules.Rule{}
	var order []string
	for _, r := range eng.Rules.Rules {
		area, _, _ := strings.Cut(r.ID, ".")
		if _, ok := areas[area]; !ok {
			order = append(order, area)
		}
		areas[area] = append(areas[area], r)
	}
	slices.Sort(order)
	for _, area := range order {
		fmt.Fprintf(&b, "\n## %s\n\n| Rule | Severity | Profiles | CRA | NIST SP 800-53 | Check | Fix |\n|---|---|---|---|---|---|---|\n", area)
		rs := areas[area]
		slices.SortFunc(rs, func(a, b *rules.Rule) int { return strings.Compare(a.ID, b.ID) })
		for _, r := range rs {
			fix := ""
			if r.Fixable(eng.Registry) {
				fix = "yes"
			}
			fmt.Fprintf(&b, "| `%s`<br>%s | %s | %s | %s | %s | `%s` | %s |\n", r.ID, mdEscape(r.Title), r.Severity,
				strings.Join(r.Profiles, ", "), strings.Join(r.References["cra"], ", "), mdEscape(strings.Join(r.References["nist_800_53"], ", ")), r.Template, fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
