package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

func newSBOMVerifyCmd(env *Env) *cobra.Command {
	var pubkeys []string
	var artifact, out string
	cmd := &cobra.Command{
		Use:   "verify FILE [--pubkey FILE ...] [--artifact FILE] [-o SBOM]",
		Short: "Check a signed SBOM (the in-toto attestation of cradle sbom --sign)",
		Long: `Check an SBOM attestation written by "cradle sbom --sign": a DSSE envelope
of payload type application/vnd.in-toto+json whose every signature is by a
trusted key and verifies, holding an in-toto Statement v1 with subjects
(name and digests) and an SBOM predicate (https://cyclonedx.org/bom or
https://spdx.dev/Document) that parses as an SBOM of that format.
--artifact FILE also requires FILE's SHA-256/SHA-512 to be a subject's.
-o FILE writes the verified SBOM document.

Trusted keys are the public keys in $CRADLE_HOME/keys (*.pub), or only the
ones given with --pubkey. Standard tools check the same file (docs/sbom.md).

Exit codes: 0 verified; 3 it does not verify (tampered payload, unknown
key, bad signature, wrong payload type, no valid statement or SBOM,
artifact not a subject); 2 usage error or a file that cannot be read or
is no envelope; 1 internal error.`,
		Example: `  cradle sbom --image app.tar --sign -o app.att.json
  cradle sbom verify app.att.json --pubkey cradle.pub --artifact app.tar -o app.cdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := env.app().SBOMVerify(cmd.Context(), app.SBOMVerifyInput{File: args[0], PubKeys: pubkeys, Artifact: artifact})
			if err != nil {
				return err
			}
			st := a.Statement
			fmt.Fprintf(env.Stdout, "verified: signed by key %s\npredicate: %s (%s %s, %d components)\n",
				a.KeyID, st.PredicateType, a.Doc.Format, a.Doc.SpecVersion, len(a.Doc.Components))
			for _, s := range st.Subject {
				algs := make([]string, 0, len(s.Digest))
				for alg, v := range s.Digest {
					algs = append(algs, alg+":"+v)
				}
				sort.Strings(algs)
				fmt.Fprintf(env.Stdout, "subject: %s %s\n", s.Name, strings.Join(algs, " "))
			}
			if out != "" {
				return output.WriteRaw(out, env.Stdout, a.SBOM)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&pubkeys, "pubkey", nil, "trust only the public key in `FILE` (repeatable)")
	fl.StringVar(&artifact, "artifact", "", "require `FILE` (its SHA-256/SHA-512) to be a subject of the attestation")
	fl.StringVarP(&out, "output", "o", "", "write the verified SBOM document to `FILE`")
	return cmd
}
