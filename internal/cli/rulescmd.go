package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

func newRulesCmd(env *Env) *cobra.Command {
	var profile, format string
	cmd := &cobra.Command{
		Use:   "rules [--profile P] [--format table|json|markdown]",
		Short: "List the rules of the built-in baseline",
		Long: `List the rules of the built-in baseline, or of one profile, with their
severity, profiles, check template and CRA Annex I references.

Exit codes: 0 listed; 2 usage error (unknown profile or format); 1 internal
error.`,
		Example: `  cradle rules
  cradle rules --profile strict --format json
  cradle rules --format markdown > docs/rules.md`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a := env.app()
			switch format {
			case "markdown":
				if profile != "" {
					return usageErr("--format markdown documents the whole baseline; drop --profile")
				}
				return a.RulesMarkdown(env.Stdout)
			case "json", "table":
			default:
				return usageErr("--format: unknown format %q (want table, json or markdown)", format)
			}
			infos, err := a.Rules(profile)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(infos)
			}
			return rulesTable(env.Stdout, infos)
		},
	}
	cmd.Flags().StringVarP(&profile, "profile", "p", "", "list only the rules of profile `P`")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json or markdown")
	return cmd
}

func rulesTable(w io.Writer, infos []app.RuleInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tPROFILES\tCRA\tTITLE")
	for _, r := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.Profiles, ","), strings.Join(r.References["cra"], ","), r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d rules\n", len(infos))
	return err
}
