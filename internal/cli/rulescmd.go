package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/output"
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
			if format == "markdown" {
				if profile != "" {
					return usageErr("--format markdown documents the whole baseline; drop --profile")
				}
				return a.RulesMarkdown(env.Stdout)
			}
			sink, err := output.Default().Open(output.KindRuleList, format, "", env.Stdout)
			if err != nil {
				return usageErr("--format: unknown format %q (want table, json or markdown)", format)
			}
			list, err := a.Rules(profile)
			if err != nil {
				return err
			}
			return sink.Write(list, output.Options{})
		},
	}
	cmd.Flags().StringVarP(&profile, "profile", "p", "", "list only the rules of profile `P`")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json or markdown")
	return cmd
}
