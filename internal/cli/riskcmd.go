package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newRiskCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "risk",
		Short: "Write or check the product's cybersecurity risk assessment",
		Long: `The risk assessment (Art. 13(2)-(4), Annex VII point 3) is a YAML file the
product file names under risk_assessment: assets, threats rated by
likelihood x impact before and after their controls, the controls, and
for every Annex I point whether it applies (with a justification when it
does not) and what meets it. See docs/cra.md.`,
	}
	var force bool
	var file string
	initCmd := &cobra.Command{
		Use:   "init [--file risk.yaml]",
		Short: "Write a commented starter risk file (risk.yaml)",
		Long: `Write a starter risk file listing every Annex I point as applicable with no
control yet; edit it, then add risk_assessment: FILE to the product file.

Exit codes: 0 written; 2 the file exists (without --force) or a usage
error; 1 internal error.`,
		Example: `  cradle risk init
  cradle risk init --file product/risk.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := env.app().RiskInit(file, force)
			if err == nil {
				fmt.Fprintf(env.Stdout, "wrote %s\n", p)
			}
			return err
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	initCmd.Flags().StringVar(&file, "file", "", "risk file to write (default ./risk.yaml)")
	var config, checkFile string
	check := &cobra.Command{
		Use:   "check [--file risk.yaml] [--config cradle.yaml]",
		Short: "Read the risk file strictly and summarise it",
		Long: `Read the risk file (--file, or the one the product file names) strictly:
unknown keys, unknown ids, a point not assessed or a not-applicable point
without justification are errors with file:line. Warnings name gaps
(a point with no control, a high residual risk nobody accepted).

Exit codes: 0 valid; 2 invalid (file:line) or a usage error; 1 internal
error.`,
		Example: `  cradle risk check
  cradle risk check --file risk.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, warns, err := env.app().RiskCheck(config, checkFile)
			for _, w := range warns {
				env.warnf("%s", w)
			}
			if err != nil {
				return err
			}
			na := 0
			for _, r := range f.Requirements {
				if !r.IsApplicable() {
					na++
				}
			}
			fmt.Fprintf(env.Stdout, "risk assessment: %d assets, %d threats, %d controls; %d Annex I points, %d not applicable\n",
				len(f.Assets), len(f.Threats), len(f.Controls), len(f.Requirements), na)
			return nil
		},
	}
	check.Flags().StringVar(&config, "config", "", "product file (default ./cradle.yaml)")
	check.Flags().StringVar(&checkFile, "file", "", "risk file (default the one the product file names)")
	cmd.AddCommand(initCmd, check)
	return cmd
}
