package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

const advisoryLong = `Write the CSAF 2.0 documents of a vulnerability case: a security
advisory (profile csaf_security_advisory) and a VEX document (csaf_vex),
from the case and the product file (publisher = the manufacturer, whose
website is the publisher namespace; the product tree from the product's
name, versions, CPE and package URL, with the affected components; the
product status from the case's status and resolution; remediations from
the fixed versions, the measures taken and what users can do; the CVSS
v3 score computed from the vector; the exploitation status). Files are
named after the tracking id as CSAF asks: -o DIR/case-2026-0001.json and
DIR/case-2026-0001-vex.json.

Without --final the documents are a draft (version 0) until something is
published, and interim when the case changed since the last published
revision. --final publishes: when the content differs from the last
revision, the next revision is recorded in the case and the change log.

--provider WEBROOT lays out the CSAF provider tree under WEBROOT:
.well-known/csaf/provider-metadata.json, white/<year>/<file>.json with
.sha256, .sha512 and an OpenPGP detached signature (.asc),
openpgp/<fingerprint>.asc (the public key, listed in
public_openpgp_keys), index.txt, changes.csv, and a cleartext-signed
.well-known/security.txt (RFC 9116). The OpenPGP key is the
organisation's (--openpgp-key FILE, mode 0600; passphrase in
CRADLE_OPENPGP_PASSPHRASE) or else an Ed25519 key cradle generates once
in $CRADLE_HOME/keys. The role is csaf_trusted_provider when every
document of the tree has hashes and a valid signature. Only final or
interim documents are published. See docs/cra.md.`

func newAdvisoryCmd(env *Env) *cobra.Command {
	var of outputFlags
	var in app.AdvisoryInput
	cmd := &cobra.Command{
		Use:   "advisory CASE [-o DIR] [--final] [--provider WEBROOT [--openpgp-key FILE]]",
		Short: "Write a case's CSAF 2.0 advisory and VEX documents; publish them in a CSAF provider tree",
		Long:  advisoryLong + "\n\nExit codes: 0 written; 2 usage error (an unknown case, a product file without manufacturer.website or security.contact, a draft given to --provider, an OpenPGP key file that is unreadable, group- or other-readable, or encrypted without CRADLE_OPENPGP_PASSPHRASE); 1 internal error.",
		Example: `  cradle advisory CASE-2026-0001 -o advisories/
  cradle advisory CASE-2026-0001 --final --summary "Initial release." -o advisories/ --provider public/
  CRADLE_OPENPGP_PASSPHRASE=... cradle advisory CASE-2026-0001 --final -o advisories/ --provider public/ --openpgp-key psirt-key.asc`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			in.Case = args[0]
			res, err := env.app().Advisory(cmd.Context(), in)
			if err != nil {
				return err
			}
			return sink.Write(res, output.Options{})
		},
	}
	of.register(cmd, output.KindAdvisory, true) // -o is the documents' directory
	f := cmd.Flags()
	f.StringVarP(&in.Out, "out", "o", "", "`DIR` for the two documents (default the current directory)")
	f.StringVar(&in.Store, "store", "", "case store `FILE` (default $CRADLE_HOME/cases/cases.db)")
	f.StringVar(&in.Config, "config", "", "product `FILE` (default ./cradle.yaml)")
	f.BoolVar(&in.Final, "final", false, "publish: record a new revision when the content changed")
	f.StringVar(&in.Summary, "summary", "", "summary of the new revision (default \"Initial release.\" or \"Updated.\")")
	f.StringVar(&in.Provider, "provider", "", "web root `DIR` to lay the CSAF provider tree and security.txt out under")
	f.StringVar(&in.OpenPGPKey, "openpgp-key", "", "the organisation's armored OpenPGP private key `FILE` that signs the provider tree")
	f.StringVar(&in.Actor, "actor", "", "who publishes (default the OS user)")
	return cmd
}
