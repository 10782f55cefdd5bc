package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

func newCaseCloseCmd(env *Env) *cobra.Command {
	var of outputFlags
	var in app.CaseInput
	var resolution string
	cmd := &cobra.Command{
		Use:   "close CASE --reason TEXT [--resolution R]",
		Short: "Close a case, saying why",
		Long: caseLong + "\n\n--resolution: fixed, not_affected (the advisory states known_not_affected with the reason as its impact statement), duplicate, rejected or wont_fix." +
			"\n\nExit codes: 0 closed; 2 usage error (no reason), an unknown case or a move the workflow does not allow; 1 internal error.",
		Example: `  cradle case close CASE-2026-0002 --reason "duplicate of CASE-2026-0001" --resolution duplicate
  cradle case close CASE-2026-0003 --reason "the vulnerable code is not built into the image" --resolution not_affected`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			doc, err := env.app().CaseClose(cmd.Context(), args[0], resolution, in)
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(cmd, output.KindCaseList, false)
	f := cmd.Flags()
	f.StringVar(&in.Store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	f.StringVar(&in.Actor, "actor", "", "who acts (default the OS user)")
	f.StringVar(&in.Note, "reason", "", "why the case is closed (kept in the history and the change log)")
	f.StringVar(&resolution, "resolution", "", "fixed, not_affected, duplicate, rejected or wont_fix")
	return cmd
}

func newCaseImportCmd(env *Env) *cobra.Command {
	var of outputFlags
	var in app.CaseImportInput
	cmd := &cobra.Command{
		Use:   "import FILE [--product P] [--version V]",
		Short: "Open or update one case per vulnerability found by cradle vuln scan",
		Long: caseLong + `

FILE is the JSON of cradle vuln scan (--format json). Each vulnerability
id becomes one case of the product (its components by package URL, the
fixed versions, the CVSS vector); importing again updates that case and
never adds a second one. A finding in CISA's KEV catalogue marks the case
actively exploited, aware from the import when no awareness time was
recorded: the Article 14 clocks start. Findings a VEX statement
suppressed are skipped unless --suppressed.

Exit codes: 0 imported; 2 usage error or a report that does not read; 1 internal error.`,
		Example: `  cradle vuln scan --sbom sbom.cdx.json --format json -o vulns.json
  cradle case import vulns.json --product edge-gateway --version 2.4.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			in.File = args[0]
			doc, err := env.app().CaseImport(cmd.Context(), in)
			if err != nil {
				return err
			}
			return sink.Write(doc, output.Options{})
		},
	}
	of.register(cmd, output.KindCaseList, false)
	f := cmd.Flags()
	f.StringVar(&in.Store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	f.StringVar(&in.Actor, "actor", "", "who acts (default the OS user)")
	f.StringVar(&in.Note, "note", "", "a note kept in the history of each case")
	f.StringVar(&in.Product, "product", "", "affected product (default the product file's name)")
	f.StringVar(&in.Config, "config", "", "product `FILE` (default ./cradle.yaml when present)")
	f.StringSliceVar(&in.Version, "version", nil, "affected product `version` of new cases (repeatable)")
	f.BoolVar(&in.Suppressed, "suppressed", false, "also import findings a VEX statement suppressed")
	return cmd
}

func newCaseVerifyCmd(env *Env) *cobra.Command {
	var store string
	var pubkeys []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the cases' change log and that the store agrees with it",
		Long: `Verify the signed change log of the case store (every entry's hash,
signature and chain, and the signed head) and that the store matches it:
every event of every case is logged and each case is as the log recorded
it last. An edited, truncated or forged log, or a store changed outside
cradle, is reported.

Exit codes: 0 intact; 3 not intact; 2 usage error; 1 internal error.`,
		Example: `  cradle case verify
  cradle case verify --store cases.db --pubkey release-signing.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := env.app().CaseVerify(cmd.Context(), store, pubkeys)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "cases change log intact: %d entries, %d cases, %d events (%s)\n", out.Entries, out.Cases, out.Events, out.Log)
			return err
		},
	}
	cmd.Flags().StringVar(&store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	cmd.Flags().StringSliceVar(&pubkeys, "pubkey", nil, "trusted public key `FILE` (repeatable; default the keys in $CRADLE_HOME/keys)")
	return cmd
}
