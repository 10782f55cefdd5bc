package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

func newRulesCmd(env *Env) *cobra.Command {
	var profile, format string
	var ruleFiles []string
	cmd := &cobra.Command{
		Use:   "rules [ID ...] [--profile P] [--rules FILE|DIR] [--format table|json|markdown]",
		Short: "List the rules of the baseline, or show one rule in full",
		Long: `List the rules of the built-in baseline, or of one profile, with their
severity, profiles and CRA Annex I references; --rules adds your own rule
files (docs/rule-format.md).

With rule ids, show each rule in full: description, rationale, severity,
profiles, platforms, parameters with their defaults and profile values,
the fix (what cradle fix does, or the manual remediation notes) and the
references, with the CRA points in the Regulation's words.

Exit codes: 0 listed; 2 usage error (unknown rule id, with the closest
one; unknown profile or format; a rule file with errors); 1 internal error.`,
		Example: `  cradle rules
  cradle rules ssh.permit_root_login
  cradle rules --profile strict --format json
  cradle rules --rules ./our-rules/ --format json
  cradle rules --format markdown > docs/rules.md`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a := env.app()
			if format == "markdown" {
				if profile != "" || len(args) > 0 || len(ruleFiles) > 0 {
					return usageErr("--format markdown documents the whole built-in baseline; drop --profile, --rules and rule ids")
				}
				return a.RulesMarkdown(env.Stdout)
			}
			sink, err := output.Default().Open(output.KindRuleList, format, "", env.Stdout)
			if err != nil {
				return usageErr("--format: unknown format %q (want table, json or markdown)", format)
			}
			list, err := a.Rules(app.RulesInput{Profile: profile, IDs: args, RuleFiles: ruleFiles})
			if err != nil {
				return err
			}
			return sink.Write(list, output.Options{})
		},
	}
	cmd.Flags().StringVarP(&profile, "profile", "p", "", "list only the rules of profile `P`")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json or markdown")
	registerRuleFiles(cmd, &ruleFiles, "")
	return cmd
}
