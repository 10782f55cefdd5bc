package checks

import (
	"fmt"
	"io"
	"strings"
)

// WriteFactsDoc renders the fact catalogue as Markdown (docs/facts.md).
func WriteFactsDoc(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Facts\n\n")
	b.WriteString("Generated from the fact catalogue (`checks.FactSources`, internal/checks/expr_sources.go); do not edit by hand\n")
	b.WriteString("(`go test ./internal/checks -run TestFactsDoc -update` regenerates it).\n\n")
	b.WriteString("These are the variables an `expr` check can use (docs/rule-format.md). Each fact is collected once per\n")
	b.WriteString("scan, and only when a rule uses it. Types use CEL's names; `{a: T, b?: U}` is an object whose field `b`\n")
	b.WriteString("may be absent, and a list or object the target does not have may be `null`. Runtime facts need a live\n")
	b.WriteString("target: on a root filesystem or an image an expression using one is `not_applicable`.\n\n")
	b.WriteString("| Fact | Description |\n|---|---|\n")
	for _, s := range exprSources {
		live := ""
		if s.Live {
			live = " Runtime fact."
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s%s |\n", s.Name, s.Name, mdCell(s.Description), live)
	}
	for _, s := range exprSources {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n| Field | Type | Notes |\n|---|---|---|\n", s.Name, s.Description)
		for _, f := range s.Fields {
			name := f.Name
			if f.Optional {
				name += "?"
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", name, mdCell(f.Type), mdCell(f.Doc))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
