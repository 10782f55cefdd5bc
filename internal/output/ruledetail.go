package output

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/catalog"
)

// ruleDetails shows rules asked for by id in full, one after the other.
func ruleDetails(w io.Writer, l *catalog.RuleList) error {
	var b strings.Builder
	for i, r := range l.Rules {
		if i > 0 {
			b.WriteString("\n")
		}
		writeRuleDetail(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const detailWidth = 78

func writeRuleDetail(b *strings.Builder, r catalog.RuleInfo) {
	fmt.Fprintf(b, "%s\n%s\n\n", r.ID, r.Title)
	field := func(k, v string) { fmt.Fprintf(b, "%-11s %s\n", k+":", v) }
	field("severity", r.Severity)
	field("profiles", strings.Join(r.Profiles, ", "))
	platforms := "any Linux"
	if len(r.Platforms) > 0 {
		platforms = strings.Join(r.Platforms, ", ")
	}
	field("platforms", platforms)
	if len(r.Requires) > 0 {
		field("requires", strings.Join(r.Requires, ", "))
	}
	field("check", r.Template)
	field("defined at", r.Source)
	section := func(title, text string) {
		fmt.Fprintf(b, "\n%s\n", title)
		wrap(b, text, "  ", "  ")
	}
	section("Description", r.Description)
	section("Rationale", r.Rationale)
	b.WriteString("\nParameters\n")
	if len(r.Params) == 0 {
		b.WriteString("  none\n")
	}
	for _, p := range r.Params {
		fmt.Fprintf(b, "  %s = %s\n", p.Name, catalog.ParamValue(p.Default))
		if p.Description != "" {
			wrap(b, p.Description, "      ", "      ")
		}
		for _, prof := range slices.Sorted(maps.Keys(p.Profiles)) {
			fmt.Fprintf(b, "      profile %s: %s\n", prof, catalog.ParamValue(p.Profiles[prof]))
		}
	}
	if len(r.Params) > 0 {
		fmt.Fprintf(b, "  (override in a tailoring file: params: {%s: {%s: …}})\n", r.ID, r.Params[0].Name)
	}
	var how []string
	if r.Fix.Disruption != "" {
		how = append(how, "disruption "+r.Fix.Disruption)
	}
	if r.Fix.Strategy != "" {
		how = append(how, "strategy "+r.Fix.Strategy)
	}
	if r.Fix.Reboot {
		how = append(how, "needs a reboot")
	}
	kind := "manual: cradle fix reports the rule and changes nothing"
	if r.Fix.Native {
		kind = "native: cradle fix --rule " + r.ID + " previews it, --apply applies it"
	}
	fmt.Fprintf(b, "\nFix (%s)\n", kind)
	if len(how) > 0 {
		fmt.Fprintf(b, "  %s\n", strings.Join(how, ", "))
	}
	if r.Fix.Method != "" {
		wrap(b, "What it does: "+r.Fix.Method, "  ", "    ")
	}
	switch {
	case r.Fix.Notes != "":
		wrap(b, "Notes: "+r.Fix.Notes, "  ", "    ")
	case !r.Fix.Native:
		b.WriteString("  Notes: none given\n")
	}
	b.WriteString("\nReferences\n")
	for _, p := range r.CRA {
		fmt.Fprintf(b, "  %s  %s: %s\n", p.ID, p.Official, p.Title)
		wrap(b, p.Requirement, "      ", "      ")
	}
	for _, k := range slices.Sorted(maps.Keys(r.References)) {
		if k == "cra" {
			continue
		}
		fmt.Fprintf(b, "  %s: %s\n", refName(k), strings.Join(r.References[k], ", "))
	}
}

func refName(k string) string {
	if k == "nist_800_53" {
		return "NIST SP 800-53"
	}
	return k
}

// wrap writes text word-wrapped at detailWidth, the first line indented
// by first and the others by rest.
func wrap(b *strings.Builder, text, first, rest string) {
	line := first
	empty := true
	for _, w := range strings.Fields(text) {
		if !empty && len(line)+1+len(w) > detailWidth {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	if !empty {
		b.WriteString(line + "\n")
	}
}
