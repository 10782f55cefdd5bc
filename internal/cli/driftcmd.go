package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

const driftLong = `Compare a target with its approved baseline snapshot ("cradle baseline
approve") and report every difference:
  rule_status  a rule's status changed: new_failure (was pass,
               not_applicable or waived, now fail or error), resolved (was
               failing, now not) or changed
  value        a value a rule observed changed (exact before and after)
  file         a file the rules read changed: sha256, mode, owner, type or
               link (before and after), or was added or removed; in_scope
               marks a file the rules read now but did not at approval

The snapshot's signature is verified first; the rescan uses the snapshot's
profile, rule selection, tailoring and waivers. Each item carries
first_seen, the time it was first reported, kept in
$CRADLE_HOME/snapshots/<target>/drift-state.json until the item goes away
(docs/drift.md).

Exit codes: 0 no drift; 3 drift found, or the snapshot does not verify
(edited, unknown key, another target's); 2 no approved snapshot, usage or
input error; 1 internal error; 130 interrupted (SIGINT, SIGTERM).`

type driftFlags struct {
	targetFlags
	outputFlags
}

func newDriftCmd(env *Env) *cobra.Command {
	f := &driftFlags{}
	cmd := &cobra.Command{
		Use:   "drift [--root DIR | --image FILE] [--format table|json] [-o FILE]",
		Short: "Report changes since the approved baseline snapshot",
		Long:  driftLong,
		Example: `  cradle drift
  cradle drift --root /srv/rootfs --format json -o drift.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
			if err != nil {
				return err
			}
			out, err := env.app().Drift(cmd.Context(), app.DriftInput{Target: spec, Progress: newProgress(env, f.quiet)})
			if err != nil {
				return err
			}
			if err := sink.Write(out.Report, output.Options{}); err != nil {
				return err
			}
			return out.Verdict()
		},
	}
	f.targetFlags.register(cmd, targetOpts{what: "compare"})
	f.outputFlags.register(cmd, output.KindDriftReport, false)
	return cmd
}
