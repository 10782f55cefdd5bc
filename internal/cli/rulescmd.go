package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/output"
)

func newRulesCmd(env *Env) *cobra.Command {
	var profile, format string
	cmd := &cobra.Command{
		Use:   "rules [--profile P] [--format table|json|markdown]",
		Short: "List the rules of the built-in baseline",
		Long: `List the rules of the built-in baseline, or of one profile, with their
severity, profiles, check template and CRA Annex I references.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := loadCatalog()
			if err != nil {
				return err
			}
			list := eng.Rules.Rules
			if profile != "" {
				if list, err = eng.Profiles.Select(eng.Rules, profile); err != nil {
					return usageErr("--profile: %v", err)
				}
			}
			if format == "markdown" {
				if profile != "" {
					return usageErr("--format markdown documents the whole baseline; drop --profile")
				}
				return writeRulesMarkdown(env.Stdout, eng)
			}
			sink, err := output.Default().Open(output.KindRuleList, format, "", env.Stdout)
			if err != nil {
				return usageErr("--format: unknown format %q (want table, json or markdown)", format)
			}
			return sink.Write(catalog.NewRuleList(eng.Registry, profile, list), output.Options{})
		},
	}
	cmd.Flags().StringVarP(&profile, "profile", "p", "", "list only the rules of profile `P`")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json or markdown")
	return cmd
}
