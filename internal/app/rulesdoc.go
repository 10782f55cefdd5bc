package app

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/catalog"
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
	b.WriteString("\nA rule that *requires* `kernel` or `init` is not_applicable on a target without one of its own, such as a container image ([rule-format.md](rule-format.md#target-traits-requires)).\n")
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
		fmt.Fprintf(&b, "\n## %s\n\n| Rule | Severity | Profiles | CRA | NIST SP 800-53 | Check | Parameters (default) | Fix |\n|---|---|---|---|---|---|---|---|\n", area)
		rs := areas[area]
		slices.SortFunc(rs, func(a, b *rules.Rule) int { return strings.Compare(a.ID, b.ID) })
		for _, r := range rs {
			info := catalog.Info(eng, r)
			check := "`" + r.Template + "`"
			if len(info.Requires) > 0 {
				check += "<br>requires " + strings.Join(info.Requires, ", ")
			}
			fmt.Fprintf(&b, "| `%s`<br>%s | %s | %s | %s | %s | %s | %s | %s |\n", r.ID, mdEscape(r.Title), r.Severity,
				strings.Join(r.Profiles, ", "), strings.Join(r.References["cra"], ", "), mdEscape(strings.Join(r.References["nist_800_53"], ", ")), check,
				mdParams(info.Params), mdFix(info.Fix))
		}
	}
	b.WriteString("\n## Native fixes by check template\n\nWhat `cradle fix` does for a failing rule of each template that has a native fix ([remediation.md](remediation.md) has the details).\n\n| Check | Fix |\n|---|---|\n")
	var tmpls []string
	for _, r := range eng.Rules.Rules {
		if r.Fixable(eng.Registry) {
			tmpls = append(tmpls, r.Template)
		}
	}
	slices.Sort(tmpls)
	for _, t := range slices.Compact(tmpls) {
		fmt.Fprintf(&b, "| `%s` | %s |\n", t, mdEscape(catalog.FixMethod(t)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdParams lists parameters as `name` = default, profile values after.
func mdParams(ps []catalog.ParamInfo) string {
	var out []string
	for _, p := range ps {
		s := fmt.Sprintf("`%s` = `%s`", p.Name, mdEscape(catalog.ParamValue(p.Default)))
		for _, prof := range slices.Sorted(maps.Keys(p.Profiles)) {
			s += fmt.Sprintf(" (%s: `%s`)", prof, mdEscape(catalog.ParamValue(p.Profiles[prof])))
		}
		out = append(out, s)
	}
	return strings.Join(out, "<br>")
}

// mdFix says whether the fix is native or manual, with the notes.
func mdFix(f catalog.FixInfo) string {
	s := "manual"
	if f.Native {
		s = "native"
	}
	if f.Disruption != "" {
		s += " (" + f.Disruption + ")"
	}
	if f.Notes != "" {
		s += ": " + mdEscape(f.Notes)
	}
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
