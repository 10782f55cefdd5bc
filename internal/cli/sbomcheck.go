package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

func newSBOMCheckCmd(env *Env) *cobra.Command {
	var of outputFlags
	var minScore float64
	cmd := &cobra.Command{
		Use:   "check FILE [--min-score N] [--format table|json]",
		Short: "Rate an SBOM (CycloneDX or SPDX, any producer) against BSI TR-03183-2",
		Long: `Read an SBOM — CycloneDX JSON or XML, SPDX 3 JSON-LD or SPDX 2 JSON, written
by cradle or any other tool — and report which fields BSI TR-03183-2 v2.1.0
requires are missing: the SBOM's creator (e-mail or URL) and timestamp, and
each component's creator, name, version, filename, dependencies, licence,
SHA-512 hash, unique identifier (purl, CPE, SWID) and the executable,
archive and structured properties. A field the SBOM says the target cannot
supply (cradle's cradle:unavailable, with the reason) is reported as
unavailable and not counted; the BSI properties count as not expressible
in SPDX. The score is the share of present fields among present and
missing ones. The file is untrusted input: at most 256 MiB. See
docs/sbom.md.

Exit codes: 0 reported (and the score is at least --min-score); 3 the
score is below --min-score; 2 usage error or a file that cannot be read
or is no SBOM; 1 internal error.`,
		Example: `  cradle sbom check app.cdx.json
  cradle sbom check vendor.spdx.json --min-score 90 --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			in := app.SBOMCheckInput{File: args[0]}
			if cmd.Flags().Changed("min-score") {
				in.MinScore = &minScore
			}
			r, err := env.app().SBOMCheck(cmd.Context(), in)
			if err != nil {
				return err
			}
			if err := sink.Write(r, output.Options{}); err != nil {
				return err
			}
			if r.Below() {
				return app.Findingsf("TR-03183-2 score %.1f%% is below --min-score %.1f%%", r.Score, minScore)
			}
			return nil
		},
	}
	of.register(cmd, output.KindSBOMCheck, false)
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "exit 3 when the score (percent) is below `N`")
	return cmd
}

func newSBOMDiffCmd(env *Env) *cobra.Command {
	var of outputFlags
	cmd := &cobra.Command{
		Use:   "diff OLD NEW [--format table|json]",
		Short: "List the components added, removed and changed between two SBOMs",
		Long: `Compare two SBOMs (any formats cradle sbom check reads, mixed) by
component identity — the package URL without its version (type,
namespace, name, arch qualifier), else the name — and list the components
added, removed, and whose version changed (upgraded or downgraded, by a
comparison of version runs that agrees with dpkg, rpm and semver on
ordinary versions). A package's files (nested components) are left out.

Exit codes: 0 compared; 2 usage error or a file that cannot be read or
is no SBOM; 1 internal error.`,
		Example: `  cradle sbom diff release-1.0.cdx.json release-1.1.cdx.json
  cradle sbom diff old.spdx.json new.cdx.json --format json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			r, err := env.app().SBOMDiff(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return sink.Write(r, output.Options{})
		},
	}
	of.register(cmd, output.KindSBOMDiff, false)
	return cmd
}
