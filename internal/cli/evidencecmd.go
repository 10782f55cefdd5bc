package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

func newEvidenceCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Build and verify a release's signed CRA evidence pack",
		Long: `An evidence pack holds, for one product release, the Annex I Part I and II
matrix, drafts of the Annex VII technical documentation, the Annex II user
information and the Annex V EU declaration of conformity, every artifact
given (scan and SCAP results, fix, drift and FIM status, SBOM,
vulnerability report, VEX, advisories, change log excerpt), the risk
assessment and the product file, the date until which it must be kept,
and manifest.json with every file's SHA-256, signed (DSSE, ed25519) in
manifest.dsse.json. See docs/cra.md.`,
	}
	cmd.AddCommand(newEvidenceBuildCmd(env), newEvidenceVerifyCmd(env))
	return cmd
}

func newEvidenceBuildCmd(env *Env) *cobra.Command {
	var of outputFlags
	var in app.EvidenceBuildInput
	cmd := &cobra.Command{
		Use:   "build --out DIR [--config cradle.yaml] [--release V] [--zip FILE] [--input KIND=FILE …]",
		Short: "Assemble, sign and write the evidence pack of a release",
		Long: `Build the evidence pack of one release into a new directory (and a zip of
it with --zip). Artifacts are given as --input KIND=FILE, repeatable:

  scan        cradle scan --format json (also of SCAP content)
  fix         cradle fix --format json
  drift       cradle drift --format json
  fim         cradle fim check --format json
  sbom        CycloneDX or SPDX JSON (cradle sbom)
  vuln        cradle vuln scan --format json
  vex         a VEX document (OpenVEX, CycloneDX, CSAF)
  advisories  a directory of advisories (cradle advisory)
  changelog   cradle log --format json
  other       any other file (test report, review)

cradle documents are checked by their kind. The risk assessment is the
file the product file names under risk_assessment; its controls'
evidence files are copied in. Scan results flow into the matrix by the
CRA ids their rules carry; a point is met only when evidence shows it,
unknown when nothing bears on it.

The pack is written to a temporary directory and renamed into place: a
failed build leaves nothing. It is signed with --key, $CRADLE_SIGNING_KEY
or the generated key. SOURCE_DATE_EPOCH fixes the build time. Retention:
ten years after placing on the market (--placed, default the build date)
or the end of the support period, whichever is later (Art. 13(13),
13(18)). The Annex I matrix is printed (--format json: annex1_matrix).

Exit codes: 0 built; 2 usage error, an invalid product or risk file, an
input of the wrong kind, or DIR exists (without --force); 1 internal error.`,
		Example: `  cradle evidence build --release 2.4.1 --out pack --zip pack.zip \
      --input scan=scan.json --input sbom=sbom.cdx.json --input vuln=vuln.json \
      --input fim=fim.json --input advisories=csaf/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			r, err := env.app().EvidenceBuild(cmd.Context(), in)
			if err != nil {
				return err
			}
			env.warnf("evidence pack %s: %d files, signed by %s, keep until %s", r.Dir, len(r.Manifest.Files)+2, r.KeyID, r.Manifest.Retention.KeepUntil)
			return sink.Write(r.Matrix, output.Options{})
		},
	}
	of.register(cmd, output.KindAnnex1Matrix, false)
	f := cmd.Flags()
	f.StringVar(&in.File, "config", "", "product file (default ./cradle.yaml)")
	f.StringVar(&in.Release, "release", "", "product `VERSION` the pack documents (default the product file's first version)")
	f.StringVar(&in.Out, "out", "", "pack `DIR` to create")
	f.StringVar(&in.Zip, "zip", "", "also write the pack as a zip `FILE`")
	f.StringArrayVar(&in.Inputs, "input", nil, "artifact `KIND=FILE` to take in (repeatable)")
	f.StringVar(&in.Key, "key", "", "sign with the private key `FILE` (PEM PKCS#8 ed25519)")
	f.StringVar(&in.Placed, "placed", "", "`DATE` (YYYY-MM-DD) the release is placed on the market (default the build date)")
	f.BoolVar(&in.Force, "force", false, "replace an existing DIR or zip")
	return cmd
}

func newEvidenceVerifyCmd(env *Env) *cobra.Command {
	var in app.EvidenceVerifyInput
	cmd := &cobra.Command{
		Use:   "verify DIR|ZIP [--pubkey FILE]",
		Short: "Check every digest and the signature of an evidence pack",
		Long: `Verify an evidence pack, as a directory or a zip: the DSSE signature of
manifest.json by a trusted key (--pubkey, or the keys in $CRADLE_HOME),
every listed file's size and SHA-256, and that no file is missing or
added. Each file that does not hold is named. Zip entries with unsafe
names (absolute, "..") are refused, and no entry is inflated beyond its
bound.

Exit codes: 0 every digest and the signature hold; 3 the pack was
tampered with (the files are listed); 2 unreadable (not a pack, not a zip,
no manifest) or a usage error; 1 internal error.`,
		Example: `  cradle evidence verify pack/
  cradle evidence verify pack.zip --pubkey release-signing.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Pack = args[0]
			v, err := env.app().EvidenceVerify(cmd.Context(), in)
			if v != nil {
				for _, p := range v.Problems {
					fmt.Fprintf(env.Stdout, "FAIL %s\n", p)
				}
				if err == nil {
					fmt.Fprintf(env.Stdout, "OK %s: %d files, manifest signed by %s\n", v.Pack, v.Files, v.KeyID)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&in.PubKey, "pubkey", "", "trust only the public key `FILE` (PEM)")
	return cmd
}
