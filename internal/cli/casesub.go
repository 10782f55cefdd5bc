package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/output"
)

func newCaseNewCmd(env *Env) *cobra.Command {
	var of outputFlags
	var cf caseFlags
	cmd := &cobra.Command{
		Use:   "new --title TEXT [--product P --version V …] [--cvss3 VECTOR] [--exploited --aware TIME]",
		Short: "Record a new vulnerability case",
		Long:  caseLong + "\n\nExit codes: 0 recorded; 2 usage error (a missing title, a vector or time that does not parse, --exploited without --aware); 1 internal error.",
		Example: `  cradle case new --title "RCE in the web UI" --product edge-gateway --version 2.4.0 \
      --reporter researcher@example.org --channel email --cvss3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
  cradle case new --title "Exploited auth bypass" --exploited --aware 2026-12-03T12:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			doc, err := env.app().CaseNew(cmd.Context(), cf.input(cmd.Flags()))
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(cmd, output.KindCaseList, false)
	cf.register(cmd.Flags(), false)
	return cmd
}

func newCaseUpdateCmd(env *Env) *cobra.Command {
	var of outputFlags
	var cf caseFlags
	cmd := &cobra.Command{
		Use:   "update CASE [--status S] [--exploited --aware TIME] [--mitigated TIME] [--report STAGE=TIME]",
		Short: "Change a case: triage, status, exploitation, fix, submitted reports",
		Long:  caseLong + "\n\nExit codes: 0 updated; 2 usage error, an unknown case or a move the workflow does not allow; 1 internal error.",
		Example: `  cradle case update CASE-2026-0001 --status confirmed --exploited --aware now --note "customer saw it in the wild"
  cradle case update CASE-2026-0001 --report early_warning=now,SRP-123
  cradle case update CASE-2026-0001 --status fixed --mitigated 2026-12-09T10:00:00Z --mitigation "2.4.1 released"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			doc, err := env.app().CaseUpdate(cmd.Context(), args[0], cf.input(cmd.Flags()))
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(cmd, output.KindCaseList, false)
	cf.register(cmd.Flags(), true)
	return cmd
}

func newCaseListCmd(env *Env) *cobra.Command {
	var of outputFlags
	var store string
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--all]",
		Short: "List open cases with their severity, remediation due date and next Article 14 report",
		Long:  caseLong + "\n\nExit codes: 0 listed; 2 usage error or an unreadable store; 1 internal error.",
		Example: `  cradle case list
  cradle case list --all --format json -o cases.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			doc, err := env.app().CaseList(cmd.Context(), store, all)
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(cmd, output.KindCaseList, false)
	cmd.Flags().StringVar(&store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	cmd.Flags().BoolVar(&all, "all", false, "include closed cases")
	return cmd
}

func newCaseShowCmd(env *Env) *cobra.Command {
	var of outputFlags
	var store string
	cmd := &cobra.Command{
		Use:   "show CASE",
		Short: "Show a case: Article 14 clocks, report drafts and history",
		Long:  caseLong + "\n\nExit codes: 0 shown; 2 usage error or an unknown case; 1 internal error.",
		Example: `  cradle case show CASE-2026-0001
  cradle case show CASE-2026-0001 --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			doc, err := env.app().CaseShow(cmd.Context(), store, args[0])
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(cmd, output.KindCaseList, false)
	cmd.Flags().StringVar(&store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	return cmd
}
