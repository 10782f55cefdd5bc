package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

func newInitCmd(env *Env) *cobra.Command {
	var in app.InitInput
	var interactive, batch bool
	cmd := &cobra.Command{
		Use:   "init [--file cradle.yaml] [--product NAME --manufacturer NAME …]",
		Short: "Write a commented starter product file (cradle.yaml)",
		Long: `Write cradle.yaml, the product file the CRA commands read: manufacturer and
contacts, product identity and versions, intended purpose, deployment modes
with the baseline profile each is scanned against, support period, security
contact and disclosure policy, update channel, release artifacts and the
answers that classify the product. Keep it in the product's repository.

On a terminal cradle init asks for what the flags did not give; with
--non-interactive (or when standard input is not a terminal) missing
answers become placeholders to edit. The file is written atomically and an
existing one is kept unless --force. The gaps the CRA cares about (no
postal address, no disclosure policy, a support period under five years)
are printed as warnings. See docs/cra.md.

Exit codes: 0 written; 2 usage error, or the file exists; 1 internal error.`,
		Example: `  cradle init
  cradle init --non-interactive --product edge-gateway --manufacturer "Example GmbH" \
      --email psirt@example.com --support-years 7 --category I.12`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interactive || (!batch && env.interactive()) {
				if err := askInit(env, cmd, &in.Answers); err != nil {
					return err
				}
			}
			path, warns, err := env.app().Init(cmd.Context(), in)
			if err != nil {
				return err
			}
			for _, w := range warns {
				env.warnf("%s", w)
			}
			fmt.Fprintf(env.Stdout, "wrote %s; edit it, then run cradle classify\n", path)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.File, "file", "cradle.yaml", "product file to write")
	f.BoolVar(&in.Force, "force", false, "replace an existing file")
	f.BoolVarP(&interactive, "interactive", "i", false, "ask questions even when standard input is not a terminal")
	f.BoolVar(&batch, "non-interactive", false, "never ask; missing answers become placeholders")
	a := &in.Answers
	f.StringVar(&a.Product, "product", "", "product `name`")
	f.StringVar(&a.Version, "version", "", "current product `version`")
	f.StringVar(&a.Manufacturer, "manufacturer", "", "manufacturer's `name`")
	f.StringVar(&a.Email, "email", "", "manufacturer's contact e-mail `address`")
	f.StringVar(&a.Website, "website", "", "manufacturer's website `URL`")
	f.StringVar(&a.IntendedPurpose, "purpose", "", "intended purpose (one sentence)")
	f.StringVar(&a.SecurityContact, "security-contact", "", "vulnerability report contact (e-mail or URL; default --email)")
	f.IntVar(&a.SupportYears, "support-years", 5, "support period in `years` from today")
	f.StringSliceVar(&a.Categories, "category", nil, "Annex III/IV category `ID` (repeatable; cradle classify --list)")
	f.StringVar(&a.Target, "target", "image", "how the product is deployed: host, rootfs or image")
	f.StringVar(&a.Profile, "profile", "product", "baseline `profile` the deployment is scanned against")
	cmd.MarkFlagsMutuallyExclusive("interactive", "non-interactive")
	return cmd
}
