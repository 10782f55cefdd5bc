package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// scapFlags are the flags of cradle scan that switch it to SCAP content.
type scapFlags struct {
	content string
	allowNA bool
}

func (sf *scapFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&sf.content, "scap", "", "evaluate SCAP content: a source data stream or XCCDF 1.2 `FILE` (--profile takes an XCCDF profile id, --tailoring an XCCDF tailoring file)")
	fl.BoolVar(&sf.allowNA, "allow-all-notapplicable", false, "with --scap: exit 0 even when every selected rule is notapplicable")
}

// runSCAPScan is cradle scan --scap: XCCDF profile and tailoring, the
// same outputs and gate, and the all-notapplicable guard.
func runSCAPScan(cmd *cobra.Command, env *Env, f *scanFlags, spec target.Spec, sink *output.Sink, failOn result.Severity) error {
	if f.waivers != "" || len(f.rules) > 0 || len(f.ruleFiles) > 0 {
		return usageErr("--scap takes --profile and --tailoring; --waivers, --rule and --rules apply to cradle's own rules")
	}
	out, err := env.app().SCAPScan(cmd.Context(), app.SCAPScanInput{
		Target: spec, Content: f.scap.content, Profile: f.profile, Tailoring: f.tailoring,
		Progress: newProgress(env, f.quiet), MaxEvidence: f.maxEvidence,
	})
	if err != nil {
		return err
	}
	rerun := []string{"--scap", f.scap.content}
	if f.tailoring != "" {
		rerun = append(rerun, "--tailoring", f.tailoring)
	}
	if err := sink.Write(out.Report, output.Options{Color: useColor(env, sink, f.noColor), Verbose: f.verbose, Rerun: rerun}); err != nil {
		return err
	}
	if err := app.SCAPGuard(out.Report, f.scap.allowNA); err != nil {
		return err
	}
	return app.Gate(out.Report, failOn)
}
